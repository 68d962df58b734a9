"""A customer's extra phones (customers' customer.phone_added / customer.phone_removed):
a lead, an import row or a 报备 with such a phone is about that customer."""

from __future__ import annotations

from contracts import customers
from contracts.envelope import Envelope
from kit.inbox import handles
from kit.service import Worker
from services.leads import aliases


class ExtraPhones(Worker):
    """Mixin of LeadsService."""

    @handles(customers.SERVICE, customers.CUSTOMER_PHONE_ADDED)
    def on_phone_added(self, session, env: Envelope) -> None:
        fact = customers.PhoneAdded.model_validate(env.payload)
        aliases.add(session, phone_id=fact.phone_id, customer_id=fact.customer_id,
                    company_id=fact.company_id, phone=fact.phone, at=fact.at)

    @handles(customers.SERVICE, customers.CUSTOMER_PHONE_REMOVED)
    def on_phone_removed(self, session, env: Envelope) -> None:
        fact = customers.PhoneRemoved.model_validate(env.payload)
        aliases.remove(session, phone_id=fact.phone_id, company_id=fact.company_id,
                       phone_index=fact.phone_index)
