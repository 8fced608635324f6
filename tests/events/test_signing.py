"""Webhook signatures, checked by the spec's own Node.js verifier and an independent signer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from hub.events.signing import (
    USER_AGENT,
    WebhookVerificationError,
    delivery_headers,
    generate_secret,
    is_standard_secret,
    ivalid_signature,
    standard_headers,
    standard_key,
    verify_standard,
)

VERIFY_JS = Path(__file__).with_name("verify_webhook.js")
NODE = shutil.which("node")
SECRET = "whsec_your_webhook_secret"  # the spec's example: not base64, still must work
PAYLOAD = {
    "id": "evt_1234567890",
    "event": "appointment.created",
    "timestamp": "2025-01-15T14:32:05.000Z",
    "data": {
        "id": "apt_1234567890",
        "customer": {"id": "cust_abc123", "name": "Zoé Lefèvre-Ångström 🛠"},
        "service": {"id": "srv_installation", "name": "Installation Climatisation — été"},
        "scheduled_at": "2025-01-20T09:00:00Z",
        "status": "confirmed",
    },
}
BODY = json.dumps(PAYLOAD, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

# The test vector published with the Standard Webhooks specification.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TS = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def node_verifies(tmp_path: Path, body: bytes, signature: str, secret: str) -> bool:
    """Run the spec's verifyWebhook through node; True on exit 0, False on exit 1."""
    if NODE is None:
        pytest.skip("node is not installed")
    payload = tmp_path / "payload.json"
    payload.write_bytes(body)
    done = subprocess.run(
        [NODE, str(VERIFY_JS), str(payload), signature, secret],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return done.returncode == 0


def reference_standard_signature(secret: str, msg_id: str, ts: int, body: bytes) -> str:
    """Independent Standard Webhooks signer written straight from the specification."""
    key = base64.b64decode(secret.split("_", 1)[1])
    content = msg_id.encode() + b"." + str(ts).encode() + b"." + body
    return "v1," + base64.b64encode(hmac.digest(key, content, "sha256")).decode()


@pytest.mark.parametrize(
    ("body", "signed_body", "secret", "signing_secret", "accepted"),
    [
        pytest.param(BODY, BODY, SECRET, SECRET, True, id="unicode-body"),
        pytest.param(b"{}", b"{}", SECRET, SECRET, True, id="minimal-body"),
        pytest.param(BODY, BODY.replace(b"confirmed", b"cancelled"), SECRET, SECRET, False,
                     id="tampered-body"),
        pytest.param(BODY, BODY, SECRET, "whsec_another_secret", False, id="wrong-secret"),
        pytest.param(BODY, BODY, "clé-été-ü", "clé-été-ü", True, id="non-ascii-secret"),
    ],
)  # fmt: skip
def test_spec_node_verifier_accepts_ivalid_signature(
    tmp_path: Path, body: bytes, signed_body: bytes, secret: str, signing_secret: str,
    accepted: bool,
) -> None:  # fmt: skip
    signature = ivalid_signature(signing_secret, signed_body)
    assert node_verifies(tmp_path, body, signature, secret) is accepted


def test_spec_node_verifier_accepts_generated_secret(tmp_path: Path) -> None:
    secret = generate_secret()  # base64 alphabet: "+", "/" and "=" must survive as-is
    assert node_verifies(tmp_path, BODY, ivalid_signature(secret, BODY), secret)


@pytest.mark.parametrize(
    "signature",
    [
        pytest.param("sha256=abc", id="too-short-rangeerror"),
        pytest.param("", id="empty"),
        pytest.param(ivalid_signature(SECRET, BODY).removeprefix("sha256="), id="no-prefix"),
        pytest.param(ivalid_signature(SECRET, BODY).upper(), id="upper-case-hex"),
    ],
)
def test_spec_node_verifier_rejects_malformed_signature(tmp_path: Path, signature: str) -> None:
    assert not node_verifies(tmp_path, BODY, signature, SECRET)


def test_ivalid_signature_format() -> None:
    signature = ivalid_signature(SECRET, BODY)
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert signature == "sha256=" + expected
    assert len(signature) == len("sha256=") + 64


def test_standard_signature_matches_published_vector() -> None:
    headers = standard_headers(VECTOR_ID, VECTOR_TS, VECTOR_BODY, [VECTOR_SECRET])
    assert headers["webhook-signature"] == VECTOR_SIGNATURE
    assert headers["webhook-id"] == VECTOR_ID
    assert headers["webhook-timestamp"] == str(VECTOR_TS)


def test_standard_headers_match_independent_implementation() -> None:
    secret = generate_secret()
    headers = standard_headers("msg_01", 1736951525, BODY, [secret])
    assert headers["webhook-signature"] == reference_standard_signature(
        secret, "msg_01", 1736951525, BODY
    )
    verify_standard(headers, BODY, [secret], now=1736951525)


def test_rotation_signs_with_every_active_secret_newest_first() -> None:
    new, old = generate_secret(), generate_secret()
    headers = standard_headers("msg_rot", 1736951525, BODY, [new, old])
    entries = headers["webhook-signature"].split(" ")
    assert entries == [
        reference_standard_signature(new, "msg_rot", 1736951525, BODY),
        reference_standard_signature(old, "msg_rot", 1736951525, BODY),
    ]
    # A receiver that still knows only the old secret, or already only the new one, verifies.
    verify_standard(headers, BODY, [old], now=1736951525)
    verify_standard(headers, BODY, [new], now=1736951525)
    with pytest.raises(WebhookVerificationError, match="no matching signature"):
        verify_standard(headers, BODY, [generate_secret()], now=1736951525)


def test_delivery_headers_carry_both_schemes() -> None:
    new, old = generate_secret(), generate_secret()
    headers = delivery_headers(
        "appointment.created", "dlv_42", "evt_1234567890", 1736951525, BODY, [new, old]
    )
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == USER_AGENT == "iValid-Webhooks/2.0"
    assert headers["X-iValid-Event"] == "appointment.created"
    assert headers["X-iValid-Delivery"] == "dlv_42"
    assert headers["X-iValid-Signature"] == ivalid_signature(new, BODY)  # newest secret only
    assert headers["webhook-id"] == "evt_1234567890"
    assert len(headers["webhook-signature"].split()) == 2
    verify_standard(headers, BODY, [old], now=1736951525)


@pytest.mark.parametrize(
    ("mutate", "now", "message"),
    [
        pytest.param(lambda h: h.pop("webhook-id"), 1000, "missing header", id="missing-id"),
        pytest.param(lambda h: h.pop("webhook-signature"), 1000, "missing header",
                     id="missing-signature"),
        pytest.param(lambda h: h.update({"webhook-timestamp": "soon"}), 1000, "not an integer",
                     id="bad-timestamp"),
        pytest.param(lambda h: None, 1000 + 301, "tolerance", id="stale"),
        pytest.param(lambda h: None, 1000 - 301, "tolerance", id="from-the-future"),
        pytest.param(lambda h: h.update({"webhook-id": "msg_2"}), 1000, "no matching",
                     id="id-swapped"),
        pytest.param(lambda h: h.update({"webhook-signature": "v1a,abc v2,xyz"}), 1000,
                     "no matching", id="unknown-versions"),
    ],
)  # fmt: skip
def test_verify_standard_refuses(
    mutate: Callable[[dict[str, str]], object], now: int, message: str
) -> None:
    secret = generate_secret()
    headers = standard_headers("msg_1", 1000, BODY, [secret])
    mutate(headers)
    with pytest.raises(WebhookVerificationError, match=message):
        verify_standard(headers, BODY, [secret], now=now)


def test_verify_standard_accepts_within_tolerance_and_any_header_case() -> None:
    secret = generate_secret()
    headers = {k.title(): v for k, v in standard_headers("msg_1", 1000, BODY, [secret]).items()}
    verify_standard(headers, BODY, [secret], now=1000 + 300)
    with pytest.raises(WebhookVerificationError):
        verify_standard(headers, BODY + b" ", [secret], now=1000)


@pytest.mark.parametrize(
    ("secret", "key", "standard"),
    [
        pytest.param(VECTOR_SECRET, base64.b64decode(VECTOR_SECRET[6:]), True, id="whsec-base64"),
        pytest.param("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", b"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                     False, id="no-prefix-is-raw-utf8"),
        pytest.param(SECRET, SECRET.encode(), False, id="not-base64-falls-back-to-utf8"),
        pytest.param("whsec_", b"whsec_", False, id="empty-after-prefix"),
        pytest.param("whsec_" + base64.b64encode(b"short").decode(), b"short", False,
                     id="base64-but-too-short"),
    ],
)  # fmt: skip
def test_standard_key_rule(secret: str, key: bytes, standard: bool) -> None:
    assert standard_key(secret) == key
    assert is_standard_secret(secret) is standard


def test_generated_secrets_are_standard_and_unique() -> None:
    secrets = {generate_secret() for _ in range(50)}
    assert len(secrets) == 50
    for secret in secrets:
        assert secret.startswith("whsec_")
        assert is_standard_secret(secret)
        assert len(standard_key(secret)) == 32


@pytest.mark.parametrize("msg_id", [pytest.param("", id="empty"), pytest.param("a.b", id="dot")])
def test_message_id_must_not_contain_a_dot(msg_id: str) -> None:
    with pytest.raises(ValueError, match="webhook-id"):
        standard_headers(msg_id, 1000, BODY, [generate_secret()])


def test_a_secret_is_required() -> None:
    with pytest.raises(ValueError, match="secret"):
        delivery_headers("appointment.created", "dlv_1", "evt_1", 1000, BODY, [])
