"""tests/oauth_support.dance over real HTTP against a served hub (what the apps' test suites
use), and one code exchanged by several callers at once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask

from hub.db import get_db
from tests.fakes.server import LoopbackServer
from tests.oauth_support import (
    authorize,
    dance,
    exchange,
    make_user,
    pkce_pair,
    refresh,
    register_app,
)
from tests.support import free_port, make_tenant, truncate_all


@pytest.fixture
def served(base_config: dict[str, Any]) -> Iterator[tuple[str, Flask]]:
    from hub import create_app

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    app = create_app({**base_config, "public_url": url, "credential_cache_seconds": 0})
    server = LoopbackServer(app, port=port).start()
    try:
        yield url, app
    finally:
        server.stop()
        truncate_all(app)
        get_db(app).engine.dispose()


def test_the_helper_connects_and_the_tokens_work(served: tuple[str, Flask]) -> None:
    url, app = served
    tenant = make_tenant(app, "Clim Express", seed=False)
    make_user(app, tenant.account_id, "chef@clim-express.fr")
    reg = register_app(app, "Zapier")
    tokens = dance(url, reg, "chef@clim-express.fr", scope="appointments:read")
    assert tokens["scope"] == "appointments:read"
    me = requests.get(
        f"{url}/v2/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}, timeout=10
    ).json()
    assert me["user"]["email"] == "chef@clim-express.fr"
    assert me["account_name"] == "Clim Express"
    again = refresh(url, reg, tokens["refresh_token"])
    assert again.status_code == 200 and again.json()["scope"] == "appointments:read"


def test_one_code_exchanged_at_once_by_many_issues_once_then_revokes(
    served: tuple[str, Flask],
) -> None:
    url, app = served
    tenant = make_tenant(app, "Clim Express", seed=False)
    make_user(app, tenant.account_id, "chef@clim-express.fr")
    reg = register_app(app, "Make")
    verifier, challenge = pkce_pair()
    with requests.Session() as http:
        got = authorize(http, url, reg, "chef@clim-express.fr", challenge)
    barrier = threading.Barrier(4)
    results: list[requests.Response] = []
    lock = threading.Lock()

    def one() -> None:
        barrier.wait()
        resp = exchange(url, reg, got["code"], verifier)
        with lock:
            results.append(resp)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]
    [winner] = [r for r in results if r.status_code == 200]
    # The others were replays: the grant the code issued is revoked (RFC 6749 4.1.2).
    me = requests.get(
        f"{url}/v2/me",
        headers={"Authorization": f"Bearer {winner.json()['access_token']}"},
        timeout=10,
    )
    assert me.status_code == 401
