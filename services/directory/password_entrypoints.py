"""Logging in, changing one's own password (`POST /api/me/password`), and the login answer
both give. A user whose password was set by someone else (initial or reset) logs in to a
token good for this change only, for 15 minutes."""

from __future__ import annotations

from contracts import directory as c
from contracts import directory_admin as admin
from contracts.errors import Unauthenticated, ValidationFailed, parse
from kit import auth
from kit.service import Worker, rpc
from services.directory import commands, domain, password_policy, store
from services.directory.store import Team, User

PASSWORD_CHANGE = auth.PASSWORD_CHANGE
PASSWORD_CHANGE_TTL_SECONDS = 15 * 60


class Passwords(Worker):
    """Mixin of DirectoryService."""

    @rpc
    def login(self, credentials: dict) -> dict:
        creds = parse(c.Credentials, credentials)
        user = store.user_by_username(self.db, creds.username)
        ok = domain.password_matches(user.password_hash if user else None, creds.password)
        if not ok or user is None or not user.active:
            raise Unauthenticated("wrong username or password", "password")
        # With must_change_password: a token for the password change only.
        return self._login_result(user)

    def _login_result(self, user: User) -> dict:
        team = self.db.get(Team, user.team_id) if user.team_id else None
        actor = domain.actor_of(user, team.project_id if team else None)
        secret = self.keys.settings.secret_key
        if user.must_change_password:
            token, expires = auth.issue(actor, secret, PASSWORD_CHANGE_TTL_SECONDS,
                                        purpose=PASSWORD_CHANGE, rev=user.revision)
        else:
            token, expires = auth.issue(actor, secret, self.keys.settings.token_ttl_seconds,
                                        rev=user.revision)
        return c.LoginResult(token=token, expires_at=expires.isoformat(),
                             actor=actor.model_dump(mode="json"),
                             must_change_password=user.must_change_password).model_dump()

    def _password_changer(self, token: str):
        """The caller of a change: an ordinary token or one for the password change."""
        secret = self.keys.settings.secret_key
        purpose = auth.decode(token, secret).get(auth.PURPOSE_CLAIM)
        return auth.verify(token, secret, PASSWORD_CHANGE if purpose == PASSWORD_CHANGE
                           else None)

    @rpc
    def change_password(self, token: str, change: dict) -> dict:
        caller = self._password_changer(token)
        wanted = parse(admin.PasswordChange, change)
        user = self.db.get(User, caller.user_id, with_for_update=True)
        if user is None or not user.active or user.company_id != caller.company_id:
            raise Unauthenticated("this user no longer exists", "token")
        if not domain.password_matches(user.password_hash, wanted.old_password):
            if not user.must_change_password and domain.password_matches(
                    user.password_hash, wanted.new_password):
                self.db.rollback()    # a retry of a change already made
                return self._login_result(user)
            raise ValidationFailed("旧密码不正确 the old password is wrong", "old_password")
        if wanted.new_password == wanted.old_password:
            raise ValidationFailed("the new password must differ from the old one",
                                   "new_password")
        problem = password_policy.problem(wanted.new_password, user.username)
        if problem is not None:
            raise ValidationFailed(problem, "new_password")
        commands.set_password(user, wanted.new_password, must_change=False)
        self.db.commit()
        return self._login_result(user)
