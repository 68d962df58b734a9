"""Actor tokens: the JWT whose claims are the Actor. Issued by the directory, verified by the
gateway and by every service on every RPC."""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt
from pydantic import ValidationError

from contracts.actor import Actor
from contracts.errors import Unauthenticated
from kit import clock

ALGORITHM = "HS256"
ISSUER = "keyuan"


def issue(actor: Actor, secret: str, ttl_seconds: int) -> tuple[str, datetime]:
    issued = clock.now()
    expires = issued + timedelta(seconds=ttl_seconds)
    claims = actor.model_dump(mode="json")
    claims.update(sub=str(actor.user_id), iss=ISSUER, iat=int(issued.timestamp()),
                  exp=int(expires.timestamp()))
    return jwt.encode(claims, secret, algorithm=ALGORITHM), expires


def verify(token: object, secret: str) -> Actor:
    """The Actor of a valid token; Unauthenticated for anything else (forged, expired, junk)."""
    if not isinstance(token, str) or not token:
        raise Unauthenticated("a signed actor token is required", "token")
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
            options={"require": ["exp", "iat", "sub"], "verify_iat": False},
            leeway=0,
        )
        # pyjwt checks exp against the real clock; check against ours as well.
        if claims["exp"] <= clock.now().timestamp():
            raise jwt.ExpiredSignatureError
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("the token has expired", "token") from None
    except jwt.PyJWTError:
        raise Unauthenticated("the token is not valid", "token") from None
    try:
        return Actor.model_validate(
            {k: v for k, v in claims.items() if k in Actor.model_fields})
    except ValidationError:
        raise Unauthenticated("the token's claims are not an actor", "token") from None
