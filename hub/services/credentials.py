"""Accounts and credentials: created from the CLI or the dashboard, secrets shown once."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from hub.auth.scopes import ALL_SCOPES, format_scopes, parse_scopes, unknown_scopes
from hub.auth.secrets import generate_secret, hash_secret
from hub.db import transaction
from hub.ids import new_id
from hub.models import Account, ApiKey, OAuthClient
from hub.models._common import ENVIRONMENTS


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
    wanted = parse_scopes(scopes) if scopes else ALL_SCOPES
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
