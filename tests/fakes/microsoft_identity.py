"""A fake of the Microsoft identity platform endpoints msal calls, served on loopback.

The real msal library talks to it: msal insists on an https authority, so tests keep the
public one ("https://login.microsoftonline.com/<tenant>") and hand msal `http_client()`, a
session that sends those calls here. Paths mirror Entra ID's v2.0 endpoints:

- `GET /<tenant>/v2.0/.well-known/openid-configuration` (tenant discovery),
- `GET /common/discovery/instance` (instance discovery, for authority aliases),
- `GET|POST /<tenant>/oauth2/v2.0/authorize` (consent page with Allow/Deny; redirects with
  code + state + client_info),
- `POST /<tenant>/oauth2/v2.0/token` (authorization_code with PKCE, refresh_token with
  rotation; id_token with the nonce, client_info; AADSTS-style errors, invalid_grant on
  demand).

Tokens it issues are what the Graph fake (`tests.fakes.graph`) accepts.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from connectors.outlook.authority import RedirectingSession
from tests.fakes.server import LoopbackServer

PUBLIC_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_CLIENT_ID = "00000000-0000-4000-8000-00000000c11e"
DEFAULT_CLIENT_SECRET = "fake~client~secret"
DEFAULT_TENANT_ID = "9188040d-6c67-4c5b-b112-36a304b66dad"
DEFAULT_USER_OID = "00000000-0000-4000-8000-0000000a11ce"
ACCESS_TOKEN_TTL = 3599
GRAPH_SCOPE = "Calendars.ReadWrite"
RESERVED = {"offline_access", "openid", "profile"}
TENANT_ALIASES = ("common", "organizations")

_ROUTES = Map(
    [
        Rule("/<tenant>/v2.0/.well-known/openid-configuration", endpoint="openid"),
        Rule("/common/discovery/instance", endpoint="instance"),
        Rule("/<tenant>/oauth2/v2.0/authorize", endpoint="authorize", methods=["GET", "POST"]),
        Rule("/<tenant>/oauth2/v2.0/token", endpoint="token", methods=["POST"]),
        Rule("/<tenant>/v2.0/adminconsent", endpoint="adminconsent", methods=["GET", "POST"]),
    ]
)
GRAPH_DEFAULT_SCOPE = "https://graph.microsoft.com/.default"
# The application permissions the app registration asks for (granted by admin consent).
APP_ROLES = ("Calendars.ReadWrite", "User.Read.All")

_AADSTS = {
    "invalid_grant": (
        70000,
        "AADSTS70000: The provided value for the 'code' or 'refresh_token' parameter is not valid.",
    ),
    "interaction_required": (
        50076,
        "AADSTS50076: Due to a configuration change made by "
        "your administrator, you must use multi-factor authentication.",
    ),
    "temporarily_unavailable": (90015, "AADSTS90015: The service is temporarily unavailable."),
    "invalid_client": (7000215, "AADSTS7000215: Invalid client secret provided."),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of a verifier."""
    return _b64(hashlib.sha256(verifier.encode("ascii")).digest())


def nonce_hash(nonce: str) -> str:
    """What msal puts in the authorize request (and expects back in the id token)."""
    return hashlib.sha256(nonce.encode("ascii")).hexdigest()


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scope: str
    code_challenge: str | None
    nonce: str | None
    expires_at: float
    used: bool = False


@dataclass
class _Grant:
    client_id: str
    scope: str
    revoked: bool = False


@dataclass
class AccessGrant:
    """An access token the fake issued: what Graph checks."""

    client_id: str
    scope: str
    expires_at: float
    refresh_token: str | None
    revoked: bool = False
    # An app-only token (client credentials): its tenant and its roles (empty: no consent).
    app_tenant: str | None = None
    roles: tuple[str, ...] = ()


@dataclass
class IdentityState:
    """Everything the fake identity platform knows; tests may read and tweak it."""

    clients: dict[str, str] = field(default_factory=dict)
    codes: dict[str, _Code] = field(default_factory=dict)
    grants: dict[str, _Grant] = field(default_factory=dict)
    access: dict[str, AccessGrant] = field(default_factory=dict)
    token_faults: list[tuple[int, str]] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    discovery_requests: int = 0
    # (client id, tenant id) pairs an administrator consented to (application permissions).
    admin_consents: set[tuple[str, str]] = field(default_factory=set)


class FakeMicrosoftIdentity:
    """Microsoft identity platform (v2.0 endpoints) on 127.0.0.1; a WSGI app."""

    def __init__(
        self,
        *,
        user_email: str = "fake.user@example.com",
        user_name: str = "Fake User",
        tenant_id: str = DEFAULT_TENANT_ID,
        user_oid: str = DEFAULT_USER_OID,
        seed: int = 0,
        clock: Callable[[], float] = time.time,
        access_token_ttl: int = ACCESS_TOKEN_TTL,
    ) -> None:
        """Build the state (one client registered); nothing listens until `start()`."""
        self.user_email = user_email
        self.user_name = user_name
        self.tenant_id = tenant_id
        self.user_oid = user_oid
        self.access_token_ttl = access_token_ttl
        self.clock = clock
        self.state = IdentityState()
        self.state.clients[DEFAULT_CLIENT_ID] = DEFAULT_CLIENT_SECRET
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._server: LoopbackServer | None = None

    # ---------------------------------------------------------------------- lifecycle

    def start(self) -> FakeMicrosoftIdentity:
        """Listen on an ephemeral loopback port (standalone use); returns self."""
        if self._server is None:
            self._server = LoopbackServer(self)
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.stop()

    def __enter__(self) -> FakeMicrosoftIdentity:
        """Start on entering a with block."""
        return self.start()

    def __exit__(self, *exc: object) -> None:
        """Stop on leaving it."""
        self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT of the standalone server."""
        if self._server is None:
            raise RuntimeError("not started standalone (served by the Graph fake?)")
        return self._server.base_url

    def http_client(self, base_url: str | None = None) -> RedirectingSession:
        """The session to give msal: calls to the public authority land on this fake."""
        return RedirectingSession({PUBLIC_AUTHORITY: base_url or self.base_url})

    def authority(self, tenant: str = "common") -> str:
        """The authority URL to configure msal with (the public one)."""
        return f"{PUBLIC_AUTHORITY}/{tenant}"

    # --------------------------------------------------------------------- test helpers

    def _random(self, prefix: str, size: int) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        return prefix + "".join(self._rng.choice(alphabet) for _ in range(size))

    def register_client(self, client_id: str, secret: str) -> None:
        """Register another app registration (client id and secret)."""
        self.state.clients[client_id] = secret

    def issue_code(
        self,
        *,
        code: str | None = None,
        client_id: str = DEFAULT_CLIENT_ID,
        redirect_uri: str,
        scope: str,
        code_challenge: str | None = None,
        nonce: str | None = None,
    ) -> str:
        """An authorization code, as if the user had clicked Allow (nonce: the hashed one)."""
        with self._lock:
            code = code or self._random("0.AQ", 60)
            self.state.codes[code] = _Code(
                client_id, redirect_uri, scope, code_challenge, nonce, self.clock() + 600
            )
            return code

    def issue_grant(
        self, *, refresh_token: str, scope: str = GRAPH_SCOPE, client_id: str = DEFAULT_CLIENT_ID
    ) -> None:
        """A refresh token the token endpoint accepts (no consent dance)."""
        with self._lock:
            self.state.grants[refresh_token] = _Grant(client_id, scope)

    def issue_access_token(
        self, scope: str = GRAPH_SCOPE, token: str | None = None, ttl: float | None = None
    ) -> str:
        """A bearer token Graph accepts (for API tests that skip OAuth)."""
        with self._lock:
            token = token or self._random("EwB", 120)
            lifetime = self.access_token_ttl if ttl is None else ttl
            self.state.access[token] = AccessGrant(
                DEFAULT_CLIENT_ID, scope, self.clock() + lifetime, None
            )
            return token

    def grant_admin_consent(self, client_id: str = DEFAULT_CLIENT_ID) -> None:
        """An administrator of the tenant consented to the app's application permissions."""
        with self._lock:
            self.state.admin_consents.add((client_id, self.tenant_id))

    def revoke_admin_consent(self, client_id: str = DEFAULT_CLIENT_ID) -> None:
        """The consent was withdrawn: new app tokens carry no roles (Graph answers 403)."""
        with self._lock:
            self.state.admin_consents.discard((client_id, self.tenant_id))

    def issue_app_token(
        self,
        roles: tuple[str, ...] = APP_ROLES,
        ttl: float | None = None,
        token: str | None = None,
    ) -> str:
        """An app-only bearer token of this tenant (no OAuth dance)."""
        with self._lock:
            token = token or self._random("eyJ0eXAi", 120)
            lifetime = self.access_token_ttl if ttl is None else ttl
            self.state.access[token] = AccessGrant(
                DEFAULT_CLIENT_ID,
                GRAPH_DEFAULT_SCOPE,
                self.clock() + lifetime,
                None,
                app_tenant=self.tenant_id,
                roles=tuple(roles),
            )
            return token

    def expire_access_tokens(self) -> None:
        """Every access token is now expired server-side (Graph answers 401)."""
        with self._lock:
            for access in self.state.access.values():
                access.expires_at = 0

    def revoke_refresh_tokens(self) -> None:
        """The user (or an admin) revoked the grant: refreshes fail with invalid_grant."""
        with self._lock:
            for grant in self.state.grants.values():
                grant.revoked = True

    def fail_next_token(
        self, error: str = "invalid_grant", count: int = 1, status: int = 400
    ) -> None:
        """The next `count` token requests fail with `error` ("server": a bare 5xx)."""
        with self._lock:
            self.state.token_faults.extend([(status, error)] * count)

    def check_access_token(self, token: str) -> AccessGrant | None:
        """The live grant of a bearer token, or None (unknown, expired, revoked)."""
        with self._lock:
            access = self.state.access.get(token)
            if access is None or access.revoked or access.expires_at <= self.clock():
                return None
            if access.refresh_token:
                grant = self.state.grants.get(access.refresh_token)
                if grant is not None and grant.revoked:
                    return None
            return access

    # ------------------------------------------------------------------------- tokens

    def client_info(self) -> str:
        """base64url({"uid", "utid"}): msal derives the home account id from it."""
        return _b64(json.dumps({"uid": self.user_oid, "utid": self.tenant_id}).encode())

    def id_token(self, client_id: str, nonce: str | None) -> str:
        """An (unsigned) v2.0 id token: msal reads its claims without validating it."""
        now = int(self.clock())
        claims: dict[str, Any] = {
            "aud": client_id,
            "iss": f"{PUBLIC_AUTHORITY}/{self.tenant_id}/v2.0",
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "name": self.user_name,
            "oid": self.user_oid,
            "preferred_username": self.user_email,
            "sub": _b64(hashlib.sha256(self.user_oid.encode()).digest())[:43],
            "tid": self.tenant_id,
            "ver": "2.0",
        }
        if nonce:
            claims["nonce"] = nonce
        header = {"typ": "JWT", "alg": "RS256", "kid": "fake"}
        parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode())]
        return ".".join([*parts, _b64(b"not-a-signature")])

    def _token_response(
        self, client_id: str, scope: str, refresh_token: str, nonce: str | None
    ) -> dict[str, Any]:
        granted = " ".join(s for s in scope.split() if s != "offline_access")
        access = self._random("EwB", 120)
        self.state.access[access] = AccessGrant(
            client_id, granted, self.clock() + self.access_token_ttl, refresh_token
        )
        return {
            "token_type": "Bearer",
            "scope": granted,
            "expires_in": self.access_token_ttl,
            "ext_expires_in": self.access_token_ttl,
            "access_token": access,
            "refresh_token": refresh_token,
            "id_token": self.id_token(client_id, nonce),
            "client_info": self.client_info(),
        }

    # ---------------------------------------------------------------------------- WSGI

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """The WSGI entry point."""
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        """Dispatch one request."""
        adapter = _ROUTES.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except HTTPException:
            return _json({"error": "not_found"}, 404)
        if endpoint == "instance":
            return self._instance(request)
        tenant = args["tenant"]
        if tenant not in (*TENANT_ALIASES, self.tenant_id):
            return _json(
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.",
                },
                400,
            )
        if endpoint == "openid":
            return self._openid(tenant)
        if endpoint == "authorize":
            return self._authorize(request, tenant)
        if endpoint == "adminconsent":
            return self._admin_consent(request, tenant)
        return self._token(request, tenant)

    def _openid(self, tenant: str) -> Response:
        with self._lock:
            self.state.discovery_requests += 1
        base = f"{PUBLIC_AUTHORITY}/{tenant}"
        issuer_tenant = "{tenantid}" if tenant in TENANT_ALIASES else tenant
        return _json(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{base}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{PUBLIC_AUTHORITY}/{issuer_tenant}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": "https://graph.microsoft.com/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": ["sub", "iss", "aud", "exp", "iat", "nonce", "tid", "ver"],
                "tenant_region_scope": "EU",
                "cloud_instance_name": "microsoftonline.com",
                "cloud_graph_host_name": "graph.windows.net",
                "msgraph_host": "graph.microsoft.com",
            }
        )

    def _instance(self, request: Request) -> Response:
        with self._lock:
            self.state.discovery_requests += 1
        authorize = request.args.get("authorization_endpoint", "")
        return _json(
            {
                "tenant_discovery_endpoint": authorize.replace(
                    "/oauth2/v2.0/authorize", "/v2.0/.well-known/openid-configuration"
                ),
                "api-version": "1.1",
                "metadata": [
                    {
                        "preferred_network": "login.microsoftonline.com",
                        "preferred_cache": "login.windows.net",
                        "aliases": [
                            "login.microsoftonline.com",
                            "login.windows.net",
                            "login.microsoft.com",
                            "sts.windows.net",
                        ],
                    }
                ],
            }
        )

    def _authorize(self, request: Request, tenant: str) -> Response:
        params = request.args if request.method == "GET" else request.form
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.state.clients:
            return Response(
                "AADSTS700016: Application not found in the directory.", 400, mimetype="text/html"
            )
        scope = params.get("scope", "")
        if params.get("response_type") != "code" or not scope or not redirect_uri:
            return Response("AADSTS900144: invalid_request", 400, mimetype="text/html")
        if params.get("code_challenge") and params.get("code_challenge_method") != "S256":
            return Response(
                "AADSTS501491: invalid code_challenge_method", 400, mimetype="text/html"
            )
        if request.method == "GET":
            return self._consent_page(params, tenant)
        query: dict[str, str] = {}
        if params.get("decision") == "allow":
            query["code"] = self.issue_code(
                client_id=client_id,
                redirect_uri=redirect_uri,
                scope=scope,
                code_challenge=params.get("code_challenge"),
                nonce=params.get("nonce"),
            )
            query["client_info"] = self.client_info()
        else:
            query["error"] = "access_denied"
            query["error_description"] = "AADSTS65004: User declined to consent."
        if params.get("state"):
            query["state"] = params["state"]
        query["session_state"] = str(uuid.UUID(int=self._rng.getrandbits(128)))
        if params.get("response_mode") == "form_post":
            return self._form_post(redirect_uri, query)
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": redirect_uri + separator + urlencode(query)}
        )

    def _form_post(self, redirect_uri: str, fields: dict[str, str]) -> Response:
        """response_mode=form_post: a page whose form the browser posts to the redirect URI."""
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in fields.items()
        )
        page = f"""<html><head><title>Working...</title></head>
<body onload="document.forms[0].submit()">
<form method="POST" name="hiddenform" action="{html.escape(redirect_uri)}">
{hidden}
<noscript><p>Script is disabled. Click Submit to continue.</p><input type="submit"></noscript>
</form></body></html>"""
        return Response(page, mimetype="text/html")

    def _consent_page(
        self, params: Any, tenant: str, action: str = "oauth2/v2.0/authorize"
    ) -> Response:
        hidden = "\n".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
        )
        scopes = "".join(
            f"<li>{html.escape(s)}</li>"
            for s in params.get("scope", "").split()
            if s not in RESERVED
        )
        page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Permissions requested</title></head>
<body>
<h1>Permissions requested</h1>
<p id="account">{html.escape(self.user_email)}</p>
<p>iValid Hub would like to:</p>
<ul id="scopes">{scopes}<li>Maintain access to data you have given it access to</li></ul>
<form method="post" action="/{html.escape(tenant)}/{action}">
{hidden}
<button type="submit" name="decision" value="deny">Cancel</button>
<button type="submit" name="decision" value="allow" id="allow">Accept</button>
</form>
</body></html>"""
        return Response(page, mimetype="text/html")

    def _error(self, error: str, status: int = 400, description: str | None = None) -> Response:
        code, default = _AADSTS.get(error, (90000, f"AADSTS90000: {error}"))
        return _json(
            {
                "error": error,
                "error_description": description or default,
                "error_codes": [code],
                "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(self.clock())),
                "trace_id": str(uuid.UUID(int=self._rng.getrandbits(128))),
                "correlation_id": str(uuid.UUID(int=self._rng.getrandbits(128))),
            },
            status,
        )

    def _client(self, request: Request) -> tuple[str, str]:
        if request.authorization and request.authorization.type == "basic":
            return request.authorization.username or "", request.authorization.password or ""
        return request.form.get("client_id", ""), request.form.get("client_secret", "")

    def _admin_consent(self, request: Request, tenant: str) -> Response:
        """/{tenant}/v2.0/adminconsent: an admin grants the app's permissions for the tenant."""
        params = request.args if request.method == "GET" else request.form
        client_id = params.get("client_id", "")
        redirect_uri = params.get("redirect_uri", "")
        if client_id not in self.state.clients:
            return Response(
                "AADSTS700016: Application not found in the directory.", 400, mimetype="text/html"
            )
        if tenant == "common":
            return Response(
                "AADSTS50194: Admin consent is not possible for the 'common' endpoint: use "
                "'organizations' or the tenant.",
                400,
                mimetype="text/html",
            )
        scope = params.get("scope", "")
        if not redirect_uri or not scope.endswith("/.default"):
            return Response(
                "AADSTS900144: redirect_uri and a '/.default' scope are required for "
                "application permissions.",
                400,
                mimetype="text/html",
            )
        if request.method == "GET":
            return self._consent_page(params, tenant, action="v2.0/adminconsent")
        query: dict[str, str] = {}
        if params.get("decision") == "allow":
            with self._lock:
                self.state.admin_consents.add((client_id, self.tenant_id))
            query = {"admin_consent": "True", "tenant": self.tenant_id, "scope": scope}
        else:
            query = {
                "error": "access_denied",
                "error_description": "AADSTS65004: The admin declined to consent.",
            }
        if params.get("state"):
            query["state"] = params["state"]
        separator = "&" if "?" in redirect_uri else "?"
        return Response(
            status=302, headers={"Location": redirect_uri + separator + urlencode(query)}
        )

    def _client_credentials(self, request: Request, client_id: str, tenant: str) -> Response:
        """The client credentials grant: an app-only token, with roles only after consent."""
        if tenant in TENANT_ALIASES:
            return self._error(
                "invalid_request",
                400,
                "AADSTS700016: the client credentials grant needs a tenant-specific endpoint "
                f"('{tenant}' is not one).",
            )
        scope = request.form.get("scope", "")
        if scope.split() != [GRAPH_DEFAULT_SCOPE]:
            return self._error(
                "invalid_scope",
                400,
                f"AADSTS1002012: The provided value for scope {scope} is not valid. Client "
                "credential flows must have a scope value with /.default suffixed to the "
                "resource identifier (application ID URI).",
            )
        consented = (client_id, self.tenant_id) in self.state.admin_consents
        access = self._random("eyJ0eXAi", 120)
        self.state.access[access] = AccessGrant(
            client_id,
            GRAPH_DEFAULT_SCOPE,
            self.clock() + self.access_token_ttl,
            None,
            app_tenant=self.tenant_id,
            roles=APP_ROLES if consented else (),
        )
        return _json(
            {
                "token_type": "Bearer",
                "expires_in": self.access_token_ttl,
                "ext_expires_in": self.access_token_ttl,
                "access_token": access,
            }
        )

    def _token(self, request: Request, tenant: str = "common") -> Response:
        with self._lock:
            self.state.token_requests.append(dict(request.form))
            if self.state.token_faults:
                status, error = self.state.token_faults.pop(0)
                if error == "server":
                    return Response("upstream failure", status=status, mimetype="text/plain")
                return self._error(error, status)
            client_id, secret = self._client(request)
            if self.state.clients.get(client_id) != secret or not secret:
                return self._error("invalid_client", 401)
            grant_type = request.form.get("grant_type")
            if grant_type == "authorization_code":
                return self._code_grant(request, client_id)
            if grant_type == "refresh_token":
                return self._refresh_grant(request, client_id)
            if grant_type == "client_credentials":
                return self._client_credentials(request, client_id, tenant)
            return self._error(
                "unsupported_grant_type", 400, f"AADSTS70003: grant_type {grant_type!r}"
            )

    def _code_grant(self, request: Request, client_id: str) -> Response:
        code = self.state.codes.get(request.form.get("code", ""))
        if code is None or code.used or code.expires_at < self.clock():
            return self._error(
                "invalid_grant",
                400,
                "AADSTS70008: The provided authorization "
                "code or refresh token has expired or was already redeemed.",
            )
        if code.client_id != client_id:
            return self._error("invalid_grant", 400, "AADSTS70002: client mismatch.")
        if request.form.get("redirect_uri") != code.redirect_uri:
            return self._error(
                "invalid_grant",
                400,
                "AADSTS50011: The redirect URI does not "
                "match the one of the authorization request.",
            )
        if code.code_challenge:
            verifier = request.form.get("code_verifier", "")
            if s256(verifier) != code.code_challenge:
                return self._error(
                    "invalid_grant",
                    400,
                    "AADSTS501481: The Code_Verifier does "
                    "not match the code_challenge supplied in the authorization "
                    "request.",
                )
        code.used = True
        rt = self._random("0.AQ-rt-", 90)
        self.state.grants[rt] = _Grant(client_id, code.scope)
        return _json(self._token_response(client_id, code.scope, rt, code.nonce))

    def _refresh_grant(self, request: Request, client_id: str) -> Response:
        old = request.form.get("refresh_token", "")
        grant = self.state.grants.get(old)
        if grant is None or grant.revoked or grant.client_id != client_id:
            return self._error("invalid_grant", 400)
        scope = request.form.get("scope") or grant.scope
        rotated = self._random("0.AQ-rt-", 90)  # Entra rotates refresh tokens
        self.state.grants[rotated] = _Grant(client_id, grant.scope)
        return _json(self._token_response(client_id, scope, rotated, None))
