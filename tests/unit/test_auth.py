import uuid
from datetime import timedelta

import pytest

from contracts.actor import Actor, Role
from contracts.errors import Unauthenticated
from kit import auth, clock

SECRET = "s" * 40


@pytest.fixture
def actor():
    return Actor(user_id=uuid.uuid4(), company_id=uuid.uuid4(), role=Role.consultant,
                 name="陈晓明", team_id=uuid.uuid4(), project_ids=(uuid.uuid4(),))


@pytest.fixture(autouse=True)
def _reset_clock():
    yield
    clock.reset()


def test_a_token_carries_the_actor(actor):
    token, _ = auth.issue(actor, SECRET, 60)
    assert auth.verify(token, SECRET) == actor


def test_an_expired_token_is_refused(actor):
    token, _ = auth.issue(actor, SECRET, 60)
    clock.advance(timedelta(seconds=61))
    with pytest.raises(Unauthenticated, match="expired"):
        auth.verify(token, SECRET)


def test_a_token_signed_with_another_key_is_refused(actor):
    token, _ = auth.issue(actor, "x" * 40, 60)
    with pytest.raises(Unauthenticated, match="not valid"):
        auth.verify(token, SECRET)


def test_a_token_whose_claims_were_edited_is_refused(actor):
    token, _ = auth.issue(actor, SECRET, 60)
    header, _payload, signature = token.split(".")
    other, _ = auth.issue(actor.model_copy(update={"role": Role.admin}), SECRET, 60)
    with pytest.raises(Unauthenticated):
        auth.verify(".".join([header, other.split(".")[1], signature]), SECRET)


@pytest.mark.parametrize("junk", [None, "", "abc", 42, "a.b.c"])
def test_junk_is_refused(junk):
    with pytest.raises(Unauthenticated):
        auth.verify(junk, SECRET)


def test_every_token_has_its_own_id_and_the_users_revision(actor):
    one, _ = auth.issue(actor, SECRET, 60, rev=7)
    two, _ = auth.issue(actor, SECRET, 60, rev=7)
    first, second = auth.decode(one, SECRET), auth.decode(two, SECRET)
    assert first["jti"] != second["jti"] and len(first["jti"]) == 32
    assert first["rev"] == 7


def test_a_token_without_an_id_is_refused(actor):
    import jwt

    claims = {**auth.decode(auth.issue(actor, SECRET, 60)[0], SECRET)}
    del claims["jti"]
    with pytest.raises(Unauthenticated):
        auth.verify(jwt.encode(claims, SECRET, algorithm=auth.ALGORITHM), SECRET)


def fact_of(actor, **change):
    from contracts.directory import UserFact

    return UserFact(id=actor.user_id, company_id=actor.company_id, name="陈晓明（新）",
                    role=actor.role, team_id=actor.team_id, project_ids=[uuid.uuid4()],
                    active=True, on_duty=True, revision=3, scopes=["pii:reveal"]).model_copy(
        update=change)


def test_the_actor_is_what_the_directory_says_now(actor):
    fact = fact_of(actor)
    now = auth.authorise(actor, fact, revoked=False)
    assert now.project_ids == tuple(fact.project_ids) and now.scopes == ("pii:reveal",)
    assert now.name == "陈晓明（新）" and now.user_id == actor.user_id


@pytest.mark.parametrize(("fact", "revoked", "why"), [
    (None, False, "does not know"),
    ({"active": False}, False, "deactivated"),
    ({}, True, "logged out"),
    ({"role": Role.admin}, False, "role"),
    ({"company_id": uuid.uuid4()}, False, "company"),
])
def test_the_directory_refuses_what_the_token_claims(actor, fact, revoked, why):
    known = None if fact is None else fact_of(actor, **fact)
    with pytest.raises(Unauthenticated, match=why):
        auth.authorise(actor, known, revoked)


def test_a_companys_system_user_has_one_id_wherever_it_is_computed():
    company = uuid.uuid4()
    assert auth.system_user_id(company) == auth.system_user_id(uuid.UUID(str(company)))
    assert auth.system_user_id(company) != auth.system_user_id(uuid.uuid4())
