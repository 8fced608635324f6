"""/v2/teams and /v2/technicians."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.common import PageQuery
from hub.schemas.teams import (
    ScheduleQuery,
    TeamCreate,
    TeamList,
    TeamOut,
    TeamUpdate,
    TechnicianCreate,
    TechnicianList,
    TechnicianOut,
    TechnicianQuery,
    TechnicianUpdate,
)
from hub.services import teams

bp = Blueprint("teams", __name__, url_prefix="/v2")


@route(
    bp,
    "/teams",
    "GET",
    scope="teams:read",
    summary="Lister les équipes",
    query=PageQuery,
    response=TeamList,
)
def list_teams(p: Principal, query: PageQuery) -> dict[str, Any]:
    return teams.list_teams(get_session(), p, query)


@route(
    bp,
    "/teams",
    "POST",
    scope="teams:write",
    summary="Créer une équipe",
    body=TeamCreate,
    response=TeamOut,
    status=201,
    errors=(422,),
)
def create_team(p: Principal, body: TeamCreate) -> dict[str, Any]:
    return teams.create_team(get_session(), p, body)


@route(
    bp,
    "/teams/<team_id>",
    "GET",
    scope="teams:read",
    summary="Obtenir une équipe",
    response=TeamOut,
    errors=(404,),
)
def get_team(p: Principal, team_id: str) -> dict[str, Any]:
    return teams.get_team(get_session(), p, team_id)


@route(
    bp,
    "/teams/<team_id>",
    "PUT",
    scope="teams:write",
    summary="Modifier une équipe",
    body=TeamUpdate,
    response=TeamOut,
    errors=(404, 422),
)
def update_team(p: Principal, team_id: str, body: TeamUpdate) -> dict[str, Any]:
    return teams.update_team(get_session(), p, team_id, body)


@route(
    bp,
    "/technicians",
    "GET",
    scope="teams:read",
    summary="Lister les techniciens",
    query=TechnicianQuery,
    response=TechnicianList,
)
def list_technicians(p: Principal, query: TechnicianQuery) -> dict[str, Any]:
    return teams.list_technicians(get_session(), p, query)


@route(
    bp,
    "/technicians",
    "POST",
    scope="teams:write",
    summary="Créer un technicien",
    body=TechnicianCreate,
    response=TechnicianOut,
    status=201,
    errors=(422,),
)
def create_technician(p: Principal, body: TechnicianCreate) -> dict[str, Any]:
    return teams.create_technician(get_session(), p, body)


@route(
    bp,
    "/technicians/<technician_id>",
    "GET",
    scope="teams:read",
    summary="Obtenir un technicien",
    response=TechnicianOut,
    errors=(404,),
)
def get_technician(p: Principal, technician_id: str) -> dict[str, Any]:
    return teams.get_technician(get_session(), p, technician_id)


@route(
    bp,
    "/technicians/<technician_id>",
    "PUT",
    scope="teams:write",
    summary="Modifier un technicien",
    body=TechnicianUpdate,
    response=TechnicianOut,
    errors=(404, 422),
)
def update_technician(p: Principal, technician_id: str, body: TechnicianUpdate) -> dict[str, Any]:
    return teams.update_technician(get_session(), p, technician_id, body)


@route(
    bp,
    "/technicians/<technician_id>/schedule",
    "GET",
    scope="teams:read",
    summary="Planning du jour d'un technicien",
    query=ScheduleQuery,
    errors=(404,),
)
def technician_schedule(p: Principal, technician_id: str, query: ScheduleQuery) -> dict[str, Any]:
    return teams.schedule(get_session(), p, technician_id, query.date)
