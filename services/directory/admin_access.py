"""What the administration mixins share: the caller as the directory knows them now, and
ids from the path."""

from __future__ import annotations

from contracts.actor import Actor
from contracts.errors import Unauthenticated
from kit.service import Worker
from services.directory import domain
from services.directory.store import Team, User


class Administration(Worker):
    """Base of the administration mixins of DirectoryService."""

    def _administrator(self, token: str) -> Actor:
        """The caller from the directory's own current rows (role, team, projects, scopes),
        not from the token's claims: a demoted or deactivated admin's token no longer
        administers anything."""
        claimed = self.keys.actor(token)
        user = self.db.get(User, claimed.user_id)
        if user is None or not user.active or user.company_id != claimed.company_id:
            raise Unauthenticated("this user no longer exists", "token")
        team = self.db.get(Team, user.team_id) if user.team_id else None
        return domain.actor_of(user, team.project_id if team else None)
