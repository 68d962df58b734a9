"""Actor tokens: the JWT whose claims are the Actor. Issued by the directory, verified by the
gateway and by every service on every RPC.

A token says *who* calls; what they may do comes from the directory's current facts about
them (authorise(): a service's read copy decides, not the claims). Each token carries a
random `jti` (so one token can be ended: logout) and `rev`, the user's directory revision
when it was issued (a copy older than that has not heard of the user's latest change yet and
reads the fact through from the directory)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, Protocol

import jwt
from pydantic import ValidationError

from contracts.actor import Actor, Role
from contracts.errors import Forbidden, Unauthenticated
from kit import clock

ALGORITHM = "HS256"


class UserFact(Protocol):
    """What authorise() reads of the directory's fact about a user (a read copy's row, the
    directory's own UserFact)."""

    @property
    def active(self) -> bool: ...
    @property
    def company_id(self) -> uuid.UUID: ...
    @property
    def role(self) -> Role | str: ...
    @property
    def name(self) -> str: ...
    @property
    def team_id(self) -> uuid.UUID | None: ...
    @property
    def project_ids(self) -> Iterable[uuid.UUID] | None: ...
    @property
    def scopes(self) -> Iterable[str] | None: ...
ISSUER = "keyuan"


# A token issued for one purpose only (e.g. "password_change": the user must change their
# password before anything else) carries it in this claim; only a verifier that asks for
# that purpose accepts it.
PURPOSE_CLAIM = "purpose"
PASSWORD_CHANGE = "password_change"   # a first login's (or a reset's) token: POST /api/me/password


# Every company's own integration user, `system`: the tasks service's notifier calls the
# customers service as this user. The directory makes it when it makes the company; both
# compute its id from the company's, so no one has to look it up.
SYSTEM_USERNAME = "system"
_SYSTEM_NAMESPACE = uuid.UUID("0b6f3c8e-2a4d-5e7f-9c1b-6b6579756173")


def system_user_id(company_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_SYSTEM_NAMESPACE, str(company_id))


def issue(actor: Actor, secret: str, ttl_seconds: int, *, rev: int = 0,
          **extra_claims: object) -> tuple[str, datetime]:
    """A signed token for `actor`, valid `ttl_seconds`; `rev` is the user's directory
    revision now (a service whose copy is older reads the user's fact through)."""
    issued = clock.now()
    expires = issued + timedelta(seconds=ttl_seconds)
    claims = actor.model_dump(mode="json")
    claims.update(extra_claims)
    claims.update(sub=str(actor.user_id), iss=ISSUER, iat=int(issued.timestamp()),
                  exp=int(expires.timestamp()), jti=uuid.uuid4().hex, rev=int(rev))
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def verify(token: object, secret: str, purpose: str | None = None) -> Actor:
    """The Actor of a valid token; Unauthenticated for anything else (forged, expired, junk).

    A token issued for a purpose is accepted only where that purpose is asked for (Forbidden
    elsewhere); an ordinary token is refused where a purpose is asked for."""
    return verified(token, secret, purpose)[0]


def verified(token: object, secret: str,
             purpose: str | None = None) -> tuple[Actor, dict[str, Any]]:
    """verify(), and the token's claims with it (jti, rev, exp)."""
    claims = decode(token, secret)
    if claims.get(PURPOSE_CLAIM) != purpose:
        if claims.get(PURPOSE_CLAIM) == PASSWORD_CHANGE:
            raise Forbidden("请先修改初始密码 change your password first "
                            "(POST /api/me/password)", "password")
        raise Unauthenticated("this token is not for this", "token")
    try:
        actor = Actor.model_validate(
            {k: v for k, v in claims.items() if k in Actor.model_fields})
    except ValidationError:
        raise Unauthenticated("the token's claims are not an actor", "token") from None
    if str(actor.user_id) != claims["sub"]:
        raise Unauthenticated("the token's claims are not an actor", "token")
    return actor, claims


def authorise(claimed: Actor, fact: UserFact | None, revoked: bool) -> Actor:
    """The Actor as the directory knows the caller now, or Unauthenticated.

    `fact` is the user as the directory last told this service (a read copy row or a
    UserFact: company_id, role, name, team_id, project_ids, scopes, active), None when it
    does not know them; `revoked` whether this token was logged out. The token's own claims
    only have to agree on who the user is: their company and role."""
    if fact is None:
        raise Unauthenticated("the directory does not know this user", "token")
    if not fact.active:
        raise Unauthenticated("this account is deactivated", "token")
    if revoked:
        raise Unauthenticated("this token has been logged out; log in again", "token")
    if fact.company_id != claimed.company_id:
        raise Unauthenticated("the token's company is not the user's", "token")
    if fact.role != claimed.role:
        raise Unauthenticated("the user's role has changed; log in again", "token")
    return Actor(user_id=claimed.user_id, company_id=fact.company_id, role=fact.role,
                 name=fact.name, team_id=fact.team_id,
                 project_ids=tuple(fact.project_ids or ()), scopes=tuple(fact.scopes or ()))


# Tokens whose signature was checked, with their claims: a client sends the same token with
# every request, and checking a signature costs more than the rest of a small call. Expiry
# is checked on every use; the cache only spares the signature.
_CHECKED: dict[tuple[str, str], dict[str, Any]] = {}
_CHECKED_MAX = 10_000


def decode(token: object, secret: str) -> dict[str, Any]:
    """The claims of a validly signed, unexpired token; Unauthenticated otherwise."""
    if not isinstance(token, str) or not token:
        raise Unauthenticated("a signed actor token is required", "token")
    known = _CHECKED.get((token, secret))
    if known is not None:
        if known["exp"] <= max(clock.now().timestamp(), time.time()):
            raise Unauthenticated("the token has expired", "token")
        return dict(known)
    claims = _decode(token, secret)
    if len(_CHECKED) >= _CHECKED_MAX:
        _CHECKED.clear()
    _CHECKED[(token, secret)] = dict(claims)
    return claims


def _decode(token: str, secret: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "jti"], "verify_iat": False},
            leeway=0,
        )
        # pyjwt checks exp against the real clock; check against ours as well.
        if claims["exp"] <= clock.now().timestamp():
            raise jwt.ExpiredSignatureError
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired", "token") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid", "token") from None
    return claims
