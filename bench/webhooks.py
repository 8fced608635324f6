"""Webhook delivery throughput and latency, against a plain pooled HTTP client in the same run.

    .venv/bin/python bench/webhooks.py [--events 10000] [--concurrency 16] [--database-url URL]

1. A receiver on loopback (HTTP/1.1 keep-alive, answers 200 at once) notes when each
   webhook-id arrives.
2. **hub**: an `ivalid worker` process runs beside a fresh database (SQLite by default);
   the bench commits N events through the outbox (`hub.services.events.record`, 100 per
   transaction) and waits until the receiver has them all. Every event goes the whole way:
   fan-out, delivery row, lease, signing, SSRF-checked pooled client, attempt log.
3. **baseline**: a separate process with a plain `requests.Session` (pool of the same size)
   and a thread pool of the same concurrency POSTs the same N signed bodies, prepared in
   advance, to the same receiver.

Printed: deliveries per second (first commit → last receipt; baseline: start → last
receipt), the p50 / p99 delay from commit (baseline: from start) to receipt, and the ratio
hub / baseline of deliveries per second (goal ≥ 0.7).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALLOWLIST = "127.0.0.1/32,::1,localhost"


class Receiver:
    """A fast loopback receiver recording the arrival time of each webhook-id."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count = 0
        self.done = threading.Event()
        self.expected = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            """Answers 200 at once and notes the arrival."""

            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body leave at once, no 40 ms stalls

            def do_POST(self) -> None:
                """Read the body, note the arrival, answer 200."""
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                now = time.time()
                key = self.headers.get("webhook-id", "")
                if key not in receiver.arrivals:
                    receiver.arrivals[key] = now
                receiver.count += 1
                if len(receiver.arrivals) >= receiver.expected:
                    receiver.done.set()
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:
                """Stay quiet."""
                pass

        class Server(ThreadingHTTPServer):
            """A threaded HTTP server with a deep listen backlog."""

            daemon_threads = True
            request_queue_size = 1024  # the listen backlog: never refuse a connection

        self.server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """The receiver's URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def reset(self, expected: int) -> None:
        """Forget what arrived; expect `expected` webhook-ids."""
        self.arrivals, self.count, self.expected = {}, 0, expected
        self.done.clear()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline_sender(spec_path: str) -> None:
    """Child process: POST prepared bodies with a plain pooled client at fixed concurrency."""
    import requests
    from requests.adapters import HTTPAdapter

    with open(spec_path, "rb") as f:
        spec = pickle.load(f)
    session = requests.Session()
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=spec["concurrency"])
    session.mount("http://", adapter)

    def post(item: tuple[bytes, dict[str, str]]) -> int:
        """POST one prepared body."""
        body, headers = item
        return session.post(spec["url"], data=body, headers=headers, timeout=10).status_code

    started = time.time()
    cpu = process_cpu(os.getpid())
    print(json.dumps({"started": started}), flush=True)
    with ThreadPoolExecutor(spec["concurrency"]) as pool:
        statuses = list(pool.map(post, spec["items"]))
    bad = sum(1 for s in statuses if not 200 <= s < 300)
    print(json.dumps({"failed": bad, "cpu": process_cpu(os.getpid()) - cpu}), flush=True)


def run_baseline(
    receiver: Receiver, items: list[tuple[bytes, dict[str, str]]], concurrency: int, tmp: Path
) -> dict[str, float]:
    """Post the prepared bodies from a plain pooled client; returns the figures."""
    spec_path = tmp / "baseline.pickle"
    with spec_path.open("wb") as f:
        pickle.dump({"url": receiver.url, "concurrency": concurrency, "items": items}, f)
    receiver.reset(len(items))
    proc = subprocess.Popen(
        [sys.executable, __file__, "--baseline-sender", str(spec_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    started = json.loads(proc.stdout.readline())["started"]
    if not receiver.done.wait(600):
        raise RuntimeError(f"baseline: {len(receiver.arrivals)} of {len(items)} arrived")
    cpu = json.loads(proc.stdout.readline())["cpu"]
    proc.wait(60)
    delays = [t - started for t in receiver.arrivals.values()]
    elapsed = max(receiver.arrivals.values()) - started
    return {
        "per_s": len(items) / elapsed,
        "p50": percentile(delays, 0.5),
        "p99": percentile(delays, 0.99),
        "elapsed": elapsed,
        "requests": receiver.count,
        "cpu_ms": cpu / len(items) * 1000,
    }


def run_hub(
    receiver: Receiver,
    database_url: str,
    data_dir: Path,
    events: int,
    concurrency: int,
    event_type: str,
) -> tuple[dict[str, float], list[tuple[bytes, dict[str, str]]]]:
    """Commit `events` through the outbox with a worker running; returns figures and bodies."""
    from sqlalchemy import select

    from hub.auth.guard import Principal
    from hub.config import Settings
    from hub.db import Database
    from hub.events import payload
    from hub.events.signing import delivery_headers
    from hub.migrate import upgrade
    from hub.models import Event
    from hub.schemas.webhooks import WebhookCreate
    from hub.services import webhooks
    from hub.services.credentials import create_account

    upgrade(database_url)
    settings = Settings.from_env(
        {"database_url": database_url, "data_dir": data_dir, "webhook_allowlist": ALLOWLIST}
    )
    db = Database(database_url)
    with db.session() as s:
        account = create_account(s, "Bench")
        p = Principal(account.id, "production", frozenset({"webhooks:manage"}), "bench")
        hook = webhooks.create(s, p, WebhookCreate(url=receiver.url, events=[event_type]), settings)
    env = {
        **os.environ,
        "IVALID_DATABASE_URL": database_url,
        "IVALID_DATA_DIR": str(data_dir),
        "IVALID_WEBHOOK_ALLOWLIST": ALLOWLIST,
        "IVALID_WORKER_NAME": "bench",
        "IVALID_WORKER_CONCURRENCY": str(concurrency),
        "IVALID_LOG_LEVEL": "WARNING",
    }
    log = (data_dir / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "ivalid"), "worker"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    time.sleep(3.0)  # let the worker start and go idle: the bench measures a running worker
    receiver.reset(events)
    committed: dict[str, float] = {}
    cpu = process_cpu(worker.pid)
    try:
        # The events are committed by another process, as the API's processes would.
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--produce",
                database_url,
                account.id,
                str(events),
                event_type,
            ],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        )
        committed = json.loads(out.stdout)
        if not receiver.done.wait(600):
            raise RuntimeError(
                f"hub: {len(receiver.arrivals)} of {events} arrived; see {data_dir / 'worker.log'}"
            )
        cpu = process_cpu(worker.pid) - cpu
    finally:
        worker.terminate()
        worker.wait(60)
        log.close()
    first = min(committed.values())
    delays = [receiver.arrivals[k] - committed[k] for k in committed]
    elapsed = max(receiver.arrivals.values()) - first
    figures = {
        "per_s": events / elapsed,
        "p50": percentile(delays, 0.5),
        "p99": percentile(delays, 0.99),
        "elapsed": elapsed,
        "requests": receiver.count,
        "cpu_ms": cpu / events * 1000,
    }
    # The same signed bodies for the baseline.
    with db.session() as s:
        rows = s.scalars(select(Event).where(Event.account_id == account.id)).all()
        items = [
            (
                body,
                delivery_headers(
                    e.type, f"whd_{e.id}", e.id, int(time.time()), body, [hook["secret"]]
                ),
            )
            for e in rows
            for body in (payload.body(e),)
        ]
    db.engine.dispose()
    return figures, items


def produce(database_url: str, account_id: str, events: int, event_type: str) -> None:
    """Child process: commit `events` outbox rows, 250 per transaction; print commit times.

    The rows are exactly those `hub.services.events.record` writes, inserted with one
    executemany per transaction: the bench measures delivery, and on a small machine a slow
    producer would take CPU from the worker and the receiver.
    """
    from sqlalchemy import insert

    from hub.db import Database, transaction
    from hub.ids import new_id
    from hub.models import Event
    from hub.timeutil import utcnow

    data = {
        "id": "apt_1234567890",
        "customer": {"id": "cust_abc123", "name": "Marie Dupont"},
        "service": {"id": "srv_installation", "name": "Installation Climatisation"},
        "technician": {"id": "tech_xyz789", "name": "Jean Martin"},
        "scheduled_at": "2025-01-20T09:00:00Z",
        "ends_at": "2025-01-20T11:00:00Z",
        "duration": 120,
        "status": "confirmed",
        "location": {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"},
        "notes": "Code portail : 1234",
        "notify_customer": False,
    }
    committed: dict[str, float] = {}
    db = Database(database_url)
    with db.session() as s:
        for start in range(0, events, 250):
            rows = [
                {
                    "id": new_id("evt"),
                    "account_id": account_id,
                    "environment": "production",
                    "type": event_type,
                    "object_id": data["id"],
                    "data": {**data, "n": i},
                    "created_at": utcnow(),
                }
                for i in range(start, min(events, start + 250))
            ]
            with transaction(s):
                s.connection().execute(insert(Event.__table__), rows)
            now = time.time()
            for row in rows:
                committed[row["id"]] = now
    db.engine.dispose()
    print(json.dumps(committed))


def main() -> None:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--baseline-sender", default="")
    parser.add_argument("--produce", nargs=4, metavar=("URL", "ACCOUNT", "N", "TYPE"))
    parser.add_argument(
        "--event-type",
        default="appointment.created",
        help="appointment.* events also go through the outbox consumers (notifications, sync)",
    )
    args = parser.parse_args()
    if args.produce:
        produce(args.produce[0], args.produce[1], int(args.produce[2]), args.produce[3])
        return
    if args.baseline_sender:
        baseline_sender(args.baseline_sender)
        return
    receiver = Receiver()
    with tempfile.TemporaryDirectory(prefix="ivalid-bench-") as tmp_name:
        tmp = Path(tmp_name)
        url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
        hub, items = run_hub(receiver, url, tmp, args.events, args.concurrency, args.event_type)
        base = run_baseline(receiver, items, args.concurrency, tmp)
    ratio = hub["per_s"] / base["per_s"]
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"webhooks: {args.events} {args.event_type} events, concurrency {args.concurrency}, "
        f"{backend}"
    )
    for name, r in (("hub (outbox + worker)", hub), ("baseline (pooled client)", base)):
        print(
            f"  {name:26} {r['per_s']:8.0f} deliveries/s   p50 {r['p50'] * 1000:7.0f} ms   "
            f"p99 {r['p99'] * 1000:7.0f} ms   sender CPU {r['cpu_ms']:.2f} ms/delivery   "
            f"({r['elapsed']:.1f} s, {r['requests']} requests)"
        )
    print(f"  ratio hub / baseline: {ratio:.2f} (goal >= 0.7)")
    print(
        f"  (machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; the worker's CPU "
        "excludes the database server)"
    )


if __name__ == "__main__":
    main()
