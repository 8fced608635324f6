"""Zoho CRM on the hub's side, for any test package: the app's SyncRuntime pointed at the
fake's data centres, and a tenant connected through the API's connect flow (consent at the
fake, the callback confirmed by a signed-in user of the account)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.clock import ManualClock
from hub.db import get_db
from hub.integrations.config import ProviderConfig
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection
from hub.services.integration_inbound import local_services
from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeZoho
from tests.support import Api, Tenant, follow_callback

NAME = "zoho"


@contextmanager
def zoho_runtime(app: Flask, zoho: FakeZoho, clock: ManualClock) -> Iterator[SyncRuntime]:
    """The app's SyncRuntime with the Zoho application pointed at the fake's data centres
    (installed in the app while the block runs)."""
    provider = ProviderConfig(
        connector=NAME,
        client_id=DEFAULT_CLIENT_ID,
        client_secret=DEFAULT_CLIENT_SECRET,
        authorize_url=f"{zoho.base('us')}/oauth/v2/auth",
        extra={"data_centres": zoho.data_centres()},
    )
    runtime = SyncRuntime(
        db=get_db(app),
        settings=app.config["IVALID"],
        providers={NAME: provider},
        clock=clock,
        worker_id="test-worker",
        allow_http_push=True,
        local=local_services(),
        http_timeout=10.0,
    )
    previous = app.extensions.get("ivalid_sync")
    app.extensions["ivalid_sync"] = runtime
    try:
        yield runtime
    finally:
        if previous is None:
            app.extensions.pop("ivalid_sync", None)
        else:
            app.extensions["ivalid_sync"] = previous


def consent(api: Api) -> dict[str, str]:
    """Start connecting and follow the consent URL to the fake; the callback's query."""
    resp = api.post(f"/v2/integrations/{NAME}/connect")
    assert resp.status_code == 200, resp.get_json()
    answer = requests.get(resp.get_json()["authorization_url"], allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    parts = urlsplit(answer.headers["Location"])
    assert parts.path == f"/oauth/callback/{NAME}"
    return dict(item.split("=", 1) for item in parts.query.split("&"))


def callback(client: FlaskClient, query: dict[str, str]) -> Any:
    """The browser back on our callback; a user of the account signs in and confirms."""
    location = f"/oauth/callback/{NAME}?{urlencode({k: unquote(v) for k, v in query.items()})}"
    return follow_callback(client.application, client, location)


def connection(rt: SyncRuntime, tenant: Tenant) -> IntegrationConnection | None:
    """The tenant's Zoho connection row (detached), if any."""
    with rt.db.session() as session:
        conn = session.scalars(
            select(IntegrationConnection).where(
                IntegrationConnection.account_id == tenant.account_id,
                IntegrationConnection.connector == NAME,
            )
        ).first()
        if conn is not None:
            session.expunge(conn)
        return conn


def connect(rt: SyncRuntime, api: Api, client: FlaskClient, tenant: Tenant) -> str:
    """Connect the tenant to the fake's Zoho; the connection's id."""
    assert callback(client, consent(api)).status_code == 200
    conn = connection(rt, tenant)
    assert conn is not None
    return conn.id
