"""1000 requests/minute per credential; 429 in the API's format; shared through Redis."""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from hub.ratelimit import retry_after_seconds
from tests.support import LiveServer, Tenant, make_tenant


@pytest.fixture()
def limited_app(base_config: dict[str, Any]):
    from hub import create_app
    from hub.db import get_db

    app = create_app({**base_config, "rate_limit": "3/minute", "redis_url": ""})
    yield app
    get_db(app).engine.dispose()


def test_headers_and_429(limited_app, tenant: Tenant) -> None:
    client: FlaskClient = limited_app.test_client()
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    seen = []
    for _ in range(3):
        resp = client.get("/v2/customers", headers=auth)
        assert resp.status_code == 200
        assert resp.headers["X-RateLimit-Limit"] == "3"
        assert "X-RateLimit-Reset" in resp.headers and "Retry-After" not in resp.headers
        seen.append(int(resp.headers["X-RateLimit-Remaining"]))
    assert seen == [2, 1, 0]
    resp = client.get("/v2/customers", headers=auth)
    assert resp.status_code == 429
    assert resp.json["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert 0 < int(resp.headers["Retry-After"]) <= 60
    # Another credential has its own budget.
    other = make_tenant(limited_app, "Other", seed=False)
    ok = client.get("/v2/customers", headers={"Authorization": f"Bearer {other.api_key}"})
    assert ok.status_code == 200


def test_bad_tokens_do_not_spend_a_budget(limited_app, tenant: Tenant) -> None:
    client = limited_app.test_client()
    for _ in range(5):
        assert (
            client.get(
                "/v2/customers", headers={"Authorization": "Bearer ivk_test_bad"}
            ).status_code
            == 401
        )
    ok = client.get("/v2/customers", headers={"Authorization": f"Bearer {tenant.api_key}"})
    assert ok.status_code == 200


@pytest.mark.redis
@pytest.mark.skipif(
    not os.environ.get("IVALID_TEST_REDIS_URL"),
    reason="needs IVALID_TEST_REDIS_URL (CI runs it against the local Redis)",
)
def test_two_processes_share_one_budget_through_redis(
    base_config: dict[str, Any], tenant: Tenant, data_dir: Path
) -> None:
    redis_url = os.environ["IVALID_TEST_REDIS_URL"]
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    env = {
        "IVALID_DATABASE_URL": base_config["database_url"],
        "IVALID_DATA_DIR": str(data_dir),
        "IVALID_REDIS_URL": redis_url,
        "IVALID_RATE_LIMIT": "5/minute",
        "IVALID_SECRET_KEY": uuid.uuid4().hex,
    }
    servers = [LiveServer(env, dev=True), LiveServer(env, dev=True)]
    try:
        auth = {"Authorization": f"Bearer {tenant.api_key}"}
        codes = [
            requests.get(f"{servers[i % 2].url}/v2/customers", headers=auth, timeout=10).status_code
            for i in range(8)
        ]
    finally:
        for s in servers:
            s.stop()
    assert codes == [200] * 5 + [429] * 3


@pytest.mark.parametrize(
    ("window_reset", "margin", "expected"),
    [
        (1000.0, 0, 1),  # already reset (or a clock step): still at least one second
        (999.0, 0.5, 1),
        (1000.2, 0, 1),
        (1001.01, 0, 2),  # never rounded down into the closed window
        (1059.99, 0, 60),
        (1060.0, 0, 60),
        (1000.5, 0.5, 1),
        (1000.51, 0.5, 2),
        (1002.0, 0.5, 3),  # Redis said "2" for a key with up to 2.5 s left: 3 s is safe
        (1059.0, 0.5, 60),
    ],
)
def test_retry_after_never_points_into_the_closed_window(
    window_reset: float, margin: float, expected: int
) -> None:
    assert retry_after_seconds(window_reset, now=1000.0, margin=margin) == expected


def _redis_or_memory() -> list[Any]:
    redis_url = os.environ.get("IVALID_TEST_REDIS_URL")
    return ["", pytest.param(redis_url, marks=pytest.mark.redis, id="redis")] if redis_url else [""]


@pytest.mark.parametrize("redis_url", _redis_or_memory(), ids=lambda u: "redis" if u else "memory")
def test_waiting_retry_after_is_always_enough(
    base_config: dict[str, Any], tenant: Tenant, redis_url: str
) -> None:
    """A client that sleeps exactly Retry-After gets through, whatever the storage rounds."""
    from hub import create_app
    from hub.db import get_db

    app = create_app({**base_config, "rate_limit": "2 per 2 seconds", "redis_url": redis_url})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {tenant.api_key}"}
    try:
        # Refused early, midway and late in the window: the answer must hold at every point.
        for offset in (0.0, 0.7, 1.4):
            assert client.get("/v2/services", headers=auth).status_code == 200
            time.sleep(offset)
            codes = [client.get("/v2/services", headers=auth).status_code for _ in range(2)]
            assert codes[-1] == 429, codes
            wait = int(client.get("/v2/services", headers=auth).headers["Retry-After"])
            assert 1 <= wait <= 3
            time.sleep(wait)
            assert client.get("/v2/services", headers=auth).status_code == 200
    finally:
        get_db(app).engine.dispose()


def test_an_error_keeps_its_own_retry_after(limited_app, tenant: Tenant) -> None:
    """A 503's "retry in 1 s" is not replaced by the rate-limit window's reset (60 s)."""
    from hub.errors import ApiError

    @limited_app.get("/v2/test-unavailable")
    def _unavailable() -> None:
        raise ApiError(503, "SERVICE_UNAVAILABLE", headers={"Retry-After": "1"})

    client = limited_app.test_client()
    resp = client.get("/v2/test-unavailable", headers={"Authorization": f"Bearer {tenant.api_key}"})
    assert resp.status_code == 503 and resp.json["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert resp.headers["Retry-After"] == "1"
    assert resp.headers["X-RateLimit-Limit"] == "3"
