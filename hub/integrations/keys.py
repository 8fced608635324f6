"""Re-encrypt every stored integration secret with the newest key (key rotation).

Put the new key first in IVALID_ENCRYPTION_KEYS (keep the old ones after it), run this on
one machine (`rotate_encryption`), then drop the old keys from the variable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hub import crypto
from hub.config import Settings
from hub.db import Database, transaction
from hub.models import IntegrationConnection, IntegrationOAuthState, IntegrationStream


@dataclass(frozen=True)
class Rotation:
    """How many stored values were re-encrypted."""

    connections: int
    calendars: int
    states: int


def _rotate(settings: Settings, value: str | None) -> str | None:
    return None if value is None else crypto.rotate(settings, value)


def rotate_encryption(db: Database, settings: Settings) -> Rotation:
    """Re-encrypt tokens, channel tokens and PKCE verifiers; DecryptionError if a key is missing."""
    counts = {"connections": 0, "calendars": 0, "states": 0}
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
    return Rotation(**counts)
