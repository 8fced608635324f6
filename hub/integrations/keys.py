"""Re-encrypt every stored secret with the newest key (key rotation).

Integration tokens, webhook signing secrets, the RSA signing keys, stored idempotent answers
and the successors kept for racing refreshes: everything `hub.crypto` encrypted.

Put the new key first in IVALID_ENCRYPTION_KEYS (keep the old ones after it), run this on
one machine (`rotate_encryption`), then drop the old keys from the variable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hub import crypto
from hub.config import Settings
from hub.db import Database, transaction
from hub.models import (
    IdempotencyRecord,
    IntegrationConnection,
    IntegrationOAuthState,
    IntegrationStream,
    OAuthToken,
    SigningKey,
    WebhookEndpoint,
)


@dataclass(frozen=True)
class Rotation:
    """How many stored values were re-encrypted."""

    connections: int
    calendars: int
    states: int
    webhook_endpoints: int = 0
    signing_keys: int = 0
    idempotency_keys: int = 0
    oauth_tokens: int = 0


def _rotate(settings: Settings, value: str | None) -> str | None:
    return None if value is None else crypto.rotate(settings, value)


def rotate_encryption(db: Database, settings: Settings) -> Rotation:
    """Re-encrypt every encrypted column; DecryptionError if a key is missing."""
    counts = dict.fromkeys(
        (
            "connections",
            "calendars",
            "states",
            "webhook_endpoints",
            "signing_keys",
            "idempotency_keys",
            "oauth_tokens",
        ),
        0,
    )
    with db.session() as session, transaction(session):
        for conn in session.scalars(select(IntegrationConnection).with_for_update()):
            conn.access_token = _rotate(settings, conn.access_token)
            conn.refresh_token = _rotate(settings, conn.refresh_token)
            conn.token_cache = _rotate(settings, conn.token_cache)
            conn.token_response = _rotate(settings, conn.token_response)
            counts["connections"] += 1
        for cal in session.scalars(
            select(IntegrationStream).where(IntegrationStream.channel_token.is_not(None))
        ):
            cal.channel_token = _rotate(settings, cal.channel_token)
            counts["calendars"] += 1
        for state in session.scalars(select(IntegrationOAuthState)):
            state.code_verifier = crypto.rotate(settings, state.code_verifier)
            counts["states"] += 1
        for ep in session.scalars(select(WebhookEndpoint)):
            ep.secret = crypto.rotate(settings, ep.secret)
            ep.previous_secret = _rotate(settings, ep.previous_secret)
            counts["webhook_endpoints"] += 1
        for key in session.scalars(select(SigningKey)):
            key.private_pem = crypto.rotate(settings, key.private_pem)
            counts["signing_keys"] += 1
        box = crypto.box(settings)
        for record in session.scalars(
            select(IdempotencyRecord).where(IdempotencyRecord.response_body.is_not(None))
        ):
            record.response_body = box.rotate(record.response_body or b"")
            counts["idempotency_keys"] += 1
        for token in session.scalars(select(OAuthToken).where(OAuthToken.successor.is_not(None))):
            token.successor = _rotate(settings, token.successor)
            counts["oauth_tokens"] += 1
    return Rotation(**counts)
