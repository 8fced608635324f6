"""Grants: an account user's authorization of an app; revoking one revokes all it holds.

A grant holds one refresh-token family (its tokens) and the REST hooks made with its tokens.
Revocation marks the grant, its tokens and its hooks in the caller's transaction
(`revoke_rows`), then forgets the tokens in this process's credential cache (`forget`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import current_app, has_app_context
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.models import OAuthGrant, OAuthToken, WebhookDelivery, WebhookEndpoint

REASONS = ("user", "refresh_reuse", "code_replay", "app_revoked", "admin")


def revoke_rows(
    session: Session, grant_ids: Sequence[str], reason: str, now: datetime
) -> list[str]:
    """Revoke the grants, their tokens and their hooks; the revoked tokens' jtis.

    Runs in the caller's transaction. Already revoked grants keep their first reason.
    """
    if not grant_ids:
        return []
    ids = list(grant_ids)
    session.execute(
        update(OAuthGrant)
        .where(OAuthGrant.id.in_(ids), OAuthGrant.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    jtis = list(
        session.scalars(select(OAuthToken.access_jti).where(OAuthToken.grant_id.in_(ids))).all()
    )
    session.execute(
        update(OAuthToken)
        .where(OAuthToken.grant_id.in_(ids))
        .values(revoked=True, successor=None)
        .execution_options(synchronize_session=False)
    )
    hooks = list(
        session.scalars(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.grant_id.in_(ids), WebhookEndpoint.active.is_(True)
            )
        ).all()
    )
    if hooks:
        session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id.in_(hooks))
            .values(active=False, disabled_reason="grant_revoked", disabled_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id.in_(hooks), WebhookDelivery.status == "pending")
            .values(
                status="cancelled",
                next_attempt_at=None,
                completed_at=now,
                last_error="endpoint_disabled",
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
    return jtis


def forget(jtis: Sequence[str]) -> None:
    """Drop revoked access tokens from this process's credential cache (other processes see
    the revocation when their cache entry expires: IVALID_CREDENTIAL_CACHE_SECONDS)."""
    if not has_app_context():
        return
    cache = current_app.extensions.get("ivalid_credential_cache")
    if cache is None:
        return
    for jti in jtis:
        cache.discard(f"jti:{jti}")
