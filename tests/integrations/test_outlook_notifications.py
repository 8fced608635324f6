"""Outlook's notification endpoint: Graph's validation handshake, batched change notifications
verified per subscription, lifecycle events; and which Outlook events leave their owner free."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import connectors
from hub.db import get_db
from hub.integrations import channels, engine
from hub.integrations.runtime import SyncRuntime
from hub.models import Event, IntegrationConnection, IntegrationStream
from tests.fakes.graph import FakeGraph
from tests.integrations.conftest import connection
from tests.integrations.support import MovingClock
from tests.integrations.test_outlook_convergence import (  # noqa: F401 - fixtures
    NAME,
    calendars,
    connect,
    graph,
    outlook_rt,
    permissions,
)
from tests.support import Api, Tenant

URL = f"/v2/integrations/{NAME}/notifications"


def _channels(rt: SyncRuntime) -> list[IntegrationStream]:
    with rt.db.session() as session:
        rows = list(
            session.scalars(select(IntegrationStream).order_by(IntegrationStream.remote_id))
        )
        session.expunge_all()
    return rows


@pytest.fixture
def subscribed(
    outlook_rt: SyncRuntime,  # noqa: F811
    api: Api,
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    calendars: dict[str, str],  # noqa: F811
    tenant: Tenant,
) -> str:
    """Connected to the fake, calendars linked and pulled, one subscription per calendar."""
    assert connect(api, client, graph).status_code == 200
    with outlook_rt.db.session() as session:
        connection_id = session.scalars(
            select(IntegrationConnection.id).where(
                IntegrationConnection.account_id == tenant.account_id,
                IntegrationConnection.connector == NAME,
            )
        ).one()
    engine.sync_now(outlook_rt, connection_id)
    assert channels.renew_due(outlook_rt) == 1
    rows = _channels(outlook_rt)
    assert len(rows) == 2 and all(r.channel_id in graph.subscriptions for r in rows)
    return connection_id


def _due(rt: SyncRuntime, now: Any) -> set[str]:
    """The stream rows whose own pull is due (a notification named them)."""
    return {r.id for r in _channels(rt) if r.pull_due_at is not None and r.pull_due_at <= now}


def _post(client: FlaskClient, body: dict[str, Any]) -> Any:
    return client.post(URL, data=json.dumps(body), content_type="application/json")


def test_the_validation_handshake_echoes_the_token_as_plain_text(client: FlaskClient) -> None:
    """`?validationToken=` → 200 text/plain with the decoded token, whatever the body."""
    token = "Validation: Testing client application reachability for subscription <&é+%>"
    resp = client.post(
        f"{URL}?validationToken={quote(token, safe='')}",
        data=b"not json",
        content_type="text/plain; charset=utf-8",
    )
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    assert resp.get_data(as_text=True) == token


def test_a_batched_notification_is_verified_and_queues_a_pull(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """Items of both subscriptions in one POST: 202 at once, each named mailbox's pull made
    due (one notification for one mailbox makes that one due only)."""
    assert connection(outlook_rt, subscribed).next_sync_at > clock.now()
    rows = _channels(outlook_rt)
    first, second = (r.channel_id or "" for r in rows)
    resp = _post(client, graph.notification(first, "updated", "AAMkAGI1"))
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    assert _due(outlook_rt, clock.now()) == {rows[0].id}
    body = graph.notification(first, "updated", "AAMkAGI1")
    body["value"] += graph.notification(second, "created", "AAMkAGI2")["value"]
    resp = _post(client, body)
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    assert _due(outlook_rt, clock.now()) == {rows[0].id, rows[1].id}
    assert connection(outlook_rt, subscribed).next_sync_at > clock.now()  # not every stream


def test_a_forged_client_state_is_refused(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """A wrong clientState → 403 in the API's format, nothing queued; unknown → 404."""
    first, second = (r.channel_id or "" for r in _channels(outlook_rt))
    body = graph.notification(first, "updated", "AAMkAGI1")
    forged = graph.notification(second, "updated", "AAMkAGI2")["value"][0]
    body["value"].append({**forged, "clientState": "guessed"})
    resp = _post(client, body)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "INVALID_NOTIFICATION"
    assert connection(outlook_rt, subscribed).next_sync_at > clock.now()
    unknown = {"value": [{**forged, "subscriptionId": "00000000-dead"}]}
    assert _post(client, unknown).status_code == 404
    assert _post(client, {"value": []}).status_code == 400


def test_subscription_removed_clears_the_channel_and_the_worker_resubscribes(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """subscriptionRemoved: channel forgotten, a pull due; the channels job subscribes anew."""
    removed = _channels(outlook_rt)[0]
    resp = _post(client, graph.lifecycle(removed.channel_id or "", "subscriptionRemoved"))
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    after = next(r for r in _channels(outlook_rt) if r.id == removed.id)
    assert after.channel_id is None and after.channel_token is None
    assert _due(outlook_rt, clock.now()) == {removed.id}
    assert channels.renew_due(outlook_rt) == 1
    renewed = next(r for r in _channels(outlook_rt) if r.id == removed.id)
    assert renewed.channel_id in graph.subscriptions and renewed.channel_id != removed.channel_id


def test_reauthorization_required_makes_the_channel_due_for_renewal(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """reauthorizationRequired: no pull, but the channels job renews that subscription (a
    PATCH of its expiry also reauthorizes it, as Graph documents): same id, later expiry."""
    _follow_clock(graph, clock)
    target, other = _channels(outlook_rt)
    assert channels.renew_due(outlook_rt) == 0
    clock.advance(timedelta(minutes=5))
    resp = _post(client, graph.lifecycle(target.channel_id or "", "reauthorizationRequired"))
    assert resp.status_code == 202 and resp.json == {"status": "ok"}
    assert connection(outlook_rt, subscribed).next_sync_at > clock.now()
    assert channels.renew_due(outlook_rt) == 1
    target_after, other_after = _channels(outlook_rt)
    assert target_after.channel_id == target.channel_id
    assert target_after.channel_expires_at and target.channel_expires_at
    assert target_after.channel_expires_at > target.channel_expires_at
    assert graph.calls["subscriptions.update"] == 1 and graph.calls["subscriptions.create"] == 2
    assert other_after.channel_id == other.channel_id


def test_missed_queues_a_pull(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """missed: the delta query catches up."""
    row = _channels(outlook_rt)[0]
    resp = _post(client, graph.lifecycle(row.channel_id or "", "missed"))
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    assert _due(outlook_rt, clock.now()) == {row.id}


@pytest.mark.parametrize(
    ("event", "free"),
    [
        ({"showAs": "busy", "isCancelled": False}, False),
        ({"showAs": "tentative"}, False),
        ({"showAs": "oof"}, False),
        ({"showAs": "unknown"}, False),
        ({}, False),
        ({"showAs": "free"}, True),
        ({"showAs": "workingElsewhere"}, True),
        ({"showAs": "busy", "isCancelled": True}, True),
    ],
)
def test_outlook_free_rule(event: dict[str, Any], free: bool) -> None:
    """Free / working elsewhere / cancelled events leave their owner available."""
    rule = connectors.spec_of(NAME).stream("events").busy
    assert rule is not None
    assert rule(event) is free


def _follow_clock(graph: FakeGraph, clock: MovingClock) -> None:  # noqa: F811
    """The fake dates expirations with the hub's moving clock."""
    graph.clock = graph.store.clock = lambda: clock.now().timestamp()


def test_renewal_patches_the_same_subscription_before_it_expires(
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """Within a day of expiry the channels job PATCHes expirationDateTime: same id, no POST."""
    _follow_clock(graph, clock)
    before = _channels(outlook_rt)
    assert all(r.channel_expires_at is not None for r in before)
    first_expiry = min(r.channel_expires_at for r in before if r.channel_expires_at)
    assert first_expiry - clock.now() <= timedelta(minutes=4230)
    created = graph.calls["subscriptions.create"]
    clock.advance(first_expiry - clock.now() - timedelta(hours=12))
    assert channels.renew_due(outlook_rt) == 1
    after = _channels(outlook_rt)
    assert [r.channel_id for r in after] == [r.channel_id for r in before]
    assert all(
        a.channel_expires_at
        and b.channel_expires_at
        and a.channel_expires_at > b.channel_expires_at
        for a, b in zip(after, before, strict=True)
    )
    assert graph.calls["subscriptions.update"] == 2
    assert graph.calls["subscriptions.create"] == created  # renewed, not re-created
    for row in after:
        assert graph.subscriptions[row.channel_id or ""].expiration == row.channel_expires_at


def test_a_subscription_gone_on_graphs_side_is_created_anew(
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """PATCH answers 404: only then is a new subscription made (and saved)."""
    _follow_clock(graph, clock)
    gone, kept = _channels(outlook_rt)
    del graph.subscriptions[gone.channel_id or ""]
    assert gone.channel_expires_at is not None
    clock.advance(gone.channel_expires_at - clock.now() - timedelta(hours=1))
    assert channels.renew_due(outlook_rt) == 1
    gone_after, kept_after = _channels(outlook_rt)
    assert gone_after.channel_id != gone.channel_id and gone_after.channel_id in graph.subscriptions
    assert kept_after.channel_id == kept.channel_id
    assert graph.calls["subscriptions.create"] == 3  # two at first, one replacement


def test_a_refused_renewal_is_reported_not_parked(
    app: Flask,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """PATCH refused (400): the channel keeps running, the connection shows the error, one
    `integration.error` is recorded, and the next round asks again (not in 6 hours)."""
    _follow_clock(graph, clock)
    before = _channels(outlook_rt)
    soonest = min(r.channel_expires_at for r in before if r.channel_expires_at)
    clock.advance(soonest - clock.now() - timedelta(hours=12))
    graph.inject_fault(400, endpoint="subscriptions.update", count=4, code="InvalidRequest")
    channels.renew_due(outlook_rt)
    rows = _channels(outlook_rt)
    assert [r.channel_id for r in rows] == [r.channel_id for r in before]
    assert all(r.channel_error and "InvalidRequest" in r.channel_error for r in rows)
    conn = connection(outlook_rt, subscribed)
    assert conn.last_error_code == "InvalidRequest" and conn.status == "connected"
    channels.renew_due(outlook_rt)  # asked again at once, reported once per channel
    with get_db(app).session() as session:
        errors = session.scalars(select(Event).where(Event.type == "integration.error")).all()
    assert len(errors) == 2
    assert channels.due_connections(outlook_rt) == [subscribed]
    channels.renew_due(outlook_rt)  # the fault is spent: renewed, errors cleared
    assert all(r.channel_error is None for r in _channels(outlook_rt))
    assert graph.calls["subscriptions.create"] == 2


def test_a_notification_for_one_mailbox_reads_that_mailbox_only(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """The worker's next run after a notification pulls the delta of the mailbox it names, not
    every technician's (each mailbox has its own request budget at Graph)."""
    first, second = _channels(outlook_rt)
    assert _post(client, graph.notification(first.channel_id or "", "updated", "X")).status_code
    graph.requests.clear()
    assert engine.run_due(outlook_rt) == 1
    deltas = [r.path for r in graph.requests if r.endpoint.endswith("delta")]
    assert len(deltas) == 1, deltas
    assert first.remote_id in deltas[0] and second.remote_id not in deltas[0]
    assert _due(outlook_rt, clock.now()) == set()
