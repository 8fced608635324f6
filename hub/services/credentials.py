"""Accounts and credentials: created from the CLI or the dashboard, secrets shown once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.auth.scopes import DEFAULT_SCOPES, format_scopes, parse_scopes, unknown_scopes
from hub.auth.secrets import generate_secret, hash_secret
from hub.db import transaction
from hub.errors import NotFound
from hub.ids import new_id
from hub.models import Account, ApiKey, OAuthClient, OAuthToken
from hub.models._common import ENVIRONMENTS
from hub.services import hooks
from hub.timeutil import iso


class CredentialError(ValueError):
    """A bad argument when creating an account or a credential."""


@dataclass(frozen=True)
class IssuedSecret:
    """A credential as shown once to its owner."""

    id: str
    secret: str
    environment: str
    scopes: str


def _check(session: Session, account_id: str, environment: str, scopes: str | None) -> str:
    if session.get(Account, account_id) is None:
        raise CredentialError(f"unknown account {account_id}")
    if environment not in ENVIRONMENTS:
        raise CredentialError(f"environment must be one of {', '.join(ENVIRONMENTS)}")
    wanted = parse_scopes(scopes) if scopes else DEFAULT_SCOPES
    bad = unknown_scopes(wanted)
    if bad:
        raise CredentialError(f"unknown scopes: {' '.join(bad)}")
    return format_scopes(wanted)


def create_account(session: Session, name: str, timezone: str = "Europe/Paris") -> Account:
    """A new account (company)."""
    if not name.strip():
        raise CredentialError("name is required")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CredentialError(f"unknown time zone {timezone}") from exc
    with transaction(session):
        account = Account(id=new_id("acct"), name=name.strip(), timezone=timezone, settings={})
        session.add(account)
    return account


def create_client(
    session: Session, account_id: str, environment: str, scopes: str | None, name: str = ""
) -> IssuedSecret:
    """A client_credentials client; the secret is returned here and never again."""
    with transaction(session):
        granted = _check(session, account_id, environment, scopes)
        secret = generate_secret("cs_", 32)
        client = OAuthClient(
            id=new_id("cli", 24),
            account_id=account_id,
            environment=environment,
            name=name,
            secret_hash=hash_secret(secret),
            scopes=granted,
        )
        session.add(client)
    return IssuedSecret(client.id, secret, environment, granted)


def create_key(
    session: Session, account_id: str, environment: str, scopes: str | None, name: str = ""
) -> IssuedSecret:
    """An API key `ivk_live_…` (production) or `ivk_test_…` (sandbox); shown once."""
    with transaction(session):
        granted = _check(session, account_id, environment, scopes)
        prefix = "ivk_live_" if environment == "production" else "ivk_test_"
        key = generate_secret(prefix, 32)
        row = ApiKey(
            id=new_id("key"),
            account_id=account_id,
            environment=environment,
            name=name,
            key_hash=hash_secret(key),
            prefix=key[:16],
            scopes=granted,
        )
        session.add(row)
    return IssuedSecret(row.id, key, environment, granted)


# --- revoking, rotating, listing (the dashboard, `ivalid keys|clients revoke`, the API) ------


def _owned_key(session: Session, account_id: str | None, key_id: str) -> ApiKey:
    """The key, locked; another account's (or none) is NotFound. None: any account (CLI)."""
    row = session.get(ApiKey, key_id, with_for_update=True)
    if row is None or (account_id is not None and row.account_id != account_id):
        raise NotFound("api_key", key_id)
    return row


def _owned_client(session: Session, account_id: str | None, client_id: str) -> OAuthClient:
    row = session.get(OAuthClient, client_id, with_for_update=True)
    if row is None or (account_id is not None and row.account_id != account_id):
        raise NotFound("oauth_client", client_id)
    return row


def revoke_key(session: Session, account_id: str | None, key_id: str) -> bool:
    """Revoke an API key at once (processes trust a cached look-up a few seconds more).

    Returns False when it was already revoked; revoking twice is not an error.
    """
    with transaction(session):
        row = _owned_key(session, account_id, key_id)
        was = row.revoked
        row.revoked = True
        hooks.drop_owned(session, f"key:{key_id}", "credential_revoked")
    return not was


def rotate_key(session: Session, account_id: str | None, key_id: str) -> IssuedSecret:
    """Replace a live key by a new one with the same name, environment and scopes."""
    with transaction(session):
        row = _owned_key(session, account_id, key_id)
        if row.revoked:
            raise CredentialError(f"API key {key_id} is revoked")
        account, environment, scopes, name = row.account_id, row.environment, row.scopes, row.name
    # The successor first, then the old key revoked and its REST hooks handed over in one
    # transaction: a crash in between leaves both keys live, never hooks without an owner.
    issued = create_key(session, account, environment, scopes, name)
    with transaction(session):
        row = _owned_key(session, account_id, key_id)
        row.revoked = True
        hooks.transfer_owned(session, f"key:{key_id}", f"key:{issued.id}")
    return issued


def revoke_client(session: Session, account_id: str | None, client_id: str) -> bool:
    """Revoke an OAuth client and every token it was issued; False if already revoked."""
    with transaction(session):
        row = _owned_client(session, account_id, client_id)
        was = row.revoked
        row.revoked = True
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.client_id == client_id, OAuthToken.revoked.is_(False))
            .values(revoked=True)
            .execution_options(synchronize_session=False)
        )
        hooks.drop_owned(session, f"client:{client_id}", "credential_revoked")
    return not was


def rotate_client(session: Session, account_id: str | None, client_id: str) -> IssuedSecret:
    """A new secret for a live client (same client_id); tokens already issued stay valid."""
    with transaction(session):
        row = _owned_client(session, account_id, client_id)
        if row.revoked:
            raise CredentialError(f"client {client_id} is revoked")
        secret = generate_secret("cs_", 32)
        row.secret_hash = hash_secret(secret)
        return IssuedSecret(row.id, secret, row.environment, row.scopes)


def list_credentials(session: Session, account_id: str, environment: str) -> dict[str, Any]:
    """An environment's keys and clients, newest first, without any secret."""
    keys = session.scalars(
        select(ApiKey)
        .where(ApiKey.account_id == account_id, ApiKey.environment == environment)
        .order_by(ApiKey.created_at.desc(), ApiKey.id)
    ).all()
    clients = session.scalars(
        select(OAuthClient)
        .where(
            OAuthClient.account_id == account_id,
            OAuthClient.environment == environment,
            OAuthClient.kind == "service",
        )
        .order_by(OAuthClient.created_at.desc(), OAuthClient.id)
    ).all()
    issued = dict(
        session.execute(
            select(OAuthToken.client_id, func.max(OAuthToken.issued_at))
            .where(OAuthToken.client_id.in_([c.id for c in clients]))
            .group_by(OAuthToken.client_id)
        )
        .tuples()
        .all()
    )
    return {
        "api_keys": [
            {
                "id": k.id,
                "name": k.name,
                "prefix": k.prefix,
                "scopes": k.scopes.split(),
                "revoked": k.revoked,
                "created_at": iso(k.created_at),
                "last_used_at": iso(k.last_used_at),
            }
            for k in keys
        ],
        "clients": [
            {
                "id": c.id,
                "name": c.name,
                "scopes": c.scopes.split(),
                "revoked": c.revoked,
                "created_at": iso(c.created_at),
                "last_used_at": iso(issued.get(c.id)),
            }
            for c in clients
        ],
    }
