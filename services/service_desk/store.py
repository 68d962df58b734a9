"""Service desk schema. Tickets arrive in their own issue; the outbox and inbox are here so
the service runs like every other from day one."""

from __future__ import annotations

from sqlalchemy import MetaData

from kit.inbox import inbox_table
from kit.outbox import outbox_table

SCHEMA = "service_desk"

metadata = MetaData(schema=SCHEMA)
Outbox = outbox_table(metadata)
Inbox = inbox_table(metadata)
