"""`ivalid.webhooks`: the X-iValid-Signature check and the Standard Webhooks check (no server)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import ivalid
import pytest
from ivalid import webhooks

SECRET = "whsec_your_webhook_secret"
# The spec's webhook payload, as raw bytes exactly as they arrive.
PAYLOAD = json.dumps(
    {
        "id": "evt_1234567890",
        "event": "appointment.created",
        "timestamp": "2025-01-15T14:32:05.000Z",
        "data": {
            "id": "apt_1234567890",
            "customer": {"id": "cust_abc123", "name": "Marie Dupont"},
            "service": {"id": "srv_installation", "name": "Installation Climatisation"},
            "scheduled_at": "2025-01-20T09:00:00Z",
            "status": "confirmed",
        },
    }
).encode()
STANDARD_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


def _node_signature(payload: bytes, secret: str) -> str:
    """What the documentation's Node.js sample computes: 'sha256=' + hex HMAC of the body."""
    return "sha256=" + hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def _standard_headers(payload: bytes, key: bytes, msg_id: str, ts: int) -> dict[str, str]:
    """Standard Webhooks headers computed independently of the SDK."""
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + payload, hashlib.sha256).digest()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": "v1," + base64.b64encode(mac).decode(),
    }


def test_verify_accepts_the_documented_signature() -> None:
    assert webhooks.verify(PAYLOAD, _node_signature(PAYLOAD, SECRET), SECRET)
    assert ivalid.webhooks.verify(PAYLOAD.decode(), _node_signature(PAYLOAD, SECRET), SECRET)
    assert webhooks.sign(PAYLOAD, SECRET) == _node_signature(PAYLOAD, SECRET)


@pytest.mark.parametrize(
    ("payload", "signature", "secret"),
    [
        pytest.param(PAYLOAD + b" ", _node_signature(PAYLOAD, SECRET), SECRET, id="body-changed"),
        pytest.param(PAYLOAD, _node_signature(PAYLOAD, SECRET), "whsec_other", id="wrong-secret"),
        pytest.param(PAYLOAD, _node_signature(PAYLOAD, SECRET)[7:], SECRET, id="no-prefix"),
        pytest.param(PAYLOAD, "sha1=" + "0" * 40, SECRET, id="other-algorithm"),
        pytest.param(PAYLOAD, "", SECRET, id="empty"),
        pytest.param(PAYLOAD, None, SECRET, id="missing"),
        pytest.param(PAYLOAD, "sha256=zz", SECRET, id="garbage"),
    ],
)
def test_verify_rejects(payload: bytes, signature: str | None, secret: str) -> None:
    assert not webhooks.verify(payload, signature, secret)


def test_verify_accepts_any_of_several_secrets_during_rotation() -> None:
    signature = _node_signature(PAYLOAD, "whsec_new")
    assert webhooks.verify(PAYLOAD, signature, ["whsec_new", "whsec_old"])
    assert not webhooks.verify(PAYLOAD, signature, ["whsec_old"])


@pytest.mark.parametrize(
    ("secret", "key"),
    [
        pytest.param(STANDARD_SECRET, bytes(range(32)), id="whsec-base64-is-decoded"),
        pytest.param(SECRET, SECRET.encode(), id="typed-in-secret-is-utf8"),
        pytest.param("plain secret", b"plain secret", id="no-prefix-is-utf8"),
    ],
)
def test_verify_standard_derives_the_key_as_the_hub_does(secret: str, key: bytes) -> None:
    now = int(time.time())
    headers = _standard_headers(PAYLOAD, key, "msg_2Lq", now)
    assert webhooks.verify_standard(PAYLOAD, headers, secret)
    assert (
        webhooks.sign_standard(PAYLOAD, secret, msg_id="msg_2Lq", timestamp=now)
        == (headers["webhook-signature"])
    )


def test_verify_standard_accepts_any_listed_signature_and_any_header_case() -> None:
    now = int(time.time())
    good = _standard_headers(PAYLOAD, bytes(range(32)), "msg_1", now)
    headers = {
        "Webhook-Id": "msg_1",
        "Webhook-Timestamp": str(now),
        "Webhook-Signature": "v1,bm90IGl0 " + good["webhook-signature"],
    }
    assert webhooks.verify_standard(PAYLOAD, headers, STANDARD_SECRET)


@pytest.mark.parametrize(
    ("age", "ok"),
    [
        pytest.param(0, True, id="now"),
        pytest.param(299, True, id="just-inside"),
        pytest.param(-299, True, id="slightly-ahead"),
        pytest.param(301, False, id="too-old-replay"),
        pytest.param(-301, False, id="too-far-ahead"),
    ],
)
def test_verify_standard_enforces_the_timestamp_tolerance(age: int, ok: bool) -> None:
    now = 1_800_000_000
    headers = _standard_headers(PAYLOAD, bytes(range(32)), "msg_1", now - age)
    assert webhooks.verify_standard(PAYLOAD, headers, STANDARD_SECRET, now=now) is ok
    assert webhooks.verify_standard(PAYLOAD, headers, STANDARD_SECRET, now=now, tolerance=600)


def test_verify_standard_rejects_tampering_and_missing_headers() -> None:
    now = int(time.time())
    headers = _standard_headers(PAYLOAD, bytes(range(32)), "msg_1", now)
    assert not webhooks.verify_standard(PAYLOAD + b"x", headers, STANDARD_SECRET)
    other_id = {**headers, "webhook-id": "msg_2"}
    assert not webhooks.verify_standard(PAYLOAD, other_id, STANDARD_SECRET)
    assert not webhooks.verify_standard(PAYLOAD, headers, "whsec_" + "A" * 44)
    for name in headers:
        partial = {k: v for k, v in headers.items() if k != name}
        assert not webhooks.verify_standard(PAYLOAD, partial, STANDARD_SECRET)
    bad_ts = {**headers, "webhook-timestamp": "yesterday"}
    assert not webhooks.verify_standard(PAYLOAD, bad_ts, STANDARD_SECRET)


def test_construct_event_prefers_standard_headers_and_returns_a_typed_event() -> None:
    now = int(time.time())
    headers = {
        **_standard_headers(PAYLOAD, bytes(range(32)), "msg_1", now),
        "X-iValid-Signature": "sha256=deadbeef",  # ignored: the Standard headers are checked
    }
    event = webhooks.construct_event(PAYLOAD, headers, STANDARD_SECRET)
    assert event.event == "appointment.created"
    assert event.data.customer.name == "Marie Dupont"

    stale = _standard_headers(PAYLOAD, bytes(range(32)), "msg_1", now - 3600)
    with pytest.raises(ivalid.SignatureVerificationError, match="webhook-timestamp"):
        webhooks.construct_event(PAYLOAD, stale, STANDARD_SECRET)


def test_construct_event_falls_back_to_the_ivalid_signature() -> None:
    headers = {"x-ivalid-signature": _node_signature(PAYLOAD, SECRET)}
    assert webhooks.construct_event(PAYLOAD, headers, SECRET).id == "evt_1234567890"
    with pytest.raises(ivalid.SignatureVerificationError):
        webhooks.construct_event(PAYLOAD, headers, "whsec_wrong")
    with pytest.raises(ivalid.SignatureVerificationError):
        webhooks.construct_event(PAYLOAD, {}, SECRET)


def test_the_sdk_verifies_what_the_hub_signs() -> None:
    signing = pytest.importorskip("hub.events.signing")
    new, old = signing.generate_secret(), "whsec_typed_in_by_hand"
    now = int(time.time())
    headers = signing.delivery_headers(
        "appointment.created", "dlv_1", "msg_1", now, PAYLOAD, [new, old]
    )
    assert webhooks.verify(PAYLOAD, headers["X-iValid-Signature"], new)
    assert webhooks.verify_standard(PAYLOAD, headers, new)
    assert webhooks.verify_standard(PAYLOAD, headers, old)  # the rotated-out secret still signs
    assert webhooks.construct_event(PAYLOAD, headers, new).id == "evt_1234567890"
    assert not webhooks.verify_standard(PAYLOAD, headers, signing.generate_secret())

    # And the other way round: what the SDK signs, the hub's own verifier accepts.
    sdk_headers = {
        "webhook-id": "msg_2",
        "webhook-timestamp": str(now),
        "webhook-signature": webhooks.sign_standard(PAYLOAD, new, msg_id="msg_2", timestamp=now),
    }
    signing.verify_standard(sdk_headers, PAYLOAD, [new])
