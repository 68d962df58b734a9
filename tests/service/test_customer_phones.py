"""A customer's extra phones through the customers service: added and removed by whoever works
on the customer, masked like the primary, one number one person, announced, revealed with an
audit, found and erased by data-subject requests."""

import pytest

from contracts.actor import Role
from contracts.errors import Conflict, NotFound, ValidationFailed
from kit.crypto import Vault
from tests import privacy_scan
from tests.service.conftest import add_customer, add_users, call, count, unique_phone


def events(engine, customer: str, event_type: str) -> int:
    return count(engine, "SELECT count(*) FROM customers.outbox WHERE event_type = :t AND "
                 "envelope->'payload'->>'customer_id' = :c", t=event_type, c=customer)


def test_a_second_number_is_kept_masked_and_announced(customer_desk, world, engine):
    container, customer = customer_desk
    add_users(container, world.user("boss", Role.director, scopes=("pii:reveal",)))
    number = unique_phone()
    spaced = f"+86 {number[:3]} {number[3:7]} {number[7:]}"
    before = call(container, "get", world.token("a"), customer)["version"]
    shown = call(container, "add_phone", world.token("a"), customer,
                 {"phone": spaced, "label": "配偶"})
    [extra] = shown["phones"]
    assert (extra["phone"], extra["label"], extra["masked"]) == (number, "配偶", False)
    assert shown["version"] == before + 1
    [seen] = call(container, "get", world.token("mgr"), customer)["phones"]
    assert seen["masked"] and seen["phone"] == f"{number[:3]}****{number[-4:]}"
    # A retry (the same number in another form) changes nothing.
    again = call(container, "add_phone", world.token("a"), customer, {"phone": number})
    assert again["phones"] == shown["phones"] and again["version"] == shown["version"]
    assert events(engine, customer, "customer.phone_added") == 1
    [entry] = [h for h in call(container, "history", world.token("mgr"), customer)["items"]
               if "phone_added" in h["changes"]]
    assert number not in str(entry)
    with engine.connect() as conn:   # the number is stored and announced as ciphertext only
        assert privacy_scan.plaintext(conn, ["+86" + number]) == {}
    revealed = call(container, "reveal_phone", world.token("boss"),
                    customer, "核实家属来电")
    assert [p["phone"] for p in revealed["phones"]] == [number]

    call(container, "remove_phone", world.token("a"), customer, extra["id"])
    assert call(container, "get", world.token("a"), customer)["phones"] == []
    assert events(engine, customer, "customer.phone_removed") == 1
    with pytest.raises(NotFound) as gone:
        call(container, "remove_phone", world.token("a"), customer, extra["id"])
    assert gone.value.field == "phone_id"


def test_one_number_belongs_to_one_person(customer_desk, world, infra):
    container, customer = customer_desk
    colleagues = "+86" + unique_phone()
    theirs = add_customer(container, infra, world, "b", colleagues)
    with pytest.raises(Conflict) as taken:
        call(container, "add_phone", world.token("a"), customer, {"phone": colleagues})
    assert taken.value.field == "phone" and not taken.value.details   # b's: not a's to see
    with pytest.raises(Conflict) as named:
        call(container, "add_phone", world.token("mgr"), customer, {"phone": colleagues})
    assert named.value.details == {"customer_id": theirs}            # the manager may merge
    own = call(container, "get", world.token("a"), customer)["phone"]
    with pytest.raises(Conflict):
        call(container, "add_phone", world.token("a"), customer, {"phone": own})
    spare = unique_phone()
    call(container, "add_phone", world.token("b"), theirs, {"phone": spare})
    with pytest.raises(Conflict):
        call(container, "add_phone", world.token("a"), customer, {"phone": spare})
    for bad, field in (({"phone": "12345"}, "phone"), ({"phone": unique_phone(), "label": ""},
                                                        "label"), ({}, "phone")):
        with pytest.raises(ValidationFailed) as refused:
            call(container, "add_phone", world.token("a"), customer, bad)
        assert refused.value.field == field
    with pytest.raises(NotFound):                                    # not a's customer
        call(container, "add_phone", world.token("a"), theirs, {"phone": unique_phone()})


def test_at_most_five_more_numbers(customer_desk, world):
    container, customer = customer_desk
    for _ in range(5):
        call(container, "add_phone", world.token("a"), customer, {"phone": unique_phone()})
    with pytest.raises(ValidationFailed) as full:
        call(container, "add_phone", world.token("a"), customer, {"phone": unique_phone()})
    assert full.value.field == "phone"
    assert len(call(container, "get", world.token("a"), customer)["phones"]) == 5


def test_a_merge_brings_the_numbers_along(customer_desk, world, infra):
    container, survivor = customer_desk
    merged = add_customer(container, infra, world, "a", "+86" + unique_phone())
    number = unique_phone()
    call(container, "add_phone", world.token("a"), merged, {"phone": number})
    call(container, "merge", world.token("mgr"), {"survivor_id": survivor, "merged_id": merged,
                                                  "reason": "同一客户两次来访"})
    assert [p["phone"] for p in call(container, "get", world.token("a"), survivor)["phones"]] \
        == [number]


def test_the_person_is_found_by_any_of_their_numbers_and_erased_with_them(customer_desk,
                                                                            world, engine,
                                                                            infra):
    container, customer = customer_desk
    add_users(container, world.user("root", Role.admin, scopes=("pii:reveal",)))
    number = unique_phone()
    call(container, "add_phone", world.token("a"), customer, {"phone": number})
    erased = call(container, "subject_request", world.token("root"),
                  {"kind": "erase", "phone": number, "reason": "本人申请删除"})
    assert erased["erased_now"] == [customer]
    assert count(engine, "SELECT count(*) FROM customers.customer_phones WHERE customer_id "
                 "= :c", c=customer) == 0
    assert events(engine, customer, "customer.phone_added") == 0   # its ciphertext went too
    with engine.connect() as conn:
        vault, numbers = Vault.from_settings(infra), ["+86" + number]
        assert privacy_scan.sealed(conn, vault, numbers) == {}
        found = privacy_scan.blind_indexes(conn, vault, numbers)
        # Only person.erased itself may still name it, until it is out (then scrubbed).
        assert set(found) <= {"customers.outbox.envelope"}, found


def test_a_customer_is_found_by_any_of_their_numbers_in_any_form(customer_desk, world, infra):
    container, customer = customer_desk
    own = call(container, "get", world.token("a"), customer)["phone"]
    spouse = unique_phone()
    call(container, "add_phone", world.token("a"), customer, {"phone": spouse})
    theirs = add_customer(container, infra, world, "b", "+86" + unique_phone())
    for text in (own, f"+86 {own[:3]}-{own[3:7]}-{own[7:]}", spouse):
        found = call(container, "list", world.token("a"), {"q": text})["items"]
        assert [c["id"] for c in found] == [customer], text
    b_phone = call(container, "get", world.token("b"), theirs)["phone"]
    assert call(container, "list", world.token("a"), {"q": b_phone})["items"] == []  # not a's
    assert [c["id"] for c in call(container, "list", world.token("mgr"),
                                  {"q": b_phone})["items"]] == [theirs]
    assert call(container, "list", world.token("a"), {"q": own[:7]})["items"] == []  # no prefix
