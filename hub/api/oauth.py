"""/oauth/authorize (the consent page), /oauth/token, /oauth/revoke and the discovery
documents under /.well-known."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authlib.oauth2.rfc6749.errors import OAuth2Error
from flask import Blueprint, Response, current_app, jsonify, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from hub.auth.clientauth import claimed_client_id, uniform_client_error
from hub.auth.scopes import SCOPES, SCOPES_EN, grantable_scopes, parse_scopes
from hub.auth.server import ConsentUser
from hub.dashboard.blueprint import csrf, error_page
from hub.dashboard.i18n import language, t
from hub.dashboard.session import login_required
from hub.db import get_session
from hub.models import Account

bp = Blueprint("oauth", __name__)


def _page(resp: Response) -> Response:
    """The consent page is never cached nor framed (clickjacking)."""
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Frame-Options"] = "DENY"
    resp.headers["Referrer-Policy"] = "no-referrer"
    resp.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self' https: http:"
    )
    return resp


def _authorization_error(server: Any, error: OAuth2Error) -> Response:
    """Back to the app when its redirect URI was checked; an error page otherwise (an unknown
    client or a redirect URI that is not registered is never followed)."""
    if getattr(error, "redirect_uri", None):
        resp: Response = server.handle_error_response(server.create_oauth2_request(None), error)
        return _page(resp)
    text = t("La demande d’autorisation est invalide : ", "The authorization request is invalid: ")
    return _page(error_page(400, text + (error.description or error.error)))


@bp.route("/oauth/authorize", methods=["GET", "POST"])
@login_required
def authorize() -> Response:
    """RFC 6749 4.1 with PKCE: the signed-in account user allows or denies the app."""
    server = current_app.extensions["ivalid_oauth"]
    user = ConsentUser(current_user.id, current_user.account_id, current_user.role)
    try:
        grant = server.get_consent_grant(end_user=user)
    except OAuth2Error as error:
        return _authorization_error(server, error)
    client = grant.request.client
    if client.row.account_id not in (None, current_user.account_id):
        # Another account's app: as unknown as a client that does not exist.
        return _page(
            error_page(
                400,
                t(
                    "La demande d’autorisation est invalide : ",
                    "The authorization request is invalid: ",
                )
                + "The client does not exist on this server.",
            )
        )
    if request.method == "POST":
        try:
            csrf.protect()
        except CSRFError:
            return _page(
                error_page(
                    400,
                    t(
                        "Le formulaire a expiré ou ne vient pas de cette page : rechargez-la.",
                        "The form expired or did not come from this page: reload it.",
                    ),
                )
            )
        allowed = request.form.get("decision") == "allow"
        if allowed and not parse_scopes(grant.request.scope) & grantable_scopes(user.role):
            # Nothing this user may grant: the app hears `access_denied`, as for a refusal.
            allowed = False
        resp: Response = server.create_authorization_response(
            grant_user=user if allowed else None, grant=grant
        )
        return _page(resp)
    names = SCOPES_EN if language() == "en" else SCOPES
    asked = parse_scopes(grant.request.scope)
    mine = grantable_scopes(user.role)
    scopes = [(s, names[s]) for s in SCOPES if s in asked & mine]
    withheld = [(s, names[s]) for s in SCOPES if s in asked - mine]
    account = get_session().get(Account, current_user.account_id)
    html = render_template(
        "oauth/consent.html",
        app_name=client.row.name or client.row.id,
        account_name=account.name if account else "",
        environment=client.row.environment,
        scopes=scopes,
        withheld=withheld,
        redirect_host=urlsplit(grant.request.payload.redirect_uri or "").netloc,
        action=request.full_path,
    )
    return _page(make_response(html))


def _throttled() -> Response | None:
    """429 when the caller's address or the client id it names spent its attempts."""
    throttle = current_app.extensions["ivalid_token_throttle"]
    wait = throttle.retry_after(claimed_client_id(request), request.remote_addr)
    if wait is None:
        return None
    resp = jsonify(
        {"error": "slow_down", "error_description": f"too many attempts: retry in {wait} s"}
    )
    resp.status_code = 429
    resp.headers["Retry-After"] = str(wait)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/oauth/token")
def token() -> Response:
    """RFC 6749 token endpoint: client_credentials, authorization_code (PKCE) and
    refresh_token (JSON or form body)."""
    refused = _throttled()
    if refused is not None:
        return refused
    resp: Response = current_app.extensions["ivalid_oauth"].create_token_response()
    return uniform_client_error(resp)


@bp.post("/oauth/revoke")
def revoke() -> Response:
    """RFC 7009 revocation of a refresh or access token."""
    refused = _throttled()
    if refused is not None:
        return refused
    server = current_app.extensions["ivalid_oauth"]
    resp: Response = server.create_endpoint_response("revocation")
    return uniform_client_error(resp)


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The public keys that verify access tokens."""
    resp = jsonify(current_app.extensions["ivalid_keys"].jwks())
    resp.headers["Cache-Control"] = "public, max-age=300"
    return resp


@bp.get("/.well-known/oauth-authorization-server")
def metadata() -> dict[str, Any]:
    """RFC 8414 authorization server metadata."""
    base = current_app.config["IVALID"].public_url.rstrip("/")
    return {
        "issuer": base,
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "jwks_uri": f"{base}/.well-known/jwks.json",
        "authorization_endpoint": f"{base}/oauth/authorize",
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "service_documentation": f"{base}/docs",
    }
