"""Randomized convergence of iValid and Google Calendar (the fake, over HTTP).

200 seeded rounds of edits on both sides — create, move, cancel/delete, retitle, notes —
with worker ticks interleaved as `ivalid worker` runs them (the outbox fan-out of the dispatch
job, then the sync job), pulls killed midway (a BaseException raised after k pages, before or after
the cursor is saved, the lease left to expire), expired sync tokens, a 429, and a
disconnect/reconnect through the real OAuth flow. At the end both sides hold the same
appointments at the same times, nothing is duplicated, every foreign event is a busy period,
and the remote writes are exactly one per local change plus one per refused remote change
put back (no ping-pong).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.db import get_db
from hub.integrations.runtime import SyncRuntime
from scheduler.config import WorkerSettings
from scheduler.context import WorkerContext, install
from scheduler.runner import build_context
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import provider_for
from tests.integrations.scenario import PAGE_SIZE as PAGE_SIZE  # re-exported (Outlook's test)
from tests.integrations.scenario import ROUNDS, Scenario
from tests.integrations.scenario import _shows as _shows
from tests.integrations.scenario import _state as _state
from tests.integrations.support import MovingClock, connect
from tests.support import Api, Tenant


@pytest.fixture
def worker(
    app: Flask,
    rt: SyncRuntime,
    clock: MovingClock,
    fake: FakeGoogleCalendar,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[WorkerContext]:
    """An `ivalid worker` context whose jobs the test runs by hand (IVALID_GOOGLE_* → fake)."""
    provider = provider_for(fake)
    env = {
        "IVALID_GOOGLE_CLIENT_ID": provider.client_id,
        "IVALID_GOOGLE_CLIENT_SECRET": provider.client_secret,
        "IVALID_GOOGLE_AUTH_URL": provider.authorize_url,
        "IVALID_GOOGLE_TOKEN_URL": provider.token_url,
        "IVALID_GOOGLE_REVOKE_URL": provider.revoke_url,
        "IVALID_GOOGLE_API_URL": provider.api_url,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value or "")
    ctx = build_context(app.config["IVALID"], WorkerSettings(name="conv"), get_db(app), "conv")
    ctx.clock = clock
    install(ctx)
    yield ctx
    install(None)
    ctx.dispatcher.client.close()


def test_both_sides_converge_without_ping_pong(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    fake: FakeGoogleCalendar,
    clock: MovingClock,
    rt: SyncRuntime,
    worker: WorkerContext,
) -> None:
    """200 rounds; then both sides agree and remote writes = local changes + put-backs."""
    assert connect(api, client, fake).status_code == 200
    s = Scenario(app, api, client, tenant, fake, clock, worker)
    s.begin()
    s.play(ROUNDS)
    s.check()
    stats = s.model.stats
    conflicts = s.conflicts()
    print(
        f"\nconvergence: {dict(stats)}, conflicts put back: {conflicts}, remote writes: "
        f"{s.writes}, expected: {s.model.expected_writes} + {conflicts}"
    )
    assert stats["kills"] >= 3 and stats["remote_changes"] >= 20 and stats["local_changes"] >= 20
    assert s.writes == s.model.expected_writes + conflicts
