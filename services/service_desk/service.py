"""Service desk entrypoints (tickets come in a later issue; ping is inherited)."""

from __future__ import annotations

from contracts import service_desk as c
from kit.privacy import HoldsNoPersonalData
from kit.readcopy import KeepsRevokedTokens, KeepsUserCopy
from kit.service import KeyuanService
from services.service_desk import store


class ServiceDeskService(HoldsNoPersonalData, KeepsUserCopy, KeepsRevokedTokens,
                         KeyuanService):
    personal_data_note = ("no tickets yet (they come in a later issue, which adds its part of "
                          "exports, erasure and merges)")
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox
    users_table = store.Users
    revoked_tokens_table = store.RevokedTokens
