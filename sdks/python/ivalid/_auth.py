"""Credentials: a fixed API key, or OAuth 2.0 client credentials with a cached, refreshed token."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Protocol

import requests

from ._errors import APIConnectionError, AuthenticationError, error_from_response

# Refresh this long before the token expires, so a request never leaves with a dying token; at
# most a tenth of the lifetime, for servers configured with very short-lived tokens.
REFRESH_MARGIN_SECONDS = 60.0


class Credentials(Protocol):
    """Hands the transport the bearer token to send, and hears when the server rejected it."""

    def bearer(self) -> str:
        """The token for the next request."""
        ...

    def invalidate(self, token: str) -> bool:
        """Forget `token` after a 401; True if asking again may give a different token."""
        ...


class ApiKeyCredentials:
    """An API key sent as the bearer token as is."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def bearer(self) -> str:
        """The API key."""
        return self._api_key

    def invalidate(self, token: str) -> bool:
        """An API key cannot be renewed: a 401 is final."""
        return False


class ClientCredentials:
    """OAuth 2.0 client credentials: fetches a token, caches it, and renews it before it expires.

    Renewal uses the refresh token when the server gave one and falls back to a new
    client-credentials grant if the refresh is refused. Thread-safe: concurrent requests share one
    token and only one of them fetches a new one.
    """

    def __init__(
        self,
        *,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | None,
        post: Callable[..., requests.Response],
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._scope = scope
        self._post = post
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._access_token: str | None = None
        self._refresh_token: str | None = None
        self._refresh_at = 0.0
        self._expires_at = 0.0

    @property
    def access_token(self) -> str | None:
        """The cached access token, if one was fetched (for diagnostics)."""
        return self._access_token

    @property
    def expires_in(self) -> float | None:
        """Seconds until the cached token expires, or None without one."""
        if self._access_token is None:
            return None
        return self._expires_at - self._clock()

    def bearer(self) -> str:
        """A valid access token, fetched or refreshed first if needed."""
        with self._lock:
            if self._access_token is None or self._clock() >= self._refresh_at:
                self._renew()
            assert self._access_token is not None
            return self._access_token

    def invalidate(self, token: str) -> bool:
        """Drop `token` if it is still the cached one; the next `bearer()` fetches a new one."""
        with self._lock:
            if self._access_token == token:
                self._access_token = None
        return True

    def _renew(self) -> None:
        if self._refresh_token:
            try:
                self._store(
                    self._grant(
                        {"grant_type": "refresh_token", "refresh_token": self._refresh_token}
                    )
                )
                return
            except AuthenticationError:
                pass  # refresh token expired or revoked: start over with the client's secret
        body: dict[str, Any] = {"grant_type": "client_credentials"}
        if self._scope:
            body["scope"] = self._scope
        self._store(self._grant(body))

    def _grant(self, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "client_id": self._client_id, "client_secret": self._client_secret}
        try:
            response = self._post(self.token_url, json=body, timeout=self._timeout)
        except requests.RequestException as exc:
            raise APIConnectionError(
                f"Could not reach the token endpoint {self.token_url}: {exc}"
            ) from exc
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code != 200 or not isinstance(payload, dict):
            error = error_from_response(
                response.status_code, payload, dict(response.headers), response.text
            )
            if isinstance(payload, dict) and isinstance(payload.get("error"), str):
                # RFC 6749 token errors are flat: {"error": "invalid_client", ...}
                error.code = payload["error"]
                error.message = str(payload.get("error_description") or payload["error"])
            if response.status_code in (400, 401) and not isinstance(error, AuthenticationError):
                error = AuthenticationError(
                    error.message,
                    http_status=error.http_status,
                    code=error.code,
                    details=error.details,
                    request_id=error.request_id,
                    headers=error.headers,
                    json_body=error.json_body,
                    http_body=error.http_body,
                )
            raise error
        if not isinstance(payload.get("access_token"), str):
            raise AuthenticationError(
                "The token endpoint answered without an access_token",
                http_status=response.status_code,
                json_body=payload,
            )
        return payload

    def _store(self, payload: dict[str, Any]) -> None:
        now = self._clock()
        try:
            lifetime = float(payload.get("expires_in") or 3600)
        except (TypeError, ValueError):
            lifetime = 3600.0
        self._access_token = payload["access_token"]
        self._refresh_token = payload.get("refresh_token") or self._refresh_token
        self._expires_at = now + lifetime
        self._refresh_at = now + lifetime - min(REFRESH_MARGIN_SECONDS, lifetime / 10)
