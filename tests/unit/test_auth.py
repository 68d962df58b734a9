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
