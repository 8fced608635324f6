"""Migration 0011: E.164 phones backfilled and indexed; down and up again (SQLite, PG)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from hub.migrate import alembic_config
from hub.phones import e164
from tests.integrations.test_migration_streams import Populator, _rows, url

__all__ = ["url"]

# (stored phone, what the backfill writes): the customer service's own normalisation.
PHONES = [
    ("06 55 44 33 22", "+33655443322"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033 1 42 68 53 00", "+33142685300"),
    ("(212) 555-0100", None),  # not a possible French number
    ("+1 212 555 0100", "+12125550100"),
    ("12", None),
    (None, None),
]


def test_the_backfill_is_the_services_normalisation() -> None:
    assert [e164(stored) for stored, _ in PHONES] == [want for _, want in PHONES]


def test_phones_are_backfilled_and_the_columns_walk_down_and_up(
    url: tuple[str, str | None],
) -> None:
    database, schema = url
    config = alembic_config(database)
    command.upgrade(config, "0010")
    engine = sa.create_engine(database)
    made: list[tuple[str, str | None]] = []
    with engine.begin() as conn:
        p = Populator(conn, schema)
        p.add("accounts", name="Plomberie Martin", timezone="Europe/Paris")
        for n, (stored, want) in enumerate(PHONES):
            cid = p.add(
                "customers",
                first_name="Marie",
                last_name=f"Durand {n}",
                environment="sandbox",
                phone=stored,
                email=f"Marie.Durand{n}@Example.FR",
            )
            made.append((cid, want))
        p.add("integration_connections", environment="sandbox", connector="zoho")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        rows = {r["id"]: r for r in _rows(conn, "SELECT id, email, phone_e164 FROM customers")}
        streams = [c["name"] for c in sa.inspect(conn).get_columns("integration_streams")]
        indexes = {i["name"]: i["column_names"] for i in sa.inspect(conn).get_indexes("customers")}
    assert [rows[cid]["phone_e164"] for cid, _ in made] == [want for _, want in made]
    assert all(r["email"] == r["email"].lower() for r in rows.values())
    assert indexes["ix_customers_tenant_phone_e164"] == [
        "account_id",
        "environment",
        "phone_e164",
    ]
    assert {"pull_due_at", "remote_fields"} <= set(streams)

    command.downgrade(config, "0010")
    with engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("customers")]
        back = _rows(conn, "SELECT phone FROM customers ORDER BY last_name")
    assert "phone_e164" not in columns
    assert sorted(r["phone"] or "" for r in back) == sorted(s or "" for s, _ in PHONES)
    command.upgrade(config, "head")  # and up again
    with engine.connect() as conn:
        again = {
            r["id"]: r["phone_e164"] for r in _rows(conn, "SELECT id, phone_e164 FROM customers")
        }
    assert [again[cid] for cid, _ in made] == [want for _, want in made]
    engine.dispose()
