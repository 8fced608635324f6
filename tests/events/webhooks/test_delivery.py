"""Deliveries end to end through a real loopback receiver: bytes, headers, signatures."""

from __future__ import annotations

import hashlib
import hmac
import json

from hub.events.signing import verify_standard
from hub.services.dispatch import Dispatcher
from tests.events.webhooks.conftest import create_customer, create_hook
from tests.events.webhooks.receiver import Receiver
from tests.support import Api


def test_event_is_delivered_signed_in_the_spec_shape(
    api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    hook = create_hook(
        api, receiver.url(), ["customer.created"], secret="whsec_your_webhook_secret"
    )
    customer = create_customer(api)
    assert dispatcher.run_until_idle() == 1
    [got] = receiver.received()
    body = json.loads(got.body)
    assert list(body) == ["id", "event", "timestamp", "data"]
    assert body["event"] == "customer.created" and body["data"]["id"] == customer["id"]
    assert body["id"].startswith("evt_") and body["timestamp"].endswith("Z")
    assert got.body.decode("utf-8") == json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    expected = hmac.new(b"whsec_your_webhook_secret", got.body, hashlib.sha256).hexdigest()
    assert got.headers["x-ivalid-signature"] == "sha256=" + expected
    assert got.headers["x-ivalid-event"] == "customer.created"
    assert got.headers["x-ivalid-delivery"].startswith("whd_")
    assert got.headers["webhook-id"] == body["id"]
    verify_standard(got.headers, got.body, [hook["secret"]])
    # The event API shows exactly what was delivered.
    assert api.get(f"/v2/events/{body['id']}").json == body
    log = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json
    [delivery] = log["data"]
    assert delivery["status"] == "succeeded" and delivery["event_id"] == body["id"]
    [attempt] = delivery["attempts"]
    assert attempt["success"] and attempt["status_code"] == 200
    assert attempt["response_body"] == "ok" and attempt["latency_ms"] >= 0
