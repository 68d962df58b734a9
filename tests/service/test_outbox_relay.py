"""No lost events: the relay keeps what the broker did not take."""

from kombu import Connection, Queue
from sqlalchemy.orm import sessionmaker

from contracts import directory
from kit import outbox
from kit.db import make_engine
from services.leads import store
from services.leads.service import LeadsService
from tests.service.conftest import count, envelope, publish, wait_for


def record(infra, event_type: str) -> str:
    engine = make_engine(infra.database_url, pool_size=1)
    with sessionmaker(engine)() as session, session.begin():
        env = outbox.record(session, store.Outbox, "leads", event_type, {"probe": True})
    engine.dispose()
    return str(env.id)


def row(engine, event_id: str):
    with engine.connect() as conn:
        return conn.execute(store.Outbox.select().where(store.Outbox.c.id == event_id)).one()


def test_an_event_nobody_listens_to_yet_is_kept_and_delivered_once_a_queue_binds(
        infra, engine, start):
    event_type = "probe.unbound"
    event_id = record(infra, event_type)
    start(LeadsService)
    returned = wait_for(lambda: (r := row(engine, event_id)).attempts >= 1 and r)
    assert returned.sent_at is None and "unroutable" in returned.last_error

    with Connection(infra.amqp_uri) as conn:
        queue = Queue("test-probe-listener", exchange=outbox.events_exchange("leads"),
                      routing_key=event_type, durable=False, auto_delete=False)
        bound = queue(conn.channel())
        bound.declare()
        delivered = wait_for(lambda: bound.get(no_ack=True), timeout=15)
        bound.delete()
    assert delivered.payload["id"] == event_id
    assert delivered.payload["type"] == event_type
    assert row(engine, event_id).sent_at is not None


def test_a_broker_that_does_not_answer_leaves_the_event_unsent(infra, engine):
    event_id = record(infra, "probe.broker_down")
    relay_engine = make_engine(infra.database_url, pool_size=1)
    relay = outbox.Relay("leads", store.Outbox, sessionmaker(relay_engine),
                         "amqp://guest:guest@127.0.0.1:1/")
    relay.publish_batch()
    relay_engine.dispose()
    kept = row(engine, event_id)
    assert kept.sent_at is None
    assert kept.attempts == 1 and "publish failed" in kept.last_error


def test_an_event_published_before_its_subscriber_ever_started_still_reaches_it(
        infra, engine, world, start):
    # `keyuan migrate` (run by the session fixture) declared every subscriber's queue.
    fact = world.user("early-bird")
    publish(infra, "directory", envelope("directory", directory.USER_UPSERTED, fact))
    start(LeadsService, keep_queued=True)
    wait_for(lambda: count(engine, "SELECT count(*) FROM leads.users WHERE id = :id",
                           id=fact["id"]))
