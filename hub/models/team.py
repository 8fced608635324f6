"""Teams and technicians: skills, zones, working hours, daily limit, location."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base
from hub.models._common import TenantOwned


class Team(TenantOwned, Base):
    """A field team."""

    __tablename__ = "teams"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class Technician(TenantOwned, Base):
    """A technician; his row is also the lock that serialises bookings on his calendar."""

    __tablename__ = "technicians"

    team_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("teams.id", ondelete="SET NULL"), nullable=True, index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(32), nullable=True)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    zones: Mapped[list[str]] = mapped_column(JSON, default=list)
    working_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    max_appointments_per_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    current_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    current_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
    start_lat: Mapped[float | None] = mapped_column(Float, nullable=True)
    start_lng: Mapped[float | None] = mapped_column(Float, nullable=True)
