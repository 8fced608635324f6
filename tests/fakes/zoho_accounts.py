"""Zoho Accounts (OAuth 2.0) for the Zoho fake: one authorization server per data centre.

As Zoho documents it (accounts/protocol/oauth, multi-dc): the authorization request goes to the
US server (`/oauth/v2/auth`, `response_type=code`, comma-separated `scope`, `access_type=offline`,
`prompt=consent`); the redirect carries `code`, `location` and `accounts-server`; the code is
exchanged at *that* data centre's `/oauth/v2/token`, whose answer carries `api_domain`; a refresh
token mints at most ten access tokens in ten minutes, then minting is blocked for the rest of
the ten minutes; `POST /oauth/v2/token/revoke?token=` revokes a refresh token and the access
tokens it minted, answering `{"status": "success"}` (400 for an invalid token).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

DEFAULT_CLIENT_ID = "1000.FAKEZOHOCLIENT0000000000000000"
DEFAULT_CLIENT_SECRET = "fake-zoho-client-secret"
ACCESS_TOKEN_TTL = 3600
MINT_LIMIT = 10
MINT_WINDOW = 600.0


@dataclass
class Grant:
    """A refresh token: its data centre, scopes, and when it minted access tokens."""

    client_id: str
    location: str
    scope: str
    minted: list[float] = field(default_factory=list)
    blocked_until: float = 0.0
    revoked: bool = False


@dataclass
class Access:
    """An access token: its data centre, scopes, expiry and the grant that minted it."""

    location: str
    scope: str
    expires_at: float
    refresh_token: str | None
    revoked: bool = False


@dataclass
class _Code:
    client_id: str
    location: str
    redirect_uri: str
    scope: str
    offline: bool
    expires_at: float
    used: bool = False


def json_response(data: Any, status: int = 200) -> Response:
    """A JSON response (the fake's only content type)."""
    import json

    return Response(json.dumps(data), status=status, mimetype="application/json")


class ZohoAccounts:
    """The authorization half of the fake: clients, codes, refresh and access tokens."""

    def __init__(self, clock: Callable[[], float], user_location: str = "us") -> None:
        """Start with one Multi-DC client; the consenting user lives in `user_location`."""
        self.clock = clock
        self.user_location = user_location
        self.clients: dict[str, str] = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
        self.codes: dict[str, _Code] = {}
        self.grants: dict[str, Grant] = {}
        self.access: dict[str, Access] = {}
        self.token_calls: list[tuple[str, str]] = []  # (location, grant_type)
        self.revocations: list[str] = []

    # -- helpers for tests

    def issue_tokens(self, location: str, scope: str) -> tuple[str, str]:
        """A (refresh, access) pair as a finished consent would give, for tests."""
        refresh = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self.grants[refresh] = Grant(DEFAULT_CLIENT_ID, location, scope)
        return refresh, self._mint(refresh)

    def check(self, token: str, location: str) -> Access | None:
        """The live access token `token` if it is valid at `location`."""
        access = self.access.get(token)
        if access is None or access.revoked or access.location != location:
            return None
        if access.expires_at <= self.clock():
            return None
        return access

    def expire_access_tokens(self) -> None:
        """Make every access token expired (refresh paths in tests)."""
        for access in self.access.values():
            access.expires_at = self.clock() - 1

    # -- endpoints

    def authorize(self, request: Request, accounts_url: Callable[[str], str]) -> Response:
        """Consent granted at once; redirect to the client with code, location, accounts-server."""
        args = request.args
        client_id = args.get("client_id", "")
        redirect_uri = args.get("redirect_uri", "")
        if client_id not in self.clients:
            return json_response({"error": "invalid_client"}, 400)
        if args.get("response_type") != "code" or not redirect_uri or not args.get("scope"):
            return json_response({"error": "invalid_request"}, 400)
        location = self.user_location
        code = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self.codes[code] = _Code(
            client_id,
            location,
            redirect_uri,
            args["scope"],
            args.get("access_type") == "offline",
            self.clock() + 120,
        )
        query = {"code": code, "location": location, "accounts-server": accounts_url(location)}
        if args.get("state"):
            query["state"] = args["state"]
        return Response(status=302, headers={"Location": f"{redirect_uri}?{urlencode(query)}"})

    def token(self, request: Request, location: str, api_domain: str) -> Response:
        """`/oauth/v2/token` at one data centre: authorization_code or refresh_token."""
        params = {**request.args.to_dict(), **request.form.to_dict()}
        grant_type = params.get("grant_type", "")
        self.token_calls.append((location, grant_type))
        client_id = params.get("client_id", "")
        if self.clients.get(client_id) != params.get("client_secret"):
            return json_response({"error": "invalid_client"})
        if grant_type == "authorization_code":
            code = self.codes.get(params.get("code", ""))
            if (
                code is None
                or code.used
                or code.location != location
                or code.expires_at <= self.clock()
                or code.redirect_uri != params.get("redirect_uri")
            ):
                return json_response({"error": "invalid_code"})
            code.used = True
            body: dict[str, Any] = {
                "api_domain": api_domain,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_TTL,
            }
            if code.offline:
                refresh = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
                self.grants[refresh] = Grant(client_id, location, code.scope)
                body["refresh_token"] = refresh
                body["access_token"] = self._mint(refresh)
            else:
                body["access_token"] = self._new_access(location, code.scope, None)
            body["scope"] = code.scope
            return json_response(body)
        if grant_type == "refresh_token":
            refresh = params.get("refresh_token", "")
            grant = self.grants.get(refresh)
            if grant is None or grant.revoked or grant.location != location:
                return json_response({"error": "invalid_code"})
            now = self.clock()
            grant.minted = [t for t in grant.minted if t > now - MINT_WINDOW]
            if now < grant.blocked_until or len(grant.minted) >= MINT_LIMIT:
                if not grant.blocked_until or now >= grant.blocked_until:
                    grant.blocked_until = grant.minted[0] + MINT_WINDOW
                return json_response(
                    {
                        "error": "Access Denied",
                        "error_description": "You have made too many requests continuously. "
                        "Please try again after some time.",
                    },
                    400,
                )
            return json_response(
                {
                    "access_token": self._mint(refresh),
                    "api_domain": api_domain,
                    "token_type": "Bearer",
                    "expires_in": ACCESS_TOKEN_TTL,
                    "scope": grant.scope,
                }
            )
        return json_response({"error": "unsupported_grant_type"})

    def revoke(self, request: Request, location: str) -> Response:
        """`/oauth/v2/token/revoke?token=`: a refresh token and all it minted, or one access."""
        token = request.args.get("token") or request.form.get("token") or ""
        self.revocations.append(token)
        grant = self.grants.get(token)
        if grant is not None and grant.location == location and not grant.revoked:
            grant.revoked = True
            for access in self.access.values():
                if access.refresh_token == token:
                    access.revoked = True
            return json_response({"status": "success"})
        access = self.access.get(token)
        if access is not None and access.location == location and not access.revoked:
            access.revoked = True
            return json_response({"status": "success"})
        return json_response({"error": "invalid_token"}, 400)

    # -- internals

    def _mint(self, refresh: str) -> str:
        grant = self.grants[refresh]
        grant.minted.append(self.clock())
        return self._new_access(grant.location, grant.scope, refresh)

    def _new_access(self, location: str, scope: str, refresh: str | None) -> str:
        token = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
        self.access[token] = Access(location, scope, self.clock() + ACCESS_TOKEN_TTL, refresh)
        return token
