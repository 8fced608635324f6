"""Watch channels and push notifications: subscribe, stop, deliver, verify, parse."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from connectors.base import Channel, InvalidRequest
from connectors.google_calendar import GoogleCalendarConnector
from tests.fakes.google_calendar import FakeGoogleCalendar
from tests.fakes.server import LoopbackServer


class _Receiver:
    """A webhook endpoint on loopback that records what it receives."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.event = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        self.received.append((dict(request.headers), request.get_data()))
        self.event.set()
        return Response(status=200)(environ, start_response)


@pytest.fixture
def receiver() -> Iterator[tuple[_Receiver, str]]:
    """A running webhook receiver and its URL."""
    app = _Receiver()
    server = LoopbackServer(app).start()
    try:
        yield app, server.base_url + "/v2/integrations/google-calendar/push"
    finally:
        server.stop()


@pytest.fixture
def channel(fake: FakeGoogleCalendar, connector: GoogleCalendarConnector) -> Channel:
    """A channel opened on the primary calendar's events."""
    return connector.subscribe(
        "events", "https://hub.example/push", channel_id="chan-1", token="s3cret", ttl=3600
    )


def test_subscribe_opens_a_channel(fake: FakeGoogleCalendar, channel: Channel) -> None:
    """events.watch with id, web_hook type, address, token and ttl; Google's answer parsed."""
    sent = fake.requests[-1]
    assert sent.endpoint == "events.watch"
    assert sent.body == {
        "id": "chan-1",
        "type": "web_hook",
        "address": "https://hub.example/push",
        "token": "s3cret",
        "params": {"ttl": "3600"},
    }
    assert channel.id == "chan-1" and channel.token == "s3cret" and channel.resource_id
    assert channel.expires_at is not None
    remaining = channel.expires_at - datetime.now(UTC)
    assert timedelta(minutes=59) < remaining <= timedelta(hours=1)
    assert Channel.from_dict(channel.to_dict()) == channel


def test_subscribe_generates_id_and_secret(connector: GoogleCalendarConnector) -> None:
    """Without explicit values: a UUID channel id and an unguessable token."""
    first = connector.subscribe("events", "https://hub.example/push")
    second = connector.subscribe("events", "https://hub.example/push")
    assert len(first.id) == 36 and first.id != second.id
    assert len(first.token) >= 32 and first.token != second.token


def test_unsubscribe_stops_and_is_idempotent(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector, channel: Channel
) -> None:
    """channels.stop with id and resourceId; a second stop (404) is not an error."""
    connector.unsubscribe(channel)
    assert fake.requests[-1].body == {"id": "chan-1", "resourceId": channel.resource_id}
    assert "chan-1" not in fake.channels
    connector.unsubscribe(channel)
    assert fake.calls["channels.stop"] == 2


def test_notification_delivered_verified_and_parsed(
    fake: FakeGoogleCalendar,
    connector: GoogleCalendarConnector,
    receiver: tuple[_Receiver, str],
) -> None:
    """The fake POSTs like Google; the connector recognises its channel and the change."""
    app, url = receiver
    channel = connector.subscribe("events", url, ttl=600)
    fake.auto_notify = True
    fake.user_create("Dentist", "2025-02-02T09:00:00Z", "2025-02-02T10:00:00Z")
    assert app.event.wait(5)
    headers, body = app.received[0]
    assert connector.verify_notification(headers, body, channel)
    note = connector.parse_notification(headers, body)
    assert note.channel_id == channel.id and note.resource_id == channel.resource_id
    assert note.state == "exists" and note.changed and note.message_number == 1
    assert note.expires_at is not None


def _headers(fake: FakeGoogleCalendar, channel: Channel, state: str = "exists") -> dict[str, str]:
    return fake.notification(channel.id, state)[0]


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        pytest.param(lambda h, c: h, True, id="genuine"),
        pytest.param(lambda h, c: {k.lower(): v for k, v in h.items()}, True, id="lowercase"),
        pytest.param(lambda h, c: {**h, "X-Goog-Channel-Token": "guess"}, False, id="bad-token"),
        pytest.param(
            lambda h, c: {k: v for k, v in h.items() if k != "X-Goog-Channel-Token"},
            False,
            id="no-token",
        ),
        pytest.param(lambda h, c: {**h, "X-Goog-Channel-ID": "other"}, False, id="other-channel"),
        pytest.param(lambda h, c: {**h, "X-Goog-Resource-ID": "other"}, False, id="other-resource"),
        pytest.param(lambda h, c: {**h, "X-Goog-Resource-State": "boom"}, False, id="bad-state"),
        pytest.param(lambda h, c: {**h, "X-Goog-Resource-State": "sync"}, True, id="sync"),
        pytest.param(
            lambda h, c: {**h, "X-Goog-Resource-State": "not_exists"}, True, id="not-exists"
        ),
    ],
)
def test_verify_notification_table(
    fake: FakeGoogleCalendar,
    connector: GoogleCalendarConnector,
    channel: Channel,
    tamper: Callable[[dict[str, str], Channel], dict[str, str]],
    expected: bool,
) -> None:
    """Only a call carrying our channel id, secret token and resource id is accepted."""
    headers = tamper(_headers(fake, channel), channel)
    assert connector.verify_notification(headers, b"", channel) is expected


def test_verify_rejects_expired_channel(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector, channel: Channel
) -> None:
    """A notification well after the channel's expiry is not trusted."""
    headers = _headers(fake, channel)
    assert channel.expires_at is not None
    later = channel.expires_at + timedelta(hours=1)
    assert not connector.verify_notification(headers, b"", channel, now=later)
    stale = replace(channel, expires_at=datetime.now(UTC) - timedelta(days=1))
    assert not connector.verify_notification(headers, b"", stale)


def test_sync_handshake_is_not_a_change(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector, channel: Channel
) -> None:
    """The `sync` message sent on subscribe means "channel works", not "something changed"."""
    note = connector.parse_notification(_headers(fake, channel, "sync"), b"")
    assert note.state == "sync" and not note.changed


def test_parse_rejects_non_google_calls(connector: GoogleCalendarConnector) -> None:
    """A POST without the X-Goog-* headers is not a notification."""
    with pytest.raises(InvalidRequest):
        connector.parse_notification({"Content-Type": "application/json"}, b"{}")
