"""Channel webhooks over real RabbitMQ and PostgreSQL: configuring channels, signed
deliveries through the one intake path, refusals counted in the metric."""

from __future__ import annotations

import json
import uuid

import eventlet
import pytest
from nameko.testing.services import entrypoint_hook
from prometheus_client import REGISTRY

from contracts import directory
from contracts.actor import Role
from contracts.errors import Forbidden, NotFound, Unauthenticated, ValidationFailed
from kit import clock
from kit.rpc_client import RpcClient
from services.leads.channels import sign
from services.leads.service import LeadsService
from tests.service.conftest import count, envelope


@pytest.fixture
def leads(start, world):
    container = start(LeadsService)
    world.user("admin", Role.admin, projects=[])
    world.user("mgr", Role.manager)
    with entrypoint_hook(container, "on_project_upserted") as project:
        project(envelope("directory", directory.PROJECT_UPSERTED, world.project_fact()))
    with entrypoint_hook(container, "on_user_upserted") as upsert:
        for fact in (world.user("a"), world.users["mgr"], world.users["admin"]):
            upsert(envelope("directory", directory.USER_UPSERTED, fact))
    return container


@pytest.fixture
def douyin(leads, world) -> dict:
    """A douyin channel of the world's company, default project the world's project."""
    with entrypoint_hook(leads, "configure_channel") as configure:
        return configure(world.token("admin"),
                         {"code": "douyin", "default_project_id": str(world.project)})


def clue(phone: str | None = None, clue_id: str | None = None, **extra) -> dict:
    found = {"clue_id": clue_id or uuid.uuid4().hex, "name": "王先生",
             "telephone": phone or f"139{uuid.uuid4().int % 10**8:08d}", **extra}
    return {"event": "clue.create", "data": {"clue": {k: v for k, v in found.items()
                                                      if v is not None},
                                             "ad": {"campaign_name": "周末看房团"}}}


def signed(channel: dict, payload: dict | str, *, secret: str | None = None,
           age: int = 0) -> tuple:
    """intake_webhook's arguments for a delivery signed `age` seconds ago."""
    body = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    timestamp = str(int(clock.now().timestamp()) - age)
    digest = sign((secret or channel["secret"]).encode(), timestamp, body.encode())
    return channel["code"], channel["key_id"], timestamp, f"sha256={digest}", body


def metric(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def refused(reason: str) -> float:
    return metric("keyuan_webhook_refused_total", channel="douyin", reason=reason)


def test_a_signed_delivery_becomes_a_lead_of_the_channel(leads, world, engine, douyin):
    accepted_before = metric("keyuan_webhook_accepted_total", channel="douyin")
    delivery = clue(clue_id="7301234567890123456")
    with entrypoint_hook(leads, "intake_webhook") as intake:
        answer = intake(*signed(douyin, delivery))
    assert answer["status"] == "created"
    assert answer["owner_id"] == world.users["a"]["id"]
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE id = :id AND source = "
                 "'webhook' AND channel = 'douyin' AND external_id = '7301234567890123456' "
                 "AND sub_source = '周末看房团' AND created_by = :key AND company_id = :company",
                 id=answer["lead_id"], key=douyin["key_id"], company=world.company) == 1
    assert count(engine, "SELECT count(*) FROM leads.outbox WHERE event_type = 'lead.created'"
                 " AND envelope->'payload'->>'lead_id' = :id"
                 " AND envelope->'payload'->>'source' = 'webhook'",
                 id=answer["lead_id"]) == 1
    assert metric("keyuan_webhook_accepted_total", channel="douyin") == accepted_before + 1


def test_the_same_delivery_twice_yields_one_lead_and_the_same_answer(leads, world, engine,
                                                                      douyin):
    delivery = clue()
    with entrypoint_hook(leads, "intake_webhook") as intake:
        first = intake(*signed(douyin, delivery))
        again = intake(*signed(douyin, delivery, age=60))  # re-signed by the platform's retry
    assert again == first
    # Four copies of another lead at once, as an impatient platform might send them.
    storm = clue()
    client = RpcClient(world.settings.amqp_uri, pool_size=4)
    try:
        answers = list(eventlet.GreenPool(4).imap(
            lambda _: client.call("leads", "intake_webhook", *signed(douyin, storm)),
            range(4)))
    finally:
        client.close()
    assert len({a["lead_id"] for a in answers}) == 1
    for external_id in (delivery, storm):
        assert count(engine, "SELECT count(*) FROM leads.leads WHERE external_id = :e",
                     e=external_id["data"]["clue"]["clue_id"]) == 1


def test_bad_signatures_replays_and_unknown_keys_are_refused_and_counted(leads, world, engine,
                                                                        douyin):
    before = {r: refused(r) for r in ("bad_signature", "replay", "unknown_key")}
    with entrypoint_hook(leads, "intake_webhook") as intake:
        with pytest.raises(Unauthenticated) as wrong:
            intake(*signed(douyin, clue(), secret="not-the-secret"))
        code, key, timestamp, signature, body = signed(douyin, clue())
        with pytest.raises(Unauthenticated) as tampered:
            intake(code, key, timestamp, signature, body.replace("王先生", "李先生"))
        with pytest.raises(Unauthenticated) as unsigned:
            intake(code, key, timestamp, None, body)
        with pytest.raises(Unauthenticated) as old:
            intake(*signed(douyin, clue(), age=301))
        with pytest.raises(Unauthenticated) as future:
            intake(*signed(douyin, clue(), age=-301))
        with pytest.raises(Unauthenticated) as unknown:
            intake(code, str(uuid.uuid4()), timestamp, signature, body)
        with pytest.raises(Unauthenticated) as other_channel:
            intake("beike", key, timestamp, signature, body)
    assert {wrong.value.field, tampered.value.field, unsigned.value.field} == {
        "X-Keyuan-Signature"}
    assert old.value.field == future.value.field == "X-Keyuan-Timestamp"
    assert unknown.value.field == other_channel.value.field == "X-Keyuan-Key"
    assert unknown.value.message == other_channel.value.message  # says nothing more
    assert refused("bad_signature") == before["bad_signature"] + 3
    assert refused("replay") == before["replay"] + 2
    assert refused("unknown_key") == before["unknown_key"] + 1
    assert metric("keyuan_webhook_refused_total", channel="beike", reason="unknown_key") >= 1
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                 c=world.company) == 0


@pytest.mark.parametrize(("payload", "field"), [
    ({"data": {"clue": {"clue_id": "1", "name": "无号码"}}}, "phone"),
    (clue(phone="12345"), "phone"),
    ({"data": {"clue": {"telephone": "13800138000"}}}, "external_id"),
    ("[1, 2, 3]", "body"),
    ("not json", "body"),
])
def test_a_payload_that_cannot_be_a_lead_is_refused_naming_the_field(leads, world, engine,
                                                                     douyin, payload, field):
    before = refused("bad_payload")
    with entrypoint_hook(leads, "intake_webhook") as intake, \
            pytest.raises(ValidationFailed) as caught:
        intake(*signed(douyin, payload))
    assert caught.value.field == field
    assert refused("bad_payload") == before + 1
    assert count(engine, "SELECT count(*) FROM leads.leads WHERE company_id = :c",
                 c=world.company) == 0


def test_only_an_admin_configures_channels(leads, world):
    with entrypoint_hook(leads, "configure_channel") as configure, \
            pytest.raises(Forbidden):
        configure(world.token("mgr"), {"code": "douyin"})
    for method, args in (("rotate_channel_secret", ("douyin",)), ("list_channels", ())):
        with entrypoint_hook(leads, method) as call, pytest.raises(Forbidden):
            call(world.token("mgr"), *args)


@pytest.mark.parametrize(("spec", "field"), [
    ({"code": "carrier_pigeon"}, "code"),
    ({"code": "douyin", "default_project_id": str(uuid.uuid4())}, "default_project_id"),
    ({"code": "agency"}, "mapping"),
    ({"code": "website", "mapping": {"fields": {"name": "n"}, "external_id": "id"}},
     "mapping"),
    ({"code": "website", "colour": "red"}, "colour"),
])
def test_a_bad_channel_configuration_names_the_field(leads, world, spec, field):
    with entrypoint_hook(leads, "configure_channel") as configure, \
            pytest.raises(ValidationFailed) as caught:
        configure(world.token("admin"), spec)
    assert caught.value.field == field


def test_secrets_are_stored_encrypted_and_shown_only_on_create_and_rotate(leads, world,
                                                                          engine, douyin):
    assert douyin["secret"] and douyin["name"] == "抖音"
    assert count(engine, "SELECT count(*) FROM leads.channels WHERE id = :id",
                 id=douyin["key_id"]) == 1
    token = world.token("admin")
    with entrypoint_hook(leads, "configure_channel") as configure:
        updated = configure(token, {"code": "douyin", "name": "抖音-杭州"})
    with entrypoint_hook(leads, "rotate_channel_secret") as rotate:
        rotated = rotate(token, "douyin")
        with pytest.raises(NotFound):
            rotate(token, "beike")
    with entrypoint_hook(leads, "list_channels") as listing:
        [listed] = listing(token)["items"]
    assert "secret" not in updated and "secret" not in listed
    assert updated["key_id"] == rotated["key_id"] == listed["key_id"] == douyin["key_id"]
    assert listed["name"] == "抖音-杭州"
    assert listed["default_project_id"] == str(world.project)  # kept: not sent on update
    assert rotated["secret"] != douyin["secret"]
    for plain in (douyin["secret"], rotated["secret"]):
        assert count(engine, "SELECT count(*) FROM leads.channels c WHERE strpos(c::text, :s)"
                     " > 0", s=plain) == 0
    with entrypoint_hook(leads, "intake_webhook") as intake:
        with pytest.raises(Unauthenticated):
            intake(*signed(douyin, clue()))  # the old secret stopped working
        assert intake(*signed(rotated, clue()))["status"] == "created"


def test_a_deactivated_channel_is_an_unknown_key(leads, world, douyin):
    with entrypoint_hook(leads, "configure_channel") as configure:
        configure(world.token("admin"), {"code": "douyin", "active": False})
    with entrypoint_hook(leads, "intake_webhook") as intake, \
            pytest.raises(Unauthenticated) as caught:
        intake(*signed(douyin, clue()))
    assert caught.value.field == "X-Keyuan-Key"
