"""Fixtures of the sync tests: the Google fake with one calendar per technician, a
SyncRuntime pointed at it (installed in the app), and a tenant connected through OAuth."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.db import get_db
from hub.integrations.config import ProviderConfig
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection
from hub.services.integration_inbound import local_services
from tests.fakes.google_calendar import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    FakeGoogleCalendar,
)
from tests.integrations.support import JEAN_EMAIL, NAME, PIERRE_EMAIL, MovingClock, connect
from tests.support import Api, Tenant


def provider_for(fake: FakeGoogleCalendar) -> ProviderConfig:
    """The Google OAuth application, pointed at the fake."""
    endpoints = fake.oauth_endpoints()
    return ProviderConfig(
        connector=NAME,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        authorize_url=endpoints["authorize_url"],
        token_url=endpoints["token_url"],
        revoke_url=endpoints["revoke_url"],
        api_url=fake.api_base_url,
    )


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGoogleCalendar]:
    """The Google fake; the technicians' calendars are shared with the connected user."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    with FakeGoogleCalendar(user_email="admin@company.com") as fake:
        fake.add_calendar(JEAN_EMAIL, "Jean Martin")
        fake.add_calendar(PIERRE_EMAIL, "Pierre Dubois")
        yield fake


@pytest.fixture
def clock() -> MovingClock:
    """The sync's clock."""
    return MovingClock()


@pytest.fixture
def rt(app: Flask, fake: FakeGoogleCalendar, clock: MovingClock) -> Iterator[SyncRuntime]:
    """The app's SyncRuntime for this test (fake endpoints, http channels allowed)."""
    runtime = SyncRuntime(
        db=get_db(app),
        settings=app.config["IVALID"],
        providers={NAME: provider_for(fake)},
        clock=clock,
        worker_id="test-worker",
        allow_http_push=True,
        local=local_services(),
        http_timeout=10.0,
    )
    previous = app.extensions.get("ivalid_sync")
    app.extensions["ivalid_sync"] = runtime
    yield runtime
    if previous is None:
        app.extensions.pop("ivalid_sync", None)
    else:
        app.extensions["ivalid_sync"] = previous


@pytest.fixture
def connected(
    rt: SyncRuntime, api: Api, client: FlaskClient, fake: FakeGoogleCalendar, tenant: Tenant
) -> str:
    """`tenant` connected to the fake through the OAuth flow; returns the connection id."""
    resp = connect(api, client, fake)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return connection_id(rt, tenant)


def connection_id(rt: SyncRuntime, tenant: Tenant) -> str:
    """The tenant's Google Calendar connection."""
    with rt.db.session() as session:
        found = session.scalars(
            select(IntegrationConnection.id).where(
                IntegrationConnection.account_id == tenant.account_id,
                IntegrationConnection.connector == NAME,
            )
        ).first()
    assert found is not None
    return found


def connection(rt: SyncRuntime, connection_id: str) -> Any:
    """A fresh copy of the connection row."""
    with rt.db.session() as session:
        row = session.get(IntegrationConnection, connection_id)
        session.expunge_all()
        return row
