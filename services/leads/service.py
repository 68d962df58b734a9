"""Leads service entrypoints: intake and the directory read copies."""

from __future__ import annotations

import uuid

from contracts import leads as c
from contracts.errors import parse
from kit.readcopy import KeepsProjectCopy, KeepsRevokedTokens, KeepsUserCopy
from kit.service import KeyuanService, rpc
from services.leads import intake, store
from services.leads.alias_entrypoints import ExtraPhones
from services.leads.arrival_entrypoints import Arrivals
from services.leads.handover_entrypoints import Handovers
from services.leads.import_entrypoints import LeadImports
from services.leads.offer_entrypoints import GrabMode
from services.leads.phone_check_entrypoints import PhoneChecks
from services.leads.pool_entrypoints import PublicPool
from services.leads.privacy_entrypoints import PersonalDataRequests
from services.leads.reception_entrypoints import Reception
from services.leads.recycle_entrypoints import Recycling
from services.leads.registration_entrypoints import Registrations
from services.leads.settings_entrypoints import ProjectRules
from services.leads.webhook_entrypoints import ChannelWebhooks


class LeadsService(  # each mixin holds the entrypoints of one area; see its module
    PersonalDataRequests,
    Handovers,
    ExtraPhones,
    Arrivals,
    Recycling,
    Registrations,
    Reception,
    GrabMode,
    ChannelWebhooks,
    PublicPool,
    PhoneChecks,
    LeadImports,
    ProjectRules,
    KeepsUserCopy,
    KeepsRevokedTokens,
    KeepsProjectCopy,
    KeyuanService,
):
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox
    users_table = store.Users
    revoked_tokens_table = store.RevokedTokens
    projects_table = store.Projects

    @rpc
    def create(self, token: str, lead: dict, idempotency_key: str | None = None) -> dict:
        actor = self.keys.actor(token)
        new = parse(c.NewLead, lead)
        return intake.submit(self.db, self.keys.vault, actor, new, idempotency_key)

    @rpc
    def customer_known(self, token: str, customer_id: str) -> bool:
        """Has intake made this customer of the caller's company (whether or not the
        customers service has its profile yet)? Lets that service read through."""
        actor = self.keys.actor(token)
        try:
            wanted = uuid.UUID(str(customer_id))
        except ValueError:
            return False
        key = self.db.get(store.CustomerKey, wanted)
        return key is not None and key.company_id == actor.company_id
