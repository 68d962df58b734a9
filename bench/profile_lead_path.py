"""Where a lead's CPU goes: sample every process of a running suite with py-spy while plain
clients post leads, then print each process's hottest functions.

Run against a suite started as `make up` starts it (demo data loaded), as root or with
ptrace allowed (py-spy attaches to the processes):

    python -m bench.profile_lead_path --url http://127.0.0.1:8000 -n 600 -c 16 \
        --services leads,customers,tasks,analytics,gateway --out bench/results/profile

It finds the suite's processes by their command line (`cli.main service <name>`, `cli.main
gateway`, under this checkout's path), starts `py-spy record --format raw` on each, posts N
leads from C threads (as mgr.hz, fresh phones, an Idempotency-Key each) and stops the
recorders when the last answer is in and the events have settled (--settle seconds). For
each process it prints the share of samples per function, both self (the function itself
running) and inclusive (the function or anything it calls), for the --top functions; the
raw collapsed stacks stay under --out (open them with any flamegraph tool).

Only samples holding the GIL are counted (py-spy --gil): an eventlet process waiting in its
hub's epoll or in libpq has released it, so the shares say where the process's CPU went,
not where it waited. py-spy costs CPU of its own: profile a few processes at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "a0669a40-25fe-5a8c-a6d7-82e35ced9870"  # the demo's 滨江壹号 (cli/demo_data.py)


def suite_processes(root: Path) -> dict[str, list[int]]:
    """{name: [pid, ...]} of this checkout's running services and gateway workers."""
    found: dict[str, list[int]] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if str(root) not in cmd or "cli.main" not in cmd:
            continue
        words = cmd.split()
        if "service" in words:
            name = words[words.index("service") + 1]
        elif "gateway" in words:
            name = "gateway"
        else:
            continue
        found.setdefault(name, []).append(int(pid))
    return found


def post_leads(url: str, n: int, clients: int) -> dict:
    login = requests.post(f"{url}/api/auth/login",
                          json={"username": "mgr.hz", "password": "Keyuan@2026"}, timeout=10)
    login.raise_for_status()
    token = login.json()["token"]
    statuses: Counter = Counter()
    lock = threading.Lock()

    def worker(k: int) -> None:
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {token}"
        for _ in range(k, n, clients):
            phone = "139" + "".join(random.choice("0123456789") for _ in range(8))
            answer = http.post(f"{url}/api/leads", timeout=30,
                               headers={"Idempotency-Key": str(uuid.uuid4())},
                               json={"name": "剖析", "phone": phone, "channel": "douyin",
                                     "project_id": PROJECT})
            with lock:
                statuses[answer.status_code] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": round(time.monotonic() - started, 2), "statuses": dict(statuses)}


def summarise(raw: Path, top: int) -> dict:
    """Self and inclusive shares of the samples in a py-spy raw (collapsed) file."""
    own: Counter = Counter()
    inclusive: Counter = Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")
                  and not f.startswith("thread ")]
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples

    def share(counter: Counter) -> list[tuple[str, float]]:
        return [(frame, round(100 * c / max(total, 1), 1)) for frame, c in counter.most_common(top)]

    return {"samples": total, "self": share(own), "inclusive": share(inclusive)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("KEYUAN_BASE", "http://127.0.0.1:8000"))
    parser.add_argument("-n", type=int, default=600)
    parser.add_argument("-c", type=int, default=16)
    parser.add_argument("--services", default="leads,customers,tasks,analytics,gateway")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--settle", type=float, default=5.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "profile"))
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).with_name("py-spy")
    processes = suite_processes(ROOT)
    recorders = []
    for name in args.services.split(","):
        for pid in processes.get(name, []):
            raw = out / f"{name}-{pid}.txt"
            recorders.append((name, raw, subprocess.Popen(
                [str(py_spy), "record", "--pid", str(pid), "--rate", str(args.rate),
                 "--format", "raw", "--output", str(raw), "--nonblocking", "--gil"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)))
    if not recorders:
        print(f"no suite processes of {ROOT} found", file=sys.stderr)
        return 1
    time.sleep(1.0)  # py-spy attaches
    run = post_leads(args.url, args.n, args.c)
    time.sleep(args.settle)
    for _, _, recorder in recorders:
        recorder.send_signal(signal.SIGINT)
    for _, _, recorder in recorders:
        recorder.wait(timeout=30)
    report: dict = {"run": run, "processes": {}}
    for name, raw, _ in recorders:
        if raw.exists():
            report["processes"].setdefault(name, []).append(summarise(raw, args.top))
    (out / "summary.json").write_text(json.dumps(report, ensure_ascii=False, indent=1))
    print(json.dumps(run))
    for name, summaries in report["processes"].items():
        for summary in summaries:
            print(f"\n== {name}: {summary['samples']} samples")
            print("  inclusive:")
            for frame, pct in summary["inclusive"]:
                print(f"    {pct:5.1f}%  {frame}")
            print("  self:")
            for frame, pct in summary["self"][:12]:
                print(f"    {pct:5.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
