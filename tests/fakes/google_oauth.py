"""Google-like OAuth 2.0 endpoints for the fake: consent page, token endpoint, revocation.

Paths mirror Google's: `/o/oauth2/v2/auth` (consent page with Allow/Deny), `/token`
(authorization_code with PKCE, refresh_token), `/revoke`. Error bodies have Google's shape
(`{"error": "invalid_grant", "error_description": ...}`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

DEFAULT_CLIENT_ID = "fake-client-id.apps.googleusercontent.com"
DEFAULT_CLIENT_SECRET = "fake-client-secret"
ACCESS_TOKEN_TTL = 3599


@dataclass
class _Client:
    secret: str
    redirect_uris: set[str] | None  # None: any loopback redirect is accepted


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    challenge_method: str | None
    offline: bool
    expires_at: float
    used: bool = False


@dataclass
class _Grant:
    """A refresh token and what it grants."""

    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class _Access:
    client_id: str
    scope: str
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


@dataclass
class OAuthState:
    """Everything the fake authorization server knows; tests may read and tweak it."""

    clients: dict[str, _Client] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, _Access] = field(default_factory=dict)
    token_faults: list[tuple[int, str]] = field(default_factory=list)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, mimetype="application/json", headers=headers or {}
    )


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return _json({"error": error, "error_description": description}, status)


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class FakeGoogleOAuth:
    """The authorization server half of the fake (state + WSGI handlers)."""

    user_email: str

    def __init__(
        self, user_email: str, rng: random.Random, clock: Callable[[], float] = time.time
    ) -> None:
        """Start with one registered client (DEFAULT_CLIENT_ID / DEFAULT_CLIENT_SECRET)."""
        self.user_email = user_email
        self.state = OAuthState()
        self._rng = rng
        self._clock = clock
        self._lock = threading.RLock()
        self.register_client(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET)

    # -- helpers for tests

    def register_client(
        self, client_id: str, secret: str, redirect_uris: set[str] | None = None
    ) -> None:
        """Register an OAuth client (redirect_uris None: any loopback URI is accepted)."""
        self.state.clients[client_id] = _Client(secret, redirect_uris)

    def _random(self, prefix: str, size: int = 40) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self._rng.choice(alphabet) for _ in range(size))

    def issue_code(
        self,
        *,
        code: str | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None = None,
        offline: bool = True,
    ) -> str:
        """Create an authorization code as if the user had clicked Allow."""
        with self._lock:
            code = code or self._random("4/0A", 60)
            self.state.codes[code] = _Code(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=code_challenge,
                challenge_method="S256" if code_challenge else None,
                offline=offline,
                expires_at=self._clock() + 600,
            )
            return code

    def issue_tokens(
        self,
        *,
        scope: str,
        client_id: str = DEFAULT_CLIENT_ID,
        refresh_token: str | None = None,
        access_token: str | None = None,
        ttl: float = ACCESS_TOKEN_TTL,
    ) -> dict[str, Any]:
        """Create a grant directly (no consent): returns the token endpoint's JSON."""
        with self._lock:
            rt = refresh_token or self._random("1//0g", 100)
            self.state.grants[rt] = _Grant(client_id, scope)
            return self._access_response(client_id, scope, rt, with_refresh=True, at=access_token)

    def issue_access_token(self, scope: str, token: str | None = None, ttl: float = 3599) -> str:
        """An access token with no refresh token (for API tests that skip OAuth)."""
        with self._lock:
            token = token or self._random("ya29.", 120)
            self.state.access[token] = _Access(DEFAULT_CLIENT_ID, scope, self._clock() + ttl, None)
            return token

    def expire_access_tokens(self) -> None:
        """Make every access token expired (the API then answers 401)."""
        with self._lock:
            for access in self.state.access.values():
                access.expires_at = 0

    def revoke_refresh_tokens(self) -> None:
        """The user revoked access: refreshes now fail with invalid_grant."""
        with self._lock:
            for grant in self.state.grants.values():
                grant.revoked = True

    def fail_next_token(
        self, error: str = "invalid_grant", count: int = 1, status: int = 400
    ) -> None:
        """The next `count` token requests fail with `error` (an OAuth error or "server")."""
        with self._lock:
            self.state.token_faults.extend([(status, error)] * count)

    def check_access_token(self, token: str) -> _Access | None:
        """The live access token record for `token`, or None."""
        with self._lock:
            access = self.state.access.get(token)
            if access is None or access.revoked or access.expires_at <= self._clock():
                return None
            if access.refresh_token and self.state.grants[access.refresh_token].revoked:
                return None
            return access

    def _access_response(
        self, client_id: str, scope: str, rt: str | None, *, with_refresh: bool, at: str | None
    ) -> dict[str, Any]:
        token = at or self._random("ya29.", 120)
        self.state.access[token] = _Access(client_id, scope, self._clock() + ACCESS_TOKEN_TTL, rt)
        data: dict[str, Any] = {
            "access_token": token,
            "expires_in": ACCESS_TOKEN_TTL,
            "scope": scope,
            "token_type": "Bearer",
        }
        if with_refresh and rt:
            data["refresh_token"] = rt
        return data

    # -- WSGI handlers

    def _client_from(self, request: Request) -> tuple[str | None, str | None]:
        if request.authorization and request.authorization.type == "basic":
            return request.authorization.username, request.authorization.password
        return request.form.get("client_id"), request.form.get("client_secret")

    def authorize(self, request: Request) -> Response:
        """GET: the consent page. POST: the user's decision, redirected to the client."""
        params = request.args if request.method == "GET" else request.form
        client = self.state.clients.get(params.get("client_id", ""))
        redirect_uri = params.get("redirect_uri", "")
        if client is None:
            return Response("Error 401: invalid_client", status=401, mimetype="text/html")
        if client.redirect_uris is not None and redirect_uri not in client.redirect_uris:
            return Response("Error 400: redirect_uri_mismatch", status=400, mimetype="text/html")
        if params.get("response_type") != "code" or not params.get("scope"):
            return Response("Error 400: invalid_request", status=400, mimetype="text/html")
        method = params.get("code_challenge_method")
        if params.get("code_challenge") and method != "S256":
            return Response("Error 400: invalid_request (PKCE)", status=400, mimetype="text/html")
        if request.method == "GET":
            return self._consent_page(params)
        query: dict[str, str] = {}
        if params.get("state"):
            query["state"] = params["state"]
        if params.get("decision") == "allow":
            query["code"] = self.issue_code(
                client_id=params["client_id"],
                redirect_uri=redirect_uri,
                scope=params["scope"],
                code_challenge=params.get("code_challenge"),
                offline=params.get("access_type") == "offline",
            )
            query["scope"] = params["scope"]
        else:
            query["error"] = "access_denied"
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": redirect_uri + separator + urlencode(query)}
        )

    def _consent_page(self, params: Any) -> Response:
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        scopes = "".join(f"<li>{html.escape(s)}</li>" for s in params["scope"].split())
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - Google Accounts</title></head>
<body>
<h1>iValid Hub wants to access your Google Account</h1>
<p id="account">{html.escape(self.user_email)}</p>
<p>This will allow iValid Hub to:</p>
<ul id="scopes">{scopes}</ul>
<form method="post" action="/o/oauth2/v2/auth">
{hidden}
<button type="submit" name="decision" value="deny">Cancel</button>
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
</form>
</body></html>"""
        return Response(page, mimetype="text/html")

    def token(self, request: Request) -> Response:
        """The token endpoint: authorization_code (with PKCE) and refresh_token grants."""
        with self._lock:
            if self.state.token_faults:
                status, error = self.state.token_faults.pop(0)
                if error == "server":
                    return _json({"error": "internal_failure"}, status)
                return _oauth_error(error, "Token has been expired or revoked.", status)
            client_id, secret = self._client_from(request)
            client = self.state.clients.get(client_id or "")
            if client is None or client.secret != secret:
                return _oauth_error("invalid_client", "The OAuth client was not found.", 401)
            grant_type = request.form.get("grant_type")
            if grant_type == "authorization_code":
                return self._code_grant(request, client_id or "")
            if grant_type == "refresh_token":
                rt = request.form.get("refresh_token", "")
                grant = self.state.grants.get(rt)
                if grant is None or grant.revoked or grant.client_id != client_id:
                    return _oauth_error("invalid_grant", "Token has been expired or revoked.")
                return _json(
                    self._access_response(
                        client_id or "", grant.scope, rt, with_refresh=False, at=None
                    )
                )
            return _oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")

    def _code_grant(self, request: Request, client_id: str) -> Response:
        code = self.state.codes.get(request.form.get("code", ""))
        if code is None or code.used or code.expires_at < self._clock():
            return _oauth_error("invalid_grant", "Malformed auth code.")
        if code.client_id != client_id:
            return _oauth_error("invalid_grant", "Bad Request")
        if request.form.get("redirect_uri") != code.redirect_uri:
            return _oauth_error("redirect_uri_mismatch", "Bad Request")
        if code.code_challenge:
            verifier = request.form.get("code_verifier", "")
            if not verifier:
                return _oauth_error("invalid_request", "code_verifier or verifier is not needed.")
            if s256(verifier) != code.code_challenge:
                return _oauth_error("invalid_grant", "Invalid code verifier.")
        code.used = True
        rt = None
        if code.offline:
            rt = self._random("1//0g", 100)
            self.state.grants[rt] = _Grant(client_id, code.scope)
        return _json(self._access_response(client_id, code.scope, rt, with_refresh=True, at=None))

    def revoke(self, request: Request) -> Response:
        """Revoke an access or refresh token (a refresh token takes its access tokens along)."""
        token = request.form.get("token") or request.args.get("token", "")
        with self._lock:
            grant = self.state.grants.get(token)
            if grant is not None and not grant.revoked:
                grant.revoked = True
                return _json({})
            access = self.state.access.get(token)
            if access is not None and not access.revoked:
                access.revoked = True
                if access.refresh_token:
                    self.state.grants[access.refresh_token].revoked = True
                return _json({})
        return _oauth_error("invalid_token", "Token expired or revoked")
