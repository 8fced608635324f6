"""Benchmark: GET /v2/availability for one day against loading and serialising that day's rows.

Generates an account with N technicians (20 skills, zones over Paris' 20 arrondissements) and
40 appointments per technician over two weeks (2,000 for 50), then measures 200 requests
through the app (median, p95) against a baseline measured in the same run: loading the same
technicians' and appointments' rows for that day and serialising them to JSON, which any
implementation must at least do. Prints the ratio (goal <= 2) and the median for 10, 50 and
200 technicians (growth should be linear).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PARIS = ZoneInfo("Europe/Paris")
ARRONDISSEMENTS = [f"750{n:02d}" for n in range(1, 21)]
SKILLS = [f"skill_{n:02d}" for n in range(20)]
DAY = date(2030, 1, 9)  # a Wednesday in the middle of the two generated weeks
HOURS = {
    d: {"start": "08:00", "end": "18:00"}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday")
}


def seed(url: str, technicians: int, per_technician: int = 40) -> tuple[str, str]:
    """Create the account; returns (api key, service id)."""
    from hub.db import Database
    from hub.ids import new_id
    from hub.models import Appointment, Customer, Service, Technician
    from hub.scheduling import centroid
    from hub.services.credentials import create_account, create_key

    rng = random.Random(technicians)
    db = Database(url)
    with db.session() as s:
        account = create_account(s, f"Bench {technicians}")
        key = create_key(s, account.id, "production", None).secret
        tenant = {"account_id": account.id, "environment": "production"}
        with s.begin():
            service = Service(
                id=new_id("srv"),
                name="Dépannage",
                duration=60,
                buffer_before=10,
                buffer_after=10,
                price=Decimal("90"),
                currency="EUR",
                required_skills=["skill_00"],
                available_online=True,
                **tenant,
            )
            customer = Customer(
                id=new_id("cust"),
                first_name="Marie",
                last_name="Dupont",
                tags=[],
                custom_fields={},
                **tenant,
            )
            s.add_all([service, customer])
            techs = []
            for i in range(technicians):
                zones = [*rng.sample(ARRONDISSEMENTS, 6), "75001"]
                home = centroid(rng.choice(ARRONDISSEMENTS))
                assert home is not None
                t = Technician(
                    id=new_id("tech"),
                    name=f"Technicien {i}",
                    skills=["skill_00", *rng.sample(SKILLS[1:], 4)],
                    zones=sorted(set(zones)),
                    working_hours=HOURS,
                    max_appointments_per_day=8,
                    current_lat=home.lat,
                    current_lng=home.lng,
                    **tenant,
                )
                techs.append(t)
            s.add_all(techs)
            s.flush()
            start_day = DAY - timedelta(days=2)
            for t in techs:
                days = [start_day + timedelta(days=d) for d in range(14)]
                weekdays = [d for d in days if d.weekday() < 5]
                for n in range(per_technician):
                    d = weekdays[n % len(weekdays)]
                    slot = (n // len(weekdays)) * 2 + rng.choice([0, 1]) * 0
                    local = datetime.combine(d, dtime(8 + slot % 10, 0), PARIS)
                    at = local.astimezone(UTC)
                    where = centroid(rng.choice(t.zones))
                    assert where is not None
                    s.add(
                        Appointment(
                            id=new_id("apt"),
                            customer_id=customer.id,
                            service_id=service.id,
                            technician_id=t.id,
                            scheduled_at=at,
                            duration=60,
                            ends_at=at + timedelta(minutes=60),
                            buffer_before=10,
                            buffer_after=10,
                            block_start=at - timedelta(minutes=10),
                            block_end=at + timedelta(minutes=70),
                            status="confirmed",
                            postal_code="75001",
                            lat=where.lat,
                            lng=where.lng,
                            **tenant,
                        )
                    )
    db.engine.dispose()
    return key, service.id


def baseline(app, key: str) -> Callable[[], None]:
    """Load the day's technicians and appointments rows and serialise them to JSON."""
    from sqlalchemy import select

    from hub.auth.secrets import hash_secret
    from hub.db import get_db
    from hub.models import ApiKey, Appointment, Technician

    db = get_db(app)
    with db.session() as s:
        row = s.scalars(select(ApiKey).where(ApiKey.key_hash == hash_secret(key))).one()
        account_id = row.account_id
    start = datetime.combine(DAY, dtime.min, PARIS)
    end = start + timedelta(days=1)

    def run() -> None:
        with db.engine.connect() as conn:
            techs = (
                conn.execute(
                    select(Technician.__table__).where(Technician.account_id == account_id)
                )
                .mappings()
                .all()
            )
            appts = (
                conn.execute(
                    select(Appointment.__table__).where(
                        Appointment.account_id == account_id,
                        Appointment.scheduled_at >= start,
                        Appointment.scheduled_at < end,
                    )
                )
                .mappings()
                .all()
            )
            json.dumps(
                {"technicians": [dict(t) for t in techs], "appointments": [dict(a) for a in appts]},
                default=str,
            )

    return run


def measure(fn: Callable[[], object], n: int) -> list[float]:
    """Milliseconds of `n` calls after a short warm-up."""
    for _ in range(5):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(xs: list[float]) -> float:
    """95th percentile."""
    return sorted(xs)[int(0.95 * (len(xs) - 1))]


def run_size(technicians: int, requests: int, tmp: Path) -> dict[str, float]:
    """Seed a fresh database with `technicians` and measure app vs baseline."""
    from hub import create_app
    from hub.migrate import upgrade

    url = f"sqlite:///{tmp / f'avail-{technicians}.db'}"
    upgrade(url)
    key, service_id = seed(url, technicians)
    app = create_app({"database_url": url, "data_dir": tmp, "rate_limit": "100000000/minute"})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {key}"}
    path = f"/v2/availability?service_id={service_id}&date={DAY.isoformat()}&postal_code=75001"
    first = client.get(path, headers=headers)
    assert first.status_code == 200, first.json
    slots = len(first.json["slots"])

    def app_call() -> None:
        resp = client.get(path, headers=headers)
        assert resp.status_code == 200

    api_ms = measure(app_call, requests)
    base_ms = measure(baseline(app, key), requests)
    return {
        "technicians": technicians,
        "slots": slots,
        "api_median_ms": statistics.median(api_ms),
        "api_p95_ms": p95(api_ms),
        "baseline_median_ms": statistics.median(base_ms),
        "baseline_p95_ms": p95(base_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ivalid-bench-avail-"))
    results = {n: run_size(n, args.requests if n == 50 else 50, tmp) for n in (10, 50, 200)}
    main50 = results[50]
    ratio = main50["api_median_ms"] / main50["baseline_median_ms"]
    print(f"50 technicians, 2,000 appointments, {args.requests} requests:")
    print(
        f"  GET /v2/availability  median {main50['api_median_ms']:.2f} ms  "
        f"p95 {main50['api_p95_ms']:.2f} ms  ({main50['slots']} slots)"
    )
    print(
        f"  baseline (load+JSON)  median {main50['baseline_median_ms']:.2f} ms  "
        f"p95 {main50['baseline_p95_ms']:.2f} ms"
    )
    print(f"  ratio {ratio:.2f} (goal <= 2)")
    for n, r in results.items():
        print(
            f"  {n:>3} technicians: median {r['api_median_ms']:.2f} ms "
            f"(baseline {r['baseline_median_ms']:.2f} ms)"
        )
    print(json.dumps({"ratio": round(ratio, 3), "sizes": results}))


if __name__ == "__main__":
    main()
