"""Hot read paths on the DBAPI: statements compiled once, rows read as plain tuples.

SQLAlchemy builds an execution context, a result object and a processor per column for every
statement it runs; on a list endpoint that answers in a millisecond that machinery is the larger
part of the time. A `RawQuery` is a Core ``SELECT`` compiled once for the engine's dialect and
run straight on a pooled DBAPI cursor; `read_snapshot` gives the queries of one request a single
consistent view. Values come back as the driver gives them: `timestamp_to_iso` turns the
dialect's timestamps into the API's ISO 8601 text without building datetimes on SQLite.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, Select, func, literal_column
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError

from hub.timeutil import iso

# How SQLAlchemy's SQLite DATETIME stores a value (what UTCDateTime writes: naive UTC).
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


class RawQuery:
    """A SELECT compiled for one dialect; `params()` orders and converts its parameters.

    `inline` names integer parameters written into the SQL text instead of bound (`sql_for`),
    for a named-parameter driver: PostgreSQL plans ``LIMIT $3`` for an unknown row count, finds
    that generic plan dear and re-plans the statement on every execution; with the numbers in
    the text it settles on one cached plan. (The text then varies with those numbers: fine for
    page sizes and offsets, a handful of distinct values in practice.)
    """

    def __init__(
        self, statement: Select[Any], dialect: Dialect, inline: frozenset[str] = frozenset()
    ) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql: str = compiled.string
        self.columns: tuple[str, ...] = tuple(str(c.key) for c in statement.selected_columns)
        self._names: list[str] | None = (
            list(compiled.positiontup or ()) if compiled.positional else None
        )
        if inline and self._names is not None:
            raise ValueError("inline parameters need a driver with named parameters")
        self._inline = inline
        self._sqlite = dialect.name == "sqlite"

    def sql_for(self, values: Mapping[str, Any]) -> str:
        """The SQL text, with the inline parameters' values (integers only) written in."""
        sql = self.sql
        for name in self._inline:
            sql = sql.replace(f"%({name})s", str(int(values[name])))
        return sql

    def params(self, values: Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        """The driver's parameters: a tuple in placeholder order, or a mapping by name."""
        converted = {k: self._value(v) for k, v in values.items() if k not in self._inline}
        if self._names is None:
            return converted
        return tuple(converted[name] for name in self._names)

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError("naive datetime refused: pass aware UTC datetimes")
            value = value.astimezone(UTC)
            # Compared as text on SQLite: it must be written exactly as the stored values are.
            return value.replace(tzinfo=None).strftime(SQLITE_DATETIME) if self._sqlite else value
        return value


@contextmanager
def read_snapshot(engine: Engine) -> Iterator[Any]:
    """A DBAPI cursor for the reads of one request.

    On SQLite (WAL) the reads run in one transaction, one snapshot: a page and its total agree
    even while others write. (SQLite connections run in autocommit mode here, the app emitting
    its own BEGIN, so it is opened explicitly.) On PostgreSQL the cursor runs in autocommit:
    each statement is its own snapshot, as under the default READ COMMITTED, without the
    round trips of BEGIN and ROLLBACK; a page and its total read together come from one
    statement. The connection comes from, and goes back to, the engine's pool.
    """
    connection = engine.raw_connection()
    sqlite = engine.dialect.name == "sqlite"
    driver = connection.driver_connection
    dbapi_error = engine.dialect.loaded_dbapi.Error
    lost = False
    try:
        if not sqlite:
            driver.autocommit = True  # type: ignore[union-attr]
        cursor = connection.cursor()
        if sqlite:
            cursor.execute("BEGIN")
        yield cursor
        cursor.close()
    except dbapi_error as error:
        # As SQLAlchemy would raise it (the API answers 503 to an OperationalError), and a
        # connection the server dropped leaves the pool.
        lost = engine.dialect.is_disconnect(error, connection.dbapi_connection, None)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(
            None, None, error, dbapi_error, connection_invalidated=lost, dialect=engine.dialect
        ) from error
    finally:
        if not sqlite and not lost:
            try:
                driver.autocommit = False  # type: ignore[union-attr]
            except dbapi_error:
                connection.invalidate()  # broken (the server went away): the pool drops it
        connection.close()


def _sqlite_timestamp_to_iso(value: Any) -> str | None:
    # "2030-01-07 07:00:00.000000" → "2030-01-07T07:00:00Z" by slicing: no datetime built.
    if value is None:
        return None
    if (
        isinstance(value, str)
        and len(value) >= 19
        and value[10] == " "
        and value[19:20] in ("", ".")
    ):
        return f"{value[:10]}T{value[11:19]}Z"
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        return iso(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    return iso(value)


def iso_text(column: Any) -> ColumnElement[str]:
    """PostgreSQL: a timestamptz column as the API's text (``2030-01-07T07:00:00Z``)."""
    # Constants written into the SQL, not bound: a RawQuery passes only the caller's values.
    utc: ColumnElement[str] = literal_column("'UTC'")
    pattern: ColumnElement[str] = literal_column("""'YYYY-MM-DD"T"HH24:MI:SS"Z"'""")
    return func.to_char(func.timezone(utc, column), pattern)


def _text_or_iso(value: Any) -> str | None:
    return value if value is None or isinstance(value, str) else iso(value)


def timestamp_to_iso(dialect: Dialect) -> Callable[[Any], str | None]:
    """How to write a timestamp column's raw value as the API's ISO 8601 UTC text.

    SQLite hands back its stored text; PostgreSQL either the text `iso_text` asked it for or a
    datetime.
    """
    return _sqlite_timestamp_to_iso if dialect.name == "sqlite" else _text_or_iso
