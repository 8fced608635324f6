"""Graph subscriptions and change notifications: handshake, clamp, renew, verify, lifecycle."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from werkzeug.wrappers import Request, Response

from connectors.base import (
    Channel,
    ConnectorError,
    InvalidRequest,
    NotFound,
    StaticTokenProvider,
)
from connectors.outlook import OutlookConnector, notifications
from connectors.outlook.const import MAX_SUBSCRIPTION_MINUTES, SUBSCRIPTION_SKEW_MINUTES
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

pytest_plugins = ["tests.connectors.outlook_fixtures"]


class _Endpoint:
    """The hub's notification endpoint, as Graph's contract wants it, built on the helpers."""

    def __init__(self, connector: OutlookConnector) -> None:
        """Bind to the connector whose helpers answer Graph."""
        self.connector = connector
        self.channels: dict[str, Channel] = {}
        self.accepted: list[dict[str, Any]] = []
        self.rejected: list[bytes] = []
        self.handshakes = 0
        self.answer_handshake = True
        self.event = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Answer a handshake, or verify and record a notification (202 at once)."""
        request = Request(environ)
        answer = self.connector.handshake(request.args) if self.answer_handshake else None
        if answer is not None:
            self.handshakes += 1
            status, headers, body = answer
            return Response(body, status=status, headers=headers)(environ, start_response)
        if "validationToken" in request.args:  # a broken endpoint: answers JSON
            return Response("{}", status=200, mimetype="application/json")(environ, start_response)
        body = request.get_data()
        for sub_id in notifications.subscription_ids(body):
            channel = self.channels.get(sub_id)
            if channel is None or not self.connector.verify_notification({}, body, channel):
                self.rejected.append(body)
                break
        else:
            self.accepted.append(json.loads(body))
        self.event.set()
        # Acknowledge at once (Graph wants a 2xx within 3 s); the worker does the sync.
        return Response(status=202)(environ, start_response)

    def wait(self, count: int, timeout: float = 5.0) -> None:
        """Wait until `count` notifications were received."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) + len(self.rejected) < count and time.monotonic() < deadline:
            self.event.wait(0.05)
            self.event.clear()


@pytest.fixture
def endpoint(outlook: OutlookConnector) -> Iterator[tuple[_Endpoint, str]]:
    """A running notification endpoint and its URL."""
    app = _Endpoint(outlook)
    server = LoopbackServer(app).start()
    try:
        yield app, server.base_url + "/v2/integrations/outlook/notifications"
    finally:
        server.stop()


@pytest.fixture
def channel(outlook: OutlookConnector, endpoint: tuple[_Endpoint, str]) -> Channel:
    """A subscription on the default calendar's events, known to the endpoint."""
    app, url = endpoint
    created = outlook.subscribe("events", url, token="s3cret", ttl=3600)
    app.channels[created.id] = created
    return created


def test_subscribe_runs_the_validation_handshake(
    graph: FakeGraph, endpoint: tuple[_Endpoint, str], channel: Channel
) -> None:
    """POST /subscriptions: Graph validates both URLs, then answers with the subscription."""
    app, url = endpoint
    sent = next(r for r in graph.requests if r.endpoint == "subscriptions.create").body
    assert sent["changeType"] == "created,updated,deleted"
    assert sent["notificationUrl"] == sent["lifecycleNotificationUrl"] == url
    assert sent["resource"] == "me/events" and sent["clientState"] == "s3cret"
    assert app.handshakes == 1  # same URL for both: validated once
    assert channel.token == "s3cret" and len(channel.id) == 36
    assert channel.resource_id == "me/events"
    assert channel.expires_at is not None
    remaining = channel.expires_at - datetime.now(UTC)
    assert timedelta(minutes=59) < remaining <= timedelta(hours=1)
    assert Channel.from_dict(channel.to_dict()) == channel


def test_separate_lifecycle_url_is_validated_too(
    graph: FakeGraph, outlook: OutlookConnector, endpoint: tuple[_Endpoint, str]
) -> None:
    """A distinct lifecycleNotificationUrl gets its own handshake."""
    app, url = endpoint
    outlook.subscribe("events", url, lifecycle_address=url + "/lifecycle")
    assert app.handshakes == 2
    assert graph.requests[-1].body["lifecycleNotificationUrl"] == url + "/lifecycle"


def test_subscribe_generates_an_unguessable_client_state(
    outlook: OutlookConnector, endpoint: tuple[_Endpoint, str]
) -> None:
    """Without an explicit token: a random clientState within Graph's 128 characters."""
    _, url = endpoint
    first, second = outlook.subscribe("events", url), outlook.subscribe("events", url)
    assert 32 <= len(first.token) <= 128 and first.token != second.token
    with pytest.raises(InvalidRequest):
        outlook.subscribe("events", url, token="x" * 129)


def test_endpoint_that_fails_the_handshake_gets_no_subscription(
    graph: FakeGraph, outlook: OutlookConnector, endpoint: tuple[_Endpoint, str]
) -> None:
    """Graph refuses the subscription if the token is not echoed as text/plain."""
    app, url = endpoint
    app.answer_handshake = False
    with pytest.raises(InvalidRequest) as info:
        outlook.subscribe("events", url)
    assert "validation" in str(info.value).lower()
    assert graph.subscriptions == {}


@pytest.mark.parametrize(
    ("config_max", "ttl", "expected_minutes"),
    [
        pytest.param(
            None, None, MAX_SUBSCRIPTION_MINUTES - SUBSCRIPTION_SKEW_MINUTES, id="default"
        ),
        pytest.param(
            None,
            30 * 86400,
            MAX_SUBSCRIPTION_MINUTES - SUBSCRIPTION_SKEW_MINUTES,
            id="30-days-clamped",
        ),
        pytest.param(1440, None, 1440 - SUBSCRIPTION_SKEW_MINUTES, id="lowered-in-config"),
        pytest.param(10_080, None, 4230 - SUBSCRIPTION_SKEW_MINUTES, id="never-above-4230"),
        pytest.param(None, 60, 45, id="raised-to-45-minutes"),
    ],
)
def test_expiration_is_clamped_to_what_graph_accepts(
    graph: FakeGraph,
    graph_token: str,
    endpoint: tuple[_Endpoint, str],
    config_max: int | None,
    ttl: int | None,
    expected_minutes: int,
) -> None:
    """Outlook event subscriptions live at most 4,230 minutes; we ask a little less."""
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    graph.clock = graph.store.clock = lambda: now.timestamp()
    config: dict[str, Any] = {"api_base_url": graph.api_base_url}
    if config_max:
        config["subscription_max_minutes"] = config_max
    with OutlookConnector(StaticTokenProvider(graph_token), config, clock=lambda: now) as conn:
        created = conn.subscribe("events", endpoint[1], ttl=ttl)
        assert created.expires_at == now + timedelta(minutes=expected_minutes)
        renewed = conn.renew(created, ttl=ttl)
        assert renewed.expires_at == now + timedelta(minutes=expected_minutes)


def test_graph_refuses_an_expiration_beyond_its_ceiling(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """Why we clamp: the fake, like Graph, answers 400 past 4,230 minutes."""
    too_far = datetime.now(UTC) + timedelta(minutes=MAX_SUBSCRIPTION_MINUTES + 10)
    body = {
        "changeType": "created",
        "notificationUrl": "https://hub.example/n",
        "resource": "me/events",
        "expirationDateTime": too_far.isoformat(),
    }
    graph.validate_endpoints = False
    with pytest.raises(InvalidRequest) as info:
        outlook.api.create_subscription(body)
    assert "4230 minutes" in str(info.value)
    assert MAX_SUBSCRIPTION_MINUTES == 4230


def test_renew_patches_only_the_expiration(
    graph: FakeGraph, outlook: OutlookConnector, channel: Channel
) -> None:
    """PATCH /subscriptions/{id} {expirationDateTime}; the channel keeps id and clientState."""
    renewed = outlook.renew(channel, ttl=2 * 86400)
    sent = graph.requests[-1]
    assert sent.endpoint == "subscriptions.update" and set(sent.body) == {"expirationDateTime"}
    assert renewed.id == channel.id and renewed.token == channel.token
    assert renewed.expires_at and channel.expires_at and renewed.expires_at > channel.expires_at
    assert graph.subscriptions[channel.id].expiration == renewed.expires_at


def test_renewal_is_due_at_half_the_maximum_lifetime(outlook: OutlookConnector) -> None:
    """Renew with 3.5 days left, leaving as much again for failed attempts."""
    now = datetime(2026, 3, 1, tzinfo=UTC)
    half = timedelta(minutes=MAX_SUBSCRIPTION_MINUTES) / 2
    fresh = Channel("id", "me/events", "t", now + half + timedelta(minutes=1))
    assert not outlook.renewal_due(fresh, now)
    assert outlook.renewal_due(replace(fresh, expires_at=now + half), now)
    assert outlook.renewal_due(replace(fresh, expires_at=None), now)


def test_renew_or_reauthorize_a_vanished_subscription_is_not_found(
    outlook: OutlookConnector, channel: Channel
) -> None:
    """Graph removed it: subscribe anew (the engine's cue)."""
    outlook.unsubscribe(channel)
    with pytest.raises(NotFound):
        outlook.renew(channel)
    with pytest.raises(NotFound):
        outlook.reauthorize(channel)


def test_unsubscribe_deletes_and_is_idempotent(
    graph: FakeGraph, outlook: OutlookConnector, channel: Channel
) -> None:
    """DELETE /subscriptions/{id}; a subscription Graph no longer knows counts as deleted."""
    outlook.unsubscribe(channel)
    assert channel.id not in graph.subscriptions
    assert graph.requests[-1].method == "DELETE"
    outlook.unsubscribe(channel)


def test_reauthorize(graph: FakeGraph, outlook: OutlookConnector, channel: Channel) -> None:
    """POST /subscriptions/{id}/reauthorize answers a reauthorizationRequired event."""
    outlook.reauthorize(channel)
    assert graph.subscriptions[channel.id].reauthorized == 1


def test_changes_are_notified_verified_and_parsed(
    graph: FakeGraph, outlook: OutlookConnector, endpoint: tuple[_Endpoint, str], channel: Channel
) -> None:
    """A change in Outlook reaches the endpoint, which verifies clientState and parses it."""
    app, _ = endpoint
    graph.auto_notify = True
    start = datetime.now(UTC) + timedelta(days=1)
    event = graph.user_create("Dentist", start, start + timedelta(hours=1))
    graph.flush_notifications()
    app.wait(1)
    assert app.rejected == [] and len(app.accepted) == 1
    assert graph.subscriptions[channel.id].deliveries == [("created", 202)]
    body = json.dumps(app.accepted[0]).encode()
    note = outlook.parse_notification({}, body)
    assert note.channel_id == channel.id and note.state == "created" and note.changed
    assert note.resource_id == event["id"] and note.expires_at == channel.expires_at


def test_notifications_only_for_the_subscribed_mailbox(
    graph: FakeGraph, endpoint: tuple[_Endpoint, str]
) -> None:
    """Application permissions: a subscription on /users/{id}/events hears that mailbox only."""
    app, url = endpoint
    jean = graph.add_user("Jean Martin", "jean@company.com")
    config = {"api_base_url": graph.api_base_url, "permissions": "application"}
    with OutlookConnector(StaticTokenProvider(graph.issue_app_token()), config) as conn:
        created = conn.subscribe(f"events:{jean}", url, token="t")
    app.channels[created.id] = created
    assert created.resource_id == f"users/{jean}/events"
    graph.auto_notify = True
    start = datetime.now(UTC) + timedelta(days=1)
    graph.user_create("elsewhere", start, start + timedelta(hours=1))
    graph.user_create(
        "here", start, start + timedelta(hours=1), calendar_id=graph.calendar_of(jean)
    )
    graph.flush_notifications()
    app.wait(1)
    assert len(app.accepted) == 1


@pytest.mark.parametrize(
    ("resource", "token_kind", "status"),
    [
        pytest.param("me/calendars/{cal}/events", "delegated", 400, id="per-calendar-undocumented"),
        pytest.param("users/{jean}/events", "delegated", 403, id="delegated-other-mailbox"),
        pytest.param("me/events", "application", 400, id="me-with-app-token"),
        pytest.param("users/{jean}/events", "unconsented", 403, id="app-without-consent"),
    ],
)
def test_graph_refuses_undocumented_or_unreachable_resources(
    graph: FakeGraph, resource: str, token_kind: str, status: int
) -> None:
    """Subscriptions only on /me/events (delegated) or /users/{id}/events (application)."""
    jean = graph.add_user("Jean Martin", "jean@company.com")
    token = {
        "delegated": graph.issue_access_token,
        "application": graph.issue_app_token,
        "unconsented": lambda: graph.issue_app_token(roles=()),
    }[token_kind]()
    graph.validate_endpoints = False
    body = {
        "changeType": "created,updated,deleted",
        "notificationUrl": "https://hub.example/n",
        "resource": resource.format(cal=graph.default_calendar_id, jean=jean),
        "expirationDateTime": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    }
    config = {"api_base_url": graph.api_base_url}
    with (
        OutlookConnector(StaticTokenProvider(token), config) as c,
        pytest.raises(ConnectorError) as info,
    ):
        c.api.create_subscription(body)
    assert info.value.status == status
    assert graph.subscriptions == {}


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda item: item.update(clientState="guess"), id="client-state"),
        pytest.param(lambda item: item.pop("clientState"), id="no-client-state"),
        pytest.param(lambda item: item.update(subscriptionId="other"), id="other-subscription"),
    ],
)
def test_verify_refuses_forged_items(
    graph: FakeGraph,
    outlook: OutlookConnector,
    channel: Channel,
    tamper: Callable[[dict[str, Any]], Any],
) -> None:
    """Only items of this subscription with its secret clientState pass."""
    start = datetime.now(UTC) + timedelta(days=1)
    event = graph.user_create("x", start, start + timedelta(hours=1))
    body = graph.notification(channel.id, "created", event["id"])
    assert outlook.verify_notification({}, json.dumps(body).encode(), channel)
    tamper(body["value"][0])
    assert not outlook.verify_notification({}, json.dumps(body).encode(), channel)


def test_verify_refuses_garbage_and_long_expired_subscriptions(
    graph: FakeGraph, outlook: OutlookConnector, channel: Channel
) -> None:
    """Not JSON, no value array, or well past the subscription's expiry: not ours."""
    assert not outlook.verify_notification({}, b"<html>", channel)
    assert not outlook.verify_notification({}, b'{"value": []}', channel)
    body = json.dumps(graph.notification(channel.id, "updated", "e1")).encode()
    assert channel.expires_at is not None
    late = channel.expires_at + timedelta(minutes=6)
    assert not outlook.verify_notification({}, body, channel, now=late)
    assert outlook.verify_notification({}, body, channel, now=channel.expires_at)


def test_a_batch_of_items_is_parsed_whole(
    graph: FakeGraph, outlook: OutlookConnector, channel: Channel
) -> None:
    """Graph may send several items in one POST: every one is parsed and verified."""
    items = [
        graph.notification(channel.id, kind, f"e{i}")["value"][0]
        for i, kind in enumerate(["created", "updated", "deleted"])
    ]
    body = json.dumps({"value": items}).encode()
    parsed = outlook.parse_notifications({}, body)
    assert [n.state for n in parsed] == ["created", "updated", "deleted"]
    assert [n.resource_id for n in parsed] == ["e0", "e1", "e2"]
    assert outlook.verify_notification({}, body, channel)
    # Items of another subscription (same shared URL) are that subscription's business...
    mixed = json.dumps({"value": [*items, {**items[0], "subscriptionId": "x"}]}).encode()
    assert outlook.verify_notification({}, mixed, channel)
    assert notifications.subscription_ids(mixed) == {channel.id, "x"}
    # ... but one forged item of ours spoils the body, and a body with none of ours is not ours.
    forged = json.dumps({"value": [*items, {**items[0], "clientState": "guess"}]}).encode()
    assert not outlook.verify_notification({}, forged, channel)
    other = json.dumps({"value": [{**items[0], "subscriptionId": "x"}]}).encode()
    assert not outlook.verify_notification({}, other, channel)


@pytest.mark.parametrize(
    ("event", "action", "changed"),
    [
        pytest.param("reauthorizationRequired", "reauthorize", False, id="reauthorize"),
        pytest.param("subscriptionRemoved", "resubscribe", True, id="removed"),
        pytest.param("missed", "sync", True, id="missed"),
    ],
)
def test_lifecycle_notifications(
    graph: FakeGraph,
    outlook: OutlookConnector,
    endpoint: tuple[_Endpoint, str],
    channel: Channel,
    event: str,
    action: str,
    changed: bool,
) -> None:
    """Lifecycle events reach the lifecycle URL, verify like changes and say what to do."""
    app, _ = endpoint
    assert graph.send_lifecycle(channel.id, event) == 202
    app.wait(1)
    assert len(app.accepted) == 1
    body = json.dumps(app.accepted[0]).encode()
    (item,) = notifications.parse(body)
    assert item.is_lifecycle and item.lifecycle_event == event
    assert notifications.lifecycle_action(item) == action
    note = outlook.parse_notification({}, body)
    assert note.state == event and note.changed is changed and note.channel_id == channel.id
    if event == "subscriptionRemoved":
        with pytest.raises(NotFound):
            outlook.renew(channel)


def test_handshake_helper() -> None:
    """The validation token goes back verbatim (decoded), as text/plain."""
    connector = OutlookConnector(StaticTokenProvider("t"), {})
    status, headers, body = connector.handshake({"validationToken": "Validation: a b<c>&d"}) or (
        0,
        {},
        b"",
    )
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert body == b"Validation: a b<c>&d"
    assert connector.handshake({}) is None
    assert (
        notifications.lifecycle_action(
            notifications.GraphNotification("s", None, None, None, None, None, None)
        )
        == "none"
    )
    with pytest.raises(InvalidRequest):
        notifications.parse(b'{"value": [{"changeType": "created"}]}')
