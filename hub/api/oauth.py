"""/oauth/token, /oauth/revoke and the discovery documents under /.well-known."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from hub.auth.clientauth import claimed_client_id, uniform_client_error
from hub.auth.scopes import SCOPES

bp = Blueprint("oauth", __name__)


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
    """RFC 6749 token endpoint: client_credentials and refresh_token (JSON or form body)."""
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
        "grant_types_supported": ["client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
        ],
        "scopes_supported": list(SCOPES),
        "response_types_supported": [],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "service_documentation": f"{base}/docs",
    }
