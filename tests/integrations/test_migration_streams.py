"""Migration 0007 carries calendars, cursors, channels and links over, and back (SQLite, PG)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from hub.migrate import alembic_config

PG_URL = os.environ.get("IVALID_TEST_DATABASE_URL", "")
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _filler(column: sa.Column[Any]) -> Any:
    """A value a NOT NULL column without default accepts."""
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, (sa.Float, sa.Numeric)):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.Date):
        return NOW.date()
    length = getattr(kind, "length", None) or 12
    return f"x{secrets.token_hex(6)}"[:length]


class Populator:
    """Rows of a schema at revision 0005, filled in from the reflected tables."""

    def __init__(self, conn: sa.Connection, schema: str | None) -> None:
        self.conn = conn
        self.meta = sa.MetaData(schema=schema)
        self.meta.reflect(conn)
        self.schema = schema
        self.made: dict[str, str] = {}

    def table(self, name: str) -> sa.Table:
        return self.meta.tables[f"{self.schema}.{name}" if self.schema else name]

    def add(self, table_name: str, /, **values: Any) -> str:
        name = table_name
        table = self.table(name)
        row = dict(values)
        row.setdefault("id", f"{name[:4]}_{secrets.token_hex(6)}")
        for column in table.columns:
            if column.name in row or column.nullable or column.server_default is not None:
                continue
            refs = [fk.column.table.name for fk in column.foreign_keys]
            row[column.name] = self.made[refs[0]] if refs else _filler(column)
        self.conn.execute(table.insert().values(**row))
        self.made.setdefault(name, row["id"])
        return str(row["id"])


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """A database to walk the migrations on: a file, or a scratch PostgreSQL database.

    The scratch database is named after the suite's (`<name>_migration`), created and dropped
    here, so the suite's own schema is never touched.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'walk.db'}", None
        return
    if not PG_URL:
        pytest.skip("needs PostgreSQL (IVALID_TEST_DATABASE_URL)")
    base = sa.engine.make_url(PG_URL)
    scratch = f"{base.database}_migration"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{scratch}"'))
    yield base.set(database=scratch).render_as_string(hide_password=False), None
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
    admin.dispose()


def _rows(conn: sa.Connection, sql: str) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(sa.text(sql))]


def test_streams_and_links_survive_the_upgrade_and_the_downgrade(
    url: tuple[str, str | None],
) -> None:
    database, schema = url
    config = alembic_config(database)
    command.upgrade(config, "0005")
    engine = sa.create_engine(database)
    with engine.begin() as conn:
        p = Populator(conn, schema)
        p.add("accounts", name="Plomberie Martin", timezone="Europe/Paris")
        tech = p.add("technicians", name="Jean", environment="sandbox")
        other = p.add("technicians", name="Pierre", environment="sandbox")
        p.add("customers", first_name="Marie", last_name="Durand", environment="sandbox")
        p.add("services", name="Pose", environment="sandbox")
        apt = p.add("appointments", environment="sandbox", technician_id=tech, status="confirmed")
        conn_id = p.add(
            "integration_connections",
            environment="sandbox",
            connector="google-calendar",
            status="connected",
            remote_account_id="jean@example.fr",
            token_cache="gAAAA-cache",
        )
        cal = p.add(
            "integration_calendars",
            environment="sandbox",
            connection_id=conn_id,
            technician_id=tech,
            calendar_id="jean@example.fr",
            linked_by="manual",
            cursor={"sync_token": "CPDAlvWDx70CEPDAlvWDx70CGAU="},
            full_sync_started_at=NOW,
            channel_id="chan-1",
            channel_resource_id="res-1",
            channel_token="gAAAA-token",
            channel_expires_at=NOW,
        )
        p.add(
            "integration_calendars",
            environment="sandbox",
            connection_id=conn_id,
            technician_id=other,
            calendar_id="pierre@example.fr",
            linked_by="auto",
        )
        link = p.add(
            "integration_links",
            environment="sandbox",
            connection_id=conn_id,
            appointment_id=apt,
            calendar_id="jean@example.fr",
            remote_id="evt-remote-1",
            remote_state="live",
            remote_etag='"3181161784712000"',
            payload_hash="ab" * 16,
            title="Pose chez Marie",
            pending=True,
            pending_seq=3,
        )
    command.upgrade(config, "head")
    with engine.connect() as conn:
        streams = _rows(conn, "SELECT * FROM integration_streams ORDER BY remote_id")
        links = _rows(conn, "SELECT * FROM integration_links")
        connections = _rows(conn, "SELECT token_cache, endpoints FROM integration_connections")
    assert [(s["stream"], s["technician_id"], s["remote_id"]) for s in streams] == [
        ("events", tech, "jean@example.fr"),
        ("events", other, "pierre@example.fr"),
    ]
    jean = streams[0]
    assert jean["id"] == cal and jean["linked_by"] == "manual"
    assert _json(jean["cursor"]) == {"sync_token": "CPDAlvWDx70CEPDAlvWDx70CGAU="}
    assert (jean["channel_id"], jean["channel_resource_id"], jean["channel_token"]) == (
        "chan-1",
        "res-1",
        "gAAAA-token",
    )
    assert _utc(jean["channel_expires_at"]) == NOW and _utc(jean["full_sync_started_at"]) == NOW
    (moved,) = links
    assert (moved["id"], moved["stream"], moved["local_type"], moved["local_id"]) == (
        link,
        "events",
        "appointment",
        apt,
    )
    assert (moved["remote_parent"], moved["remote_id"], moved["remote_version"]) == (
        "jean@example.fr",
        "evt-remote-1",
        '"3181161784712000"',
    )
    assert (moved["payload_hash"], moved["title"], moved["pending_seq"]) == (
        "ab" * 16,
        "Pose chez Marie",
        3,
    )
    assert connections[0]["token_cache"] == "gAAAA-cache"
    assert _json(connections[0]["endpoints"]) == {}

    command.downgrade(config, "0005")
    with engine.connect() as conn:
        calendars = _rows(conn, "SELECT * FROM integration_calendars ORDER BY calendar_id")
        back = _rows(conn, "SELECT * FROM integration_links")
    jean_back = calendars[0]
    assert (jean_back["id"], jean_back["technician_id"], jean_back["calendar_id"]) == (
        cal,
        tech,
        "jean@example.fr",
    )
    assert len(calendars) == 2
    assert _json(calendars[0]["cursor"]) == {"sync_token": "CPDAlvWDx70CEPDAlvWDx70CGAU="}
    assert calendars[0]["channel_id"] == "chan-1"
    assert [(b["appointment_id"], b["calendar_id"], b["remote_etag"]) for b in back] == [
        (apt, "jean@example.fr", '"3181161784712000"')
    ]
    command.upgrade(config, "head")  # and up again
    engine.dispose()


def _json(value: Any) -> Any:
    import json

    return json.loads(value) if isinstance(value, str) else value


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
