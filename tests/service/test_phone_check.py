"""录入's known-phone check through the leads service: whose customer a phone is, told to
staff of the project only, nothing more; rate-limited per user."""

import uuid

import pytest
from nameko.testing.services import entrypoint_hook

from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, TooManyRequests, ValidationFailed
from services.leads import domain
from tests.service.conftest import add_users, new_lead, unique_phone


@pytest.fixture
def office(leads, world):
    add_users(leads, world.user("li"), world.user("chen"), world.user("mgr", Role.manager),
              world.user("outsider", projects=[world.other_project], team=world.other_team),
              world.user("agent1", Role.channel_agent))
    return leads


def check(leads, world, who, phone, project=None):
    with entrypoint_hook(leads, "check_phone") as call:
        return call(world.token(who), {"phone": phone,
                                       "project_id": str(project or world.project)})


def enter(leads, world, who, phone):
    with entrypoint_hook(leads, "create") as call:
        return call(world.token(who), new_lead(world, phone=phone, channel="walk_in"))


def test_staff_learn_whose_customer_a_phone_is_and_nothing_more(office, world):
    phone = unique_phone()
    assert check(office, world, "chen", phone) == {
        "known": False, "mine": False, "owner_name": None, "in_pool": False,
        "customer_id": None, "checks_left": domain.PHONE_CHECK_LIMIT - 1}
    created = enter(office, world, "li", phone)          # li enters it: li's own customer
    other = check(office, world, "chen", f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}")
    assert other["known"] and other["owner_name"] == "li" and not other["mine"]
    assert other["customer_id"] is None                   # not chen's to open
    assert "name" not in other and "phone" not in other
    own = check(office, world, "li", phone)
    assert own["mine"] and own["customer_id"] == created["customer_id"]
    assert check(office, world, "mgr", phone)["owner_name"] == "li"


def test_anyone_else_learns_nothing(office, world):
    phone = unique_phone()
    enter(office, world, "li", phone)
    with pytest.raises(NotFound):                         # not staff of that project
        check(office, world, "outsider", phone)
    with pytest.raises(NotFound):
        check(office, world, "chen", phone, project=uuid.uuid4())
    with pytest.raises(Forbidden):                        # channel agents 报备 instead
        check(office, world, "agent1", phone)
    with pytest.raises(ValidationFailed) as bad:
        check(office, world, "chen", "12ab")
    assert bad.value.field == "phone"


def test_checks_are_rate_limited_per_user(office, world):
    for _ in range(domain.PHONE_CHECK_LIMIT):
        check(office, world, "chen", unique_phone())
    with pytest.raises(TooManyRequests) as refused:
        check(office, world, "chen", unique_phone())
    assert refused.value.field == "phone" and refused.value.details["retry_after_seconds"] > 0
    assert check(office, world, "li", unique_phone())["known"] is False   # others unaffected


def test_my_projects_names_the_projects_one_works_in(office, world):
    with entrypoint_hook(office, "my_projects") as call:
        assert call(world.token("chen")) == {"items": [
            {"id": str(world.project), "name": "滨江壹号", "city": "杭州"}]}
    with entrypoint_hook(office, "my_projects") as call:
        assert call(world.token("outsider")) == {"items": []}   # not told of other projects
