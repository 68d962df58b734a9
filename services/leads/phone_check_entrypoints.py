"""录入's known-phone check: before a lead is entered, is its phone a customer already, and
whose? Told to staff of the project only, and rate-limited per user."""

from __future__ import annotations

from contracts import leads as c
from contracts.errors import NotFound, TooManyRequests, parse
from kit import clock, phones, scope
from kit.service import Worker, rpc
from services.leads import domain, store


class PhoneChecks(Worker):
    """Mixin of LeadsService."""

    @rpc
    def check_phone(self, token: str, check: dict) -> dict:
        actor = self.keys.actor(token, *domain.PHONE_CHECK_ROLES)
        wanted = parse(c.PhoneCheck, check)
        project_id = scope.project_of(actor, wanted.project_id)
        project = store.project(self.db, project_id)
        if project is None or project.company_id != actor.company_id:
            raise NotFound("no such project", "project_id")
        # Counted before the number is even read: a bad number costs a check too.
        now = clock.now()
        window = domain.phone_check_window(now)
        used = store.count_phone_check(self.db, actor.user_id, window)
        self.db.commit()
        if used > domain.PHONE_CHECK_LIMIT:
            retry = int((window + domain.PHONE_CHECK_WINDOW - now).total_seconds()) + 1
            raise TooManyRequests(f"查询过于频繁，请 {retry // 60 + 1} 分钟后再试 (at most "
                                  f"{domain.PHONE_CHECK_LIMIT} checks in "
                                  f"{int(domain.PHONE_CHECK_WINDOW.total_seconds()) // 60} "
                                  "minutes)", "phone", {"retry_after_seconds": retry})
        index = self.keys.vault.blind_index(phones.normalise(wanted.phone))
        key = store.customer_for_phone(self.db, actor.company_id, index)
        answer = domain.phone_check_answer(
            actor, key.customer_id if key else None, key.owner_id if key else None,
            store.user_name(self.db, key.owner_id) if key else None,
            domain.PHONE_CHECK_LIMIT - used)
        return c.PhoneCheckResult(**answer).model_dump(mode="json")
