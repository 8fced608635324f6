"""Token providers and the generic OAuth 2.0 client (authorization code + PKCE, refresh, revoke).

A connector never refreshes tokens itself: it is handed a `TokenProvider`. `OAuth2Client` is
generic over providers through requests-oauthlib; a connector whose identity provider needs its
own library overrides `Connector.oauth_client`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import requests
from oauthlib.oauth2 import InvalidGrantError, OAuth2Error
from requests_oauthlib import OAuth2Session

from connectors.errors import (
    AuthError,
    InvalidRequest,
    NotSupported,
    RateLimited,
    TransientError,
    parse_retry_after,
)
from connectors.spec import Manifest


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
        raise RateLimited(
            "token endpoint rate limited",
            status=429,
            retry_after=parse_retry_after(resp.headers.get("Retry-After")),
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
