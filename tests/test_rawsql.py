"""hub.rawsql: compiled statements on the DBAPI, one snapshot per read, timestamps as text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import bindparam, func, select

from hub.db import get_db
from hub.models import Appointment, Customer
from hub.rawsql import RawQuery, _sqlite_timestamp_to_iso, read_snapshot, timestamp_to_iso
from tests.support import Tenant


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        pytest.param("2030-01-07 07:00:00.000000", "2030-01-07T07:00:00Z", id="as-stored"),
        pytest.param("2030-01-07 07:00:00.999999", "2030-01-07T07:00:00Z", id="seconds-precision"),
        pytest.param("2030-01-07 07:00:00", "2030-01-07T07:00:00Z", id="no-fraction"),
        pytest.param("2030-01-07T07:00:00", "2030-01-07T07:00:00Z", id="t-separator"),
        pytest.param("2030-01-07 08:00:00+01:00", "2030-01-07T07:00:00Z", id="with-offset"),
        pytest.param(datetime(2030, 1, 7, 7, tzinfo=UTC), "2030-01-07T07:00:00Z", id="datetime"),
        pytest.param(None, None, id="null"),
    ],
)
def test_sqlite_timestamps_become_iso_text(stored: object, expected: str | None) -> None:
    assert _sqlite_timestamp_to_iso(stored) == expected


def test_parameters_are_ordered_and_written_as_stored(app: Flask) -> None:
    dialect = get_db(app).engine.dialect
    statement = select(Customer.id).where(
        Customer.account_id == bindparam("account"), Customer.created_at >= bindparam("since")
    )
    query = RawQuery(statement, dialect)
    paris = timezone(timedelta(hours=1))
    params = query.params({"since": datetime(2030, 1, 7, 8, tzinfo=paris), "account": "acct_x"})
    if dialect.name == "sqlite":
        assert params == ("acct_x", "2030-01-07 07:00:00.000000")
    else:
        assert isinstance(params, dict) and params["account"] == "acct_x"
        assert params["since"] == datetime(2030, 1, 7, 7, tzinfo=UTC)
    assert query.columns == ("id",)
    with pytest.raises(ValueError, match="naive"):
        query.params({"since": datetime(2030, 1, 7), "account": "acct_x"})


def test_inline_integers_are_written_into_the_text(app: Flask) -> None:
    dialect = get_db(app).engine.dialect
    statement = (
        select(Customer.id)
        .where(Customer.account_id == bindparam("account"))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    if dialect.name == "sqlite":
        with pytest.raises(ValueError, match="named parameters"):
            RawQuery(statement, dialect, inline=frozenset({"limit"}))
        return
    query = RawQuery(statement, dialect, inline=frozenset({"limit", "offset"}))
    values = {"account": "acct_x", "limit": 10, "offset": 20}
    assert query.sql_for(values).endswith("LIMIT 10 OFFSET 20")
    assert query.params(values) == {"account": "acct_x"}
    with pytest.raises(ValueError):
        query.sql_for({**values, "limit": "10; DROP TABLE customers"})


def test_stored_timestamps_read_back_as_the_api_writes_them(app: Flask, tenant: Tenant) -> None:
    engine = get_db(app).engine
    query = RawQuery(
        select(Appointment.scheduled_at).where(Appointment.account_id == bindparam("a")),
        engine.dialect,
    )
    with get_db(app).session() as s:
        expected = sorted(
            a.scheduled_at for a in s.query(Appointment).filter_by(account_id=tenant.account_id)
        )
    assert expected, "the demo data has appointments"
    with read_snapshot(engine) as cursor:
        cursor.execute(query.sql, query.params({"a": tenant.account_id}))
        raw = [row[0] for row in cursor.fetchall()]
    write = timestamp_to_iso(engine.dialect)
    assert sorted(write(v) for v in raw) == [e.strftime("%Y-%m-%dT%H:%M:%SZ") for e in expected]


def test_a_snapshot_does_not_see_a_write_committed_after_it_began(
    app: Flask, tenant: Tenant
) -> None:
    """Page and total of one list answer come from the same state of the table."""
    db = get_db(app)
    count = RawQuery(
        select(func.count(Customer.id)).where(Customer.account_id == bindparam("a")),
        db.engine.dialect,
    )
    params = count.params({"a": tenant.account_id})
    with read_snapshot(db.engine) as cursor:
        cursor.execute(count.sql, params)
        before = cursor.fetchone()[0]
        with db.session() as s, s.begin():
            s.add(
                Customer(
                    id="cust_snapshot_test",
                    account_id=tenant.account_id,
                    environment=tenant.environment,
                    first_name="Late",
                    last_name="Write",
                )
            )
        cursor.execute(count.sql, params)
        during = cursor.fetchone()[0]
    with read_snapshot(db.engine) as cursor:
        cursor.execute(count.sql, params)
        after = cursor.fetchone()[0]
    if db.dialect == "sqlite":
        assert during == before  # WAL: the read transaction keeps its snapshot
    else:
        assert during in (before, before + 1)  # READ COMMITTED: per statement
    assert after == before + 1


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2030, 1, 7, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 59, 999999, tzinfo=UTC),  # Paris springs forward
        datetime(2026, 10, 25, 0, 59, 59, 500000, tzinfo=UTC),  # Paris falls back
        datetime(2026, 10, 25, 3, 0, tzinfo=timezone(timedelta(hours=2))),
        datetime(1999, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_postgresql_writes_timestamps_as_iso_does(app: Flask, instant: datetime) -> None:
    from sqlalchemy import DateTime, literal

    from hub.rawsql import iso_text
    from hub.timeutil import iso

    db = get_db(app)
    if db.dialect != "postgresql":
        pytest.skip("the text is written by PostgreSQL only")
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'Europe/Paris'")  # the session's zone must not leak
        written = conn.execute(select(iso_text(literal(instant, DateTime(timezone=True))))).scalar()
    assert written == iso(instant)
