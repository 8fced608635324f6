"""Accounts (tenants) and their credentials: OAuth clients, API keys, tokens, signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, UTCDateTime
from hub.models._common import Timestamped


class Account(Timestamped, Base):
    """One company using iValid; its settings drive scheduling and reminders."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class OAuthClient(Timestamped, Base):
    """An OAuth client; the secret kept as a hash.

    `kind` "service": a client_credentials client of one account and environment (its tokens
    act for that account). `kind` "app": a registered app (Zapier, Make, …) that account users
    authorize with the authorization-code grant; it belongs to one account, or to the whole
    installation when `account_id` is None, and its tokens act for the authorizing user's
    account (see OAuthGrant). `environment` is the environment an app's grants act in.
    """

    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the client_id
    account_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True, nullable=True
    )
    environment: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[str] = mapped_column(Text)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(12), default="service", server_default="service")
    redirect_uris: Mapped[list[str]] = mapped_column(JSON, default=list)
    # "zapier" | "make" | None: which automation platform the app is (shown by
    # GET /v2/integrations/{platform}).
    platform: Mapped[str | None] = mapped_column(String(16), nullable=True)


class OAuthGrant(Timestamped, Base):
    """An account user's authorization of an app for scopes: one connection of the app.

    Each authorization-code exchange makes one grant, whose tokens form one refresh family.
    Revoking the grant (the user in the dashboard, a reused refresh token, a replayed code)
    revokes its tokens and removes its REST hooks.
    """

    __tablename__ = "oauth_grants"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("account_users.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(12))
    scope: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)


class OAuthCode(Base):
    """An authorization code (only its SHA-256 kept): single use, short-lived, bound to the
    client, redirect URI, user and PKCE challenge. `grant_id` is set when it is exchanged, so
    a replay can revoke what it issued."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("account_users.id", ondelete="CASCADE")
    )
    environment: Mapped[str] = mapped_column(String(12))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    grant_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class ApiKey(Timestamped, Base):
    """A long-lived bearer key (`ivk_live_…`/`ivk_test_…`), stored only as its SHA-256."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200), default="")
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(24))  # first characters, to recognise a key
    scopes: Mapped[str] = mapped_column(Text)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class OAuthToken(Base):
    """An issued token pair: the access token's jti (for revocation) and the refresh token hash.

    Every pair a refresh descends from one client_credentials grant shares its `family_id`.
    A refresh sets `rotated_at` on the pair it used (a conditional update: one winner) and keeps
    the successor's answer, encrypted, in `successor` for a short grace; the used pair's access
    token stays valid until it expires or is revoked.
    """

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("oauth_clients.id", ondelete="CASCADE"), index=True
    )
    access_jti: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    family_id: Mapped[str] = mapped_column(String(64), index=True)
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    successor: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The grant (authorization-code connection) the family belongs to; None for
    # client_credentials families.
    grant_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("oauth_grants.id", ondelete="CASCADE"), index=True, nullable=True
    )


class SigningKey(Base):
    """An RSA key pair that signs access tokens; generated on first start and kept.

    `private_pem` holds the PEM encrypted with the key ring (`hub.crypto`), never in clear.
    """

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
