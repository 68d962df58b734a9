"""Analytics service entrypoints: count every fact; answer the funnel."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from contracts import analytics as c
from contracts import leads, tasks
from contracts.actor import Role
from contracts.envelope import Envelope
from contracts.errors import parse
from kit.inbox import handles
from kit.privacy import HoldsNoPersonalData
from kit.readcopy import KeepsRevokedTokens, KeepsUserCopy
from kit.service import KeyuanService, rpc
from services.analytics import domain, store

READERS = (Role.manager, Role.director, Role.admin, Role.integration)


class AnalyticsService(HoldsNoPersonalData, KeepsUserCopy, KeepsRevokedTokens,
                       KeyuanService):
    personal_data_note = ("daily counters per project, metric and channel: aggregates only, "
                          "nothing that names or reaches a person; an erasure leaves them as "
                          "they are")
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox
    users_table = store.Users
    revoked_tokens_table = store.RevokedTokens

    @rpc
    def funnel(self, token: str, query: dict | None = None) -> dict:
        actor = self.keys.actor(token, *READERS)
        q = parse(c.FunnelQuery, query)
        date_from, date_to = domain.window(q.date_from, q.date_to)
        d = store.DailyCount
        stmt = select(d.metric, d.channel, func.sum(d.count)).where(
            d.company_id == actor.company_id, d.day >= date_from, d.day <= date_to)
        if actor.role in (Role.manager, Role.director):
            stmt = stmt.where(d.project_id.in_(actor.project_ids))
        if q.project_id:
            stmt = stmt.where(d.project_id == q.project_id)
        totals: dict[str, int] = {}
        by_channel: dict[str, int] = {}
        for metric, channel, count in self.db.execute(stmt.group_by(d.metric, d.channel)):
            totals[metric] = totals.get(metric, 0) + int(count)
            if metric == "leads":
                by_channel[channel] = by_channel.get(channel, 0) + int(count)
        return domain.funnel(date_from, date_to, totals, by_channel).model_dump(mode="json")

    # Counters sum up: each handler takes its batch whole and bumps each counter once.

    @handles(leads.SERVICE, leads.LEAD_CREATED, whole_batch=True)
    def on_lead_created(self, session, envs: list[Envelope]) -> None:
        counts: Counter = Counter()
        for env in envs:
            lead = leads.LeadCreated.model_validate(env.payload)
            key = (domain.business_day(lead.created_at), lead.company_id, lead.project_id)
            counts[(*key, "leads", lead.channel.value)] += 1
            counts[(*key, "duplicates" if lead.duplicate else "new_customers", "")] += 1
        store.bump_many(session, counts)

    @handles(leads.SERVICE, leads.LEAD_ASSIGNED, whole_batch=True)
    def on_lead_assigned(self, session, envs: list[Envelope]) -> None:
        counts: Counter = Counter()
        for env in envs:
            fact = leads.LeadAssigned.model_validate(env.payload)
            if fact.owner_id is not None:
                counts[(domain.business_day(env.occurred_at), fact.company_id,
                        fact.project_id, "assigned", "")] += 1
        store.bump_many(session, counts)

    @handles(tasks.SERVICE, tasks.TASK_CREATED, whole_batch=True)
    def on_task_created(self, session, envs: list[Envelope]) -> None:
        store.bump_many(session, _first_contact_counts(envs, tasks.TaskCreated,
                                                       "first_contact_tasks"))

    @handles(tasks.SERVICE, tasks.TASK_COMPLETED, whole_batch=True)
    def on_task_completed(self, session, envs: list[Envelope]) -> None:
        store.bump_many(session, _first_contact_counts(envs, tasks.TaskCompleted,
                                                       "first_contact_done"))


def _first_contact_counts(envs: list[Envelope], model, metric: str) -> Counter:
    counts: Counter = Counter()
    for env in envs:
        fact = model.model_validate(env.payload)
        if fact.kind == "first_contact":
            counts[(domain.business_day(env.occurred_at), fact.company_id, fact.project_id,
                    metric, "")] += 1
    return counts
