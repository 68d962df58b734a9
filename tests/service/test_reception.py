"""Walk-in rotation (轮岗接待): next up, skip, pause, off duty."""

import pytest

from contracts.actor import Role
from contracts.errors import Conflict, Forbidden
from tests.service.conftest import add_users, call


@pytest.fixture
def desk(leads, world):
    add_users(leads, world.user("a"), world.user("b"), world.user("c"),
              world.user("mgr", Role.manager),
              world.user("far", team=world.other_team, projects=[world.other_project]))
    for who in ("a", "b", "c"):
        call(leads, "reception_join", world.token(who), str(world.project))
    return leads




def name_of(world, user_id):
    return next(k for k, v in world.users.items() if v["id"] == user_id)


def test_visitors_go_to_each_consultant_in_turn(desk, world):
    served = [name_of(world, call(desk, "reception_next", world.token("mgr"),
                                  str(world.project))["user_id"]) for _ in range(4)]
    assert served == ["a", "b", "c", "a"]


def test_skip_sends_someone_to_the_back_and_pause_leaves_them_out(desk, world):
    project = str(world.project)
    call(desk, "reception_skip", world.token("a"), project, world.users["a"]["id"])
    call(desk, "reception_pause", world.token("mgr"), project, world.users["b"]["id"],
         {"paused": True})
    served = [name_of(world, call(desk, "reception_next", world.token("mgr"),
                                  project)["user_id"]) for _ in range(3)]
    assert served == ["c", "a", "c"]
    queue = call(desk, "reception_queue", world.token("c"), project)["items"]
    assert [q["paused"] for q in queue if q["name"] == "b"] == [True]


def test_off_duty_consultants_are_passed_over_and_an_empty_line_says_so(desk, world):
    project = str(world.project)
    off = [dict(world.users[k], on_duty=False, revision=2) for k in ("a", "b", "c")]
    add_users(desk, *off)
    with pytest.raises(Conflict):
        call(desk, "reception_next", world.token("mgr"), project)


def test_only_yourself_or_your_manager_moves_you(desk, world):
    with pytest.raises(Forbidden):
        call(desk, "reception_skip", world.token("b"), str(world.project),
             world.users["a"]["id"])
