"""The 360° profile: edit with optimistic concurrency and a kept history; tag dimensions."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select

from contracts import customers as c
from contracts.actor import Role
from contracts.errors import Conflict, Forbidden, parse
from kit import clock
from kit.service import rpc
from services.customers import domain, project_setup, store
from services.customers.access import CustomersBase


class Profile(CustomersBase):
    """Mixin of CustomersService."""

    @rpc
    def update(self, token: str, customer_id: str, patch: dict) -> dict:
        actor, customer = self._workable(token, customer_id)
        change = parse(c.CustomerPatch, patch)
        if change.version != customer.version:
            raise Conflict(f"the customer was changed since you read it (now version "
                           f"{customer.version}); reload and try again", "version",
                           {"current_version": customer.version})
        portrait, changes = domain.merged_portrait(dict(customer.portrait or {}), change)
        if change.name is not None and change.name != customer.name:
            changes["name"] = [customer.name, change.name]
            customer.name = change.name
        if change.grade is not None and change.grade != customer.grade:
            changes["grade"] = [customer.grade, change.grade]
            customer.grade = change.grade
        if change.grade is not None:
            customer.grade_set_by = domain.GRADED_BY_PERSON
        if change.wechat is not None:
            customer.wechat_enc = self.keys.vault.encrypt(change.wechat, "wechat")
            changes["wechat"] = ["****", f"{change.wechat[:2]}****"]
        if change.tags is not None:
            domain.check_tags(change.tags, self._dimensions(customer.company_id))
            self._replace_tags(customer.id, change.tags)
            changes["tags"] = [None, change.tags]
        if change.free_tags is not None:
            self._replace_tags(customer.id, {"": sorted(set(change.free_tags))})
            changes["free_tags"] = [None, sorted(set(change.free_tags))]
        self.db.flush()
        tags = self._tags_of([customer.id]).get(customer.id, {})
        now = clock.now()
        customer.portrait = portrait
        setup = self._setup(customer.project_id)
        customer.completeness = project_setup.score_of(customer, tags, setup).percent
        if changes:
            customer.version += 1
            customer.updated_at = now
            self.db.add(store.History(id=uuid.uuid4(), company_id=customer.company_id,
                                      customer_id=customer.id, actor_id=actor.user_id,
                                      at=now, changes=changes))
        self.db.commit()
        return self._customer_view(customer, actor, setup, tags)

    def _replace_tags(self, customer_id, tags: dict[str, list[str]]) -> None:
        for dimension, values in tags.items():
            self.db.execute(delete(store.CustomerTag).where(
                store.CustomerTag.customer_id == customer_id,
                store.CustomerTag.dimension == dimension))
            self.db.add_all(store.CustomerTag(customer_id=customer_id, dimension=dimension,
                                              value=value) for value in sorted(set(values)))

    @rpc
    def history(self, token: str, customer_id: str) -> dict:
        actor = self.keys.actor(token)
        customer = self._visible(actor, customer_id)
        rows = self.db.scalars(select(store.History).where(
            store.History.customer_id == customer.id).order_by(store.History.at))
        return {"items": [{"actor_id": str(r.actor_id), "at": r.at.isoformat(),
                           "changes": r.changes} for r in rows]}

    @rpc
    def tag_dimensions(self, token: str) -> dict:
        actor = self.keys.actor(token)
        return {"items": [d.model_dump() for d in
                          self._dimensions(actor.company_id).values()]}

    @rpc
    def define_tag_dimension(self, token: str, spec: dict) -> dict:
        actor = self.keys.actor(token)
        if actor.role != Role.admin:
            raise Forbidden("only an admin defines tag dimensions")
        dimension = parse(c.TagDimension, spec)
        if not self.db.scalars(select(store.TagDimension).where(
                store.TagDimension.company_id == actor.company_id)).first():
            for default in domain.DEFAULT_DIMENSIONS:  # start from the defaults
                self.db.add(store.TagDimension(id=uuid.uuid4(), company_id=actor.company_id,
                                               **default.model_dump()))
            self.db.flush()
        row = self.db.scalars(select(store.TagDimension).where(
            store.TagDimension.company_id == actor.company_id,
            store.TagDimension.code == dimension.code)).first()
        if row is None:
            row = store.TagDimension(id=uuid.uuid4(), company_id=actor.company_id)
            self.db.add(row)
        row.code, row.name, row.values, row.multi = (dimension.code, dimension.name,
                                                     dimension.values, dimension.multi)
        self.db.commit()
        return dimension.model_dump()
