"""Sessions (a mixin of DirectoryService): who a token's user is now, for the services whose
read copy has not heard of them yet (user_fact), logout (a token ended before its expiry,
everywhere: token.revoked), and the directory's own caller check from its tables."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from nameko.timer import timer
from sqlalchemy import exists, select

from contracts import directory as c
from contracts.errors import Unauthenticated
from kit import auth, clock
from kit.readcopy import PRUNE_INTERVAL_SECONDS, prune_revoked
from kit.service import Worker, rpc
from services.directory import commands, domain, store


class Sessions(Worker):
    def caller_record(self, user_id: uuid.UUID, jti: str) -> tuple[Any, bool]:
        """The directory authorises from its own tables: the user's fact now (their team's
        project counted in) and whether the token was logged out, in one statement."""
        revoked = exists().where(store.RevokedToken.jti == jti).label("revoked")
        row = self.db.execute(
            select(store.User, store.Team.project_id, revoked)
            .outerjoin(store.Team, store.Team.id == store.User.team_id)
            .where(store.User.id == user_id)).first()
        if row is None:
            return None, bool(self.db.scalar(select(revoked)))
        user, team_project_id, is_revoked = row
        return domain.user_fact(user, team_project_id), bool(is_revoked)

    def read_through(self, token: str, held: Any) -> Any:
        return held  # the directory is where facts come from: nothing to read through

    @rpc
    def user_fact(self, token: str) -> dict:
        """The fact of the token's own user as it is now (inactive ones too, so a copy
        learns it), for a service whose read copy does not know them yet or holds an older
        revision than the token's. Unauthenticated for a bad token or a user we do not know."""
        actor, _ = auth.verified(token, self.keys.settings.secret_key)
        user = self.db.get(store.User, actor.user_id)
        if user is None:
            raise Unauthenticated("the directory does not know this user", "token")
        return commands.fact_of(self.db, user).model_dump(mode="json")

    @rpc
    def logout(self, token: str) -> dict:
        """End this token everywhere before its expiry: kept in revoked_tokens until then and
        published (token.revoked) to every service's copy. Logging out again is harmless."""
        claims = auth.decode(token, self.keys.settings.secret_key)  # any purpose may log out
        try:
            ended = c.TokenRevoked(jti=claims["jti"], user_id=claims["sub"],
                                   company_id=claims.get("company_id"),
                                   expires_at=datetime.fromtimestamp(claims["exp"], UTC))
        except ValueError:
            raise Unauthenticated("the token's claims are not an actor", "token") from None
        commands.revoke_token(self.db, ended)
        self.db.commit()
        return {"logged_out": True, "expires_at": ended.expires_at.isoformat()}

    @timer(interval=PRUNE_INTERVAL_SECONDS)
    def prune_revoked_tokens(self) -> None:
        prune_revoked(self.db, store.RevokedToken.__table__, clock.now())
