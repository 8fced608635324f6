"""/v2/me: who the credential is (account, environment, scopes) — "does my token work?"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import ANY_SCOPE, Principal
from hub.auth.scopes import format_scopes
from hub.schemas.common import Out

bp = Blueprint("me", __name__, url_prefix="/v2")


class MeOut(Out):
    """The calling credential."""

    account_id: str
    environment: str
    scope: str
    credential: str


@route(bp, "/me", "GET", scope=ANY_SCOPE, summary="Identité du credential appelant", response=MeOut)
def me(p: Principal) -> dict[str, Any]:
    return {
        "account_id": p.account_id,
        "environment": p.environment,
        "scope": format_scopes(p.scopes),
        "credential": p.credential_id,
    }
