"""Checking that a webhook really comes from iValid, before trusting its body.

iValid signs every delivery twice:

* `X-iValid-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body with the webhook's secret,
  exactly as the API documentation shows (`verify`).
* Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`): HMAC-SHA256 of
  `"{id}.{timestamp}.{body}"`, which also binds the time of sending, so a captured request cannot
  be replayed later (`verify_standard`, with a tolerance on the timestamp). The key is the
  base64-decoded part of a `whsec_<base64>` secret, as Standard Webhooks libraries expect. While
  a secret is rotated, the header carries one signature per active secret.

Both functions take the secret exactly as the API returned it, `whsec_` prefix included.

Always pass the raw body as received (bytes), not JSON parsed and dumped again: any change in
spacing or key order changes the signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from typing import Union

from ._errors import SignatureVerificationError
from ._models import Event
from ._util import get_header

__all__ = [
    "DEFAULT_TOLERANCE",
    "SIGNATURE_HEADER",
    "SignatureVerificationError",
    "construct_event",
    "sign",
    "sign_standard",
    "verify",
    "verify_standard",
]

SECRET_PREFIX = "whsec_"
SIGNATURE_HEADER = "X-iValid-Signature"
STANDARD_ID_HEADER = "webhook-id"
STANDARD_TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
DEFAULT_TOLERANCE = 300
"""Seconds a Standard Webhooks timestamp may differ from the local clock, either way."""

Payload = Union[bytes, bytearray, str]
Secrets = Union[str, Sequence[str]]
"""One secret, or several while a rotated secret is being phased in."""


def sign(payload: Payload, secret: str) -> str:
    """The `X-iValid-Signature` value for a body: `sha256=` and the hex HMAC-SHA256."""
    digest = hmac.new(secret.encode(), _bytes(payload), hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(payload: Payload, signature: str | None, secret: Secrets) -> bool:
    """True if `signature` (the `X-iValid-Signature` header) signs `payload` with `secret`.

    This is the API documentation's `verifyWebhook(payload, signature, secret)`; the comparison
    takes constant time.
    """
    if not signature:
        return False
    given = signature.strip()
    if not given.lower().startswith("sha256="):
        return False
    return any(
        hmac.compare_digest(sign(payload, key).lower().encode(), given.lower().encode())
        for key in _secrets(secret)
    )


def sign_standard(payload: Payload, secret: str, *, msg_id: str, timestamp: int) -> str:
    """The Standard Webhooks `webhook-signature` value: `v1,<base64 HMAC-SHA256>`."""
    signed = f"{msg_id}.{timestamp}.".encode() + _bytes(payload)
    digest = hmac.new(_standard_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_standard(
    payload: Payload,
    headers: Mapping[str, str],
    secret: Secrets,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """True if the Standard Webhooks headers sign `payload` and were sent within `tolerance`."""
    try:
        _check_standard(payload, headers, secret, tolerance=tolerance, now=now)
    except SignatureVerificationError:
        return False
    return True


def construct_event(
    payload: Payload,
    headers: Mapping[str, str],
    secret: Secrets,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> Event:
    """Verify a received webhook and return its event; raise `SignatureVerificationError` if forged.

    Uses the Standard Webhooks headers when present (they also reject replays), otherwise
    `X-iValid-Signature`. `headers` may be any mapping, e.g. `request.headers` in Flask/Django.
    """
    if get_header(headers, STANDARD_SIGNATURE_HEADER) is not None:
        _check_standard(payload, headers, secret, tolerance=tolerance, now=None)
    elif not verify(payload, get_header(headers, SIGNATURE_HEADER), secret):
        raise SignatureVerificationError(
            f"No valid {SIGNATURE_HEADER} or Standard Webhooks signature for this payload"
        )
    try:
        body = json.loads(_bytes(payload))
    except ValueError as exc:
        raise SignatureVerificationError(f"The webhook body is not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise SignatureVerificationError("The webhook body is not a JSON object")
    return Event.construct(body)


def _check_standard(
    payload: Payload,
    headers: Mapping[str, str],
    secret: Secrets,
    *,
    tolerance: float,
    now: float | None,
) -> None:
    msg_id = get_header(headers, STANDARD_ID_HEADER)
    raw_timestamp = get_header(headers, STANDARD_TIMESTAMP_HEADER)
    raw_signatures = get_header(headers, STANDARD_SIGNATURE_HEADER)
    if not msg_id or not raw_timestamp or not raw_signatures:
        raise SignatureVerificationError(
            "Missing webhook-id, webhook-timestamp or webhook-signature"
        )
    try:
        timestamp = int(raw_timestamp.strip())
    except ValueError:
        raise SignatureVerificationError(f"Invalid webhook-timestamp {raw_timestamp!r}") from None
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureVerificationError(
            f"webhook-timestamp {timestamp} is more than {tolerance:g}s from now ({current:.0f})"
        )
    given = []
    for item in raw_signatures.split():
        version, _, value = item.partition(",")
        if version == "v1" and value:
            try:
                given.append(base64.b64decode(value, validate=True))
            except (binascii.Error, ValueError):
                continue
    for key in _secrets(secret):
        expected = base64.b64decode(
            sign_standard(payload, key, msg_id=msg_id, timestamp=timestamp)[3:]
        )
        if any(hmac.compare_digest(expected, candidate) for candidate in given):
            return
    raise SignatureVerificationError("No webhook-signature matches this payload and secret")


def _standard_key(secret: str) -> bytes:
    """The HMAC key of the Standard Webhooks signature, derived as the hub derives it.

    A secret `whsec_<base64>` (what the server generates) stands for the decoded bytes, the
    Standard Webhooks rule; any other secret (one typed in by hand) is used as its UTF-8 bytes.
    """
    if secret.startswith(SECRET_PREFIX):
        try:
            key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if key:
            return key
    return secret.encode()


def _secrets(secret: Secrets) -> list[str]:
    return [secret] if isinstance(secret, str) else list(secret)


def _bytes(payload: Payload) -> bytes:
    return payload.encode() if isinstance(payload, str) else bytes(payload)
