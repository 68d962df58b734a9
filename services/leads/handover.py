"""Handing customers over (离职交接, 批量转移): the job and its items, each customer with its
planned new owner decided when the job is made; the bounded batches that move them through
pool.hand_over; the progress reported after every batch. The caller commits.

Every replica may run the batches: items are taken FOR UPDATE SKIP LOCKED, and an item moves
only while its customer is still owned by the owner it was planned from, so a crash, a
redelivered event or a second replica never moves a customer twice."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import delete, exists, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from contracts import handover as c
from contracts import leads
from kit import clock, outbox
from services.leads import domain, pool
from services.leads.store import CustomerKey, Handover, HandoverItem, Outbox, ReceptionSlot, Users

Item = HandoverItem

BATCH = 200
DEPARTURE, REASSIGN = "departure", "reassign"
MOVING, DONE = "moving", "done"
PENDING, MOVED, SKIPPED = "pending", "moved", "skipped"
LATE = "arrived for the leaver while the handover ran"


def eligible_colleagues(session: Session, team_id: uuid.UUID | None,
                        project_id: uuid.UUID | None) -> list[uuid.UUID]:
    """The team's active consultants (of the project, when the customer has one)."""
    if team_id is None:
        return []
    u = Users.c
    stmt = select(u.id).where(u.role == "consultant", u.active.is_(True), u.team_id == team_id)
    if project_id is not None:
        stmt = stmt.where(u.project_ids.any(project_id))
    return list(session.scalars(stmt.order_by(u.id)))


class _Colleagues:
    """Who may receive a customer, read once per batch or plan (team, project → ids)."""

    def __init__(self, session: Session):
        self.session = session
        self._eligible: dict[tuple, list[uuid.UUID]] = {}
        self._assignable: dict[tuple, bool] = {}
        self._teams: dict[uuid.UUID, uuid.UUID | None] = {}

    def team_for(self, handover: Handover, owner: uuid.UUID) -> uuid.UUID | None:
        """Round-robin spreads over the leaver's (or the manager's) team; for a director's or
        an admin's reassignment, over the team of each customer's owner."""
        if handover.team_id is not None or handover.kind == DEPARTURE:
            return handover.team_id
        if owner not in self._teams:
            self._teams[owner] = pool.team_of(self.session, owner)
        return self._teams[owner]

    def eligible(self, handover: Handover, project_id, owner: uuid.UUID) -> list[uuid.UUID]:
        team = self.team_for(handover, owner)
        if (team, project_id) not in self._eligible:
            self._eligible[team, project_id] = eligible_colleagues(self.session, team,
                                                                   project_id)
        leaver = {owner, handover.user_id}
        return [u for u in self._eligible[team, project_id] if u not in leaver]

    def assignable(self, user_id: uuid.UUID, project_id) -> bool:
        if (user_id, project_id) not in self._assignable:
            self._assignable[user_id, project_id] = pool.is_assignable(self.session, user_id,
                                                                       project_id)
        return self._assignable[user_id, project_id]


def _add_items(session: Session, handover: Handover, keys: list[tuple], note: str | None = None
               ) -> int:
    """Plan these customers (customer_id, project_id, owner_id) into the handover: round-robin
    continues per project from the items already planned, so a late customer is spread as
    the first ones were."""
    plan = c.HandoverPlan.model_validate(handover.plan)
    counts: dict = defaultdict(int)
    for project_id, n in session.execute(select(Item.project_id, func.count()).where(
            Item.handover_id == handover.id).group_by(Item.project_id)):
        counts[project_id] = n
    ordinal = session.scalar(select(func.max(Item.ordinal)).where(Item.handover_id == handover.id))
    ordinal = -1 if ordinal is None else ordinal
    colleagues = _Colleagues(session)
    rows = []
    for customer_id, project_id, owner_id in keys:
        rule = plan.rule_for(project_id)
        planned, why = domain.planned_owner(
            rule.mode.value, rule.to_user_id,
            colleagues.eligible(handover, project_id, owner_id)
            if rule.mode == c.HandoverMode.round_robin else [], counts[project_id])
        counts[project_id] += 1
        ordinal += 1
        rows.append({"handover_id": handover.id, "customer_id": customer_id, "ordinal": ordinal,
                     "project_id": project_id, "from_owner_id": owner_id,
                     "planned_owner_id": planned, "status": PENDING,
                     "note": "; ".join(n for n in (note, why) if n) or None})
    added = len(session.execute(insert(Item).on_conflict_do_nothing()
                                .returning(Item.customer_id), rows).all()) if rows else 0
    handover.total += added
    return added


def _owned_by(session: Session, company_id: uuid.UUID, owner_id: uuid.UUID,
              not_in: uuid.UUID | None = None) -> list[tuple]:
    """The live customers an owner holds (optionally those not yet in a handover)."""
    K = CustomerKey
    stmt = select(K.customer_id, K.project_id, K.owner_id).where(
        K.company_id == company_id, K.owner_id == owner_id, K.merged_into.is_(None))
    if not_in is not None:
        stmt = stmt.where(~exists().where(HandoverItem.handover_id == not_in,
                                          HandoverItem.customer_id == K.customer_id))
    return [tuple(r) for r in session.execute(stmt.order_by(K.customer_id))]


def start_departure(session: Session, fact: c.UserOffboarded) -> Handover | None:
    """The leaver's handover (its id is the offboarding's): every customer they own, planned.
    None when it exists already (the event came again)."""
    made = session.execute(insert(Handover).values(
        id=fact.offboarding_id, company_id=fact.company_id, kind=DEPARTURE,
        user_id=fact.user_id, team_id=fact.team_id, plan=fact.plan.canonical(),
        reason=c.HANDOVER_REASON, requested_by=fact.by, requested_at=fact.at, status=MOVING,
        total=0, moved=0, skipped=0).on_conflict_do_nothing().returning(Handover.id)).first()
    if made is None:
        return None
    handover = session.get_one(Handover, fact.offboarding_id)
    _add_items(session, handover, _owned_by(session, fact.company_id, fact.user_id))
    report(session, handover)
    return handover


def start_reassignment(session: Session, *, company_id: uuid.UUID, plan: c.HandoverPlan,
                       keys: list[tuple], team_id: uuid.UUID | None, by: uuid.UUID,
                       idempotency_key: str | None, request_hash: str,
                       reason: str | None = None) -> Handover:
    handover = Handover(id=uuid.uuid4(), company_id=company_id, kind=REASSIGN, user_id=None,
                        team_id=team_id, plan=plan.canonical(),
                        reason=reason or c.REASSIGN_REASON,
                        requested_by=by, requested_at=clock.now(), status=MOVING, total=0,
                        moved=0, skipped=0, idempotency_key=idempotency_key,
                        request_hash=request_hash)
    session.add(handover)
    session.flush()
    _add_items(session, handover, keys)
    report(session, handover)
    return handover


def move_batch(session: Session, limit: int | None = None) -> int:
    """Move up to `limit` (BATCH) planned customers of any handover; how many were handled.
    A handful of statements per batch, however many customers it moves."""
    items = list(session.scalars(select(Item).where(Item.status == PENDING)
                                 .order_by(Item.handover_id, Item.ordinal).limit(limit or BATCH)
                                 .with_for_update(skip_locked=True)))
    if not items:
        return 0
    handovers = {h.id: h for h in session.scalars(select(Handover).where(
        Handover.id.in_({i.handover_id for i in items})))}
    keys = {k.customer_id: k for k in session.scalars(
        select(CustomerKey).where(CustomerKey.customer_id.in_([i.customer_id for i in items]))
        .order_by(CustomerKey.customer_id).with_for_update())}
    colleagues = _Colleagues(session)
    outcome: dict = {}                      # item → [status, owner, note, replanned]
    planned: dict = defaultdict(list)       # handover → [(item, key, new owner)]
    for item in items:
        handover = handovers[item.handover_id]
        key = keys.get(item.customer_id)
        target, note, replanned = item.planned_owner_id, item.note, False
        why_not = _why_not_moved(key, item)
        if why_not is None and target is not None and (
                target == handover.user_id or not colleagues.assignable(target,
                                                                       key.project_id)):
            target, note = domain.replanned_owner(
                target, colleagues.eligible(handover, key.project_id, item.from_owner_id),
                item.ordinal)
            replanned = True
        if why_not is None and target == key.owner_id:
            why_not = "already owned by the planned owner"
        outcome[item] = [MOVED, target, note, replanned]
        if why_not is None:
            planned[handover.id].append((item, key, target))
        else:
            outcome[item][0], outcome[item][2] = SKIPPED, _joined(note, why_not)
    for handover_id, moves in planned.items():
        handover = handovers[handover_id]
        moved = pool.hand_over(
            session, [(key, target) for _, key, target in moves], handover_id=handover.id,
            action="handover" if handover.kind == DEPARTURE else "reassign",
            by=handover.requested_by, reason=handover.reason)
        for item, _, _ in moves:
            if item.customer_id not in moved:
                outcome[item][0] = SKIPPED
                outcome[item][2] = _joined(outcome[item][2], "the owner changed meanwhile")
    session.execute(_ITEMS_DONE, {
        "handovers": [i.handover_id for i in outcome],
        "customers": [i.customer_id for i in outcome],
        "statuses": [o[0] for o in outcome.values()],
        "owners": [o[1] if o[0] == MOVED else None for o in outcome.values()],
        "notes": [o[2] for o in outcome.values()],
        "replanned": [o[3] for o in outcome.values()], "at": clock.now()})
    for handover_id in {i.handover_id for i in items}:
        mine = [o[0] for i, o in outcome.items() if i.handover_id == handover_id]
        # The row lock taken here orders the reports of one handover (see report()).
        session.execute(update(Handover).where(Handover.id == handover_id).values(
            moved=Handover.moved + mine.count(MOVED),
            skipped=Handover.skipped + mine.count(SKIPPED)))
        report(session, handovers[handover_id])
    for item in items:
        session.expire(item)
    return len(items)


def _joined(*notes: str | None) -> str:
    return "; ".join(n for n in notes if n)


# move_batch's one statement for the items of a batch.
_ITEMS_DONE = text("""
    UPDATE leads.handover_items AS i SET
        status = o.status, owner_id = o.owner_id, note = o.note, replanned = o.replanned,
        moved_at = CASE WHEN o.status = 'moved' THEN :at END
    FROM unnest(CAST(:handovers AS uuid[]), CAST(:customers AS uuid[]),
                CAST(:statuses AS text[]), CAST(:owners AS uuid[]), CAST(:notes AS text[]),
                CAST(:replanned AS boolean[]))
        AS o(handover_id, customer_id, status, owner_id, note, replanned)
    WHERE i.handover_id = o.handover_id AND i.customer_id = o.customer_id""")


def _why_not_moved(key: CustomerKey | None, item: HandoverItem) -> str | None:
    if key is None:
        return "the customer no longer exists (erased)"
    if key.merged_into is not None:
        return f"merged into customer {key.merged_into}"
    if key.owner_id != item.from_owner_id:
        now_with = key.owner_id or "the pool"
        return f"no longer owned by {item.from_owner_id} (now {now_with})"
    return None


def finish_ready(session: Session) -> int:
    """Handovers with nothing left to move: a departure first picks up the customers that
    arrived for the leaver meanwhile (once the leaver is inactive here, so nothing more can
    reach them); then the job is done. How many finished."""
    finished = 0
    for handover in session.scalars(select(Handover).where(Handover.status == MOVING)
                                    .order_by(Handover.requested_at).limit(20)
                                    .with_for_update(skip_locked=True)):
        if session.scalar(select(exists().where(HandoverItem.handover_id == handover.id,
                                                HandoverItem.status == PENDING))):
            continue
        if handover.kind == DEPARTURE:
            if session.scalar(select(Users.c.active).where(Users.c.id == handover.user_id)):
                continue  # the deactivation has not reached this copy yet
            late = _owned_by(session, handover.company_id, handover.user_id, not_in=handover.id)
            if late:
                _add_items(session, handover, late, LATE)
                report(session, handover)
                continue
        handover.status, handover.finished_at = DONE, clock.now()
        report(session, handover)
        finished += 1
    return finished


def projects_of(session: Session, handover: Handover) -> list[c.ProjectProgress]:
    """Per project: how many customers, moved, skipped, to the pool, re-planned, to whom."""
    plan = c.HandoverPlan.model_validate(handover.plan)
    found: dict = {}
    for project_id, status, owner, replanned, n in session.execute(
            select(Item.project_id, Item.status, Item.owner_id, Item.replanned, func.count())
            .where(Item.handover_id == handover.id)
            .group_by(Item.project_id, Item.status, Item.owner_id, Item.replanned)):
        p = found.get(project_id) or found.setdefault(project_id, c.ProjectProgress(
            project_id=project_id, mode=plan.rule_for(project_id).mode, moved=0, total=0))
        p.total += n
        p.replanned += n if replanned else 0
        if status == MOVED:
            p.moved += n
            if owner is None:
                p.to_pool += n
            else:
                p.owners[owner] = p.owners.get(owner, 0) + n
        elif status == SKIPPED:
            p.skipped += n
    return sorted(found.values(), key=lambda p: str(p.project_id))


def report(session: Session, handover: Handover) -> c.HandoverProgress:
    """handover.progress, in the outbox. Taken after the handover's row was written in this
    transaction, so one handover's reports are made (and dated) in order."""
    projects = projects_of(session, handover)
    progress = c.HandoverProgress(
        handover_id=handover.id, company_id=handover.company_id, user_id=handover.user_id,
        moved=sum(p.moved for p in projects), total=sum(p.total for p in projects),
        skipped=sum(p.skipped for p in projects), done=handover.status == DONE,
        projects=projects, at=clock.now())
    outbox.record(session, Outbox, leads.SERVICE, c.HANDOVER_PROGRESS, progress)
    return progress


def status(session: Session, handover: Handover) -> dict:
    projects = projects_of(session, handover)
    return c.HandoverStatus(
        id=handover.id, kind=handover.kind, user_id=handover.user_id,
        plan=c.HandoverPlan.model_validate(handover.plan), requested_by=handover.requested_by,
        requested_at=handover.requested_at, moved=sum(p.moved for p in projects),
        total=sum(p.total for p in projects), skipped=sum(p.skipped for p in projects),
        done=handover.status == DONE, projects=projects, progress_at=None,
        finished_at=handover.finished_at).model_dump(mode="json")


def drop_from_reception(session: Session, user_id: uuid.UUID) -> None:
    """A deactivated consultant leaves every walk-in rotation (轮岗接待)."""
    session.execute(delete(ReceptionSlot).where(ReceptionSlot.user_id == user_id))
