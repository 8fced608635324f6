"""The demo data set: the spec's examples (Marie Dupont, Installation Climatisation…)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hub.db import transaction
from hub.ids import new_id
from hub.models import (
    Appointment,
    Customer,
    Event,
    ExternalBusy,
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


def clear(session: Session, account_id: str, environment: str) -> None:
    """Delete every object of one account's environment (used by the sandbox reset)."""
    for model in (Event, Appointment, ExternalBusy, Customer, Technician, Team, Service):
        session.execute(
            delete(model).where(
                model.account_id == account_id,
                model.environment == environment,
            )
        )


def seed(session: Session, account_id: str, environment: str = "sandbox") -> dict[str, str]:
    """Create the spec's example objects and one appointment tomorrow; returns their ids."""

    def tenant() -> dict[str, str]:
        return {"account_id": account_id, "environment": environment}

    with transaction(session):
        team = Team(id=new_id("team"), name="Équipe Paris Centre", description=None, **tenant())
        jean = Technician(
            id=new_id("tech"),
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
            id=new_id("tech"),
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
            id=new_id("srv"),
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
            id=new_id("srv"),
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
            id=new_id("cust"),
            first_name="Marie",
            last_name="Dupont",
            email="marie.dupont@example.com",
            phone="+33612345678",
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
        session.add_all([team, jean, pierre, service, maintenance, marie])
        session.flush()
        tz = ZoneInfo("Europe/Paris")
        day = datetime.now(tz).date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        start = datetime.combine(day, time(9, 0), tz).astimezone(UTC)
        end = start + timedelta(minutes=120)
        session.add(
            Appointment(
                id=new_id("apt"),
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
                confirmed_at=datetime.now(UTC),
                **tenant(),
            )
        )
    return {
        "customer_id": marie.id,
        "service_id": service.id,
        "technician_id": jean.id,
        "second_technician_id": pierre.id,
        "team_id": team.id,
    }
