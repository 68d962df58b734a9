"""Signed opt-out links: genuine ones name the customer and campaign; anything else is
refused with the same answer."""

import uuid

import pytest

from contracts.errors import NotFound
from services.customers import optout

SECRET = "unit-test-secret-0123456789abcdef0123"


def test_a_link_names_its_customer_and_campaign():
    customer, campaign = uuid.uuid4(), uuid.uuid4()
    token = optout.sign(SECRET, customer, campaign)
    assert optout.verify(SECRET, token) == (customer, campaign)
    assert optout.verify(SECRET, optout.sign(SECRET, customer)) == (customer, None)
    assert optout.path(token) == f"/api/marketing/opt-out/{token}"
    assert len(token) <= 64 and "/" not in token and "+" not in token   # fits a URL and an SMS


@pytest.mark.parametrize("forge", [
    lambda t, c: optout.sign("another-secret-0123456789abcdef012345", c),   # wrong key
    lambda t, c: optout.sign(SECRET, uuid.uuid4()).split(".")[0] + "." + t.split(".")[1],
    lambda t, c: t[:-2],                                                    # truncated
    lambda t, c: t.replace(".", ""),
    lambda t, c: "not-a-link",
    lambda t, c: "!!!." + t.split(".")[1],
    lambda t, c: None,
    lambda t, c: t + "." + t,
])
def test_a_forged_or_garbled_link_is_refused_alike(forge):
    customer = uuid.uuid4()
    token = optout.sign(SECRET, customer)
    with pytest.raises(NotFound) as refused:
        optout.verify(SECRET, forge(token, customer))
    assert refused.value.field == "token"
