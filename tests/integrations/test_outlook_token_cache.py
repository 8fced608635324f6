"""Outlook keeps msal's own token cache per connection, encrypted at rest.

The connect callback stores msal's serialised cache (Fernet) in `token_cache`; the hub's token
provider loads it, lets msal refresh, and writes the changed cache back encrypted. Connections
made before the column existed (cache NULL) keep working through the generic token columns.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hub import crypto
from hub.db import get_db, transaction
from hub.integrations import engine
from hub.integrations.runtime import SyncRuntime
from hub.models import IntegrationConnection
from tests.fakes.graph import FakeGraph
from tests.integrations.support import JEAN_EMAIL
from tests.integrations.test_outlook_convergence import (  # noqa: F401  (fixtures)
    NAME,
    connect,
    outlook_rt,
)
from tests.support import Api, Tenant


@pytest.fixture
def permissions() -> str:
    """These connections are made through the delegated code flow (a user signs in)."""
    return "delegated"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    """Delegated: the technician signs in himself; the hub syncs his own mailbox (/me)."""
    with FakeGraph(user_email=JEAN_EMAIL, user_name="Jean Martin", validate_endpoints=False) as g:
        yield g


@pytest.fixture
def calendars() -> dict[str, str]:
    """No other mailbox: a delegated token reaches only the signed-in user's."""
    return {}


def _row(app: Flask, tenant: Tenant) -> IntegrationConnection:
    with get_db(app).session() as session:
        conn = session.scalars(
            select(IntegrationConnection).where(
                IntegrationConnection.account_id == tenant.account_id,
                IntegrationConnection.connector == NAME,
            )
        ).first()
        assert conn is not None
        session.expunge(conn)
        return conn


def _cache(rt: SyncRuntime, conn: IntegrationConnection) -> dict[str, Any]:
    assert conn.token_cache is not None
    data = json.loads(crypto.decrypt(rt.settings, conn.token_cache))
    assert isinstance(data, dict)
    return data


def _refresh_tokens(cache: dict[str, Any]) -> set[str]:
    return {entry["secret"] for entry in cache.get("RefreshToken", {}).values()}


def _refreshes(fake: FakeGraph) -> int:
    requests = fake.identity.state.token_requests
    return sum(1 for r in requests if r["grant_type"] == "refresh_token")


@pytest.fixture
def connected(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    graph: FakeGraph,
    calendars: dict[str, str],
    outlook_rt: SyncRuntime,  # noqa: F811
) -> IntegrationConnection:
    """The tenant's Outlook connection, made through the real msal code flow."""
    resp = connect(api, client, graph)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return _row(app, tenant)


def test_connect_stores_the_msal_cache_encrypted(
    outlook_rt: SyncRuntime,  # noqa: F811
    connected: IntegrationConnection,
) -> None:
    """The column holds ciphertext that decrypts to msal's cache with the signed-in account."""
    stored = connected.token_cache
    assert stored
    with pytest.raises(ValueError):
        json.loads(stored)
    assert connected.refresh_token is not None
    refresh = crypto.decrypt(outlook_rt.settings, connected.refresh_token)
    assert refresh not in stored and "RefreshToken" not in stored
    cache = _cache(outlook_rt, connected)
    accounts = list(cache["Account"].values())
    assert len(accounts) == 1
    assert accounts[0]["username"] == JEAN_EMAIL
    assert _refresh_tokens(cache) == {refresh}
    assert cache["AccessToken"]


def test_refresh_rotates_the_stored_cache_and_sync_keeps_working(
    app: Flask,
    tenant: Tenant,
    graph: FakeGraph,
    outlook_rt: SyncRuntime,  # noqa: F811
    connected: IntegrationConnection,
) -> None:
    """Graph answers 401: msal refreshes, and the rotated cache is written back encrypted."""
    engine.sync_now(outlook_rt, connected.id)
    before = _row(app, tenant)
    assert before.status == "connected" and before.last_sync_status == "ok"
    # Delegated: the technician's own mailbox, as /me (never /users/… or another calendar).
    paths = {r.path for r in graph.requests if r.mailbox}
    assert "/v1.0/me/calendarView/delta" in paths
    assert all(p.startswith("/v1.0/me/") for p in paths), paths
    old_tokens = _refresh_tokens(_cache(outlook_rt, before))
    refreshes = _refreshes(graph)

    graph.identity.expire_access_tokens()
    engine.sync_now(outlook_rt, connected.id)

    after = _row(app, tenant)
    assert after.status == "connected" and after.last_sync_status == "ok", after.last_error
    assert _refreshes(graph) == refreshes + 1
    assert after.token_cache != before.token_cache
    new_tokens = _refresh_tokens(_cache(outlook_rt, after))
    assert new_tokens and new_tokens != old_tokens, "the rotated refresh token is in the cache"
    for token in new_tokens:
        assert after.token_cache is not None and token not in after.token_cache
    # The generic columns follow, so they stay a usable fallback.
    assert after.refresh_token is not None
    assert crypto.decrypt(outlook_rt.settings, after.refresh_token) in new_tokens

    graph.identity.expire_access_tokens()  # once more, from the rotated cache
    engine.sync_now(outlook_rt, connected.id)
    last = _row(app, tenant)
    assert last.status == "connected" and last.last_sync_status == "ok", last.last_error
    assert _refreshes(graph) == refreshes + 2
    assert last.token_cache != after.token_cache


def test_a_connection_without_cache_uses_the_generic_tokens(
    app: Flask,
    tenant: Tenant,
    graph: FakeGraph,
    outlook_rt: SyncRuntime,  # noqa: F811
    connected: IntegrationConnection,
) -> None:
    """A connection made before the cache existed (NULL) still syncs and refreshes."""
    with get_db(app).session() as session, transaction(session):
        session.execute(
            update(IntegrationConnection)
            .where(IntegrationConnection.id == connected.id)
            .values(token_cache=None)
        )
    refreshes = _refreshes(graph)
    graph.identity.expire_access_tokens()
    engine.sync_now(outlook_rt, connected.id)
    after = _row(app, tenant)
    assert after.status == "connected" and after.last_sync_status == "ok", after.last_error
    assert _refreshes(graph) == refreshes + 1
    assert after.token_cache is None
    assert after.refresh_token != connected.refresh_token  # rotated, stored generically


def test_disconnect_erases_the_cache(
    app: Flask,
    api: Api,
    tenant: Tenant,
    connected: IntegrationConnection,
) -> None:
    """Disconnecting forgets msal's cache along with the other tokens."""
    resp = api.delete(f"/v2/integrations/{NAME}")
    assert resp.status_code == 200, resp.json
    assert _row(app, tenant).token_cache is None
