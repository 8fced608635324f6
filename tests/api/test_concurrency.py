"""No double booking under concurrency, over HTTP against a real server process."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import LiveServer, Tenant

THREADS = 50


@pytest.fixture()
def server(base_config: dict[str, Any], data_dir: Path, tenant: Tenant):
    env = {
        "IVALID_DATABASE_URL": base_config["database_url"],
        "IVALID_DATA_DIR": str(data_dir),
        "IVALID_RATE_LIMIT": "100000/minute",
    }
    live = LiveServer(env, workers=2, threads=16)
    yield live
    live.stop()


def _book(server: LiveServer, tenant: Tenant, when: str, technician: str) -> requests.Response:
    body = {
        "customer_id": tenant.ids["customer_id"],
        "service_id": tenant.ids["service_id"],
        "technician_id": technician,
        "scheduled_at": when,
        "duration": 60,
        "location": {"postal_code": "75001", "city": "Paris"},
    }
    return requests.post(
        f"{server.url}/v2/appointments",
        json=body,
        timeout=60,
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    )


@pytest.mark.slow
def test_fifty_threads_same_slot_exactly_one_wins(server: LiveServer, tenant: Tenant) -> None:
    tech = tenant.ids["technician_id"]
    with ThreadPoolExecutor(THREADS) as pool:
        responses = list(
            pool.map(lambda _: _book(server, tenant, "2030-01-07T09:00:00Z", tech), range(THREADS))
        )
    codes = Counter(r.status_code for r in responses)
    assert codes == {201: 1, 409: THREADS - 1}, codes
    for r in responses:
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "SLOT_NOT_AVAILABLE"
    listed = requests.get(
        f"{server.url}/v2/appointments",
        timeout=30,
        params={"date_from": "2030-01-07", "date_to": "2030-01-07"},
        headers={"Authorization": f"Bearer {tenant.api_key}"},
    ).json()
    assert listed["meta"]["total"] == 1


@pytest.mark.slow
def test_fifty_threads_fifty_free_slots_all_succeed(server: LiveServer, tenant: Tenant) -> None:
    techs = [tenant.ids["technician_id"], tenant.ids["second_technician_id"]]
    # 25 weekdays x 2 technicians, one 09:00 (10:00 Paris) slot each: all free.
    days = [f"2030-01-{d:02d}" for d in range(7, 32) if d % 7 not in (5, 6)]
    days += [f"2030-02-{d:02d}" for d in range(1, 29) if (d + 31) % 7 not in (5, 6)]
    slots = [(f"{day}T09:00:00Z", tech) for day in days[:25] for tech in techs]
    assert len(slots) == THREADS
    with ThreadPoolExecutor(THREADS) as pool:
        responses = list(pool.map(lambda s: _book(server, tenant, *s), slots))
    assert [r.status_code for r in responses] == [201] * THREADS, [
        r.json() for r in responses if r.status_code != 201
    ][:3]
