"""The one interface every connector implements, and the names a connector needs in one place.

A connector talks to exactly one remote system. It never sees the database and never refreshes
tokens itself: it is handed a `TokenProvider` that returns a valid access token, reads one page
at a time (the caller saves the cursor after every page), and raises only the errors of
`connectors.errors`. The pieces live in small modules (errors and back-off, records, spec and
manifest, OAuth client, registry); this module re-exports them for connectors' convenience.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, TypeVar

from connectors.errors import (
    AuthError,
    Conflict,
    ConnectorError,
    CursorExpired,
    InvalidRequest,
    NotFound,
    NotSupported,
    PreconditionFailed,
    RateLimited,
    TransientError,
    backoff_delay,
    parse_retry_after,
    retry_delay,
)
from connectors.oauth import (
    AuthorizationRequest,
    OAuth2Client,
    OAuthToken,
    RefreshingTokenProvider,
    RejectableTokenProvider,
    StaticTokenProvider,
    TokenProvider,
    pkce_pair,
)
from connectors.records import (
    NOTIFICATION_STATES,
    Channel,
    Cursor,
    Identity,
    Notification,
    Page,
    RemoteRecord,
)
from connectors.registry import all_manifests, all_specs, get, register, spec_of
from connectors.spec import Endpoint, Manifest, StreamSpec, SyncSpec

__all__ = [
    "NOTIFICATION_STATES",
    "AuthError",
    "AuthorizationRequest",
    "Channel",
    "Conflict",
    "Connector",
    "ConnectorError",
    "Cursor",
    "CursorExpired",
    "Endpoint",
    "Identity",
    "InvalidRequest",
    "Manifest",
    "NotFound",
    "NotSupported",
    "Notification",
    "OAuth2Client",
    "OAuthToken",
    "Page",
    "PreconditionFailed",
    "RateLimited",
    "RefreshingTokenProvider",
    "RejectableTokenProvider",
    "RemoteRecord",
    "StaticTokenProvider",
    "StreamSpec",
    "SyncSpec",
    "TokenProvider",
    "TransientError",
    "all_manifests",
    "all_specs",
    "backoff_delay",
    "get",
    "normalize_headers",
    "parse_retry_after",
    "pkce_pair",
    "register",
    "retry_delay",
    "spec_of",
]

_C = TypeVar("_C", bound="Connector")


class Connector(abc.ABC):
    """One remote system seen through one interface; subclasses set `manifest` and register."""

    manifest: ClassVar[Manifest]
    spec: ClassVar[SyncSpec]

    def __init__(self, tokens: TokenProvider, config: Mapping[str, Any] | None = None) -> None:
        """Bind the connector to a token provider and the connection's settings."""
        self.tokens = tokens
        self.config: dict[str, Any] = dict(config or {})

    @classmethod
    def oauth_client(
        cls, client_id: str, client_secret: str | None, redirect_uri: str, **endpoints: str
    ) -> OAuth2Client:
        """The OAuth 2.0 client for this connector (`endpoints` override the manifest URLs)."""
        manifest = cls.manifest.with_endpoints(**endpoints) if endpoints else cls.manifest
        return OAuth2Client(manifest, client_id, client_secret, redirect_uri)

    @abc.abstractmethod
    def check(self) -> Identity:
        """Verify the connection works and say who it is connected as."""

    @abc.abstractmethod
    def read(self, stream: str, cursor: Cursor | None) -> Iterator[Page]:
        """Yield changes since `cursor` (None: everything) one page at a time."""

    @abc.abstractmethod
    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        """Create a remote record and return it as stored."""

    @abc.abstractmethod
    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        """Change fields of a remote record if it still has `etag` (PreconditionFailed if not)."""

    @abc.abstractmethod
    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        """Delete a remote record if it still has `etag`; deleting a gone record succeeds."""

    def get(self, stream: str, remote_id: str) -> RemoteRecord:
        """Fetch one remote record (after a PreconditionFailed, typically)."""
        raise NotSupported(f"{self.manifest.name} cannot fetch single records")

    def subscribe(
        self,
        stream: str,
        address: str,
        *,
        channel_id: str | None = None,
        token: str | None = None,
        ttl: int | None = None,
    ) -> Channel:
        """Ask the remote to POST to `address` when `stream` changes."""
        raise NotSupported(f"{self.manifest.name} has no push notifications")

    def unsubscribe(self, channel: Channel) -> None:
        """Stop a channel; stopping an unknown or expired channel succeeds."""
        raise NotSupported(f"{self.manifest.name} has no push notifications")

    def verify_notification(
        self, headers: Mapping[str, str], body: bytes, expected: Channel
    ) -> bool:
        """True if an incoming push call really comes from `expected`'s subscription."""
        raise NotSupported(f"{self.manifest.name} has no push notifications")

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """Read what an incoming push call says (call `verify_notification` first)."""
        raise NotSupported(f"{self.manifest.name} has no push notifications")

    def close(self) -> None:  # noqa: B027 - optional hook, most connectors hold a pool
        """Release network resources (connections)."""

    def __enter__(self: _C) -> _C:
        """Use the connector as a context manager that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the connector."""
        self.close()


def normalize_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names, so lookups work whatever the web framework passed."""
    return {str(k).lower(): str(v) for k, v in headers.items()}
