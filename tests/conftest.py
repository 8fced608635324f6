"""Shared fixtures: a migrated database (SQLite, or PostgreSQL from IVALID_TEST_DATABASE_URL),
the app, its test client, tenants with credentials, and a live server process."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from tests.support import Api, Tenant, make_tenant, truncate_all

PG_URL = os.environ.get("IVALID_TEST_DATABASE_URL", "")
REDIS_URL = os.environ.get("IVALID_TEST_REDIS_URL", "")
# Every test calls /oauth/token from 127.0.0.1, and the counters of one data directory are
# shared by every process: the token throttle would refuse the suite itself. Tests of the
# throttle set their own limits; servers started by tests inherit these.
UNTHROTTLED = "100000/minute"
os.environ.setdefault("IVALID_TOKEN_RATE_LIMIT_CLIENT", UNTHROTTLED)
os.environ.setdefault("IVALID_TOKEN_RATE_LIMIT_ADDRESS", UNTHROTTLED)


def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema (the test database belongs to the suite)."""
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def remote_schemas() -> None:
    """The connectors' remote field trees, known to the mapping engine (as the engine does)."""
    from hub.integrations.mapping import register_remote_schemas

    register_remote_schemas()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ivalid-data")


@pytest.fixture(scope="session")
def database_url(data_dir: Path) -> str:
    """A freshly migrated database for the whole session."""
    from hub.migrate import upgrade

    if PG_URL:
        reset_postgres(PG_URL)
        url = PG_URL
        # Live hub processes share this database (signing keys, stored answers): they must read
        # it with the same key ring as the in-process app, which uses the data dir's key.
        from hub.crypto import _generated_key

        os.environ.setdefault("IVALID_ENCRYPTION_KEYS", _generated_key(data_dir))
    else:
        url = f"sqlite:///{data_dir / 'test.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def base_config(database_url: str, data_dir: Path) -> dict[str, Any]:
    return {
        "database_url": database_url,
        "data_dir": data_dir,
        "rate_limit": "100000/minute",
        "public_url": "http://127.0.0.1:8000",
        "encryption_keys": "",
        # Webhooks in tests go to receivers on loopback; the SSRF tests use their own lists.
        "webhook_allowlist": "127.0.0.1/32,::1,localhost",
    }


@pytest.fixture(scope="session")
def session_app(base_config: dict[str, Any]) -> Iterator[Flask]:
    from hub import create_app
    from hub.db import get_db

    app = create_app(dict(base_config))
    yield app
    get_db(app).engine.dispose()  # close pooled connections before the interpreter does


@pytest.fixture()
def app(session_app: Flask) -> Iterator[Flask]:
    """The app, with every table emptied after the test (signing keys kept)."""
    yield session_app
    truncate_all(session_app)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def tenant(app: Flask) -> Tenant:
    """A sandbox account with the demo data and an API key holding every scope."""
    return make_tenant(app, "Tenant A")


@pytest.fixture()
def other_tenant(app: Flask) -> Tenant:
    """A second account: its objects must be invisible to `tenant`."""
    return make_tenant(app, "Tenant B")


@pytest.fixture()
def api(client: FlaskClient, tenant: Tenant) -> Api:
    """`tenant`'s API through the test client."""
    return Api(client, tenant.api_key)
