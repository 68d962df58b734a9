"""The public pool (公海): list, claim, assign from, release to."""

from __future__ import annotations

import uuid

from contracts import leads as c
from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, NotFound, ValidationFailed, parse, parse_id
from kit import clock
from kit.service import Worker, rpc
from services.leads import domain, pool, store

POOL_READERS = (Role.consultant, Role.manager, Role.director, Role.admin)




def _view(key: store.CustomerKey) -> dict:
    return {"customer_id": str(key.customer_id), "project_id": str(key.project_id)
            if key.project_id else None, "name": key.name, "phone": key.phone_masked,
            "grade": key.grade, "released_at": key.released_at.isoformat()
            if key.released_at else None, "release_reason": key.release_reason,
            "created_at": key.created_at.isoformat(),
            "owner_id": str(key.owner_id) if key.owner_id else None}


class PublicPool(Worker):
    """Mixin of LeadsService."""

    def _pool_projects(self, actor) -> list[uuid.UUID] | None:
        return None if actor.role == Role.admin else list(actor.project_ids)

    def _key_in_scope(self, actor, customer_id) -> store.CustomerKey:
        key = self.db.get(store.CustomerKey, parse_id(customer_id, "customer_id"))
        projects = self._pool_projects(actor)
        if key is None or key.company_id != actor.company_id or key.merged_into or (
                projects is not None and key.project_id not in projects):
            raise NotFound("no such customer", "customer_id")
        return key

    @rpc
    def pool(self, token: str, query: dict | None = None) -> dict:
        actor = self.keys.actor(token, *POOL_READERS)
        q = parse(c.PoolQuery, query)
        projects = self._pool_projects(actor)
        if q.project_id is not None:
            if projects is not None and q.project_id not in projects:
                raise NotFound("no such project", "project_id")
            projects = [q.project_id]
        total, rows = pool.listing(self.db, actor.company_id, projects, q.page, q.page_size)
        answer = {"items": [_view(k) for k in rows], "total": total, "page": q.page,
                  "page_size": q.page_size}
        if actor.role == Role.consultant:
            answer.update(self._claims_standing(actor, projects or []))
        return answer

    def _claims_standing(self, actor, projects: list[uuid.UUID]) -> dict:
        """A consultant's claims today and how many are left (the strictest cap of the
        projects listed: the count is across projects, the cap the customer's project's)."""
        today = pool.claims_since(self.db, actor.user_id,
                                  domain.start_of_local_day(clock.now()))
        caps = [store.project_settings(self.db, p).pool.daily_claim_cap for p in projects]
        cap = min(caps) if caps else 0
        return {"claims_today": today, "daily_claim_cap": cap,
                "claims_left": max(0, cap - today)}

    @rpc
    def claim(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token, *POOL_READERS)
        key = self._key_in_scope(actor, customer_id)
        if key.owner_id == actor.user_id:
            return _view(key)  # a retried claim
        if key.owner_id is not None or pool.is_on_offer(self.db, key.customer_id):
            raise Conflict("this customer is not in the pool", "customer_id")
        pool.lock_claimer(self.db, actor.user_id)
        now = clock.now()
        rules = store.project_settings(self.db, key.project_id).pool
        refusal = domain.claim_refusal(
            actor, key.previous_owner_id, key.released_at,
            pool.claims_since(self.db, actor.user_id, domain.start_of_local_day(now)),
            rules, now)
        if refusal:
            raise Forbidden(refusal, "customer_id")
        if not pool.take(self.db, key, actor.user_id, action="claim", by=actor.user_id,
                         reason=None):
            self.db.rollback()
            raise Conflict("someone claimed this customer a moment ago", "customer_id")
        self.db.commit()
        self.db.refresh(key)
        return _view(key)

    @rpc
    def assign_from_pool(self, token: str, customer_id: str, assignment: dict) -> dict:
        actor = self.keys.actor(token, Role.manager, Role.director, Role.admin)
        key = self._key_in_scope(actor, customer_id)
        target = parse(c.PoolAssignment, assignment).owner_id
        if not pool.is_assignable(self.db, target, key.project_id):
            raise ValidationFailed("not an active consultant of the customer's project",
                                   "owner_id")
        if actor.role == Role.manager and pool.team_of(self.db, target) != actor.team_id:
            raise Forbidden("a manager assigns to their own team", "owner_id")
        if key.owner_id == target:
            return _view(key)
        if key.owner_id is not None or not pool.take(
                self.db, key, target, action="assign", by=actor.user_id, reason=None):
            self.db.rollback()
            raise Conflict("this customer is no longer in the pool", "customer_id")
        self.db.commit()
        self.db.refresh(key)
        return _view(key)

    @rpc
    def release(self, token: str, customer_id: str, release: dict) -> dict:
        actor = self.keys.actor(token, *POOL_READERS)
        key = self._key_in_scope(actor, customer_id)
        reason = parse(c.Release, release).reason
        if key.owner_id is None:
            return _view(key)  # already in the pool
        if not domain.may_release(actor, key.owner_id, pool.team_of(self.db, key.owner_id)):
            raise NotFound("no such customer", "customer_id")
        if not pool.give_back(self.db, key, action="release", by=actor.user_id,
                              reason=reason):
            self.db.rollback()
            raise Conflict("the customer's owner changed meanwhile; reload", "customer_id")
        self.db.commit()
        self.db.refresh(key)
        return _view(key)
