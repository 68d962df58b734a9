"""The pure parts of `make bench` (bench/full.py, bench/lead_intake.py): percentiles, the
CPU bookkeeping, the ratios and the report's table and JSON. No timing is asserted."""

import json

from bench import full
from bench.lead_intake import percentiles


def test_percentiles_are_nearest_rank_in_ms():
    values = [i / 1000 for i in range(1, 101)]        # 1 .. 100 ms
    assert percentiles(values) == {"p50": 50.0, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentiles([0.002]) == {"p50": 2.0, "p95": 2.0, "p99": 2.0, "max": 2.0}
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None, "max": None}


def test_processes_are_named_by_group_then_by_server():
    assert full.classify("/x/.venv/bin/python -m cli.main service leads", 7, 7, "db") == "leads"
    assert full.classify("/x/.venv/bin/python -m cli.main gateway", 7, 7, "db") == "gateway"
    assert full.classify("/x/.venv/bin/python -m cli.main up --no-web", 7, 7, "db") == \
        "supervisor"
    assert full.classify("/x/.venv/bin/python -m cli.main service leads", 7, 8, "db") is None
    assert full.classify("postgres: postgres db 127.0.0.1(5123) idle", 7, 1, "db") == "postgres"
    assert full.classify("postgres: postgres other 127.0.0.1(5123) idle", 7, 1, "db") is None
    assert full.classify("postgres: walwriter", 7, 1, "db") == "postgres_aux"
    assert full.classify("/usr/lib/erlang/erts-12/bin/beam.smp -W w", 7, 1, "db") == "rabbitmq"


def test_cpu_delta_counts_new_processes_from_zero_and_per_op_sorts():
    before = {1: ("leads", 2.0), 2: ("tasks", 1.0)}
    after = {1: ("leads", 2.5), 2: ("tasks", 1.1), 3: ("tasks", 0.2)}
    spent = full.cpu_delta(before, after)
    assert round(spent["leads"], 6) == 0.5 and round(spent["tasks"], 6) == 0.3
    assert list(full.per_op_ms(spent, 100)) == ["leads", "tasks"]
    assert full.per_op_ms(spent, 100)["leads"] == 5.0


def _report():
    level = {"clients": 4, "n": 10, "created": 10, "pooled": 0, "duplicates": 0, "errors": 0,
             "error_kinds": {}, "completed": 10, "timed_out": 0, "accepted_per_s": 20.0,
             "completed_per_s": 10.0,
             "post_ms": {"p50": 30.0, "p95": 40.0, "p99": 50.0, "max": 60.0},
             "post_to_task_ms": {"p50": 100.0, "p95": 150.0, "p99": 200.0, "max": 250.0},
             "post_to_task_seen_ms": {"p50": 110.0, "p95": 160.0, "p99": 210.0, "max": 260.0}}
    return {
        "started_at": "2026-12-02T22:00:00Z", "load_before": 1.0, "load_after": 1.5,
        "throughput": [level],
        "cpu_per_lead": {"leads": 10, "clients": 4, "errors": 0, "timed_out": 0,
                         "seconds": 1.0, "completed_per_s": 10.0,
                         "cpu_ms_per_lead": {"leads": 20.0, "rabbitmq": 6.0, "postgres": 8.0},
                         "total_ms": 34.0},
        "raw": {"echo_rpc": {"ops": 100, "threads": 4, "errors": 0, "seconds": 0.1,
                             "per_s": 1000.0, "cpu_ms_per_op": {"echo_service": 0.5,
                                                                "rabbitmq": 0.3,
                                                                "client": 0.2},
                             "cpu_ms_per_op_total": 1.0},
                "rabbit_round_trip": {"ops": 100, "threads": 1, "errors": 0, "seconds": 0.1,
                                      "per_s": 1000.0, "cpu_ms_per_op": {"rabbitmq": 0.2},
                                      "cpu_ms_per_op_total": 0.2},
                "pg_insert": {"ops": 100, "threads": 1, "errors": 0, "seconds": 0.1,
                              "per_s": 500.0, "cpu_ms_per_op": {"postgres_backend": 0.1},
                              "cpu_ms_per_op_total": 0.1}},
    }


def test_ratios_set_the_lead_beside_the_raw_limits():
    ratios = full.ratios(_report())
    assert ratios["lead_cpu_in_bare_rpcs"] == 34.0
    assert ratios["lead_rabbitmq_cpu_in_bare_round_trips"] == 30.0
    assert ratios["lead_postgres_cpu_in_bare_inserts"] == 80.0
    assert ratios["bare_rpcs_per_s_over_leads_per_s"] == 100.0
    assert ratios["best_completed_per_s"] == 10.0
    assert full.ratios({})["lead_cpu_in_bare_rpcs"] is None


def test_table_and_json_hold_every_section(tmp_path):
    report = _report()
    report["ratios"] = full.ratios(report)
    text = full.table(report)
    for needle in ("accepted/s", "CPU ms per lead", "Nameko echo RPC", "ratios", "34.0"):
        assert needle in text
    json_path, _ = full.write(report, tmp_path)
    assert json.loads(json_path.read_text())["cpu_per_lead"]["total_ms"] == 34.0
    assert (tmp_path / "latest.json").exists()


def test_level_row_renames_lead_intake_figures():
    figures = {"concurrency": 1, "n": 2, "created": 2, "pooled": 0, "duplicates": 0,
               "errors": 0, "error_kinds": {}, "completed": 2, "timed_out": 0,
               "accepted_per_s": 1.0, "completed_per_s": 1.0,
               "accept_latency_ms": {"p50": 1.0}, "server_task_latency_ms": {"p50": 2.0},
               "end_to_end_latency_ms": {"p50": 3.0}}
    row = full.level_row(figures)
    assert row["clients"] == 1 and row["post_to_task_ms"] == {"p50": 2.0}


def test_debian_cluster_names_in_postgres_process_titles():
    title = "postgres: 15/main: postgres db 127.0.0.1(5123) idle"
    assert full.classify(title, 7, 1, "db") == "postgres"
    assert full.classify("postgres: 15/main: postgres m1 127.0.0.1(1) idle", 7, 1, "db") is None
    assert full.classify("postgres: 15/main: checkpointer", 7, 1, "db") == "postgres_aux"
    assert full.classify("postgres: 15/main: postgres db [local] idle", 7, 1, "db") == "postgres"
