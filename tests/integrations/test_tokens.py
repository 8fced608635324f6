"""Stored tokens: refreshed before expiry, one refresh at a time, invalid_grant → reconnect."""

from __future__ import annotations

import threading
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update

from hub import crypto
from hub.integrations import engine
from hub.integrations.context import oauth_client
from hub.integrations.runtime import SyncRuntime
from hub.integrations.tokens import StoredTokenProvider
from hub.models import Event, IntegrationConnection, WebhookDelivery
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import connection
from tests.integrations.support import NAME, MovingClock, dispatch
from tests.support import Api


def _refreshes(fake: FakeGoogleCalendar) -> int:
    return sum(
        1
        for r in fake.requests
        if r.endpoint == "oauth.token" and (r.body or {}).get("grant_type") == "refresh_token"
    )


def _expire_soon(rt: SyncRuntime, connection_id: str, clock: MovingClock) -> None:
    with rt.db.session() as session, session.begin():
        session.execute(
            update(IntegrationConnection)
            .where(IntegrationConnection.id == connection_id)
            .values(token_expires_at=clock.now() + timedelta(seconds=30))
        )


def test_refreshed_before_expiry_keeping_the_refresh_token(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str, clock: MovingClock
) -> None:
    """Two minutes before expiry the token is refreshed; Google sends no new refresh token,
    so the old one is kept (encrypted)."""
    before = connection(rt, connected)
    old_refresh = crypto.decrypt(rt.settings, before.refresh_token)
    _expire_soon(rt, connected, clock)
    engine.sync_now(rt, connected)
    after = connection(rt, connected)
    assert _refreshes(fake) == 1
    assert crypto.decrypt(rt.settings, after.access_token) != crypto.decrypt(
        rt.settings, before.access_token
    )
    assert crypto.decrypt(rt.settings, after.refresh_token) == old_refresh
    assert after.token_expires_at > clock.now() + timedelta(minutes=50)
    assert after.status == "connected"


def test_one_refresh_at_a_time(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str, clock: MovingClock
) -> None:
    """Eight processes needing a fresh token at once: one refresh, the others wait for it."""
    _expire_soon(rt, connected, clock)
    providers = [StoredTokenProvider(rt, connected, oauth_client(rt, NAME)) for _ in range(8)]
    tokens: list[str] = []
    barrier = threading.Barrier(len(providers))

    def get(provider: StoredTokenProvider) -> None:
        barrier.wait()
        tokens.append(provider.get_access_token())

    threads = [threading.Thread(target=get, args=(p,)) for p in providers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert _refreshes(fake) == 1
    assert len(tokens) == 8 and len(set(tokens)) == 1


def test_a_rejected_token_is_refreshed_once(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """Google answers 401 (token revoked early): one refresh, the call retried, sync goes on."""
    fake.oauth.expire_access_tokens()
    stats = engine.sync_now(rt, connected)
    assert _refreshes(fake) == 1
    assert stats is not None and stats.get("pages", 0) >= 2
    assert connection(rt, connected).last_sync_status == "ok"


def test_invalid_grant_asks_for_reconnection(
    app: Flask,
    api: Api,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
    clock: MovingClock,
) -> None:
    """The user revoked access in Google: reauth_required, one integration.error event,
    delivered to the webhooks that subscribed to it; syncing stops until reconnection."""
    hook = api.post(
        "/v2/webhooks", {"url": "https://hooks.example.com/ivalid", "events": ["integration.error"]}
    )
    assert hook.status_code == 201, hook.json
    fake.oauth.revoke_refresh_tokens()
    _expire_soon(rt, connected, clock)
    engine.sync_now(rt, connected)
    row = connection(rt, connected)
    assert row.status == "reauth_required" and row.last_error_code == "invalid_grant"
    status = api.get(f"/v2/integrations/{NAME}").json
    assert status["status"] == "reauth_required" and status["last_error"]["code"] == "invalid_grant"
    clock.advance(timedelta(hours=1))
    assert engine.run_due(rt) == 0  # not claimed any more
    dispatch(app)
    with rt.db.session() as session:
        events = session.scalars(select(Event).where(Event.type == "integration.error")).all()
        assert len(events) == 1
        assert events[0].data["status"] == "reauth_required"
        assert events[0].data["error"]["code"] == "invalid_grant"
        deliveries = session.scalars(
            select(WebhookDelivery).where(WebhookDelivery.event_type == "integration.error")
        ).all()
        assert len(deliveries) == 1
