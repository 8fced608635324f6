"""The demo data set: the spec's examples (Marie Dupont, Installation Climatisation…)."""

from __future__ import annotations

import hashlib
import string
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session

from hub.db import transaction
from hub.models import (
    Appointment,
    Customer,
    Event,
    ExternalBusy,
    IntegrationLink,
    IntegrationStream,
    Service,
    Team,
    Technician,
)

WEEKDAYS_8_18 = {
    d: {"start": "08:00", "end": "18:00"} for d in ("monday", "tuesday", "wednesday", "thursday")
}


def _hours(friday_end: str) -> dict[str, Any]:
    hours: dict[str, Any] = dict(WEEKDAYS_8_18)
    hours["friday"] = {"start": "08:00", "end": friday_end}
    return hours


def demo_id(prefix: str, account_id: str, environment: str, name: str) -> str:
    """The id of one demo object: the same at every seed of one account's environment.

    A sandbox reset gives the integrator's fixtures back the ids they know. Derived with
    SHA-256 from the account id, so unique across accounts; as unguessable as the account id,
    and another account's id answers 404 anyway.
    """
    digest = hashlib.sha256(f"{account_id}\x00{environment}\x00{name}".encode()).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(20):
        number, rest = divmod(number, 62)
        chars.append(_BASE62[rest])
    return f"{prefix}_" + "".join(chars)


_BASE62 = string.ascii_letters + string.digits
_DEMO_OBJECTS = {
    Team: ("team", ("paris-centre",)),
    Technician: ("tech", ("jean", "pierre")),
    Service: ("srv", ("climatisation", "chaudiere")),
    Customer: ("cust", ("marie",)),
    Appointment: ("apt", ("marie-climatisation",)),
}


def demo_ids(account_id: str, environment: str) -> dict[type, set[str]]:
    """The ids `seed` gives its objects in one account's environment, by model."""
    return {
        model: {demo_id(prefix, account_id, environment, name) for name in names}
        for model, (prefix, names) in _DEMO_OBJECTS.items()
    }


def clear(session: Session, account_id: str, environment: str) -> None:
    """Delete one environment's events and every object the demo data set does not have.

    The demo objects themselves stay (seed restores their fields): what hangs on them —
    a technician's linked calendars and their busy periods, the demo appointment's remote
    event link — survives a sandbox reset. Credentials, webhook endpoints and integration
    connections with their mappings are configuration and are never touched here.
    """
    keep = demo_ids(account_id, environment)

    def mine(model: Any) -> Any:
        return delete(model).where(model.account_id == account_id, model.environment == environment)

    demo_technicians = keep[Technician]
    session.execute(mine(Event))
    session.execute(mine(Appointment).where(Appointment.id.not_in(keep[Appointment])))
    session.execute(mine(Customer).where(Customer.id.not_in(keep[Customer])))
    session.execute(mine(ExternalBusy).where(ExternalBusy.technician_id.not_in(demo_technicians)))
    session.execute(
        # A technician's calendar stream goes with him; per-connection streams stay.
        mine(IntegrationStream).where(
            IntegrationStream.technician_id.is_not(None),
            IntegrationStream.technician_id.not_in(demo_technicians),
        )
    )
    session.execute(mine(Technician).where(Technician.id.not_in(demo_technicians)))
    session.execute(mine(Team).where(Team.id.not_in(keep[Team])))
    session.execute(mine(Service).where(Service.id.not_in(keep[Service])))


def _restore(session: Session, obj: Any) -> Any:
    """Insert `obj`, or put an existing row with its id back to exactly `obj`'s values."""
    existing = session.get(type(obj), obj.id)
    if existing is None:
        session.add(obj)
        return obj
    for attr in sa_inspect(type(obj)).column_attrs:
        key = attr.key
        if key in ("id", "created_at", "updated_at"):
            continue
        if key in obj.__dict__:
            value = obj.__dict__[key]
        else:
            default = attr.columns[0].default
            if default is not None and callable(getattr(default, "arg", None)):
                continue
            value = getattr(default, "arg", None) if default is not None else None
        setattr(existing, key, value)
    return existing


def seed(
    session: Session,
    account_id: str,
    environment: str = "sandbox",
    now: datetime | None = None,
) -> dict[str, str]:
    """Create (or restore) the spec's example objects and one appointment on the next working
    day after `now`; returns their ids, the same at every seed of one environment."""

    def tenant() -> dict[str, str]:
        return {"account_id": account_id, "environment": environment}

    def oid(prefix: str, name: str) -> str:
        return demo_id(prefix, account_id, environment, name)

    with transaction(session):
        team = Team(
            id=oid("team", "paris-centre"), name="Équipe Paris Centre", description=None, **tenant()
        )
        jean = Technician(
            id=oid("tech", "jean"),
            name="Jean Martin",
            email="jean.martin@company.com",
            phone="+33698765432",
            team_id=team.id,
            skills=["climatisation", "chauffage", "electricite"],
            zones=["75001", "75002", "75003", "75004"],
            working_hours=_hours("17:00"),
            max_appointments_per_day=6,
            current_lat=48.8566,
            current_lng=2.3522,
            **tenant(),
        )
        pierre = Technician(
            id=oid("tech", "pierre"),
            name="Pierre Dubois",
            email="pierre.dubois@company.com",
            phone="+33698765433",
            team_id=team.id,
            skills=["climatisation", "electricite", "plomberie"],
            zones=["75*"],
            working_hours=_hours("18:00"),
            max_appointments_per_day=6,
            current_lat=48.8606,
            current_lng=2.3376,
            **tenant(),
        )
        service = Service(
            id=oid("srv", "climatisation"),
            name="Installation Climatisation",
            description="Installation complète d'un système de climatisation",
            duration=120,
            buffer_before=15,
            buffer_after=15,
            price=Decimal("150.00"),
            currency="EUR",
            required_skills=["climatisation", "electricite"],
            available_online=True,
            color="#10B981",
            category="installation",
            **tenant(),
        )
        maintenance = Service(
            id=oid("srv", "chaudiere"),
            name="Entretien Chaudière",
            description="Entretien annuel obligatoire d'une chaudière gaz",
            duration=60,
            buffer_before=0,
            buffer_after=15,
            price=Decimal("95.00"),
            currency="EUR",
            required_skills=["chauffage"],
            available_online=True,
            color="#F59E0B",
            category="maintenance",
            **tenant(),
        )
        marie = Customer(
            id=oid("cust", "marie"),
            first_name="Marie",
            last_name="Dupont",
            email="marie.dupont@example.com",
            phone="+33612345678",
            phone_e164="+33612345678",
            address={
                "street": "15 rue des Lilas",
                "city": "Paris",
                "postal_code": "75001",
                "country": "FR",
            },
            preferences={
                "preferred_contact": "sms",
                "preferred_time_slots": ["morning", "afternoon"],
                "language": "fr",
            },
            tags=["premium", "fidele"],
            custom_fields={"numero_client": "CLT-2024-001"},
            **tenant(),
        )
        for obj in (team, jean, pierre, service, maintenance, marie):
            _restore(session, obj)
        session.flush()
        tz = ZoneInfo("Europe/Paris")
        day = (now or datetime.now(UTC)).astimezone(tz).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, time(9, 0), tz).astimezone(UTC)
        end = start + timedelta(minutes=120)
        appointment = _restore(
            session,
            Appointment(
                id=oid("apt", "marie-climatisation"),
                customer_id=marie.id,
                service_id=service.id,
                technician_id=jean.id,
                scheduled_at=start,
                duration=120,
                ends_at=end,
                buffer_before=15,
                buffer_after=15,
                block_start=start - timedelta(minutes=15),
                block_end=end + timedelta(minutes=15),
                status="confirmed",
                address="15 rue des Lilas",
                city="Paris",
                postal_code="75001",
                lat=48.8637,
                lng=2.3363,
                notes="Code portail: 1234",
                notify_customer=True,
                reminder_sms=True,
                reminder_email=True,
                confirmed_at=now or datetime.now(UTC),
                **tenant(),
            ),
        )
        # A calendar may still show the demo appointment as the integrator left it: push the
        # restored state through its links (they survive the reset with the appointment).
        session.execute(
            update(IntegrationLink)
            .where(
                IntegrationLink.local_type == "appointment",
                IntegrationLink.local_id == appointment.id,
            )
            .values(pending=True, pending_seq=IntegrationLink.pending_seq + 1)
        )
    return {
        "customer_id": marie.id,
        "service_id": service.id,
        "technician_id": jean.id,
        "second_technician_id": pierre.id,
        "team_id": team.id,
    }
