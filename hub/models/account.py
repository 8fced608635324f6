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
    """A client_credentials client of one account and environment; the secret kept as a hash."""

    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the client_id
    account_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    environment: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200), default="")
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[str] = mapped_column(Text)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


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
