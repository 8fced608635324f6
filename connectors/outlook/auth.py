"""Microsoft identity through msal: the auth code flow, a serialisable token cache, providers.

msal owns the protocol (PKCE, state, nonce, refresh-token rotation, throttling); this module
only adapts it to the connector framework:

- `MsalAuth`: one Entra ID app registration + one connection's `SerializableTokenCache`. The
  hub hands the cache in as a JSON string (`load_cache`) and stores `dump_cache()` — encrypted
  at rest — whenever `has_changed` says so (or from the provider's `on_cache_change`).
- `MsalTokenProvider`: the `TokenProvider` the connector gets; `acquire_token_silent` under the
  hood, a forced refresh after a 401.
- `OutlookOAuthClient` (oauth.py) is the `OAuth2Client` face of the same thing, so hub code
  written for Google's connect flow (authorization_url / exchange_code / refresh) works.

Every msal failure becomes a `connectors.base` error: invalid_grant and friends → AuthError
(reconnect), network and 5xx → TransientError.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import msal
import requests
from msal.exceptions import MsalServiceError

from connectors.base import (
    AuthError,
    InvalidRequest,
    OAuthToken,
    TransientError,
)

from . import const
from .authority import authority_url

# What reaching the identity platform can raise: network errors, and msal's wrapper for a
# 5xx answer (its throttling layer replaces requests' HTTPError with MsalServiceError).
_UNREACHABLE = (requests.RequestException, MsalServiceError)
# msal's HTTP timeout when it builds its own session; an injected http_client keeps its own.
_DEFAULT_TIMEOUT = 30.0


def _token_error(result: Mapping[str, Any], what: str) -> AuthError | TransientError:
    """The connector error for an msal result carrying "error"."""
    error = str(result.get("error") or "unknown_error")
    description = str(result.get("error_description") or "")
    first_line = description.splitlines()[0] if description else ""
    details = {
        key: result[key]
        for key in ("error_codes", "suberror", "classification", "correlation_id")
        if key in result
    }
    message = f"{what} failed: {error}" + (f" ({first_line})" if first_line else "")
    if error in const.TRANSIENT_TOKEN_ERRORS:
        return TransientError(message, status=None, reason=error, details=details)
    return AuthError(message, status=400, reason=error, details=details)


def _to_token(result: Mapping[str, Any], account: Mapping[str, Any] | None) -> OAuthToken:
    """An msal success result as our OAuthToken (raw carries the account's identity)."""
    claims = result.get("id_token_claims") or {}
    scope = result.get("scope") or ""
    scopes = tuple(scope.split()) if isinstance(scope, str) else tuple(scope)
    expires_in = result.get("expires_in")
    home_account_id = (account or {}).get("home_account_id")
    if not home_account_id and result.get("client_info"):
        info = _decode_client_info(str(result["client_info"]))
        if info.get("uid") and info.get("utid"):
            home_account_id = f"{info['uid']}.{info['utid']}"
    raw = {
        "home_account_id": home_account_id,
        "username": (account or {}).get("username") or claims.get("preferred_username"),
        "name": claims.get("name"),
        "tenant_id": claims.get("tid") or (account or {}).get("realm"),
        "object_id": claims.get("oid"),
        "token_source": result.get("token_source"),
    }
    return OAuthToken(
        access_token=str(result["access_token"]),
        refresh_token=result.get("refresh_token"),
        expires_at=time.time() + float(expires_in) if expires_in is not None else None,
        scopes=scopes,
        token_type=str(result.get("token_type", "Bearer")),
        raw=raw,
    )


def _decode_client_info(value: str) -> dict[str, Any]:
    try:
        padded = value + "=" * (-len(value) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error):
        return {}
    return data if isinstance(data, dict) else {}


class MsalAuth:
    """One Entra ID app registration driving one connection's msal token cache."""

    def __init__(
        self,
        client_id: str,
        client_secret: str | None,
        *,
        authority: str | None = None,
        tenant: str | None = None,
        redirect_uri: str | None = None,
        scopes: Sequence[str] = const.SCOPES,
        http_client: Any = None,
        cache: str | None = None,
        instance_discovery: bool | None = None,
        timeout: float = _DEFAULT_TIMEOUT,
        response_mode: str = const.DEFAULT_RESPONSE_MODE,
        permissions: str = const.PERMISSIONS_DELEGATED,
    ) -> None:
        """Configure the app; no network until the first call (msal discovers the authority).

        `permissions="application"`: tokens come from the client credentials grant (the
        app's own identity in the authority's tenant, after an admin consented), for
        Graph's "/.default" scope; there is no user, account or refresh token.
        """
        self.permissions = permissions
        if permissions == const.PERMISSIONS_APPLICATION:
            scopes = const.APP_SCOPES
        reserved = const.RESERVED_SCOPES & {s.lower() for s in scopes}
        if reserved:
            raise InvalidRequest(
                f"msal adds {', '.join(sorted(reserved))} itself; leave them out of the scopes",
                reason="reserved_scope",
            )
        self.client_id = client_id
        self.authority = authority or authority_url(tenant)
        self.redirect_uri = redirect_uri
        self.scopes = list(scopes)
        self.response_mode = response_mode
        self._client_secret = client_secret
        self.http_client = http_client
        self._instance_discovery = instance_discovery
        self._timeout = timeout
        self._cache = msal.SerializableTokenCache()
        self._app: msal.ConfidentialClientApplication | None = None
        self._lock = threading.RLock()
        self.load_cache(cache)

    # ------------------------------------------------------------------------ cache

    def load_cache(self, serialized: str | None) -> None:
        """Replace the token cache with a state saved by `dump_cache` (None/"": empty)."""
        with self._lock:
            try:
                self._cache.deserialize(serialized or None)
            except ValueError as err:
                raise AuthError("unreadable token cache", reason="invalid_cache") from err

    def dump_cache(self) -> str:
        """The token cache as a JSON string, for the hub to encrypt and store."""
        with self._lock:
            return str(self._cache.serialize())

    @property
    def has_changed(self) -> bool:
        """True if the cache changed since it was loaded or last dumped (store it then)."""
        return bool(self._cache.has_state_changed)

    # -------------------------------------------------------------------------- app

    @property
    def app(self) -> msal.ConfidentialClientApplication:
        """The msal application (built on first use: msal fetches the OpenID configuration)."""
        with self._lock:
            if self._app is None:
                kwargs: dict[str, Any] = {
                    "client_credential": self._client_secret,
                    "authority": self.authority,
                    "token_cache": self._cache,
                    "timeout": self._timeout,
                }
                if self.http_client is not None:
                    kwargs["http_client"] = self.http_client
                if self._instance_discovery is not None:
                    kwargs["instance_discovery"] = self._instance_discovery
                try:
                    self._app = msal.ConfidentialClientApplication(self.client_id, **kwargs)
                except _UNREACHABLE as err:
                    raise TransientError(f"identity platform unreachable: {err}") from err
                except ValueError as err:
                    raise InvalidRequest(str(err), reason="invalid_authority") from err
            return self._app

    # ---------------------------------------------------------------- auth code flow

    def initiate(
        self,
        state: str | None = None,
        *,
        redirect_uri: str | None = None,
        login_hint: str | None = None,
        prompt: str | None = None,
        domain_hint: str | None = None,
        response_mode: str | None = None,
    ) -> dict[str, Any]:
        """Start the auth code flow (msal adds PKCE, nonce and state).

        Keep the returned dict until the callback and send the user to its "auth_uri". The
        answer comes back in the redirect's query (`response_mode="query"`, the default: what
        the hub's callback reads), or as a form POST (`"form_post"`, msal's recommendation).
        """
        mode = response_mode or self.response_mode
        with warnings.catch_warnings():
            if mode != "form_post":  # chosen knowingly (see const.DEFAULT_RESPONSE_MODE)
                warnings.filterwarnings("ignore", "response_mode='form_post' is recommended")
            try:
                return dict(
                    self.app.initiate_auth_code_flow(
                        self.scopes,
                        redirect_uri=redirect_uri or self.redirect_uri,
                        state=state,
                        login_hint=login_hint,
                        prompt=prompt,
                        domain_hint=domain_hint,
                        response_mode=mode,
                    )
                )
            except ValueError as err:
                raise InvalidRequest(str(err), reason="invalid_flow_request") from err

    def complete(self, flow: Mapping[str, Any], auth_response: Mapping[str, Any]) -> OAuthToken:
        """Finish the flow with the callback's query (state, code or error).

        The tokens go into the cache; the result says who signed in (raw["home_account_id"],
        raw["username"]).
        """
        response = {str(k): str(v) for k, v in auth_response.items()}
        with self._lock:
            try:
                result = self.app.acquire_token_by_auth_code_flow(dict(flow), response)
            except ValueError as err:  # state mismatch, missing code: CSRF or a stale flow
                raise AuthError(str(err), reason="invalid_auth_response") from err
            except RuntimeError as err:  # nonce mismatch in the id token
                raise AuthError(str(err), reason="invalid_id_token") from err
            except _UNREACHABLE as err:
                raise TransientError(f"token endpoint unreachable: {err}") from err
            if "error" in result:
                raise _token_error(result, "authorization code exchange")
            account = self._account_for(result)
        token = _to_token(result, account)
        self._check_scopes(token)
        return token

    def _check_scopes(self, token: OAuthToken) -> None:
        if not token.scopes:
            return
        granted = {s.rsplit("/", 1)[-1].lower() for s in token.scopes}
        missing = {s for s in self.scopes if s.lower() not in granted}
        if missing:
            raise AuthError(
                f"scope not granted: {' '.join(sorted(missing))}", reason="scope_not_granted"
            )

    # ------------------------------------------------------------------------ tokens

    def accounts(self) -> list[dict[str, Any]]:
        """Accounts the cache holds tokens for (normally exactly one per connection)."""
        with self._lock:
            return [dict(a) for a in self.app.get_accounts()]

    def _account_for(self, result: Mapping[str, Any]) -> dict[str, Any] | None:
        token = _to_token(result, None) if "access_token" in result else None
        wanted = token.raw.get("home_account_id") if token else None
        for account in self.app.get_accounts():
            if wanted is None or account.get("home_account_id") == wanted:
                return dict(account)
        return None

    def account(self, home_account_id: str | None = None) -> dict[str, Any]:
        """The cached account (the only one, or the one with this id); AuthError if none."""
        accounts = self.accounts()
        if home_account_id:
            accounts = [a for a in accounts if a.get("home_account_id") == home_account_id]
        if not accounts:
            raise AuthError("no account in the token cache: connect again", reason="no_account")
        return accounts[0]

    def acquire_token(
        self, home_account_id: str | None = None, *, force_refresh: bool = False
    ) -> OAuthToken:
        """A valid access token from the cache, refreshed through msal when needed."""
        if self.permissions == const.PERMISSIONS_APPLICATION:
            return self.acquire_token_for_client(force_refresh=force_refresh)
        with self._lock:
            account = self.account(home_account_id)
            try:
                result = self.app.acquire_token_silent_with_error(
                    self.scopes, account, force_refresh=force_refresh
                )
            except _UNREACHABLE as err:
                raise TransientError(f"token endpoint unreachable: {err}") from err
            if result is None:
                raise AuthError("no usable token in the cache: connect again", reason="no_token")
            if "error" in result:
                raise _token_error(result, "token refresh")
        return _to_token(result, account)

    def acquire_token_for_client(self, *, force_refresh: bool = False) -> OAuthToken:
        """An app-only token (client credentials) for Graph's "/.default" scope.

        msal answers from its cache while the token is valid and asks the token endpoint
        otherwise; `force_refresh` (after a 401) drops the cached access tokens first.
        """
        with self._lock:
            if force_refresh:
                for item in list(self._cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
                    self._cache.remove_at(item)
            try:
                result = self.app.acquire_token_for_client(list(const.APP_SCOPES))
            except _UNREACHABLE as err:
                raise TransientError(f"token endpoint unreachable: {err}") from err
            if not result or "error" in result:
                raise _token_error(result or {}, "client credentials grant")
        token = _to_token(result, None)
        tenant = self.authority.rstrip("/").rsplit("/", 1)[-1]
        raw = {**token.raw, "tenant_id": tenant, "permissions": const.PERMISSIONS_APPLICATION}
        return OAuthToken(
            access_token=token.access_token,
            refresh_token=None,
            expires_at=token.expires_at,
            scopes=token.scopes or const.APP_SCOPES,
            token_type=token.token_type,
            raw=raw,
        )

    def admin_consent_url(self, state: str, redirect_uri: str | None = None) -> str:
        """The admin consent page for the app's application permissions ("/.default").

        The authority's tenant, or "organizations" when it is "common" (personal accounts
        cannot consent for a tenant). The answer comes to the redirect URI with
        `admin_consent=True&tenant=<id>&state=...` (or `error=...`).
        """
        host, _, tenant = self.authority.rstrip("/").rpartition("/")
        if tenant in ("common", "consumers"):
            tenant = const.ADMIN_CONSENT_TENANT
        query = urlencode(
            {
                "client_id": self.client_id,
                "scope": " ".join(const.APP_SCOPES),
                "redirect_uri": redirect_uri or self.redirect_uri or "",
                "state": state,
            }
        )
        return f"{host}/{tenant}/v2.0/adminconsent?{query}"

    def acquire_token_by_refresh_token(self, refresh_token: str) -> OAuthToken:
        """Redeem a refresh token kept outside the cache (the generic OAuth2Client path)."""
        with self._lock:
            try:
                result = self.app.acquire_token_by_refresh_token(refresh_token, self.scopes)
            except _UNREACHABLE as err:
                raise TransientError(f"token endpoint unreachable: {err}") from err
            if "error" in result:
                raise _token_error(result, "token refresh")
            account = self._account_for(result)
        return _to_token(result, account)

    def sign_out(self, home_account_id: str | None = None) -> None:
        """Forget the account's tokens (disconnect): the cache no longer holds them."""
        with self._lock:
            for account in self.app.get_accounts():
                if home_account_id is None or account.get("home_account_id") == home_account_id:
                    self.app.remove_account(account)

    def token_provider(
        self,
        home_account_id: str | None = None,
        on_cache_change: Callable[[str], None] | None = None,
    ) -> MsalTokenProvider:
        """The TokenProvider a connector gets for this connection's account."""
        return MsalTokenProvider(self, home_account_id, on_cache_change)


class MsalTokenProvider:
    """A thread-safe TokenProvider over `MsalAuth.acquire_token` (msal refreshes as needed).

    `on_cache_change(serialized)` is called after any call that changed the cache (new access
    token, rotated refresh token): the hub stores that string, encrypted.
    """

    def __init__(
        self,
        auth: MsalAuth,
        home_account_id: str | None = None,
        on_cache_change: Callable[[str], None] | None = None,
    ) -> None:
        """Bind to one account of the cache."""
        self.auth = auth
        self.home_account_id = home_account_id
        self._on_cache_change = on_cache_change
        self._lock = threading.Lock()
        self._last: str | None = None

    def get_access_token(self) -> str:
        """A valid access token (from the cache, or refreshed with the refresh token)."""
        with self._lock:
            return self._acquire(force_refresh=False)

    def token_rejected(self, token: str) -> None:
        """Graph answered 401 to `token`: force a refresh unless another thread already did."""
        with self._lock:
            if token == self._last:
                self._acquire(force_refresh=True)

    def _acquire(self, *, force_refresh: bool) -> str:
        token = self.auth.acquire_token(self.home_account_id, force_refresh=force_refresh)
        self._last = token.access_token
        if self._on_cache_change is not None and self.auth.has_changed:
            self._on_cache_change(self.auth.dump_cache())
        return token.access_token
