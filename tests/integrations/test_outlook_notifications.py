"""Outlook's notification endpoint: Graph's validation handshake, batched change notifications
verified per subscription, lifecycle events; and which Outlook events leave their owner free."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

import connectors
from hub.integrations import channels, engine
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection, IntegrationStream
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
    """Items of both subscriptions in one POST: 202 at once, the pull made due."""
    assert connection(outlook_rt, subscribed).next_sync_at > clock.now()
    first, second = (r.channel_id or "" for r in _channels(outlook_rt))
    body = graph.notification(first, "updated", "AAMkAGI1")
    body["value"] += graph.notification(second, "created", "AAMkAGI2")["value"]
    resp = _post(client, body)
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    assert connection(outlook_rt, subscribed).next_sync_at <= clock.now()


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
    assert connection(outlook_rt, subscribed).next_sync_at <= clock.now()
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
    """reauthorizationRequired: no pull, but the channels job renews that subscription."""
    target, other = _channels(outlook_rt)
    assert channels.renew_due(outlook_rt) == 0
    resp = _post(client, graph.lifecycle(target.channel_id or "", "reauthorizationRequired"))
    assert resp.status_code == 202 and resp.json == {"status": "ok"}
    assert connection(outlook_rt, subscribed).next_sync_at > clock.now()
    assert channels.renew_due(outlook_rt) == 1
    target_after, other_after = _channels(outlook_rt)
    assert target_after.channel_id != target.channel_id
    assert target_after.channel_id in graph.subscriptions
    assert target.channel_id not in graph.subscriptions  # the old one was stopped
    assert other_after.channel_id == other.channel_id


def test_missed_queues_a_pull(
    client: FlaskClient,
    graph: FakeGraph,  # noqa: F811
    outlook_rt: SyncRuntime,  # noqa: F811
    subscribed: str,
    clock: MovingClock,
) -> None:
    """missed: the delta query catches up."""
    sub = _channels(outlook_rt)[0].channel_id or ""
    resp = _post(client, graph.lifecycle(sub, "missed"))
    assert resp.status_code == 202 and resp.json == {"status": "queued"}
    assert connection(outlook_rt, subscribed).next_sync_at <= clock.now()


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
