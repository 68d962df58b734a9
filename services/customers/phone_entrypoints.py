"""A customer's extra phones (a spouse's number, a second SIM): added and removed by whoever
works on the customer, one number one person in the company, announced so the leads service
dedupes new leads on them too."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from contracts import customers as c
from contracts.errors import Conflict, NotFound, ValidationFailed, parse, parse_id
from kit import clock, phones
from kit.scope import visibility
from kit.service import rpc
from services.customers import store
from services.customers.access import CustomersBase

P = store.CustomerPhone
MAX_EXTRA_PHONES = 5


class Phones(CustomersBase):
    """Mixin of CustomersService."""

    @rpc
    def add_phone(self, token: str, customer_id: str, new: dict) -> dict:
        """Another number of this customer. The same number again is answered as it was
        (a retry); a number of another customer is refused: merge the two records."""
        actor, customer = self._workable(token, customer_id)
        wanted = parse(c.NewPhone, new)
        e164 = phones.normalise(wanted.phone)
        sealed = self.keys.vault.seal_phone(e164)
        if sealed.index == customer.phone_index:
            raise Conflict("this is already the customer's phone", "phone")
        held = self.db.scalars(select(P).where(P.company_id == customer.company_id,
                                               P.phone_index == sealed.index)).first()
        if held is not None and held.customer_id == customer.id:
            self.db.rollback()
            return self._customer_view(customer, actor)
        other = held.customer_id if held is not None else self.db.scalar(
            select(store.Customer.id).where(
                store.Customer.company_id == customer.company_id,
                store.Customer.phone_index == sealed.index,
                store.Customer.merged_into.is_(None), store.Customer.erased_at.is_(None)))
        if other is not None:
            seen = self.db.scalar(store.scoped(select(store.Customer.id),
                                               visibility(actor)).where(
                store.Customer.id == other))
            raise Conflict("this number belongs to another customer record: merge the two "
                           "records instead", "phone",
                           {"customer_id": str(seen)} if seen else None)
        if self.db.execute(select(func.count()).select_from(P).where(
                P.customer_id == customer.id)).scalar_one() >= MAX_EXTRA_PHONES:
            raise ValidationFailed(f"at most {MAX_EXTRA_PHONES} more phones per customer",
                                   "phone")
        now = clock.now()
        row = P(id=uuid.uuid4(), company_id=customer.company_id, customer_id=customer.id,
                phone_enc=sealed.enc, phone_index=sealed.index, phone_masked=sealed.masked,
                label=wanted.label, added_by=actor.user_id, added_at=now)
        self.db.add(row)
        shown = f"{sealed.masked} {wanted.label or ''}".strip()
        self._phone_changed(customer, actor, now, {"phone_added": [None, shown]})
        self.emit(c.CUSTOMER_PHONE_ADDED, c.PhoneAdded(
            phone_id=row.id, customer_id=customer.id, company_id=customer.company_id,
            phone=sealed, at=now))
        self.db.commit()
        return self._customer_view(customer, actor)

    @rpc
    def remove_phone(self, token: str, customer_id: str, phone_id: str) -> dict:
        actor, customer = self._workable(token, customer_id)
        wanted = parse_id(phone_id, "phone_id")
        row = self.db.get(P, wanted)
        if row is None or row.customer_id != customer.id:
            raise NotFound("no such phone of this customer", "phone_id")
        now = clock.now()
        self.db.delete(row)
        self._phone_changed(customer, actor, now, {"phone_removed": [row.phone_masked, None]})
        self.emit(c.CUSTOMER_PHONE_REMOVED, c.PhoneRemoved(
            phone_id=row.id, customer_id=customer.id, company_id=customer.company_id,
            phone_index=row.phone_index, at=now))
        self.db.commit()
        return self._customer_view(customer, actor)

    def _phone_changed(self, customer, actor, now, changes: dict) -> None:
        customer.version, customer.updated_at = customer.version + 1, now
        self.db.add(store.History(id=uuid.uuid4(), company_id=customer.company_id,
                                  customer_id=customer.id, actor_id=actor.user_id, at=now,
                                  changes=changes))
