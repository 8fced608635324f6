"""/v2/api-keys and /v2/oauth-clients: revoking an account's credentials (`account:admin`)."""

from __future__ import annotations

from flask import Blueprint, Response

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.auth.scopes import ADMIN_SCOPE
from hub.db import get_session
from hub.services import credentials

bp = Blueprint("credentials", __name__, url_prefix="/v2")


@route(
    bp,
    "/api-keys/<key_id>",
    "DELETE",
    scope=ADMIN_SCOPE,
    summary="Révoquer une clé API du compte",
    status=204,
    errors=(404,),
)
def revoke_key(p: Principal, key_id: str) -> Response:
    """Revoke a key of the caller's account (either environment); again is no error."""
    credentials.revoke_key(get_session(), p.account_id, key_id)
    return Response(status=204)


@route(
    bp,
    "/oauth-clients/<client_id>",
    "DELETE",
    scope=ADMIN_SCOPE,
    summary="Révoquer un client OAuth du compte et ses tokens",
    status=204,
    errors=(404,),
)
def revoke_client(p: Principal, client_id: str) -> Response:
    """Revoke a client of the caller's account and every token it was issued."""
    credentials.revoke_client(get_session(), p.account_id, client_id)
    return Response(status=204)
