"""/v2/services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.catalog import ServiceCreate, ServiceList, ServiceOut, ServiceQuery, ServiceUpdate
from hub.services import catalog

bp = Blueprint("services", __name__, url_prefix="/v2/services")


@route(
    bp,
    "",
    "GET",
    scope="services:read",
    summary="Lister les services",
    query=ServiceQuery,
    response=ServiceList,
)
def list_services(p: Principal, query: ServiceQuery) -> dict[str, Any]:
    return catalog.list_(get_session(), p, query)


@route(
    bp,
    "",
    "POST",
    scope="services:write",
    summary="Créer un service",
    body=ServiceCreate,
    response=ServiceOut,
    status=201,
    errors=(422,),
)
def create_service(p: Principal, body: ServiceCreate) -> dict[str, Any]:
    return catalog.create(get_session(), p, body)


@route(
    bp,
    "/<service_id>",
    "GET",
    scope="services:read",
    summary="Obtenir un service",
    response=ServiceOut,
    errors=(404,),
)
def get_service(p: Principal, service_id: str) -> dict[str, Any]:
    return catalog.get(get_session(), p, service_id)


@route(
    bp,
    "/<service_id>",
    "PUT",
    scope="services:write",
    summary="Modifier un service",
    body=ServiceUpdate,
    response=ServiceOut,
    errors=(404, 422),
)
def update_service(p: Principal, service_id: str, body: ServiceUpdate) -> dict[str, Any]:
    return catalog.update(get_session(), p, service_id, body)
