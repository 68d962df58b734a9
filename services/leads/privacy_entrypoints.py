"""Data-subject requests in the leads service: its part of a person's export, their erasure
(person.erased) and a merge of two customers (customer.merged), both from customers."""

from __future__ import annotations

from contracts import customers
from contracts.envelope import Envelope
from kit.inbox import handles
from kit.privacy import person_query, subject_request_handler
from kit.service import Worker, rpc
from services.leads import privacy_store


class PersonalDataRequests(Worker):
    """Mixin of LeadsService."""

    @rpc
    def person_data(self, token: str, query: dict | None = None) -> dict:
        actor = subject_request_handler(self.keys, token)
        wanted = person_query(query)
        ids, indexes = privacy_store.person(self.db, actor.company_id, set(wanted.customer_ids),
                                            set(wanted.phone_indexes))
        records = privacy_store.person_data(self.db, self.keys.vault, actor.company_id, ids,
                                            indexes)
        return {"service": "leads", "holds_personal_data": any(records.values()),
                "records": records}

    @handles(customers.SERVICE, customers.PERSON_ERASED)
    def on_person_erased(self, session, env: Envelope) -> None:
        fact = customers.PersonErased.model_validate(env.payload)
        ids, indexes = privacy_store.person(session, fact.company_id, set(fact.customer_ids),
                                            set(fact.phone_indexes))
        privacy_store.erase(session, fact.company_id, ids, indexes)

    @handles(customers.SERVICE, customers.CUSTOMER_MERGED)
    def on_customer_merged(self, session, env: Envelope) -> None:
        fact = customers.CustomerMerged.model_validate(env.payload)
        privacy_store.merge(session, fact.company_id, fact.survivor_id, fact.merged_id)
