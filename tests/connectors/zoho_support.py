"""Helpers of the Zoho connector tests (plain functions; fixtures are in zoho_fixtures)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.fakes.zoho import FakeZoho

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def connection_config(zoho: FakeZoho, location: str, **extra: Any) -> dict[str, Any]:
    """Connector settings for a connection at `location` of the fake."""
    return {
        "location": location,
        "api_domain": zoho.base(location),
        "data_centres": zoho.data_centres(),
        **extra,
    }


def seed_contacts(zoho: FakeZoho, count: int, location: str | None = None) -> list[str]:
    """Create `count` contacts as people in Zoho would; returns their ids."""
    store = zoho.store(location)
    return [
        store.create(
            "Contacts",
            First_Name=f"Prénom{i}",
            Last_Name=f"Nom{i}",
            Email=f"client{i}@example.fr",
            Phone=f"+33 1 23 45 {i // 100 % 100:02d} {i % 100:02d}",
        )["id"]
        for i in range(count)
    ]
