"""The privacy audit (PIPL Art. 51/56) for whoever handles data-subject requests (an admin
or the privacy scope): who revealed or exported whose data, why and when, and the past
data-subject requests. A mixin of CustomersService (uses its `db` and `keys`)."""

from __future__ import annotations

from contracts import customers as c
from contracts.errors import parse
from kit.privacy import subject_request_handler
from kit.service import rpc
from services.customers import audit, audit_store
from services.customers.access import CustomersBase


class PrivacyAudit(CustomersBase):

    @rpc
    def privacy_audit(self, token: str, query: dict | None = None) -> dict:
        actor = subject_request_handler(self.keys, token)
        q = parse(c.AuditQuery, query)
        start, end = audit.day_bounds(q.from_date, q.to_date)
        total, rows = audit_store.audit_page(self.db, actor.company_id, q, start, end)
        actors = audit_store.user_names(self.db, [r.actor_id for r in rows])
        customers = audit_store.customer_names(self.db, actor.company_id,
                                               [r.customer_id for r in rows])
        return {"items": [audit.audit_item(r, actors, customers) for r in rows],
                "total": total, "page": q.page, "page_size": q.page_size}

    @rpc
    def subject_requests(self, token: str, query: dict | None = None) -> dict:
        actor = subject_request_handler(self.keys, token)
        q = parse(c.SubjectRequestQuery, query)
        total, rows = audit_store.request_page(self.db, actor.company_id, q)
        actors = audit_store.user_names(self.db, [r.actor_id for r in rows])
        customers = audit_store.customer_names(
            self.db, actor.company_id, [i for r in rows for i in r.customer_ids])
        return {"items": [audit.request_item(r, actors, customers) for r in rows],
                "total": total, "page": q.page, "page_size": q.page_size}
