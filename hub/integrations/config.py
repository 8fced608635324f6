"""Per-connector OAuth application settings, from IVALID_<PROVIDER>_* environment variables.

Each connector's spec names its prefix (`SyncSpec.env_prefix`); with prefix P:

    IVALID_P_CLIENT_ID       the OAuth client registered with the remote system (required)
    IVALID_P_CLIENT_SECRET   its secret
    IVALID_P_AUTH_URL        consent page         (default: the connector's)
    IVALID_P_TOKEN_URL       token endpoint       (default: the connector's)
    IVALID_P_REVOKE_URL      revocation endpoint  (default: the connector's)
    IVALID_P_API_URL         API root             (default: the connector's; tests: the fake)
    IVALID_P_TENANT          the remote's directory/tenant, for connectors that have one
    IVALID_P_PERMISSIONS     how new connections are granted, for connectors offering a choice
                             (e.g. "delegated" or "application")
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import connectors


def env_prefix(connector: str) -> str:
    """The IVALID_<PREFIX>_* prefix of a connector, as its spec declares it."""
    try:
        return connectors.spec_of(connector).env_prefix
    except KeyError:  # not a registered connector: derive it from the name
        return connector.split("-")[0].upper().replace(".", "_")


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
    # Further connector settings (e.g. a table of trusted hosts pointing at a fake in tests).
    extra: Mapping[str, Any] = field(default_factory=dict)
    # Options of the connector's OAuth client (`tenant`, `permissions`), set only when given.
    oauth_options: Mapping[str, str] = field(default_factory=dict)

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
        base = {"api_base_url": self.api_url} if self.api_url else {}
        return {**self.extra, **base}

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
            oauth_options={
                key: found
                for key, name in (("tenant", "TENANT"), ("permissions", "PERMISSIONS"))
                if (found := value(name))
            },
        )
