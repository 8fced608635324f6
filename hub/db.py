"""Engine, sessions and the declarative Base; nothing here knows a table."""

from __future__ import annotations

import contextvars
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from hub.config import Settings

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names are stable for Alembic."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps naive values, so normalise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        # SQLite hands back the stored text: one C-level parse instead of SQLAlchemy's generic
        # processor plus ours (reading timestamps was a fifth of a list request's time).
        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                return datetime.fromisoformat(value).replace(tzinfo=UTC)
            return self.process_result_value(value, dialect)

        return process


# SQLite serialises writers: a write transaction starts with BEGIN IMMEDIATE so two bookings
# can never both read "free" and both write. Read-only transactions stay deferred (WAL readers
# run concurrently). The flag is per context so threads and requests do not share it.
_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=False)


def create_private_sqlite_file(url: str) -> None:
    """Create the SQLite file of `url` readable by its owner only (0600), if it does not exist.

    SQLite would create it with the umask's permissions (often world-readable), and gives its
    `-wal` and `-shm` companions the main file's permissions.
    """
    if not url.startswith("sqlite"):
        return
    from sqlalchemy.engine import make_url

    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    create_exclusive(path)


def create_exclusive(path: str | Path) -> None:
    """Create an empty owner-only file at `path` unless something is there already.

    Never opens an existing file: closing any descriptor of a file drops every POSIX lock the
    process holds on it, including those of open SQLite connections, which corrupts it.
    """
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


def make_engine(url: str, echo: bool = False) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, a busy timeout and explicit BEGIN."""
    if url.startswith("sqlite"):
        create_private_sqlite_file(url)
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=10,
            max_overflow=20,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # Pages read through a memory map, not a read() call each: a quarter less system
            # time for the webhook worker.
            cur.execute("PRAGMA mmap_size=268435456")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Straight on the DBAPI connection: this runs for every transaction, reads included.
            conn.connection.dbapi_connection.execute(
                "BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN"
            )

        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_when_idle(engine)
    return engine


# A pooled connection unused for this long is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use, when it has been idle: a dead one is replaced.

    SQLAlchemy's `pool_pre_ping` pings on every checkout: a round trip per request, a third of
    a short read's time. Connections die while idle (a server restart, an idle timeout, a
    failover), so only those idle for `PING_AFTER_IDLE_SECONDS` are pinged; one checked in a
    moment ago is not. A connection that breaks mid-use still invalidates the pool as usual.
    """

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is not None and time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_conn, None):
                raise DisconnectionError() from error  # the pool retries with a new connection
            raise


class Database:
    """The engine and session factory of one application."""

    def __init__(self, url: str, echo: bool = False, settings: Settings | None = None) -> None:
        """Open the engine; `settings` ride along on every session (`session.info["settings"]`).

        That is how a service learns the process's settings without a Flask app context: the
        API and the worker build their Database from the same Settings, so a booking checked in
        the worker uses the same OSRM server as one made through the API.
        """
        self.url = url
        self.settings = settings
        self.engine = make_engine(url, echo)
        self.sessionmaker = sessionmaker(
            self.engine, expire_on_commit=False, info={"settings": settings}
        )

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self.engine.dialect.name

    def session(self) -> Session:
        """A new session; the caller closes it."""
        return self.sessionmaker()


def init_app(app: Flask, settings: Settings) -> None:
    """Attach a Database to the app and close the request's session at teardown."""
    app.extensions["ivalid_db"] = Database(settings.database_url, settings.sql_echo, settings)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


def get_db(app: Flask | None = None) -> Database:
    """The Database of the current (or given) app."""
    return (app or current_app).extensions["ivalid_db"]


def get_session() -> Session:
    """The session of the current request (created on first use)."""
    if "db_session" not in g:
        g.db_session = get_db().session()
    return g.db_session


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """One write transaction: commit on success, roll back on error.

    Any read transaction already open on the session is ended first so that, on SQLite, the
    write transaction begins with BEGIN IMMEDIATE and waits for its turn instead of failing.
    """
    if session.in_transaction():
        session.commit()
    token = _write_intent.set(True)
    try:
        with session.begin():
            yield session
    finally:
        _write_intent.reset(token)
