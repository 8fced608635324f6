"""Attack: spend more than the documented budget by spreading requests over routes or processes."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import LiveServer, Tenant

ROUTES = [
    "/v2/me",
    "/v2/customers",
    "/v2/services",
    "/v2/appointments",
    "/v2/teams",
    "/v2/technicians",
    "/v2/webhooks",
    "/v2/events",
]


def _storages() -> list[Any]:
    redis_url = os.environ.get("IVALID_TEST_REDIS_URL")
    local = pytest.param("", id="local-file")
    return (
        [local, pytest.param(redis_url, marks=pytest.mark.redis, id="redis")]
        if redis_url
        else [local]
    )


@pytest.mark.parametrize("redis_url", _storages())
def test_one_budget_across_every_route(
    base_config: dict[str, Any], tenant: Tenant, redis_url: str
) -> None:
    """Eight routes, one budget: the ninth request of a 8/minute credential is refused."""
    from hub import create_app
    from hub.db import get_db

    if redis_url:
        import redis

        redis.Redis.from_url(redis_url).flushdb()
    app = create_app({**base_config, "rate_limit": "8/minute", "redis_url": redis_url})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    try:
        seen = [client.get(route, headers=auth) for route in ROUTES + ROUTES]
    finally:
        get_db(app).engine.dispose()
    codes = [r.status_code for r in seen]
    assert codes == [200] * 8 + [429] * 8, codes
    assert [int(r.headers["X-RateLimit-Remaining"]) for r in seen[:8]] == list(range(7, -1, -1))
    assert seen[8].json["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert 1 <= int(seen[8].headers["Retry-After"]) <= 61  # Redis: half a second of margin


def _env(base_config: dict[str, Any], data_dir: Path, limit: str) -> dict[str, str]:
    return {
        "IVALID_DATABASE_URL": base_config["database_url"],
        "IVALID_DATA_DIR": str(data_dir),
        "IVALID_REDIS_URL": "",
        "IVALID_RATE_LIMIT": limit,
        "IVALID_SECRET_KEY": uuid.uuid4().hex,
    }


@pytest.mark.slow
def test_two_server_processes_on_one_data_dir_share_the_budget(
    base_config: dict[str, Any], tenant: Tenant, data_dir: Path
) -> None:
    """Without Redis, two processes of one machine spend one budget, alternately hit."""
    env = _env(base_config, data_dir, "6/minute")
    servers = [LiveServer(env, dev=True), LiveServer(env, dev=True)]
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    try:
        codes = [
            requests.get(
                f"{servers[i % 2].url}{ROUTES[i % 8]}", headers=auth, timeout=10
            ).status_code
            for i in range(12)
        ]
    finally:
        for s in servers:
            s.stop()
    assert codes == [200] * 6 + [429] * 6


@pytest.mark.slow
def test_gunicorn_workers_share_the_budget_under_concurrency(
    base_config: dict[str, Any], tenant: Tenant, data_dir: Path
) -> None:
    """`ivalid serve` (2 gunicorn workers): 120 concurrent calls of one route, exactly 40 pass."""
    server = LiveServer(_env(base_config, data_dir, "40/minute"), workers=2, threads=8)
    auth = {"Authorization": f"Bearer {tenant.api_key}"}

    def call(i: int) -> int:
        # A new connection each time, so the kernel spreads them over both workers.
        with requests.Session() as s:
            return s.get(f"{server.url}/v2/me", headers=auth, timeout=30).status_code

    try:
        with ThreadPoolExecutor(16) as pool:
            codes = Counter(pool.map(call, range(120)))
    finally:
        server.stop()
    assert codes == {200: 40, 429: 80}, codes
