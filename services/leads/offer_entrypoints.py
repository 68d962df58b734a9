"""Grab mode (抢单) entrypoints: see the open offers, grab one, and the window's timer."""

from __future__ import annotations

from nameko.timer import timer

from contracts import leads as c
from contracts.actor import Role
from contracts.errors import Conflict, parse_id
from kit.service import Worker, rpc
from services.leads import offers, store


class GrabMode(Worker):
    """Mixin of LeadsService."""

    @rpc
    def offers(self, token: str) -> dict:
        actor = self.keys.actor(token, Role.consultant)
        rows = offers.open_for(self.db, actor.user_id)
        keys = {k.customer_id: k for k in (self.db.get(store.CustomerKey, o.customer_id)
                                           for o in rows) if k}
        return {"items": [c.OfferView(
            id=o.id, customer_id=o.customer_id, project_id=o.project_id,
            name=keys[o.customer_id].name, phone=keys[o.customer_id].phone_masked,
            grade=keys[o.customer_id].grade, offered_at=o.offered_at,
            expires_at=o.expires_at).model_dump(mode="json") for o in rows]}

    @rpc
    def grab(self, token: str, offer_id: str) -> dict:
        actor = self.keys.actor(token, Role.consultant)
        wanted = parse_id(offer_id, "offer_id")
        won = offers.grab(self.db, wanted, actor.user_id)
        if won is None:
            self.db.rollback()
            raise Conflict("someone else grabbed it first, or the offer closed", "offer_id")
        self.db.commit()
        return {"offer_id": str(won.id), "customer_id": str(won.customer_id),
                "owner_id": str(actor.user_id)}

    @timer(interval=2)
    def expire_offers(self) -> None:
        while offers.expire_due(self.db) >= offers.BATCH:
            self.db.commit()
        self.db.commit()
