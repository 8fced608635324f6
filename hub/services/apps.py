"""Registered apps (OAuth clients of the authorization-code grant) and users' grants.

An app belongs to one account, or to the whole installation (`account_id` None: any account's
users may authorize it, as the published Zapier and Make apps are). Its redirect URIs are
matched exactly. Revoking an app revokes every grant made to it (tokens and hooks).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.auth import grants as grant_store
from hub.auth.scopes import ADMIN_SCOPE, DEFAULT_SCOPES, format_scopes, parse_scopes, unknown_scopes
from hub.auth.secrets import generate_secret, hash_secret
from hub.db import transaction
from hub.errors import NotFound
from hub.ids import new_id
from hub.models import Account, OAuthClient, OAuthGrant, WebhookEndpoint
from hub.models._common import ENVIRONMENTS
from hub.services.credentials import CredentialError, IssuedSecret
from hub.timeutil import iso, utcnow

PLATFORM_HOSTS = {
    "zapier.com": "zapier",
    "integromat.com": "make",
    "make.com": "make",
}


def platform_of(uris: list[str]) -> str | None:
    """The automation platform a redirect URI points to (its registrable domain), if any."""
    for uri in uris:
        host = (urlsplit(uri).hostname or "").lower()
        for domain, platform in PLATFORM_HOSTS.items():
            if host == domain or host.endswith("." + domain):
                return platform
    return None


def check_redirect_uri(uri: str) -> str:
    """An absolute https URI without fragment (http only on loopback, for development)."""
    parts = urlsplit(uri)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise CredentialError(f"redirect URI must be an absolute https URL: {uri}")
    if parts.scheme == "http" and not loopback:
        raise CredentialError(f"redirect URI must use https (http only on loopback): {uri}")
    if parts.fragment or "#" in uri:
        raise CredentialError(f"redirect URI must not have a fragment: {uri}")
    return uri


def create_app(
    session: Session,
    name: str,
    redirect_uris: list[str],
    account_id: str | None = None,
    environment: str = "production",
    scopes: str | None = None,
    platform: str | None = None,
) -> IssuedSecret:
    """Register an app; its client_secret is returned here and never again."""
    if not name.strip():
        raise CredentialError("an app needs a name (the consent page shows it)")
    if not redirect_uris:
        raise CredentialError("an app needs at least one redirect URI")
    uris = [check_redirect_uri(u) for u in dict.fromkeys(redirect_uris)]
    if environment not in ENVIRONMENTS:
        raise CredentialError(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    wanted = parse_scopes(scopes) if scopes else DEFAULT_SCOPES
    bad = unknown_scopes(wanted)
    if bad:
        raise CredentialError(f"unknown scopes: {' '.join(bad)}")
    if ADMIN_SCOPE in wanted:
        raise CredentialError(f"{ADMIN_SCOPE} cannot be granted to an app")
    if platform is not None and platform not in ("zapier", "make"):
        raise CredentialError("platform must be zapier or make")
    with transaction(session):
        if account_id is not None and session.get(Account, account_id) is None:
            raise CredentialError(f"unknown account {account_id}")
        secret = generate_secret("cs_", 32)
        row = OAuthClient(
            id=new_id("app", 24),
            account_id=account_id,
            environment=environment,
            name=name.strip(),
            secret_hash=hash_secret(secret),
            scopes=format_scopes(wanted),
            kind="app",
            redirect_uris=uris,
            platform=platform or platform_of(uris),
        )
        session.add(row)
    return IssuedSecret(row.id, secret, environment, row.scopes)


def app_rep(row: OAuthClient, grants: int = 0) -> dict[str, Any]:
    return {
        "client_id": row.id,
        "name": row.name,
        "account_id": row.account_id,
        "environment": row.environment,
        "redirect_uris": list(row.redirect_uris or []),
        "scope": row.scopes,
        "platform": row.platform,
        "revoked": row.revoked,
        "created_at": iso(row.created_at),
        "active_grants": grants,
    }


def list_apps(session: Session, account_id: str | None = None) -> list[dict[str, Any]]:
    """Every app (`account_id` None), or the apps an account's users may authorize: its own
    and the installation-wide ones."""
    stmt = select(OAuthClient).where(OAuthClient.kind == "app")
    if account_id is not None:
        stmt = stmt.where((OAuthClient.account_id == account_id) | OAuthClient.account_id.is_(None))
    rows = session.scalars(stmt.order_by(OAuthClient.created_at, OAuthClient.id)).all()
    live = select(OAuthGrant.client_id, func.count()).where(OAuthGrant.revoked_at.is_(None))
    if account_id is not None:
        live = live.where(OAuthGrant.account_id == account_id)
    counts = dict(session.execute(live.group_by(OAuthGrant.client_id)).tuples().all())
    return [app_rep(r, counts.get(r.id, 0)) for r in rows]


def revoke_app(session: Session, client_id: str) -> bool:
    """Revoke an app and every grant made to it; False if it already was revoked."""
    with transaction(session):
        row = session.get(OAuthClient, client_id, with_for_update=True)
        if row is None or row.kind != "app":
            raise NotFound("app", client_id)
        was = row.revoked
        row.revoked = True
        ids = session.scalars(
            select(OAuthGrant.id).where(
                OAuthGrant.client_id == client_id, OAuthGrant.revoked_at.is_(None)
            )
        ).all()
        jtis = grant_store.revoke_rows(session, list(ids), "app_revoked", utcnow())
    grant_store.forget(jtis)
    return not was


def user_grants(session: Session, user_id: str) -> list[dict[str, Any]]:
    """What a user granted, live grants first: app, scopes, date, its active hooks."""
    rows = session.execute(
        select(OAuthGrant, OAuthClient)
        .join(OAuthClient, OAuthClient.id == OAuthGrant.client_id)
        .where(OAuthGrant.user_id == user_id)
        .order_by(OAuthGrant.revoked_at.is_not(None), OAuthGrant.created_at.desc())
    ).all()
    ids = [g.id for g, _ in rows]
    hooks: dict[str, list[dict[str, Any]]] = {}
    if ids:
        for h in session.scalars(
            select(WebhookEndpoint).where(
                WebhookEndpoint.grant_id.in_(ids), WebhookEndpoint.active.is_(True)
            )
        ):
            hooks.setdefault(h.grant_id or "", []).append(
                {"id": h.id, "event": (h.events or [""])[0], "target_url": h.url}
            )
    return [
        {
            "id": g.id,
            "app_name": c.name,
            "client_id": c.id,
            "environment": g.environment,
            "scope": g.scope,
            "created_at": iso(g.created_at),
            "revoked_at": iso(g.revoked_at),
            "revoked_reason": g.revoked_reason,
            "hooks": hooks.get(g.id, []),
        }
        for g, c in rows
    ]


def revoke_user_grant(session: Session, user_id: str, grant_id: str) -> bool:
    """The user withdraws one of his grants (another user's is 404)."""
    with transaction(session):
        grant = session.get(OAuthGrant, grant_id, with_for_update=True)
        if grant is None or grant.user_id != user_id:
            raise NotFound("grant", grant_id)
        was = grant.revoked_at is not None
        jtis = grant_store.revoke_rows(session, [grant_id], "user", utcnow())
    grant_store.forget(jtis)
    return not was
