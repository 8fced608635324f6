"""The one interface every connector implements: records, errors, OAuth 2.0 helpers, registry.

A connector talks to exactly one remote system. It never sees the database and never refreshes
tokens itself: it is handed a `TokenProvider` that returns a valid access token, reads one page
at a time (the caller saves the cursor after every page), and raises only the errors below, so
the sync engine can decide uniformly: reconnect (`AuthError`), retry later (`TransientError`,
`RateLimited`), re-read then retry (`PreconditionFailed`), clear the cursor and full-sync
(`CursorExpired`), or give up on one record (`NotFound`, `InvalidRequest`).
"""

from __future__ import annotations

import abc
import base64
import dataclasses
import hashlib
import importlib
import pkgutil
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

import requests
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from requests_oauthlib import OAuth2Session

Cursor = dict[str, Any]
"""A connector's resumable position in a stream: JSON-serialisable and opaque to the caller."""

NOTIFICATION_STATES = ("sync", "exists", "not_exists")

# --------------------------------------------------------------------------------------- errors


class ConnectorError(Exception):
    """Base of every error a connector raises; carries the HTTP status and vendor reason."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str = "",
        *,
        status: int | None = None,
        reason: str | None = None,
        details: Any = None,
    ) -> None:
        """Build the error; `reason` is the vendor's machine-readable code when it gave one."""
        super().__init__(message or type(self).__name__)
        self.message = message or type(self).__name__
        self.status = status
        self.reason = reason
        self.details = details


class AuthError(ConnectorError):
    """A person must reconnect: invalid_grant, 401 after a refresh, a scope not granted."""


class TransientError(ConnectorError):
    """Retry later with backoff: 5xx, network failure, per-user or per-project quota."""

    retryable = True


class RateLimited(TransientError):
    """The remote asked us to slow down (429); `retry_after` seconds when it said so."""

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kw: Any) -> None:
        """Build the error with the server's Retry-After, if any."""
        super().__init__(message, **kw)
        self.retry_after = retry_after


class PreconditionFailed(ConnectorError):
    """The remote record changed since its etag was read (412): re-read, merge, retry."""


class CursorExpired(ConnectorError):
    """The stream cursor is no longer valid (410): clear it and run a full sync."""


class NotFound(ConnectorError):
    """The remote record (or channel) does not exist."""


class Conflict(ConnectorError):
    """The remote refused a create because a record with that id already exists (409)."""


class InvalidRequest(ConnectorError):
    """The remote rejected the request itself (400, 403 forbidden, 422): retrying won't help."""


class NotSupported(ConnectorError):
    """This connector does not offer the operation (e.g. push notifications)."""


def backoff_delay(
    attempt: int, base: float = 1.0, cap: float = 300.0, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number `attempt` (0-based): exponential with full jitter."""
    ceiling = min(cap, base * (2 ** max(attempt, 0)))
    return (rng or random).uniform(0.0, ceiling)


def retry_delay(
    error: ConnectorError,
    attempt: int,
    base: float = 1.0,
    cap: float = 300.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retrying after `error`: the server's Retry-After wins when given."""
    delay = backoff_delay(attempt, base, cap, rng)
    if isinstance(error, RateLimited) and error.retry_after is not None:
        return max(delay, error.retry_after)
    return delay


# -------------------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Identity:
    """Who a connection is connected as (shown in the dashboard, checked on reconnect)."""

    id: str
    email: str | None = None
    display_name: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RemoteRecord:
    """One remote object as the remote returned it, with its id and version (etag)."""

    id: str
    etag: str | None
    data: dict[str, Any]
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Page:
    """One page of changes: the caller applies it, then saves `next_cursor` before the next one."""

    records: list[RemoteRecord]
    deleted: list[str]
    next_cursor: Cursor
    done: bool


@dataclass(frozen=True)
class Channel:
    """A push-notification subscription: what to verify incoming calls against, and to stop."""

    id: str
    resource_id: str
    token: str
    expires_at: datetime | None
    stream: str = ""
    resource_uri: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for storage."""
        data = dataclasses.asdict(self)
        data["expires_at"] = self.expires_at.isoformat() if self.expires_at else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Channel:
        """Rebuild a channel saved with `to_dict`."""
        expires = data.get("expires_at")
        return cls(
            id=data["id"],
            resource_id=data["resource_id"],
            token=data["token"],
            expires_at=datetime.fromisoformat(expires) if expires else None,
            stream=data.get("stream", ""),
            resource_uri=data.get("resource_uri"),
        )


@dataclass(frozen=True)
class Notification:
    """A parsed push notification; `changed` is False for the handshake sent on subscribe."""

    channel_id: str
    resource_id: str | None
    state: str
    message_number: int | None
    changed: bool
    expires_at: datetime | None = None


# ------------------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class Manifest:
    """What a connector is and needs: shown in the dashboard, drives OAuth and the scheduler."""

    name: str
    display_name: str
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    streams: tuple[str, ...]
    auth_type: Literal["oauth2"] = "oauth2"
    revoke_url: str | None = None
    default_sync_interval: int = 300
    supports_push: bool = False
    authorize_params: Mapping[str, str] = field(default_factory=dict)

    def with_endpoints(self, **urls: str) -> Manifest:
        """A copy with some OAuth URLs replaced (a fake in tests, a sovereign cloud in prod)."""
        allowed = {"authorize_url", "token_url", "revoke_url"}
        unknown = set(urls) - allowed
        if unknown:
            raise ValueError(f"unknown endpoint(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **urls)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for the API and the dashboard."""
        data = dataclasses.asdict(self)
        data["scopes"] = list(self.scopes)
        data["streams"] = list(self.streams)
        data["authorize_params"] = dict(self.authorize_params)
        return data


# --------------------------------------------------------------------------------------- tokens


@runtime_checkable
class TokenProvider(Protocol):
    """Hands a connector a valid access token; refreshing and storing tokens is its business."""

    def get_access_token(self) -> str:
        """Return an access token that is valid now."""
        ...


@runtime_checkable
class RejectableTokenProvider(TokenProvider, Protocol):
    """A provider that can be told a token was refused (401), so the next call refreshes."""

    def token_rejected(self, token: str) -> None:
        """Forget `token`: the remote answered 401 to it."""
        ...


class StaticTokenProvider:
    """A provider for one fixed token (tests, or a config flow before a connection is saved)."""

    def __init__(self, access_token: str) -> None:
        """Keep the token."""
        self._token = access_token

    def get_access_token(self) -> str:
        """Return the fixed token."""
        return self._token


@dataclass(frozen=True)
class OAuthToken:
    """An OAuth 2.0 token set as returned by a token endpoint, with an absolute expiry."""

    access_token: str
    refresh_token: str | None
    expires_at: float | None
    scopes: tuple[str, ...]
    token_type: str = "Bearer"
    raw: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, data: Mapping[str, Any], now: float | None = None) -> OAuthToken:
        """Build from a token endpoint's JSON (requests-oauthlib's token dict)."""
        now = time.time() if now is None else now
        expires_at = data.get("expires_at")
        if expires_at is None and data.get("expires_in") is not None:
            expires_at = now + float(data["expires_in"])
        scope = data.get("scope") or ()
        scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope)
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=float(expires_at) if expires_at is not None else None,
            scopes=scopes,
            token_type=str(data.get("token_type", "Bearer")),
            raw=dict(data),
        )

    def expires_within(self, seconds: float, now: float | None = None) -> bool:
        """True if the access token is expired or will be within `seconds`."""
        if self.expires_at is None:
            return False
        return (time.time() if now is None else now) + seconds >= self.expires_at


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the user, and what to keep in their session until the callback."""

    url: str
    state: str
    code_verifier: str


def pkce_pair(code_verifier: str | None = None) -> tuple[str, str]:
    """Return (code_verifier, S256 code_challenge) as RFC 7636 defines them."""
    verifier = code_verifier or secrets.token_urlsafe(64)[:96]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuth2Client:
    """Authorization-code flow with PKCE, code exchange, refresh and revocation for one app.

    Generic over providers through requests-oauthlib; a connector whose identity provider needs
    its own library (Outlook and msal) overrides `Connector.oauth_client`.
    """

    def __init__(
        self,
        manifest: Manifest,
        client_id: str,
        client_secret: str | None,
        redirect_uri: str,
        *,
        timeout: float = 30.0,
    ) -> None:
        """Configure the client for one registered OAuth application."""
        self.manifest = manifest
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout

    def authorization_url(
        self, state: str | None = None, code_verifier: str | None = None, **extra: str
    ) -> AuthorizationRequest:
        """Build the consent URL with `state` and a PKCE S256 challenge."""
        state = state or secrets.token_urlsafe(32)
        verifier, challenge = pkce_pair(code_verifier)
        params = {**self.manifest.authorize_params, **extra}
        with self._session(scope=self.manifest.scopes) as session:
            url, _ = session.authorization_url(
                self.manifest.authorize_url,
                state=state,
                code_challenge=challenge,
                code_challenge_method="S256",
                **params,
            )
        return AuthorizationRequest(url=url, state=state, code_verifier=verifier)

    def exchange_code(self, code: str, code_verifier: str) -> OAuthToken:
        """Trade the authorization code from the callback for tokens."""

        def call(session: OAuth2Session) -> Any:
            return session.fetch_token(
                self.manifest.token_url,
                code=code,
                code_verifier=code_verifier,
                include_client_id=True,
                client_secret=self.client_secret,
                timeout=self.timeout,
            )

        return self._token_call(call, scope=self.manifest.scopes)

    def refresh(self, refresh_token: str) -> OAuthToken:
        """Get a new access token; the refresh token is kept when the server sends none."""

        def call(session: OAuth2Session) -> Any:
            extra = {"client_id": self.client_id}
            if self.client_secret is not None:
                extra["client_secret"] = self.client_secret
            return session.refresh_token(
                self.manifest.token_url,
                refresh_token=refresh_token,
                timeout=self.timeout,
                **extra,
            )

        return self._token_call(call, scope=None)

    def revoke(self, token: str) -> None:
        """Revoke a token at the provider; a token already invalid counts as revoked."""
        if not self.manifest.revoke_url:
            raise NotSupported(f"{self.manifest.name} has no revocation endpoint")
        try:
            with requests.Session() as http:
                resp = http.post(
                    self.manifest.revoke_url, data={"token": token}, timeout=self.timeout
                )
        except requests.RequestException as err:
            raise TransientError(f"token revocation failed: {err}") from err
        _raise_for_revocation(resp)

    def _session(self, scope: Sequence[str] | None) -> OAuth2Session:
        session = OAuth2Session(
            self.client_id, redirect_uri=self.redirect_uri, scope=list(scope) if scope else None
        )
        for hook in ("access_token_response", "refresh_token_response"):
            session.register_compliance_hook(hook, _raise_for_token_endpoint)
        return session

    def _token_call(
        self, call: Callable[[OAuth2Session], Any], scope: Sequence[str] | None
    ) -> OAuthToken:
        with self._session(scope) as session:
            try:
                data = call(session)
            except InvalidGrantError as err:
                raise AuthError(
                    err.description or "invalid_grant", status=400, reason="invalid_grant"
                ) from err
            except OAuth2Error as err:
                cls = AuthError if err.error in _AUTH_OAUTH_ERRORS else InvalidRequest
                raise cls(
                    err.description or err.error, status=err.status_code, reason=err.error
                ) from err
            except requests.RequestException as err:
                raise TransientError(f"token endpoint unreachable: {err}") from err
            except Warning as warning:  # oauthlib raises this when the granted scope differs
                data = getattr(warning, "token", None)
                if data is None:
                    raise
        token = OAuthToken.from_response(data)
        if scope and token.scopes:
            missing = set(scope) - set(token.scopes)
            if missing:
                raise AuthError(
                    f"scope not granted: {' '.join(sorted(missing))}", reason="scope_not_granted"
                )
        return token


_AUTH_OAUTH_ERRORS = {"invalid_client", "unauthorized_client", "access_denied", "invalid_scope"}


def _raise_for_token_endpoint(resp: requests.Response) -> requests.Response:
    """Turn a token endpoint's 5xx/429 into our errors; OAuth errors are left to oauthlib."""
    if resp.status_code == 429:
        retry = resp.headers.get("Retry-After")
        raise RateLimited(
            "token endpoint rate limited",
            status=429,
            retry_after=float(retry) if retry and retry.isdigit() else None,
        )
    if resp.status_code >= 500:
        raise TransientError(f"token endpoint answered {resp.status_code}", status=resp.status_code)
    return resp


def _raise_for_revocation(resp: requests.Response) -> None:
    """Accept a revocation answer; RFC 7009 says an unknown token counts as revoked."""
    _raise_for_token_endpoint(resp)
    if resp.status_code == 400 and "invalid_token" in resp.text:
        return
    if resp.status_code >= 400:
        raise InvalidRequest(f"revocation refused: {resp.text[:200]}", status=resp.status_code)


class RefreshingTokenProvider:
    """A thread-safe in-memory TokenProvider that refreshes through an `OAuth2Client`.

    The hub wraps it with persistence (`on_refresh` stores the new token, encrypted); tests and
    benchmarks use it as is. It refreshes `leeway` seconds before expiry and after a 401.
    """

    def __init__(
        self,
        client: OAuth2Client,
        token: OAuthToken,
        on_refresh: Callable[[OAuthToken], None] | None = None,
        leeway: float = 60.0,
    ) -> None:
        """Start from a token obtained by `OAuth2Client.exchange_code` (or loaded from storage)."""
        self.client = client
        self.token = token
        self._on_refresh = on_refresh
        self._leeway = leeway
        self._lock = threading.Lock()

    def get_access_token(self) -> str:
        """Return a valid access token, refreshing first if it is about to expire."""
        with self._lock:
            if self.token.expires_within(self._leeway):
                self._refresh_locked()
            return self.token.access_token

    def token_rejected(self, token: str) -> None:
        """Refresh now if `token` is still the current one (another thread may have done it)."""
        with self._lock:
            if token == self.token.access_token:
                self._refresh_locked()

    def _refresh_locked(self) -> None:
        if not self.token.refresh_token:
            raise AuthError("access token expired and no refresh token", reason="no_refresh_token")
        self.token = self.client.refresh(self.token.refresh_token)
        if self._on_refresh is not None:
            self._on_refresh(self.token)


# ------------------------------------------------------------------------------------ connector


_C = TypeVar("_C", bound="Connector")


class Connector(abc.ABC):
    """One remote system seen through one interface; subclasses set `manifest` and register."""

    manifest: ClassVar[Manifest]

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


# ------------------------------------------------------------------------------------- registry

_REGISTRY: dict[str, type[Connector]] = {}
_LOADED = False
_LOAD_LOCK = threading.Lock()


def register(connector_cls: type[_C]) -> type[_C]:
    """Class decorator: make a connector findable by its manifest name."""
    manifest = getattr(connector_cls, "manifest", None)
    if not isinstance(manifest, Manifest):
        raise TypeError(f"{connector_cls.__name__} has no Manifest")
    existing = _REGISTRY.get(manifest.name)
    if existing is not None and existing is not connector_cls:
        raise ValueError(f"connector {manifest.name!r} is already registered by {existing!r}")
    _REGISTRY[manifest.name] = connector_cls
    return connector_cls


def _load_builtin() -> None:
    """Import every sub-package of `connectors`, so each registers itself (once)."""
    global _LOADED
    with _LOAD_LOCK:
        if _LOADED:
            return
        package = importlib.import_module(__package__ or "connectors")
        for info in pkgutil.iter_modules(package.__path__):
            if info.ispkg:
                importlib.import_module(f"{package.__name__}.{info.name}")
        _LOADED = True


def get(name: str) -> type[Connector]:
    """The connector class registered under `name` (e.g. "google-calendar")."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"unknown connector {name!r} (known: {known})") from None


def all_manifests() -> list[Manifest]:
    """Manifests of every registered connector, sorted by name."""
    _load_builtin()
    return [_REGISTRY[name].manifest for name in sorted(_REGISTRY)]


def normalize_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names, so lookups work whatever the web framework passed."""
    return {str(k).lower(): str(v) for k, v in headers.items()}
