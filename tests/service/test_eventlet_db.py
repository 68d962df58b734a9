"""psycopg 3's default wait blocks eventlet: prove database waits overlap in a service."""

from nameko.rpc import rpc
from sqlalchemy import text

from kit.db import Database
from kit.rpc_client import RpcClient


class Sleeper:
    name = "sleeper"
    db = Database()

    @rpc
    def nap(self) -> tuple[float, float]:
        row = self.db.execute(text(
            "SELECT extract(epoch FROM clock_timestamp()), pg_sleep(0.5), "
            "extract(epoch FROM clock_timestamp())")).one()
        return float(row[0]), float(row[2])


def test_eight_database_waits_in_one_service_process_run_at_the_same_time(start):
    import eventlet

    container = start(Sleeper)
    # Eight callers over RabbitMQ (eight nameko entrypoint_hooks at once would patch the
    # container over each other and unhook one another).
    client = RpcClient(container.config["AMQP_URI"], pool_size=8)
    try:
        spans = list(eventlet.GreenPool(8).imap(lambda _: client.call("sleeper", "nap"),
                                                range(8)))
    finally:
        client.close()
    latest_start = max(begin for begin, _ in spans)
    earliest_end = min(end for _, end in spans)
    # Had psycopg blocked the hub, each query would start after the previous one ended.
    assert latest_start < earliest_end, spans
