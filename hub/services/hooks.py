"""REST hooks of the automation platforms (Zapier, Make) and their status page.

A hook is a webhook endpoint (`WebhookEndpoint` with `platform` set) subscribed to one event:
its deliveries go through the webhook machinery (the same envelope, signature, retries, log).
It belongs to the credential that made it: a grant's token (the hook dies with the grant), or,
for an API key or a client_credentials token, that credential (`owner_credential`: revoking it
removes them; a rotated key hands them to its successor). A removed hook (DELETE, a `410 Gone`
from its target, its grant or its credential revoked) is kept inactive so that its
delivery log stays readable; it is no longer listed nor delivered to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hub import crypto
from hub.auth.guard import Principal
from hub.config import Settings
from hub.db import transaction
from hub.errors import ApiError, NotFound
from hub.events.signing import generate_secret
from hub.ids import new_id
from hub.models import AccountUser, OAuthClient, OAuthGrant, WebhookEndpoint
from hub.schemas.hooks import PLATFORMS, HookCreate
from hub.services import webhooks
from hub.timeutil import iso, utcnow

MAX_HOOKS = 100  # per owning credential

# The scope a credential needs to subscribe to an event: the read scope of its resource.
EVENT_SCOPES = {"appointment": "appointments:read", "customer": "customers:read"}


def drop_owned(session: Session, credential: str, reason: str) -> int:
    """Remove the live hooks an API key or a client made (`key:…`, `client:…`): revoking the
    credential ends its subscriptions, as revoking a grant ends a grant's. In the caller's
    transaction; returns how many were removed."""
    ids = session.scalars(
        select(WebhookEndpoint.id).where(
            WebhookEndpoint.owner_credential == credential,
            WebhookEndpoint.platform.is_not(None),
            WebhookEndpoint.active.is_(True),
        )
    ).all()
    now = utcnow()
    return sum(webhooks.disable(session, ep_id, reason, now, emit=False) for ep_id in ids)


def transfer_owned(session: Session, old: str, new: str) -> None:
    """A rotated API key's hooks go on with its successor (in the caller's transaction)."""
    session.execute(
        update(WebhookEndpoint)
        .where(
            WebhookEndpoint.owner_credential == old,
            WebhookEndpoint.platform.is_not(None),
            WebhookEndpoint.active.is_(True),
        )
        .values(owner_credential=new)
        .execution_options(synchronize_session=False)
    )


def check_platform(platform: str) -> str:
    """404 unless `platform` is one this API has hooks for."""
    if platform not in PLATFORMS:
        raise NotFound("integration", platform)
    return platform


def scope_for(event: str) -> str:
    """The scope needed to receive `event`."""
    return EVENT_SCOPES.get(event.split(".", 1)[0], "webhooks:manage")


def representation(
    ep: WebhookEndpoint, settings: Settings, *, secret: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ep.id,
        "target_url": ep.url,
        "event": (ep.events or [""])[0],
        "platform": ep.platform,
        "created_at": iso(ep.created_at),
    }
    if secret:
        out["secret"] = crypto.decrypt(settings, ep.secret)
    return out


def _check_target(url: str, settings: Settings) -> None:
    """The webhook URL rules (SSRF guard, DNS included), reported on the `target_url` field."""
    try:
        webhooks.check_url(url, settings)
    except ApiError as exc:
        for entry in exc.details.get("errors", []):
            if entry.get("field") == "url":
                entry["field"] = "target_url"
        raise


def create(
    session: Session, p: Principal, platform: str, body: HookCreate, settings: Settings
) -> dict[str, Any]:
    """Subscribe `body.target_url` to `body.event` for the calling credential."""
    _check_target(body.target_url, settings)
    with transaction(session):
        count = session.scalar(
            select(func.count())
            .select_from(WebhookEndpoint)
            .where(
                WebhookEndpoint.owner_credential == p.credential_id,
                WebhookEndpoint.platform.is_not(None),
                WebhookEndpoint.active.is_(True),
            )
        )
        if (count or 0) >= MAX_HOOKS:
            raise ApiError(409, "WEBHOOK_LIMIT_REACHED", {"limit": MAX_HOOKS})
        ep = WebhookEndpoint(
            id=new_id("hook"),
            account_id=p.account_id,
            environment=p.environment,
            url=body.target_url,
            description=f"{platform} REST hook",
            events=[body.event],
            secret=crypto.encrypt(settings, generate_secret()),
            active=True,
            consecutive_failures=0,
            platform=platform,
            grant_id=p.grant_id,
            owner_credential=p.credential_id,
        )
        session.add(ep)
        session.flush()
        return representation(ep, settings, secret=True)


def delete(session: Session, p: Principal, platform: str, hook_id: str) -> None:
    """Unsubscribe one of the caller's hooks (again: nothing happens); another's is 404."""
    with transaction(session):
        ep = session.get(WebhookEndpoint, hook_id, with_for_update=True)
        if (
            ep is None
            or ep.platform != platform
            or ep.account_id != p.account_id
            or ep.environment != p.environment
            or ep.owner_credential != p.credential_id
        ):
            raise NotFound("hook", hook_id)
        if ep.active:
            session.flush()
            webhooks.disable(session, ep.id, "unsubscribed", utcnow(), emit=False)


def active_hooks(
    session: Session, account_id: str, environment: str, platform: str
) -> list[WebhookEndpoint]:
    return list(
        session.scalars(
            select(WebhookEndpoint)
            .where(
                WebhookEndpoint.account_id == account_id,
                WebhookEndpoint.environment == environment,
                WebhookEndpoint.platform == platform,
                WebhookEndpoint.active.is_(True),
            )
            .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        )
    )


def grant_rep(grant: OAuthGrant, client: OAuthClient, user: AccountUser) -> dict[str, Any]:
    return {
        "id": grant.id,
        "client_id": client.id,
        "app_name": client.name,
        "user_email": user.email,
        "scope": grant.scope,
        "created_at": iso(grant.created_at),
    }


def status(session: Session, p: Principal, platform: str, settings: Settings) -> dict[str, Any]:
    """Connected or not: the live grants of the platform's apps (or that made its hooks)."""
    hooks = active_hooks(session, p.account_id, p.environment, platform)
    hook_grants = {h.grant_id for h in hooks if h.grant_id}
    rows = session.execute(
        select(OAuthGrant, OAuthClient, AccountUser)
        .join(OAuthClient, OAuthClient.id == OAuthGrant.client_id)
        .join(AccountUser, AccountUser.id == OAuthGrant.user_id)
        .where(
            OAuthGrant.account_id == p.account_id,
            OAuthGrant.environment == p.environment,
            OAuthGrant.revoked_at.is_(None),
            OAuthClient.revoked.is_(False),
            or_(OAuthClient.platform == platform, OAuthGrant.id.in_(hook_grants or {""})),
        )
        .order_by(OAuthGrant.created_at, OAuthGrant.id)
    ).all()
    grants = [grant_rep(g, c, u) for g, c, u in rows]
    return {
        "connected": bool(grants or hooks),
        "grants": grants,
        "hooks": [representation(h, settings) for h in hooks],
    }
