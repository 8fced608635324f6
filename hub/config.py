"""Settings from IVALID_* environment variables, with embedded defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any


def _default_data_dir() -> Path:
    return Path(os.environ.get("IVALID_DATA_DIR", Path.cwd() / "instance")).resolve()


@dataclass(frozen=True)
class Settings:
    """Every knob of the hub; read once at start-up, never from a request."""

    data_dir: Path = field(default_factory=_default_data_dir)
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    # Fernet keys, newest first, comma-separated: MultiFernet decrypts with any key and
    # encrypts with the first.
    encryption_keys: str = ""
    public_url: str = "http://127.0.0.1:8000"
    rate_limit: str = "1000/minute"
    # Attempts at /oauth/token: per client id, and per caller address (all clients together).
    token_rate_limit_client: str = "30/minute"
    token_rate_limit_address: str = "60/minute"
    # Reverse proxies in front of the hub that append X-Forwarded-For (0: the header is
    # ignored, so a caller cannot pick the address its attempts are counted under).
    proxy_hops: int = 0
    max_body_bytes: int = 1024 * 1024
    access_token_ttl: int = 3600
    # How long a process may trust a credential look-up; revocations elsewhere show within it.
    credential_cache_seconds: int = 5
    refresh_token_ttl: int = 30 * 24 * 3600
    # A rotated refresh token presented again within this many seconds answers the same
    # successor (two workers refreshing at once); later, it revokes its whole family.
    refresh_grace_seconds: int = 10
    # Lifetime of an authorization code (RFC 6749 4.1.2 recommends 10 minutes at most: longer
    # values are capped at 600).
    authorization_code_ttl: int = 300
    idempotency_ttl: int = 24 * 3600
    webhook_allowlist: str = ""
    smtp_url: str = ""
    osrm_url: str = ""
    # Stripe (connectors/stripe): the platform key of Connect mode, the platform webhook
    # endpoint's signing secret, and another API base (tests: the loopback fake).
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    sql_echo: bool = False

    @classmethod
    def from_env(cls, overrides: dict[str, Any] | None = None) -> Settings:
        """Read IVALID_<NAME> for every field; `overrides` (tests) win over the environment."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(f"IVALID_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("bool", bool):
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            elif f.name == "data_dir":
                values[f.name] = Path(raw).resolve()
            else:
                values[f.name] = raw
        values.update(overrides or {})
        if "data_dir" in values:
            values["data_dir"] = Path(values["data_dir"]).resolve()
        settings = cls(**values)
        # Owner only: the directory holds the SQLite file, the secret key, the encryption key.
        settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not settings.database_url:
            object.__setattr__(
                settings, "database_url", f"sqlite:///{settings.data_dir / 'ivalid.db'}"
            )
        if not settings.secret_key:
            object.__setattr__(settings, "secret_key", _persistent_secret(settings.data_dir))
        return settings

    @property
    def is_sqlite(self) -> bool:
        """True when the embedded SQLite database is in use."""
        return self.database_url.startswith("sqlite")


def _persistent_secret(data_dir: Path) -> str:
    """A random secret generated on first start and kept in the data directory."""
    import secrets

    from hub.secretfile import read_or_create

    return read_or_create(data_dir / "secret_key", lambda: secrets.token_urlsafe(48))[0]
