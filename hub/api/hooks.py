"""/v2/integrations/{zapier|make}: the platforms' REST hooks and their status page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app

from hub.api.routing import route
from hub.auth.guard import ANY_SCOPE, Principal, require_scope
from hub.config import Settings
from hub.db import get_session
from hub.schemas.hooks import HookCreate, HookOut, PlatformStatus
from hub.services import hooks

bp = Blueprint("hooks", __name__, url_prefix="/v2/integrations")


def _settings() -> Settings:
    settings: Settings = current_app.config["IVALID"]
    return settings


def _status(p: Principal, platform: str) -> dict[str, Any]:
    return hooks.status(get_session(), p, platform, _settings())


@route(
    bp,
    "/zapier",
    "GET",
    scope="integrations:manage",
    summary="Zapier : connecté ou non, autorisations et hooks actifs",
    response=PlatformStatus,
)
def zapier_status(p: Principal) -> dict[str, Any]:
    return _status(p, "zapier")


@route(
    bp,
    "/make",
    "GET",
    scope="integrations:manage",
    summary="Make : connecté ou non, autorisations et hooks actifs",
    response=PlatformStatus,
)
def make_status(p: Principal) -> dict[str, Any]:
    return _status(p, "make")


@route(
    bp,
    "/<platform>/hooks",
    "POST",
    scope=ANY_SCOPE,
    summary="Abonner un REST hook (Zapier, Make) à un événement",
    body=HookCreate,
    response=HookOut,
    status=201,
    errors=(403, 404, 409, 422),
)
def create_hook(p: Principal, platform: str, body: HookCreate) -> dict[str, Any]:
    """The event's read scope is required (appointments:read, customers:read)."""
    hooks.check_platform(platform)
    require_scope(hooks.scope_for(body.event))
    return hooks.create(get_session(), p, platform, body, _settings())


@route(
    bp,
    "/<platform>/hooks/<hook_id>",
    "DELETE",
    scope=ANY_SCOPE,
    summary="Désabonner un REST hook",
    status=204,
    errors=(404,),
)
def delete_hook(p: Principal, platform: str, hook_id: str) -> Response:
    hooks.check_platform(platform)
    hooks.delete(get_session(), p, platform, hook_id)
    return Response(status=204)
