"""Directory service entrypoints: login, who am I, duty status."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from contracts import directory as c
from contracts.errors import NotFound, Unauthenticated, ValidationFailed, from_pydantic, parse
from kit import auth
from kit.privacy import HoldsNoPersonalData
from kit.service import KeyuanService, rpc
from services.directory import commands, domain, store


class DirectoryService(HoldsNoPersonalData, KeyuanService):
    personal_data_note = ("the company's users (staff, channel agents, homeowners' logins); "
                          "customers are not users, so nothing about a customer is kept here")
    name = c.SERVICE
    outbox_table = store.Outbox
    inbox_table = store.Inbox

    @rpc
    def login(self, credentials: dict) -> dict:
        creds = parse(c.Credentials, credentials)
        user = store.user_by_username(self.db, creds.username)
        ok = domain.password_matches(user.password_hash if user else None, creds.password)
        if not ok or user is None or not user.active:
            raise Unauthenticated("wrong username or password", "password")
        team = self.db.get(store.Team, user.team_id) if user.team_id else None
        actor = domain.actor_of(user, team.project_id if team else None)
        token, expires = auth.issue(actor, self.keys.settings.secret_key,
                                    self.keys.settings.token_ttl_seconds)
        return c.LoginResult(token=token, expires_at=expires.isoformat(),
                             actor=actor.model_dump(mode="json")).model_dump()

    @rpc
    def me(self, token: str) -> dict:
        actor = self.keys.actor(token)
        user = self.db.get(store.User, actor.user_id)
        if user is None or not user.active:
            raise Unauthenticated("this user no longer exists", "token")
        return domain.user_fact(user).model_dump(mode="json")

    @rpc
    def set_duty(self, token: str, user_id: str, change: dict) -> dict:
        actor = self.keys.actor(token)
        try:
            target_id = uuid.UUID(str(user_id))
            duty = c.DutyChange.model_validate(change)
        except ValueError as exc:
            raise (from_pydantic(exc) if isinstance(exc, ValidationError)
                   else ValidationFailed("not a user id", "user_id")) from None
        target = self.db.get(store.User, target_id, with_for_update=True)
        if target is None or not domain.may_set_duty(actor, target):
            raise NotFound("no such user", "user_id")
        commands.set_duty(self.db, target, duty.on_duty)
        self.db.commit()
        return domain.user_fact(target).model_dump(mode="json")
