"""Per-connector OAuth application settings, from IVALID_<PROVIDER>_* environment variables.

For Google Calendar (prefix GOOGLE):

    IVALID_GOOGLE_CLIENT_ID       the OAuth client of the Google Cloud project (required)
    IVALID_GOOGLE_CLIENT_SECRET   its secret
    IVALID_GOOGLE_AUTH_URL        consent page         (default: Google's)
    IVALID_GOOGLE_TOKEN_URL       token endpoint       (default: Google's)
    IVALID_GOOGLE_REVOKE_URL      revocation endpoint  (default: Google's)
    IVALID_GOOGLE_API_URL         Calendar API root    (default: Google's; tests: the fake)

Another connector reads the same names with its own prefix (`outlook` → IVALID_OUTLOOK_*).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Connector name → environment prefix, where the first word of the name is not the one.
ENV_PREFIXES: dict[str, str] = {"google-calendar": "GOOGLE"}


def env_prefix(connector: str) -> str:
    """The IVALID_<PREFIX>_* prefix of a connector ("google-calendar" → "GOOGLE")."""
    return ENV_PREFIXES.get(connector) or connector.split("-")[0].upper().replace(".", "_")


@dataclass(frozen=True)
class ProviderConfig:
    """The registered OAuth application of one connector, and endpoint overrides."""

    connector: str
    client_id: str | None = None
    client_secret: str | None = None
    authorize_url: str | None = None
    token_url: str | None = None
    revoke_url: str | None = None
    api_url: str | None = None

    @property
    def configured(self) -> bool:
        """True when a client id is set (connecting is possible)."""
        return bool(self.client_id)

    def oauth_endpoints(self) -> dict[str, str]:
        """The overridden OAuth URLs, as `Connector.oauth_client(**endpoints)` takes them."""
        urls = {
            "authorize_url": self.authorize_url,
            "token_url": self.token_url,
            "revoke_url": self.revoke_url,
        }
        return {k: v for k, v in urls.items() if v}

    def connector_config(self) -> dict[str, Any]:
        """Connector settings implied by the overrides (the API root)."""
        return {"api_base_url": self.api_url} if self.api_url else {}

    @classmethod
    def from_env(cls, connector: str, environ: Mapping[str, str] | None = None) -> ProviderConfig:
        """Read IVALID_<PREFIX>_CLIENT_ID and friends."""
        env = os.environ if environ is None else environ
        prefix = f"IVALID_{env_prefix(connector)}_"

        def value(name: str) -> str | None:
            """One variable, stripped; None when unset or empty."""
            raw = env.get(prefix + name, "").strip()
            return raw or None

        return cls(
            connector=connector,
            client_id=value("CLIENT_ID"),
            client_secret=value("CLIENT_SECRET"),
            authorize_url=value("AUTH_URL"),
            token_url=value("TOKEN_URL"),
            revoke_url=value("REVOKE_URL"),
            api_url=value("API_URL"),
        )
