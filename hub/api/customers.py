"""/v2/customers."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from hub.api.routing import route
from hub.auth.guard import Principal
from hub.db import get_session
from hub.schemas.appointments import AppointmentList, AppointmentQuery
from hub.schemas.customers import (
    CustomerCreate,
    CustomerList,
    CustomerOut,
    CustomerQuery,
    CustomerUpdate,
)
from hub.services import customers

bp = Blueprint("customers", __name__, url_prefix="/v2/customers")


@route(
    bp,
    "",
    "GET",
    scope="customers:read",
    summary="Lister les clients",
    query=CustomerQuery,
    response=CustomerList,
)
def list_customers(p: Principal, query: CustomerQuery) -> dict[str, Any]:
    return customers.list_(get_session(), p, query)


@route(
    bp,
    "",
    "POST",
    scope="customers:write",
    summary="Créer un client",
    body=CustomerCreate,
    response=CustomerOut,
    status=201,
    errors=(422,),
)
def create_customer(p: Principal, body: CustomerCreate) -> dict[str, Any]:
    return customers.create(get_session(), p, body)


@route(
    bp,
    "/<customer_id>",
    "GET",
    scope="customers:read",
    summary="Obtenir un client",
    response=CustomerOut,
    errors=(404,),
)
def get_customer(p: Principal, customer_id: str) -> dict[str, Any]:
    return customers.get(get_session(), p, customer_id)


@route(
    bp,
    "/<customer_id>",
    "PUT",
    scope="customers:write",
    summary="Modifier un client",
    body=CustomerUpdate,
    response=CustomerOut,
    errors=(404, 422),
)
def update_customer(p: Principal, customer_id: str, body: CustomerUpdate) -> dict[str, Any]:
    return customers.update(get_session(), p, customer_id, body)


@route(
    bp,
    "/<customer_id>/appointments",
    "GET",
    scope="appointments:read",
    summary="Rendez-vous d'un client",
    query=AppointmentQuery,
    response=AppointmentList,
    errors=(404,),
)
def customer_appointments(
    p: Principal, customer_id: str, query: AppointmentQuery
) -> dict[str, Any]:
    return customers.appointments(get_session(), p, customer_id, query)
