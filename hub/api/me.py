"""/v2/me: who the credential is (account, environment, scopes) — "does my token work?".

For a token of an app's grant it also names the user who granted it: what Zapier and Make
show as the connection's label ("Dupont Plomberie — marie@example.fr").
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import ANY_SCOPE, Principal
from hub.auth.scopes import format_scopes
from hub.db import get_session
from hub.models import Account, AccountUser, OAuthGrant
from hub.schemas.common import Out

bp = Blueprint("me", __name__, url_prefix="/v2")


class MeOut(Out):
    """The calling credential."""

    account_id: str
    account_name: str
    environment: str
    scope: str
    credential: str
    # For a grant's token: the user who granted it ({id, email}), the grant and the app.
    user: dict[str, str] | None = None
    grant_id: str | None = None
    client_id: str | None = None


@route(bp, "/me", "GET", scope=ANY_SCOPE, summary="Identité du credential appelant", response=MeOut)
def me(p: Principal) -> dict[str, Any]:
    session = get_session()
    account = session.get(Account, p.account_id)
    out: dict[str, Any] = {
        "account_id": p.account_id,
        "account_name": account.name if account else "",
        "environment": p.environment,
        "scope": format_scopes(p.scopes),
        "credential": p.credential_id,
        "user": None,
        "grant_id": p.grant_id,
        "client_id": None,
    }
    if p.grant_id:
        grant = session.get(OAuthGrant, p.grant_id)
        user = session.get(AccountUser, p.user_id) if p.user_id else None
        if user is not None:
            out["user"] = {"id": user.id, "email": user.email}
        if grant is not None:
            out["client_id"] = grant.client_id
    return out
