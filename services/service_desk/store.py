"""Service desk schema. Tickets arrive in their own issue; the outbox and inbox are here so
the service runs like every other from day one, and the users and revoked tokens copies that
it authorises its callers from."""

from __future__ import annotations

from sqlalchemy import MetaData

from kit.inbox import inbox_table
from kit.outbox import outbox_table
from kit.readcopy import revoked_tokens_table, users_table

SCHEMA = "service_desk"

metadata = MetaData(schema=SCHEMA)
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
# Who may ask (the callers are authorised from these copies).
Users = users_table(metadata)
RevokedTokens = revoked_tokens_table(metadata)
