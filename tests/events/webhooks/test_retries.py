"""Retry schedule (+1, +5, +30 min), Retry-After, 410 Gone and auto-disable, on a manual clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from email.utils import format_datetime

import pytest
from flask import Flask

from hub.clock import ManualClock
from hub.db import get_db
from hub.models import WebhookDelivery, WebhookEndpoint
from hub.services.dispatch import AUTO_DISABLE_AFTER, Dispatcher
from tests.events.webhooks.conftest import create_customer, create_hook
from tests.events.webhooks.receiver import Receiver, Reply
from tests.support import Api


def _delivery(app: Flask) -> WebhookDelivery:
    with get_db(app).session() as s:
        [d] = s.query(WebhookDelivery).all()
        return d


def _endpoint(app: Flask, hook_id: str) -> WebhookEndpoint:
    with get_db(app).session() as s:
        ep = s.get(WebhookEndpoint, hook_id)
        assert ep is not None
        return ep


def test_three_retries_at_1_5_30_minutes_then_failed(
    app: Flask, api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    receiver.default = Reply(500, body=b"x" * 3000)
    hook = create_hook(api, receiver.url())
    create_customer(api)
    t0 = clock.now()
    assert dispatcher.run_until_idle() == 1
    for step, delay in enumerate((1, 5, 30), start=1):
        d = _delivery(app)
        assert d.status == "pending" and d.run_attempts == step
        assert d.next_attempt_at == t0 + timedelta(minutes=delay)
        clock.set(t0 + timedelta(minutes=delay) - timedelta(seconds=1))
        assert dispatcher.run_until_idle() == 0  # not due yet: nothing is sent early
        clock.set(t0 + timedelta(minutes=delay))
        t0 = clock.now()
        assert dispatcher.run_until_idle() == 1
    d = _delivery(app)
    assert d.status == "failed" and d.attempt_count == 4 and d.next_attempt_at is None
    clock.advance(days=1)
    assert dispatcher.run_until_idle() == 0
    assert len(receiver.received()) == 4
    # Identical bytes and webhook-id on every attempt.
    assert (
        len({(r.body, r.webhook_id, r.headers["x-ivalid-delivery"]) for r in receiver.received()})
        == 1
    )
    [entry] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert entry["status"] == "failed" and entry["last_status_code"] == 500
    assert [a["number"] for a in entry["attempts"]] == [1, 2, 3, 4]
    assert all(
        len(a["response_body"]) == 1024 and a["error"] == "http_error" for a in entry["attempts"]
    )


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        pytest.param("600", timedelta(minutes=10), id="seconds-longer-than-1-min"),
        pytest.param("10", timedelta(minutes=1), id="seconds-shorter-keeps-schedule"),
        pytest.param("http-date-2h", timedelta(hours=2), id="http-date"),
        pytest.param("999999", timedelta(hours=24), id="capped-at-24h"),
    ],
)
def test_retry_after_postpones_the_next_attempt(
    app: Flask,
    api: Api,
    receiver: Receiver,
    dispatcher: Dispatcher,
    clock: ManualClock,
    retry_after: str,
    expected: timedelta,
) -> None:
    if retry_after == "http-date-2h":
        # HTTP dates are relative to the real time of the answer.
        from hub.timeutil import utcnow

        retry_after = format_datetime(utcnow() + timedelta(hours=2, seconds=1), usegmt=True)
    receiver.default = Reply(503, headers={"Retry-After": retry_after})
    create_hook(api, receiver.url())
    create_customer(api)
    t0 = clock.now()
    dispatcher.run_until_idle()
    d = _delivery(app)
    assert d.status == "pending"
    assert d.next_attempt_at is not None
    assert abs(d.next_attempt_at - (t0 + expected)) < timedelta(seconds=5)


def test_410_disables_at_once_and_tells_the_other_endpoints(
    app: Flask, api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    receiver.replies["/gone"] = Reply(410)
    gone = create_hook(api, receiver.url("/gone"), ["customer.created", "customer.updated"])
    other = create_hook(api, receiver.url("/other"), ["appointment.created"])
    create_customer(api)
    dispatcher.run_until_idle()
    assert api.get(f"/v2/webhooks/{other['id']}").json["active"] is True
    ep = _endpoint(app, gone["id"])
    assert not ep.active and ep.disabled_reason == "gone"
    [d] = [x for x in api.get(f"/v2/webhooks/{gone['id']}/deliveries").json["data"]]
    assert d["status"] == "failed" and len(d["attempts"]) == 1
    # webhook.disabled reached the other endpoint, unsubscribed to it or not.
    [notice] = receiver.received("/other")
    assert notice.headers["x-ivalid-event"] == "webhook.disabled"
    assert b'"reason":"gone"' in notice.body and gone["id"].encode() in notice.body
    # Nothing more goes to the disabled endpoint.
    create_customer(api, "Paul")
    dispatcher.run_until_idle()
    assert len(receiver.received("/gone")) == 1
    got = api.get(f"/v2/webhooks/{gone['id']}").json
    assert got["active"] is False and got["disabled_reason"] == "gone"
    assert api.post(f"/v2/webhooks/{gone['id']}/test").status_code == 409


def _fail_every_attempt(dispatcher: Dispatcher, clock: ManualClock) -> None:
    dispatcher.run_until_idle()
    for minutes in (1, 5, 30):
        clock.advance(minutes=minutes)
        dispatcher.run_until_idle()


def test_twenty_events_failing_every_attempt_disable_the_endpoint(
    app: Flask, api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    receiver.replies["/down"] = Reply(500)
    down = create_hook(api, receiver.url("/down"))
    watcher = create_hook(api, receiver.url("/watch"), ["appointment.cancelled"])
    for i in range(AUTO_DISABLE_AFTER - 1):
        create_customer(api, f"C{i}")
    _fail_every_attempt(dispatcher, clock)
    ep = _endpoint(app, down["id"])
    assert ep.active and ep.consecutive_failures == AUTO_DISABLE_AFTER - 1
    create_customer(api, "Last")
    _fail_every_attempt(dispatcher, clock)
    ep = _endpoint(app, down["id"])
    assert not ep.active and ep.disabled_reason == "failing"
    assert len(receiver.received("/down")) == 4 * AUTO_DISABLE_AFTER
    [notice] = receiver.received("/watch")
    assert notice.headers["x-ivalid-event"] == "webhook.disabled"
    assert api.get(f"/v2/webhooks/{watcher['id']}").json["active"] is True
    # Re-enabling clears the reason and the streak.
    resp = api.put(f"/v2/webhooks/{down['id']}", {"active": True})
    assert resp.status_code == 200 and resp.json["active"] and resp.json["disabled_reason"] is None
    assert _endpoint(app, down["id"]).consecutive_failures == 0


def test_one_success_resets_the_failure_streak(
    app: Flask, api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    answers = iter([500] * 4 + [200] + [500] * 100)
    receiver.replies["/flaky"] = lambda _got: Reply(next(answers))
    hook = create_hook(api, receiver.url("/flaky"))
    create_customer(api, "A")
    _fail_every_attempt(dispatcher, clock)
    assert _endpoint(app, hook["id"]).consecutive_failures == 1
    create_customer(api, "B")
    dispatcher.run_until_idle()
    assert _endpoint(app, hook["id"]).consecutive_failures == 0


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        pytest.param(
            Reply(302, headers={"Location": "http://127.0.0.1:1/x"}),
            "redirect",
            id="redirect-not-followed",
        ),
        pytest.param(Reply(200, delay=1.5), "timeout", id="timeout"),
        pytest.param(Reply(404), "http_error", id="404"),
        pytest.param(Reply(304), "redirect", id="304"),
    ],
)
def test_non_2xx_redirects_and_timeouts_are_failures(
    app: Flask,
    api: Api,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    reply: Reply,
    error: str,
) -> None:
    receiver.default = reply
    hook = create_hook(api, receiver.url())
    create_customer(api)
    make_dispatcher(timeout=1.0).run_until_idle()
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert d["status"] == "pending" and d["attempts"][0]["success"] is False
    assert d["attempts"][0]["error"] == error


def test_a_retry_succeeds_with_the_same_bytes(
    app: Flask, api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    answers = iter([503, 200])
    receiver.default = Reply(200)
    receiver.replies["/hook"] = lambda _got: Reply(next(answers))
    hook = create_hook(api, receiver.url())
    create_customer(api)
    dispatcher.run_until_idle()
    clock.advance(minutes=1)
    dispatcher.run_until_idle()
    first, second = receiver.received()
    assert first.body == second.body and first.webhook_id == second.webhook_id
    assert first.headers["x-ivalid-signature"] == second.headers["x-ivalid-signature"]
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert d["status"] == "succeeded" and [a["status_code"] for a in d["attempts"]] == [503, 200]
