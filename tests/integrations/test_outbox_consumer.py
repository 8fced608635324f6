"""The integrations push consumer takes the fan-out's batches: a few queries per batch."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import event, select

from hub.db import get_db
from hub.ids import new_id
from hub.integrations.outbox import push_on_change
from hub.models import Appointment, Event, IntegrationConnection, IntegrationLink
from hub.timeutil import utcnow
from tests.support import Tenant


def _connection(s: Any, tenant: Tenant, connector: str, remote: str | None) -> str:
    row = IntegrationConnection(
        id=new_id("icn"),
        account_id=tenant.account_id,
        environment=tenant.environment,
        connector=connector,
        status="connected" if remote else "disconnected",
        remote_account_id=remote,
    )
    s.add(row)
    return row.id


def _event(tenant: Tenant, appointment_id: str, kind: str = "appointment.updated") -> Event:
    return Event(
        id=new_id("evt"),
        account_id=tenant.account_id,
        environment=tenant.environment,
        type=kind,
        object_id=appointment_id,
        data={"id": appointment_id},
        created_at=utcnow(),
    )


def test_one_batch_marks_every_connected_calendar_of_each_tenant(
    app: Flask, tenant: Tenant, other_tenant: Tenant
) -> None:
    db = get_db(app)
    with db.session() as s, s.begin():
        mine = _connection(s, tenant, "google-calendar", "jean@example.fr")
        second = _connection(s, tenant, "outlook", "jean@example.onmicrosoft.com")
        never = _connection(s, tenant, "zoho_crm", None)  # consent never given: no push
        theirs = _connection(s, other_tenant, "google-calendar", "them@example.fr")

    def appointments_of(t: Tenant) -> list[str]:
        with db.session() as s:
            return list(
                s.scalars(
                    select(Appointment.id).where(
                        Appointment.account_id == t.account_id,
                        Appointment.environment == t.environment,
                    )
                )
            )

    a, b = appointments_of(tenant)[0], appointments_of(other_tenant)[0]
    batch = [_event(tenant, a, "appointment.created"), _event(tenant, a), _event(other_tenant, b)]

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.session() as s, s.begin():
            push_on_change(s, batch)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # One look-up of connections per tenant, one upsert per connected calendar: not per event.
    assert len([q for q in statements if q.lstrip().upper().startswith("SELECT")]) == 2
    assert len([q for q in statements if q.lstrip().upper().startswith("INSERT")]) == 3

    with db.session() as s:
        links = {
            (link.connection_id, link.local_id): (link.pending, link.pending_seq)
            for link in s.scalars(select(IntegrationLink))
        }
    assert links == {(mine, a): (True, 1), (second, a): (True, 1), (theirs, b): (True, 1)}
    assert all(conn != never for conn, _ in links)

    with db.session() as s, s.begin():
        push_on_change(s, [_event(tenant, a)])  # a later change bumps the same link
    with db.session() as s:
        seq = s.scalar(
            select(IntegrationLink.pending_seq).where(
                IntegrationLink.connection_id == mine, IntegrationLink.local_id == a
            )
        )
    assert seq == 2
