"""`ivalid worker` as a process: it delivers, keeps its scheduler state, stops cleanly."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import inspect, select, text

from hub.db import get_db
from hub.models import WebhookDelivery
from tests.events.webhooks.receiver import Receiver
from tests.support import Api, LiveServer
from tests.worker.conftest import ALLOWLIST, WorkerProcess

VERIFY_JS = Path(__file__).resolve().parent.parent / "events" / "verify_webhook.js"
NODE = shutil.which("node")


def test_the_worker_delivers_and_stops_cleanly(
    app: Flask, api: Api, receiver: Receiver, start_worker: Callable[..., WorkerProcess]
) -> None:
    worker = start_worker("solo")
    resp = api.post("/v2/webhooks", {"url": receiver.url(), "events": ["customer.created"]})
    assert resp.status_code == 201
    api.post("/v2/customers", {"first_name": "Zoé", "last_name": "Lefèvre"})
    [got] = receiver.wait_for(1, timeout=15)
    assert got.headers["x-ivalid-event"] == "customer.created"
    assert worker.terminate() == 0, worker.log()
    assert "stopped" in worker.log()
    # Its scheduler state lives in the database, in its own table, with the fixed job ids.
    engine = get_db(app).engine
    assert inspect(engine).has_table("ivalid_scheduler_solo")
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM ivalid_scheduler_solo")).scalars())
    assert {"dispatch", "notify", "reminders", "sandbox_reset", "cleanup"} <= ids


def test_two_workers_with_the_same_name_get_their_own_scheduler(
    app: Flask, start_worker: Callable[..., WorkerProcess]
) -> None:
    start_worker("twin")
    second = start_worker("twin")
    assert "worker twin_2:" in second.log()


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_specs_verify_webhook_accepts_real_deliveries(
    app: Flask,
    base_config: dict[str, Any],
    tenant: Any,
    receiver: Receiver,
    start_worker: Callable[..., WorkerProcess],
    tmp_path: Path,
) -> None:
    """API server (gunicorn) + worker + receiver, checked by the spec's JavaScript verifier."""
    server = LiveServer(
        {
            "IVALID_DATABASE_URL": str(base_config["database_url"]),
            "IVALID_DATA_DIR": str(base_config["data_dir"]),
            "IVALID_WEBHOOK_ALLOWLIST": ALLOWLIST,
            "IVALID_RATE_LIMIT": "100000/minute",
        }
    )
    try:
        start_worker("node")
        headers = {"Authorization": f"Bearer {tenant.api_key}"}
        spec_secret = "whsec_your_webhook_secret"
        hooks = [
            requests.post(
                f"{server.url}/v2/webhooks",
                headers=headers,
                timeout=10,
                json={
                    "url": receiver.url(path),
                    "events": ["customer.created"],
                    **extra,
                },
            ).json()
            for path, extra in (("/given", {"secret": spec_secret}), ("/generated", {}))
        ]
        resp = requests.post(
            f"{server.url}/v2/customers",
            headers=headers,
            timeout=10,
            json={"first_name": "Zoé", "last_name": "Lefèvre-Ångström 🛠"},
        )
        assert resp.status_code == 201
        receiver.wait_for(2, timeout=20)
        for hook in hooks:
            [got] = receiver.received(hook["url"].split(str(receiver.port))[1])
            payload = tmp_path / "payload.json"
            payload.write_bytes(got.body)
            signature = got.headers["x-ivalid-signature"]

            def node(secret: str, sig: str = signature, path: Path = payload) -> int:
                assert NODE is not None
                return subprocess.run(
                    [NODE, str(VERIFY_JS), str(path), sig, secret],
                    capture_output=True,
                    timeout=30,
                ).returncode

            assert node(hook["secret"]) == 0
            assert node("whsec_wrong_secret_value") == 1
            assert node(hook["secret"], "sha256=" + "0" * 64) == 1
        with get_db(app).session() as s:
            statuses = set(s.scalars(select(WebhookDelivery.status)))
        assert statuses == {"succeeded"}
    finally:
        server.stop()
