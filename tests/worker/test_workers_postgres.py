"""Several workers on PostgreSQL: no attempt sent twice, and nothing lost to kill -9."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import func, select

from hub.db import get_db, transaction
from hub.models import WebhookAttempt, WebhookDelivery
from hub.services import events
from tests.conftest import PG_URL
from tests.events.webhooks.receiver import Receiver, Reply
from tests.support import Api, make_tenant
from tests.worker.conftest import WorkerProcess

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(
        not PG_URL.startswith("postgresql"), reason="needs PostgreSQL (IVALID_TEST_DATABASE_URL)"
    ),
]

EVENTS = 1000


def _setup(app: Flask, receiver: Receiver) -> str:
    """A tenant (no demo data) with a webhook to the receiver; returns the account id."""
    tenant = make_tenant(app, "Charge", seed=False)
    api = Api(app.test_client(), tenant.api_key)
    resp = api.post("/v2/webhooks", {"url": receiver.url(), "events": ["customer.created"]})
    assert resp.status_code == 201
    return tenant.account_id


def _commit_events(app: Flask, account_id: str) -> set[str]:
    """EVENTS events committed through the outbox, 100 per transaction; returns their ids."""
    ids: set[str] = set()
    with get_db(app).session() as s:
        for batch in range(EVENTS // 100):
            with transaction(s):
                for i in range(100):
                    e = events.record(
                        s,
                        account_id,
                        "sandbox",
                        "customer.created",
                        {"id": f"cust_{batch:02d}{i:03d}", "n": batch * 100 + i},
                    )
                    ids.add(e.id)
    return ids


def _attempt_workers(app: Flask) -> Counter[str]:
    with get_db(app).session() as s:
        rows = s.execute(
            select(WebhookAttempt.worker, func.count()).group_by(WebhookAttempt.worker)
        )
        return Counter({(w or "").split(":")[0]: n for w, n in rows})


def _statuses(app: Flask) -> Counter[str]:
    with get_db(app).session() as s:
        return Counter(
            dict(
                s.execute(
                    select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
                ).all()
            )
        )


def test_two_workers_never_send_the_same_attempt_twice(
    app: Flask, receiver: Receiver, start_worker: Callable[..., WorkerProcess]
) -> None:
    receiver.default = Reply(200, delay=0.003)
    account_id = _setup(app, receiver)
    env = {"IVALID_WORKER_CONCURRENCY": "8"}
    a, b = start_worker("pair_a", **env), start_worker("pair_b", **env)
    ids = _commit_events(app, account_id)  # both workers are polling when the events come
    got = receiver.wait_for(EVENTS, timeout=60)
    time.sleep(1.0)  # a duplicate would arrive now
    got = receiver.received()
    counts = Counter(r.webhook_id for r in got)
    assert set(counts) == ids
    assert max(counts.values()) == 1, [k for k, v in counts.items() if v > 1][:5]
    assert a.terminate() == 0 and b.terminate() == 0
    workers = _attempt_workers(app)
    assert set(workers) == {"pair_a", "pair_b"}, workers  # both took a share
    assert sum(workers.values()) == EVENTS
    assert _statuses(app) == Counter({"succeeded": EVENTS})


def test_a_worker_killed_mid_delivery_loses_nothing(
    app: Flask, receiver: Receiver, start_worker: Callable[..., WorkerProcess]
) -> None:
    receiver.default = Reply(200, delay=0.01)
    account_id = _setup(app, receiver)
    env = {"IVALID_WORKER_CONCURRENCY": "8", "IVALID_WORKER_LEASE": "3"}
    victim = start_worker("kill_a", **env)
    survivor = start_worker("kill_b", **env)
    ids = _commit_events(app, account_id)
    receiver.wait_for(EVENTS // 3, timeout=60)
    victim.kill9()
    with get_db(app).session() as s:
        orphaned = set(
            s.scalars(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.claimed_by.like("kill_a:%"), WebhookDelivery.status == "pending"
                )
            )
        )
    assert orphaned, "the victim held no claim when it died: the test proves nothing"
    receiver.wait_for(EVENTS, timeout=60)
    deadline = time.monotonic() + 30
    while _statuses(app) != Counter({"succeeded": EVENTS}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _statuses(app) == Counter({"succeeded": EVENTS})
    got = receiver.received()
    counts = Counter(r.webhook_id for r in got)
    assert set(counts) == ids  # every event arrived at least once
    # Duplicates (sent by the victim, not recorded before it died) are byte-identical.
    by_id: dict[str, set[bytes]] = {}
    for r in got:
        by_id.setdefault(r.webhook_id, set()).add(r.body)
        assert r.headers["webhook-id"] == r.webhook_id
    assert all(len(bodies) == 1 for bodies in by_id.values())
    with get_db(app).session() as s:
        finished_by = dict(
            s.execute(
                select(WebhookAttempt.delivery_id, WebhookAttempt.worker).where(
                    WebhookAttempt.delivery_id.in_(orphaned), WebhookAttempt.success.is_(True)
                )
            ).all()
        )
    assert set(finished_by) == orphaned
    assert all(w.startswith("kill_b:") for w in finished_by.values() if w)
    assert survivor.terminate() == 0
