"""Directory service entrypoints: who am I, duty status; login and passwords, administration
of projects, teams and users, and sessions (user_fact, logout) in the mixins."""

from __future__ import annotations

from contracts import directory as c
from contracts.errors import (
    NotFound,
    parse,
    parse_id,
)
from kit.privacy import HoldsNoPersonalData
from kit.service import KeyuanService, rpc
from services.directory import commands, domain, store
from services.directory.offboarding_entrypoints import Offboardings
from services.directory.password_entrypoints import Passwords
from services.directory.project_admin_entrypoints import ProjectAdmin
from services.directory.session_entrypoints import Sessions
from services.directory.team_admin_entrypoints import TeamAdmin
from services.directory.user_admin_entrypoints import UserAdmin


class DirectoryService(ProjectAdmin, TeamAdmin, UserAdmin, Passwords, Sessions, Offboardings,
                       HoldsNoPersonalData, KeyuanService):
    personal_data_note = ("the company's users (staff, channel agents, homeowners' logins); "
                          "customers are not users, so nothing about a customer is kept here")
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox

    @rpc
    def me(self, token: str) -> dict:
        actor = self.keys.actor(token)  # known, active, not logged out
        return commands.fact_of(self.db, self.db.get_one(store.User, actor.user_id)) \
            .model_dump(mode="json")

    @rpc
    def set_duty(self, token: str, user_id: str, change: dict) -> dict:
        actor = self.keys.actor(token)
        target_id = parse_id(user_id, "user_id")
        duty = parse(c.DutyChange, change)
        target = self.db.get(store.User, target_id, with_for_update=True)
        if target is None or not domain.may_set_duty(actor, target):
            raise NotFound("no such user", "user_id")
        commands.set_duty(self.db, target, duty.on_duty)
        self.db.commit()
        return commands.fact_of(self.db, target).model_dump(mode="json")
