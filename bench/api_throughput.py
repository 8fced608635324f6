"""Benchmark: authenticated GET /v2/appointments against a no-op endpoint of the same app.

The no-op is `GET /v2/me`: same credential, same authentication and rate limiting, no work.
`GET /healthz` (no authentication at all) is printed too, to show what the request pipeline
itself costs. All run on the same gunicorn (2 workers, 4 threads each); the load comes from a
separate process on loopback. Prints requests/s of each and the ratio (goal >= 0.5).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._load import LoadResult, run_load, run_wrk, wrk_available


def seed(database_url: str, rows: int) -> str:
    """An account with the demo data plus `rows` appointments; returns an API key."""
    from hub.db import Database
    from hub.ids import new_id
    from hub.models import Appointment
    from hub.services import demo
    from hub.services.credentials import create_account, create_key

    db = Database(database_url)
    with db.session() as s:
        account = create_account(s, "Bench")
        ids = demo.seed(s, account.id, "production")
        key = create_key(s, account.id, "production", None).secret
        start = datetime(2030, 1, 7, 7, 0, tzinfo=UTC)
        with s.begin():
            for i in range(rows):
                at = start + timedelta(days=i // 4, hours=2 * (i % 4))
                s.add(
                    Appointment(
                        id=new_id("apt"),
                        account_id=account.id,
                        environment="production",
                        customer_id=ids["customer_id"],
                        service_id=ids["service_id"],
                        technician_id=ids["technician_id"],
                        scheduled_at=at,
                        duration=60,
                        ends_at=at + timedelta(minutes=60),
                        buffer_before=0,
                        buffer_after=0,
                        block_start=at,
                        block_end=at + timedelta(minutes=60),
                        status="confirmed",
                        address="15 rue des Lilas",
                        city="Paris",
                        postal_code="75001",
                        lat=48.86,
                        lng=2.34,
                    )
                )
    if db.dialect == "postgresql":
        # The steady state autovacuum keeps a live database in: fresh statistics (without them
        # the planner guesses one row per table and sorts the whole tenant for every page) and
        # a visibility map (without it counting from the index visits every row's heap page).
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    db.engine.dispose()
    return key


def _load_process(
    url: str, headers: dict[str, str], seconds: float, conns: int, out: mp.Queue
) -> None:  # type: ignore[type-arg]
    res = run_load(url, headers, seconds, conns)
    out.put((res.requests, res.errors, res.seconds, res.latencies_ms))


def load_from_other_process(
    url: str, headers: dict[str, str], seconds: float, conns: int
) -> LoadResult:
    """Run the load generator in a separate process: wrk when installed, else Python's."""
    if wrk_available():
        return run_wrk(url, headers, seconds, conns)
    q: mp.Queue = mp.Queue()  # type: ignore[type-arg]
    p = mp.Process(target=_load_process, args=(url, headers, seconds, conns, q))
    p.start()
    result = LoadResult(*q.get())
    p.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="per endpoint, in all")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("IVALID_BENCH_DATABASE_URL", ""))
    args = parser.parse_args()

    from hub.migrate import upgrade
    from tests.support import LiveServer

    tmp = Path(tempfile.mkdtemp(prefix="ivalid-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)
    key = seed(url, args.rows)
    env = {
        "IVALID_DATABASE_URL": url,
        "IVALID_DATA_DIR": str(tmp),
        "IVALID_RATE_LIMIT": "100000000/minute",
    }
    server = LiveServer(env, workers=2, threads=args.threads)
    try:
        auth = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        target = f"{server.url}/v2/appointments?per_page=10&page=3"
        noop = f"{server.url}/v2/me"
        bare = f"{server.url}/healthz"
        # Warm up both workers with the real concurrency: every pooled connection opened,
        # every statement prepared, before anything is measured.
        for url_ in (bare, noop, target):
            load_from_other_process(url_, auth, 2.0, args.connections)
        # Interleaved short rounds, ratio per round, median of rounds: a noisy machine slows
        # both sides of a round alike instead of skewing one whole measurement.
        rounds: list[tuple[LoadResult, LoadResult, LoadResult]] = []
        per_round = args.seconds / args.rounds
        for _ in range(args.rounds):
            health = load_from_other_process(bare, {}, per_round, args.connections)
            base = load_from_other_process(noop, auth, per_round, args.connections)
            real = load_from_other_process(target, auth, per_round, args.connections)
            rounds.append((health, base, real))
    finally:
        server.stop()
    ratios = sorted(r.rps / b.rps for _, b, r in rounds if b.rps)
    ratio = statistics.median(ratios) if ratios else 0.0
    health_rps = statistics.median(h.rps for h, _, _ in rounds)
    base_rps = statistics.median(b.rps for _, b, _ in rounds)
    real_rps = statistics.median(r.rps for _, _, r in rounds)
    real = max(rounds, key=lambda t: t[2].rps)[2]
    report = {
        "backend": url.split(":")[0],
        "rows": args.rows,
        "rounds": args.rounds,
        "healthz_rps": round(health_rps, 1),
        "no_op_rps": round(base_rps, 1),
        "appointments_rps": round(real_rps, 1),
        "ratio": round(ratio, 3),
        "ratio_per_round": [round(x, 3) for x in ratios],
        "ratio_vs_healthz": round(real_rps / health_rps, 3) if health_rps else 0.0,
        "goal": ">= 0.5",
        "appointments_p50_ms": round(real.median, 2),
        "appointments_p99_ms": round(real.pct(99), 2),
        "errors": sum(h.errors + b.errors + r.errors for h, b, r in rounds),
    }
    print(f"GET /healthz (bare):   {health_rps:8.1f} req/s")
    print(f"GET /v2/me (no-op):    {base_rps:8.1f} req/s")
    print(
        f"GET /v2/appointments:  {real_rps:8.1f} req/s  (p50 {real.median:.1f} ms, "
        f"p99 {real.pct(99):.1f} ms)"
    )
    print(
        f"ratio: {ratio:.3f} (median of {args.rounds} interleaved rounds; goal >= 0.5); "
        f"load generator: {'wrk' if wrk_available() else 'python (install wrk: less noise)'}"
    )
    print(json.dumps(report))


if __name__ == "__main__":
    main()
