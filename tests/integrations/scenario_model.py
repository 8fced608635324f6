"""The model of the convergence scenario: what each side should show, and the final check."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from hub.db import Database
from hub.models import Event, ExternalBusy

if TYPE_CHECKING:
    from tests.integrations.scenario import Scenario

SEED = int(os.environ.get("IVALID_CONVERGENCE_SEED", "20251124"))
ROUNDS = 200
PAGE_SIZE = 3
WRITES = ("events.insert", "events.patch", "events.update", "events.delete")


class Crash(BaseException):
    """The worker process dies (not an Exception: nothing may catch it and clean up)."""


State = tuple[bool, str, int, str | None]  # active, scheduled_at, duration, notes


@dataclass
class Model:
    """What the test knows of both sides."""

    calendars: dict[str, str]  # technician id → calendar id
    local: dict[str, State] = field(default_factory=dict)
    technician: dict[str, str] = field(default_factory=dict)
    pushed: dict[str, State | None] = field(default_factory=dict)  # what the remote shows
    # Changed remotely and not yet pulled: appointment → round of the change.
    remote_dirty: dict[str, int] = field(default_factory=dict)
    local_dirty: set[str] = field(default_factory=set)  # changed while disconnected
    titles: dict[str, str] = field(default_factory=dict)
    foreign: dict[str, str] = field(default_factory=dict)  # foreign event id → calendar
    expected_writes: int = 0
    connected: bool = True
    stats: Counter[str] = field(default_factory=Counter)

    def active(self) -> list[str]:
        """Active appointments, in the order they were booked (ids are random)."""
        return [a for a, s in self.local.items() if s[0]]


def _state(body: dict[str, Any]) -> State:
    return (
        body["status"] in ("pending", "confirmed"),
        body["scheduled_at"],
        body["duration"],
        body["notes"],
    )


def _shows(state: State | None) -> State | None:
    """What the remote shows for a state: nothing for an inactive appointment."""
    return state if state is not None and state[0] else None


def count_conflicts(db: Database, account_id: str) -> int:
    """integration.conflict events of an account (each refused change is put back once)."""
    with db.session() as session:
        return int(
            session.scalar(
                select(func.count()).where(
                    Event.type == "integration.conflict", Event.account_id == account_id
                )
            )
            or 0
        )


def verify(s: Scenario) -> None:
    """Both sides hold the same appointments at the same times, once each, with the titles
    the remote user gave; every live foreign event is a busy period with its times."""
    listing = s.api.get("/v2/appointments", per_page=100).json["data"]
    appointments = {a["id"]: a for a in listing}
    live: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    foreign_live: dict[str, tuple[str, dict[str, Any]]] = {}
    for calendar in sorted(set(s.model.calendars.values())):
        for event in s.fake.events(calendar):
            apt = (
                event.get("extendedProperties", {}).get("private", {}).get("ivalid_appointment_id")
            )
            if apt:
                live.setdefault(apt, []).append((calendar, event))
            else:
                foreign_live[event["id"]] = (calendar, event)
    for apt, events in live.items():
        assert len(events) == 1, f"duplicate events for {apt}: {events}"
        assert apt in appointments, f"remote event of unknown appointment {apt}"
    for apt, body in appointments.items():
        active = body["status"] in ("pending", "confirmed")
        if not active:
            assert apt not in live, f"cancelled {apt} still in the calendar"
            continue
        assert apt in live, f"active {apt} missing remotely"
        calendar, event = live[apt][0]
        assert calendar == s.model.calendars[body["technician"]["id"]]
        start = datetime.fromisoformat(event["start"]["dateTime"])
        end = datetime.fromisoformat(event["end"]["dateTime"])
        assert start == datetime.fromisoformat(body["scheduled_at"].replace("Z", "+00:00"))
        assert end == datetime.fromisoformat(body["ends_at"].replace("Z", "+00:00"))
        if apt in s.model.titles:
            assert event["summary"] == s.model.titles[apt]
    with s.db.session() as session:
        busy = {
            b.external_id: b
            for b in session.scalars(
                select(ExternalBusy).where(ExternalBusy.account_id == s.tenant.account_id)
            )
        }
    assert set(busy) == set(foreign_live), "busy periods differ from foreign events"
    for event_id, (_, event) in foreign_live.items():
        assert busy[event_id].starts_at == datetime.fromisoformat(event["start"]["dateTime"])
