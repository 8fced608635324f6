"""Tenant scoping: every query is filtered by the caller's account and environment."""

from __future__ import annotations

import math
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from hub.auth.guard import Principal
from hub.errors import ApiError, NotFound, field_error

T = TypeVar("T")

RESOURCE_NAMES = {
    "Customer": "customer",
    "Service": "service",
    "Team": "team",
    "Technician": "technician",
    "Appointment": "appointment",
}


def scoped(stmt: Select[Any], model: Any, p: Principal) -> Select[Any]:
    """`stmt` restricted to the caller's account and environment."""
    return stmt.where(model.account_id == p.account_id, model.environment == p.environment)


def get_owned(
    session: Session, model: type[T], object_id: str, p: Principal, *, for_update: bool = False
) -> T:
    """The caller's object with this id; another tenant's, or none, is 404 NOT_FOUND."""
    # FOR UPDATE OF the row itself: PostgreSQL refuses to lock the nullable side of the
    # outer joins that eager-load an appointment's technician.
    lock = {"of": model} if for_update else None
    obj = session.get(model, object_id, with_for_update=lock)
    if (
        obj is None
        or getattr(obj, "account_id", None) != p.account_id
        or getattr(obj, "environment", None) != p.environment
    ):
        raise NotFound(RESOURCE_NAMES.get(model.__name__, model.__name__.lower()), object_id)
    return obj


def get_reference(session: Session, model: type[T], object_id: str, p: Principal, field: str) -> T:
    """A referenced object of the caller's (e.g. a body's `customer_id`): 422 if it is not one."""
    try:
        return get_owned(session, model, object_id, p)
    except NotFound as exc:
        raise ApiError(
            422,
            "INVALID_REFERENCE",
            {"errors": [field_error(field, "not_found", id=object_id)]},
        ) from exc


def page_meta(total: int, page: int, per_page: int) -> dict[str, int]:
    """The spec's `meta` {total, page, per_page, total_pages}."""
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "total_pages": math.ceil(total / per_page) if total else 0,
    }


def paginate(
    session: Session, stmt: Select[Any], page: int, per_page: int
) -> tuple[list[Any], dict[str, int]]:
    """One page of `stmt` and its `meta`."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    items = list(session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return items, page_meta(total, page, per_page)


def paginate_list(rows: list[T], page: int, per_page: int) -> tuple[list[T], dict[str, int]]:
    """One page of rows already filtered in Python, and its `meta`."""
    start = (page - 1) * per_page
    return rows[start : start + per_page], page_meta(len(rows), page, per_page)
