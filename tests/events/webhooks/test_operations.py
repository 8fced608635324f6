"""Secret rotation, test pings, manual retries, recovery, SSRF at delivery, leases."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hub.clock import ManualClock
from hub.db import get_db
from hub.events.signing import WebhookVerificationError, ivalid_signature, verify_standard
from hub.models import WebhookAttempt, WebhookDelivery
from hub.services.dispatch import Dispatcher
from tests.events.conftest import FakeDns
from tests.events.webhooks.conftest import create_customer, create_hook
from tests.events.webhooks.receiver import Receiver, Reply
from tests.support import Api, Tenant


def test_rotation_signs_with_both_secrets_for_24_hours(
    api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    hook = create_hook(api, receiver.url())
    old = hook["secret"]
    new = api.post(f"/v2/webhooks/{hook['id']}/rotate-secret").json["secret"]
    create_customer(api, "A")
    dispatcher.run_until_idle()
    [got] = receiver.received()
    assert len(got.headers["webhook-signature"].split()) == 2
    verify_standard(got.headers, got.body, [new])  # a receiver already on the new secret
    verify_standard(got.headers, got.body, [old])  # one still on the old one
    assert got.headers["x-ivalid-signature"] == ivalid_signature(new, got.body)
    clock.advance(hours=24, minutes=1)
    create_customer(api, "B")
    dispatcher.run_until_idle()
    later = receiver.received()[1]
    assert len(later.headers["webhook-signature"].split()) == 1
    verify_standard(later.headers, later.body, [new])
    with pytest.raises(WebhookVerificationError):
        verify_standard(later.headers, later.body, [old])


def test_test_ping_goes_to_that_endpoint_only(
    api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    hook = create_hook(api, receiver.url("/a"))
    create_hook(api, receiver.url("/b"), ["webhook.disabled", "customer.created"])
    resp = api.post(f"/v2/webhooks/{hook['id']}/test")
    assert resp.status_code == 202, resp.json
    assert resp.json["event_type"] == "webhook.test" and resp.json["status"] == "pending"
    dispatcher.run_until_idle()
    [ping] = receiver.received()
    assert ping.path == "/a" and ping.headers["x-ivalid-event"] == "webhook.test"
    verify_standard(ping.headers, ping.body, [hook["secret"]])
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert d["id"] == resp.json["id"] and d["status"] == "succeeded"


def test_manual_retry_of_a_failed_delivery(
    api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    receiver.default = Reply(500)
    hook = create_hook(api, receiver.url())
    create_customer(api)
    dispatcher.run_until_idle()
    for minutes in (1, 5, 30):
        clock.advance(minutes=minutes)
        dispatcher.run_until_idle()
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert d["status"] == "failed"
    receiver.default = Reply(200)
    resp = api.post(f"/v2/webhooks/{hook['id']}/deliveries/{d['id']}/retry")
    assert resp.status_code == 202 and resp.json["status"] == "pending"
    dispatcher.run_until_idle()
    d = api.get(f"/v2/webhooks/{hook['id']}/deliveries/{d['id']}").json
    assert d["status"] == "succeeded" and [a["status_code"] for a in d["attempts"]] == [
        500,
        500,
        500,
        500,
        200,
    ]
    assert len({r.body for r in receiver.received()}) == 1


def test_recover_resends_every_event_since_a_date(
    api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    hook = create_hook(api, receiver.url(), ["customer.created", "customer.updated"])
    before = api.get("/v2/events").json["meta"]["total"]
    assert before == 0
    c1 = create_customer(api, "A")
    create_customer(api, "B")
    api.put(f"/v2/customers/{c1['id']}", {"first_name": "Anne"})
    api.post("/v2/appointments", {})  # a 422: no event, nothing to recover
    dispatcher.run_until_idle()
    first = receiver.received()
    assert len(first) == 3
    resp = api.post(f"/v2/webhooks/{hook['id']}/recover", {"since": "2020-01-01T00:00:00Z"})
    assert resp.status_code == 202 and resp.json["queued"] == 3
    dispatcher.run_until_idle()
    again = receiver.received()[3:]
    assert sorted((r.webhook_id, r.body) for r in again) == sorted(
        (r.webhook_id, r.body) for r in first
    )
    # A later "since" takes only the later events.
    last = api.get("/v2/events", per_page=1).json["data"][0]
    resp = api.post(f"/v2/webhooks/{hook['id']}/recover", {"since": last["timestamp"]})
    assert resp.json["queued"] == 1


def test_ssrf_is_checked_again_at_delivery_after_dns(
    app: Flask, api: Api, fake_dns: FakeDns, dispatcher: Dispatcher
) -> None:
    # Public at creation, private at delivery: DNS rebinding.
    fake_dns["rebind.example.test"] = ["93.184.216.34"]
    hook = create_hook(api, "https://rebind.example.test/hook")
    fake_dns["rebind.example.test"] = ["10.0.0.7"]
    create_customer(api)
    dispatcher.run_until_idle()
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    [attempt] = d["attempts"]
    assert attempt["error"] == "ssrf_blocked" and attempt["status_code"] is None
    assert "private" in attempt["detail"]


def test_an_allowlist_removed_since_creation_blocks_delivery(
    api: Api, receiver: Receiver, make_dispatcher: Callable[..., Dispatcher]
) -> None:
    hook = create_hook(api, receiver.url())
    create_customer(api)
    make_dispatcher(allowlist="").run_until_idle()
    assert receiver.received() == []
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert d["attempts"][0]["error"] == "ssrf_blocked"


def test_only_subscribed_events_of_the_same_tenant_are_delivered(
    app: Flask,
    client: FlaskClient,
    api: Api,
    other_tenant: Tenant,
    receiver: Receiver,
    dispatcher: Dispatcher,
) -> None:
    create_hook(api, receiver.url("/mine"), ["customer.updated"])
    create_hook(api, receiver.url("/off"), ["customer.created"], active=False)
    other = Api(client, other_tenant.api_key)
    create_hook(other, receiver.url("/theirs"), ["customer.created"])
    c = create_customer(api)
    api.put(f"/v2/customers/{c['id']}", {"first_name": "Zoë"})
    create_customer(other, "Other")
    dispatcher.run_until_idle()
    assert [r.headers["x-ivalid-event"] for r in receiver.received("/mine")] == ["customer.updated"]
    assert receiver.received("/off") == []
    [theirs] = receiver.received("/theirs")
    assert b"Other" in theirs.body


def test_a_deactivated_endpoint_drops_its_pending_deliveries(
    app: Flask, api: Api, receiver: Receiver, dispatcher: Dispatcher, clock: ManualClock
) -> None:
    receiver.default = Reply(500)
    hook = create_hook(api, receiver.url())
    create_customer(api)
    dispatcher.run_until_idle()
    resp = api.put(f"/v2/webhooks/{hook['id']}", {"active": False})
    assert resp.json["active"] is False and resp.json["disabled_reason"] == "manual"
    clock.advance(hours=1)
    dispatcher.run_until_idle()
    [d] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert d["status"] == "cancelled" and len(d["attempts"]) == 1
    assert api.post(f"/v2/webhooks/{hook['id']}/deliveries/{d['id']}/retry").status_code == 409


def test_a_lease_keeps_a_claim_from_other_workers_until_it_runs_out(
    app: Flask,
    api: Api,
    receiver: Receiver,
    make_dispatcher: Callable[..., Dispatcher],
    clock: ManualClock,
) -> None:
    create_hook(api, receiver.url())
    create_customer(api)
    crashed = make_dispatcher("worker-a", lease=30)
    survivor = make_dispatcher("worker-b", lease=30)
    crashed.fan_out()
    [job] = crashed.claim(10)  # then "dies" before sending
    assert survivor.claim(10) == []
    clock.advance(seconds=29)
    assert survivor.claim(10) == []
    clock.advance(seconds=2)
    [again] = survivor.claim(10)
    assert again.delivery_id == job.delivery_id and again.body == job.body
    # The dead worker's late result is logged, but the row is the survivor's to decide.
    crashed.record([crashed.send(job)])
    survivor.record([survivor.send(again)])
    with get_db(app).session() as s:
        d = s.get(WebhookDelivery, job.delivery_id)
        assert d is not None and d.status == "succeeded" and d.attempt_count == 1
        workers = sorted(a.worker or "" for a in s.query(WebhookAttempt).all())
        assert workers == ["worker-a", "worker-b"]
    assert len({(r.webhook_id, r.body) for r in receiver.received()}) == 1


def test_the_standard_signature_uses_the_decoded_key(
    api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    import hashlib
    import hmac

    hook = create_hook(api, receiver.url())
    create_customer(api)
    dispatcher.run_until_idle()
    [got] = receiver.received()
    key = base64.b64decode(hook["secret"].removeprefix("whsec_"))
    signed = f"{got.webhook_id}.{got.headers['webhook-timestamp']}.".encode() + got.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert got.headers["webhook-signature"] == f"v1,{expected}"
    assert abs(int(got.headers["webhook-timestamp"]) - got.at) < 60
    assert got.headers["content-type"] == "application/json"
