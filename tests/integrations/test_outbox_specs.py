"""Fan-out follows the specs: only connections whose spec subscribes to an event type get it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import connectors
from connectors import registry
from connectors.base import Connector, Cursor, Identity, Manifest, Page, RemoteRecord
from connectors.spec import StreamSpec, SyncSpec
from hub.db import get_db
from hub.events import fanout
from hub.integrations import outbox
from hub.integrations.outbox import push_on_change, subscribed_types
from hub.models import Appointment, IntegrationLink
from tests.integrations.test_outbox_consumer import _connection, _event
from tests.support import Tenant

CUSTOMER_EVENTS = frozenset({"customer.created", "customer.updated"})


class _Base(Connector):
    """A connector that does nothing remote: only its spec matters here."""

    def check(self) -> Identity:
        return Identity(id="me")

    def read(self, stream: str, cursor: Cursor | None) -> Iterator[Page]:
        yield Page([], [], {}, done=True)

    def create(self, stream: str, payload: Mapping[str, Any]) -> RemoteRecord:
        return RemoteRecord("1", None, dict(payload))

    def update(
        self, stream: str, remote_id: str, payload: Mapping[str, Any], etag: str | None
    ) -> RemoteRecord:
        return RemoteRecord(remote_id, etag, dict(payload))

    def delete(self, stream: str, remote_id: str, etag: str | None) -> None:
        return None


def _manifest(name: str) -> Manifest:
    return Manifest(name, name, "https://a.example/auth", "https://a.example/token", (), ())


class _Crm(_Base):
    manifest = _manifest("test-crm")
    spec = SyncSpec(
        auth="oauth2",
        env_prefix="TEST_CRM",
        streams=(StreamSpec("contacts", "customer", push_on=CUSTOMER_EVENTS),),
    )


class _Payments(_Base):
    manifest = _manifest("test-payments")
    spec = SyncSpec(
        auth="api_key",
        env_prefix="TEST_PAYMENTS",
        token_store="api_key",
        streams=(StreamSpec("payments", "payment", direction="pull"),),
    )


@pytest.fixture()
def specs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The real connectors plus a CRM and a payments connector, for this test only."""
    connectors.all_manifests()
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    connectors.register(_Crm)
    connectors.register(_Payments)


def _appointment(app: Flask, tenant: Tenant) -> str:
    with get_db(app).session() as s:
        return str(
            s.scalars(
                select(Appointment.id).where(
                    Appointment.account_id == tenant.account_id,
                    Appointment.environment == tenant.environment,
                )
            ).first()
        )


def _links(app: Flask) -> set[tuple[str, str, str, str]]:
    with get_db(app).session() as s:
        return {
            (link.connection_id, link.stream, link.local_type, link.local_id)
            for link in s.scalars(select(IntegrationLink))
        }


def test_events_reach_only_the_connections_whose_spec_subscribes(
    app: Flask, tenant: Tenant, specs: None
) -> None:
    with get_db(app).session() as s, s.begin():
        calendar = _connection(s, tenant, "google-calendar", "jean@example.fr")
        crm = _connection(s, tenant, "test-crm", "org-1")
        payments = _connection(s, tenant, "test-payments", "acct-1")
    apt = _appointment(app, tenant)
    batch = [
        _event(tenant, apt, "appointment.updated"),
        _event(tenant, "cus_1", "customer.updated"),
        _event(tenant, "cus_2", "customer.deleted"),  # no spec subscribes to it
    ]
    with get_db(app).session() as s, s.begin():
        push_on_change(s, batch)
    assert _links(app) == {
        (calendar, "events", "appointment", apt),
        (crm, "contacts", "customer", "cus_1"),
    }
    assert all(link[0] != payments for link in _links(app))


def test_the_consumer_listens_to_what_the_specs_subscribe_to(specs: None) -> None:
    types = subscribed_types()
    assert types >= CUSTOMER_EVENTS
    assert "appointment.created" in types
    assert "customer.deleted" not in types
    outbox.register()
    registered = {r.name: r for r in fanout.consumers()}[outbox.CONSUMER]
    assert registered.types == types


def test_the_fan_out_registers_the_consumer_without_any_import(app: Flask) -> None:
    """No import elsewhere is needed: the fan-out loads the modules it lists."""
    assert "hub.integrations.outbox" in fanout.CONSUMER_MODULES
    fanout.unregister_consumer(outbox.CONSUMER)
    fanout.load_consumers()
    assert outbox.CONSUMER in {r.name for r in fanout.consumers()}
