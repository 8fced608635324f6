"""Push channels: opened and renewed by the worker job, notifications verified and queued."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from hub.integrations import channels, engine
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationStream
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.integrations.conftest import connection
from tests.integrations.support import JEAN_EMAIL, NAME, PIERRE_EMAIL, MovingClock
from tests.support import Api, Tenant

URL = f"/v2/integrations/{NAME}/notifications"


def _channel(rt: SyncRuntime, calendar_id: str) -> IntegrationStream:
    with rt.db.session() as session:
        row = session.scalars(
            select(IntegrationStream).where(IntegrationStream.remote_id == calendar_id)
        ).one()
        session.expunge(row)
        return row


def test_the_job_opens_a_channel_per_calendar(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """events.watch on each linked calendar, pointing at our notification URL."""
    assert channels.renew_due(rt) == 1
    watches = [r for r in fake.requests if r.endpoint == "events.watch"]
    assert len(watches) == 2
    assert {w.body["address"] for w in watches} == {rt.notification_url(NAME)}
    jean = _channel(rt, JEAN_EMAIL)
    assert jean.channel_id in fake.channels and jean.channel_expires_at is not None
    assert fake.channels[jean.channel_id].token not in (jean.channel_token, None)  # encrypted
    assert channels.renew_due(rt) == 0  # nothing due until a day before expiry


def test_a_notification_pulls_only_the_calendar_it_names(
    client: FlaskClient,
    fake: FakeGoogleCalendar,
    rt: SyncRuntime,
    connected: str,
    clock: MovingClock,
) -> None:
    """A verified notification answers 202 at once and makes that calendar's pull due (not
    the connection's); the worker then reads Jean's calendar only (one user's quota)."""
    engine.sync_now(rt, connected)
    channels.renew_due(rt)
    jean = _channel(rt, JEAN_EMAIL)
    headers, body = fake.notification(jean.channel_id or "", state="sync")
    resp = client.post(URL, data=body, headers=headers)
    assert resp.status_code == 202 and resp.json == {"status": "ok"}  # the handshake
    assert _channel(rt, JEAN_EMAIL).pull_due_at is None
    fake.user_create(
        "Perso",
        clock.now() + timedelta(days=3),
        clock.now() + timedelta(days=3, hours=1),
        calendar_id=JEAN_EMAIL,
    )
    fake.reset_counters()
    scheduled = connection(rt, connected).next_sync_at
    headers, body = fake.notification(jean.channel_id or "")
    resp = client.post(URL, data=body, headers=headers)
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    assert sum(fake.calls.values()) == 0  # nothing sent to Google during the request
    assert connection(rt, connected).next_sync_at == scheduled > clock.now()
    assert (_channel(rt, JEAN_EMAIL).pull_due_at or clock.now()) <= clock.now()
    assert _channel(rt, PIERRE_EMAIL).pull_due_at is None
    assert engine.run_due(rt) == 1
    listed = {r.path for r in fake.requests if r.endpoint == "events.list"}
    assert listed == {f"/calendar/v3/calendars/{JEAN_EMAIL}/events"}
    assert connection(rt, connected).last_stats["busy_created"] == 1
    assert _channel(rt, JEAN_EMAIL).pull_due_at is None  # met
    assert connection(rt, connected).next_sync_at == scheduled  # polling unchanged
    assert engine.run_due(rt) == 0  # nothing left due


def test_forged_notifications_are_refused(
    client: FlaskClient, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """Wrong token 403, unknown channel 404, not a notification 400 — in the API's format."""
    channels.renew_due(rt)
    jean = _channel(rt, JEAN_EMAIL)
    headers, body = fake.notification(jean.channel_id or "")
    forged = {**headers, "X-Goog-Channel-Token": "guess"}
    resp = client.post(URL, data=body, headers=forged)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "INVALID_NOTIFICATION"
    resp = client.post(URL, data=body, headers={**headers, "X-Goog-Channel-ID": "nope"})
    assert resp.status_code == 404 and resp.json["error"]["code"] == "UNKNOWN_CHANNEL"
    resp = client.post(URL, data=b"{}", headers={"Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "INVALID_NOTIFICATION"
    other = {**headers, "X-Goog-Resource-ID": "another-resource"}
    assert client.post(URL, data=body, headers=other).status_code == 403
    assert client.post("/v2/integrations/nope/notifications", headers=headers).status_code == 404


def test_channels_are_renewed_before_they_expire(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str, clock: MovingClock
) -> None:
    """A day before expiry the job opens a new channel, then stops the old one."""
    channels.renew_due(rt)
    old = _channel(rt, JEAN_EMAIL)
    assert old.channel_expires_at is not None
    clock.advance(old.channel_expires_at - clock.now() - timedelta(hours=23))
    fake.reset_counters()
    assert channels.renew_due(rt) == 1
    new = _channel(rt, JEAN_EMAIL)
    assert new.channel_id != old.channel_id and new.channel_id in fake.channels
    assert old.channel_id not in fake.channels
    assert fake.calls["events.watch"] == 2 and fake.calls["channels.stop"] == 2


def test_unlinking_and_disconnecting_stop_channels(
    api: Api, tenant: Tenant, fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """An unlinked calendar's channel is stopped by the job; DELETE stops the rest."""
    channels.renew_due(rt)
    assert len(fake.channels) == 2
    api.put(
        f"/v2/integrations/{NAME}/links/technicians/{tenant.ids['technician_id']}",
        {"calendar_id": None},
    )
    channels.renew_due(rt)
    assert [c.calendar_id for c in fake.channels.values()] == [PIERRE_EMAIL]
    assert connection(rt, connected).stale_channels == []
    api.delete(f"/v2/integrations/{NAME}")
    assert fake.channels == {}


def test_no_channels_without_https(
    fake: FakeGoogleCalendar, rt: SyncRuntime, connected: str
) -> None:
    """Google only calls https addresses: on plain http the job leaves polling alone."""
    rt.allow_http_push = False
    assert channels.renew_due(rt) == 0
    assert fake.calls["events.watch"] == 0
