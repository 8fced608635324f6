"""Webhook signatures: the iValid v2 header and the Standard Webhooks headers.

Every delivery carries two independent signatures over the same raw body bytes:

``X-iValid-Signature`` (the v2 contract)
    ``"sha256=" + hex(HMAC-SHA256(key=UTF-8 bytes of the whole secret string, msg=raw body))``.
    The key is the secret exactly as shown to the customer, ``whsec_`` prefix included, so the
    documented Node.js ``verifyWebhook(payload, signature, secret)`` accepts it unchanged.
    Only the newest secret signs this header (it has room for one signature).

``webhook-id`` / ``webhook-timestamp`` / ``webhook-signature`` (Standard Webhooks 1.0)
    ``webhook-signature`` is a space-separated list of ``v1,<base64(HMAC-SHA256(key, content))>``
    with ``content = f"{webhook-id}.{webhook-timestamp}.{raw body}"``, one entry per active
    secret, newest first (two entries while a secret is being rotated).

    Key derivation (what SDKs must do, see :func:`standard_key`): if the secret starts with
    ``whsec_`` and the rest is non-empty, valid standard base64 (RFC 4648 alphabet, ``=``
    padding required), the key is the decoded bytes -- the Standard Webhooks rule, followed by
    every secret :func:`generate_secret` makes (``whsec_`` + base64 of 32 random bytes), so the
    official ``standardwebhooks`` libraries verify our deliveries. Any other secret (one a
    customer typed in, such as ``whsec_my_secret``) is used as the UTF-8 bytes of the whole
    string, prefix included -- the same key as the iValid header. Those libraries cannot use
    such a secret (they base64-decode whatever follows an optional prefix), which is why
    :func:`is_standard_secret` exists: the API may insist on standard secrets at save time.

Secrets are always passed newest first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as _secrets
import time
from collections.abc import Mapping, Sequence

SECRET_PREFIX = "whsec_"
USER_AGENT = "iValid-Webhooks/2.0"
IVALID_SIGNATURE_HEADER = "X-iValid-Signature"
IVALID_EVENT_HEADER = "X-iValid-Event"
IVALID_DELIVERY_HEADER = "X-iValid-Delivery"
WEBHOOK_ID_HEADER = "webhook-id"
WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp"
WEBHOOK_SIGNATURE_HEADER = "webhook-signature"
DEFAULT_TOLERANCE_SECONDS = 300

# Standard Webhooks: symmetric secrets are 24..64 random bytes; we issue 32.
_SECRET_BYTES = 32
_MIN_STANDARD_KEY_BYTES = 24
_MAX_STANDARD_KEY_BYTES = 64


class WebhookVerificationError(ValueError):
    """A webhook failed verification (missing header, stale timestamp, no matching signature)."""


def generate_secret() -> str:
    """Return a new signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def _decode_standard(secret: str) -> bytes | None:
    """Return the base64-decoded key behind ``whsec_<base64>``, or None if not that form."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None
    return key or None


def is_standard_secret(secret: str) -> bool:
    """Tell whether a secret follows the Standard Webhooks form (``whsec_`` + base64, 24-64 B)."""
    key = _decode_standard(secret)
    return key is not None and _MIN_STANDARD_KEY_BYTES <= len(key) <= _MAX_STANDARD_KEY_BYTES


def standard_key(secret: str) -> bytes:
    """Return the HMAC key of the Standard Webhooks signature for a secret (rule in module doc)."""
    key = _decode_standard(secret)
    return key if key is not None else secret.encode("utf-8")


def ivalid_signature(secret: str, body: bytes) -> str:
    """Return the ``X-iValid-Signature`` value: ``sha256=`` + hex HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return "sha256=" + digest


def _signed_content(msg_id: str, timestamp: int, body: bytes) -> bytes:
    """Return the bytes Standard Webhooks signs: ``{id}.{timestamp}.{body}``."""
    # A "." in the id would let one (id, timestamp) pair impersonate another.
    if not msg_id or "." in msg_id:
        raise ValueError("webhook-id must be non-empty and contain no '.'")
    return f"{msg_id}.{int(timestamp)}.".encode("ascii") + body


def standard_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Return one ``v1,<base64>`` Standard Webhooks signature entry."""
    mac = hmac.new(standard_key(secret), _signed_content(msg_id, timestamp, body), hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode("ascii")


def standard_headers(
    msg_id: str, timestamp: int, body: bytes, secrets: Sequence[str]
) -> dict[str, str]:
    """Return the three Standard Webhooks headers, one signature per active secret."""
    if not secrets:
        raise ValueError("at least one signing secret is required")
    signatures = " ".join(standard_signature(s, msg_id, timestamp, body) for s in secrets)
    return {
        WEBHOOK_ID_HEADER: msg_id,
        WEBHOOK_TIMESTAMP_HEADER: str(int(timestamp)),
        WEBHOOK_SIGNATURE_HEADER: signatures,
    }


def delivery_headers(
    event_type: str,
    delivery_id: str,
    msg_id: str,
    timestamp: int,
    body: bytes,
    secrets: Sequence[str],
) -> dict[str, str]:
    """Return every header of one webhook delivery attempt (secrets newest first)."""
    if not secrets:
        raise ValueError("at least one signing secret is required")
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        IVALID_SIGNATURE_HEADER: ivalid_signature(secrets[0], body),
        IVALID_EVENT_HEADER: event_type,
        IVALID_DELIVERY_HEADER: delivery_id,
        **standard_headers(msg_id, timestamp, body, secrets),
    }


def verify_standard(
    headers: Mapping[str, str],
    body: bytes,
    secrets: Sequence[str],
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Check Standard Webhooks headers against the body; raise WebhookVerificationError if bad."""
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        msg_id = lowered[WEBHOOK_ID_HEADER]
        raw_timestamp = lowered[WEBHOOK_TIMESTAMP_HEADER]
        signature_header = lowered[WEBHOOK_SIGNATURE_HEADER]
    except KeyError as exc:
        raise WebhookVerificationError(f"missing header {exc.args[0]}") from None
    try:
        timestamp = int(raw_timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not an integer") from None
    current = time.time() if now is None else now
    # Both directions: an old timestamp is a replay, a future one a forged clock.
    if abs(current - timestamp) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance window")
    try:
        expected = [standard_signature(s, msg_id, timestamp, body) for s in secrets]
    except ValueError as exc:
        raise WebhookVerificationError(str(exc)) from None
    for candidate in signature_header.split():
        # Constant-time comparison, or the endpoint becomes a signing oracle.
        if any(hmac.compare_digest(candidate.encode(), e.encode()) for e in expected):
            return
    raise WebhookVerificationError("no matching signature")
