"""Service (prestation) operations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import representations as rep
from hub.auth.guard import Principal
from hub.db import transaction
from hub.ids import new_id
from hub.models import Service
from hub.schemas.catalog import ServiceCreate, ServiceQuery, ServiceUpdate
from hub.services.payment_settings import check_payment_settings
from hub.services.tenancy import get_owned, paginate, scoped

_REQUIRED = (
    "name",
    "duration",
    "buffer_before",
    "buffer_after",
    "price",
    "currency",
    "required_skills",
    "available_online",
    "payment",
)


def create(session: Session, p: Principal, body: ServiceCreate) -> dict[str, Any]:
    """Create a service."""
    with transaction(session):
        s = Service(
            id=new_id("srv"),
            account_id=p.account_id,
            environment=p.environment,
            **body.model_dump(),
        )
        s.required_skills = list(dict.fromkeys(body.required_skills))
        check_payment_settings(s)
        session.add(s)
        session.flush()
        return rep.service(s)


def update(session: Session, p: Principal, service_id: str, body: ServiceUpdate) -> dict[str, Any]:
    """Change the fields sent; booked appointments keep the duration and buffers they had."""
    with transaction(session):
        s = get_owned(session, Service, service_id, p, for_update=True)
        for field, value in body.model_dump(exclude_unset=True).items():
            if value is None and field in _REQUIRED:
                continue
            setattr(s, field, value)
        check_payment_settings(s)
        session.flush()
        return rep.service(s)


def get(session: Session, p: Principal, service_id: str) -> dict[str, Any]:
    """One service."""
    return rep.service(get_owned(session, Service, service_id, p))


def list_(session: Session, p: Principal, q: ServiceQuery) -> dict[str, Any]:
    """A page of services."""
    stmt = scoped(select(Service), Service, p)
    if q.category:
        stmt = stmt.where(Service.category == q.category)
    if q.available_online is not None:
        stmt = stmt.where(Service.available_online.is_(q.available_online))
    items, meta = paginate(session, stmt.order_by(Service.name, Service.id), q.page, q.per_page)
    return {"data": [rep.service(s) for s in items], "meta": meta}
