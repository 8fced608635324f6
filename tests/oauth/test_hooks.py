"""REST hooks of Zapier and Make: subscribe, deliveries through the webhook machinery, 410,
ownership by grant (or credential), removal with the grant, the status page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.clock import ManualClock
from hub.db import get_db
from hub.events.http import DeliveryClient
from hub.events.signing import verify_standard
from hub.events.urlcheck import parse_allowlist
from hub.models import WebhookEndpoint
from hub.services.dispatch import DispatchConfig, Dispatcher
from hub.timeutil import utcnow
from tests.events.webhooks.receiver import Receiver, Reply
from tests.oauth.conftest import Person, connect
from tests.oauth_support import RegisteredApp
from tests.support import Api, Tenant, key_with_scopes

ALLOWLIST = "127.0.0.1/32,::1,localhost"


@pytest.fixture()
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture()
def dispatcher(app: Flask) -> Iterator[Dispatcher]:
    from datetime import timedelta

    client = DeliveryClient(parse_allowlist(ALLOWLIST), timeout=3.0, pool_size=2)
    yield Dispatcher(
        get_db(app),
        app.config["IVALID"],
        client,
        "test-worker",
        ManualClock(utcnow() + timedelta(minutes=1)),
        DispatchConfig(concurrency=2, lease=timedelta(seconds=60)),
    )
    client.close()


def _hook(api: Api, platform: str, url: str, event: str = "customer.created") -> dict:
    resp = api.post(f"/v2/integrations/{platform}/hooks", {"target_url": url, "event": event})
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


def _customer(api: Api, name: str = "Zoé") -> dict:
    resp = api.post("/v2/customers", {"first_name": name, "last_name": "Lefèvre"})
    assert resp.status_code == 201, resp.json
    return resp.json  # type: ignore[no-any-return]


@pytest.fixture()
def granted(client: FlaskClient, zapier: RegisteredApp, person: Person) -> Api:
    """The API as Zapier's connection of `person`."""
    return Api(client, connect(client, zapier, person)["access_token"])


def test_a_hook_receives_its_event_signed_in_the_webhook_envelope(
    granted: Api, api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    hook = _hook(granted, "zapier", receiver.url("/zap"))
    assert hook["id"].startswith("hook_") and hook["platform"] == "zapier"
    assert set(hook) == {"id", "target_url", "event", "platform", "created_at", "secret"}
    _hook(granted, "zapier", receiver.url("/other"), "appointment.created")
    customer = _customer(api)
    dispatcher.run_until_idle()
    [got] = receiver.received("/zap")
    assert receiver.received("/other") == []
    body = json.loads(got.body)
    assert list(body) == ["id", "event", "timestamp", "data"]
    assert body["event"] == "customer.created" and body["data"]["id"] == customer["id"]
    verify_standard(got.headers, got.body, [hook["secret"]])
    # Logged like a webhook's deliveries.
    [delivery] = api.get(f"/v2/webhooks/{hook['id']}/deliveries").json["data"]
    assert delivery["status"] == "succeeded"
    # Not mixed into the account's webhook list.
    assert api.get("/v2/webhooks").json["data"] == []


def test_410_removes_the_subscription_without_a_disabled_notice(
    app: Flask, granted: Api, api: Api, receiver: Receiver, dispatcher: Dispatcher
) -> None:
    receiver.replies["/gone"] = Reply(410)
    gone = _hook(granted, "make", receiver.url("/gone"))
    watcher = api.post(
        "/v2/webhooks", {"url": receiver.url("/watch"), "events": ["appointment.created"]}
    ).json
    _customer(api)
    dispatcher.run_until_idle()
    with get_db(app).session() as s:
        ep = s.get(WebhookEndpoint, gone["id"])
        assert ep is not None and not ep.active and ep.disabled_reason == "gone"
    assert receiver.received("/watch") == [], "a platform hook's removal is not an incident"
    status = granted.get("/v2/integrations/make").json
    # The grant is Zapier's app: with its Make hook gone, Make is no longer connected.
    assert status == {"connected": False, "grants": [], "hooks": []}
    assert len(granted.get("/v2/integrations/zapier").json["grants"]) == 1
    _customer(api, "Paul")
    dispatcher.run_until_idle()
    assert len(receiver.received("/gone")) == 1
    assert api.get(f"/v2/webhooks/{watcher['id']}").json["active"] is True


def test_hooks_belong_to_their_grant_and_die_with_it(
    client: FlaskClient,
    zapier: RegisteredApp,
    person: Person,
    granted: Api,
    api: Api,
    receiver: Receiver,
) -> None:
    mine = _hook(granted, "zapier", receiver.url("/a"))
    second = client.application.test_client()  # another browser: a second connection
    other = Api(second, connect(second, zapier, person)["access_token"])
    assert other.delete(f"/v2/integrations/zapier/hooks/{mine['id']}").status_code == 404
    assert api.delete(f"/v2/integrations/zapier/hooks/{mine['id']}").status_code == 404
    assert granted.delete(f"/v2/integrations/make/hooks/{mine['id']}").status_code == 404
    status = api.get("/v2/integrations/zapier").json
    assert status["connected"] is True and len(status["grants"]) == 2
    assert [h["id"] for h in status["hooks"]] == [mine["id"]]
    assert {g["user_email"] for g in status["grants"]} == {person.email}
    assert granted.delete(f"/v2/integrations/zapier/hooks/{mine['id']}").status_code == 204
    assert granted.delete(f"/v2/integrations/zapier/hooks/{mine['id']}").status_code == 204
    assert api.get("/v2/integrations/zapier").json["hooks"] == []


def test_revoking_the_grant_removes_its_hooks(
    app: Flask,
    client: FlaskClient,
    zapier: RegisteredApp,
    person: Person,
    api: Api,
    receiver: Receiver,
) -> None:
    tokens = connect(client, zapier, person)
    granted = Api(client, tokens["access_token"])
    hook = _hook(granted, "zapier", receiver.url("/a"))
    resp = client.post(
        "/oauth/revoke",
        data={
            "token": tokens["refresh_token"],
            "client_id": zapier.client_id,
            "client_secret": zapier.client_secret,
        },
    )
    assert resp.status_code == 200
    assert granted.get("/v2/me").status_code == 401
    status = api.get("/v2/integrations/zapier").json
    assert status == {"connected": False, "grants": [], "hooks": []}
    with get_db(app).session() as s:
        ep = s.get(WebhookEndpoint, hook["id"])
        assert ep is not None and not ep.active and ep.disabled_reason == "grant_revoked"


def test_a_key_owns_its_hooks(app: Flask, client: FlaskClient, tenant: Tenant, api: Api) -> None:
    hook = _hook(api, "zapier", "http://127.0.0.1:9/x")
    other_key = Api(client, key_with_scopes(app, tenant, "customers:read"))
    assert other_key.delete(f"/v2/integrations/zapier/hooks/{hook['id']}").status_code == 404
    assert api.delete(f"/v2/integrations/zapier/hooks/{hook['id']}").status_code == 204


Case = tuple[str, str, dict, int, str | None]

CASES: list[Case] = [
    (
        "unknown platform",
        "ifttt",
        {"target_url": "http://127.0.0.1:9/", "event": "customer.created"},
        404,
        "NOT_FOUND",
    ),
    (
        "unknown event",
        "zapier",
        {"target_url": "http://127.0.0.1:9/", "event": "customer.deleted"},
        422,
        "VALIDATION_ERROR",
    ),
    (
        "internal event",
        "zapier",
        {"target_url": "http://127.0.0.1:9/", "event": "webhook.disabled"},
        422,
        "VALIDATION_ERROR",
    ),
    ("missing url", "make", {"event": "customer.created"}, 422, "VALIDATION_ERROR"),
    (
        "extra field",
        "make",
        {"target_url": "http://127.0.0.1:9/", "event": "customer.created", "x": 1},
        422,
        "VALIDATION_ERROR",
    ),
    (
        "metadata address",
        "zapier",
        {"target_url": "http://169.254.169.254/latest", "event": "customer.created"},
        422,
        "WEBHOOK_URL_NOT_ALLOWED",
    ),
    (
        "private address",
        "zapier",
        {"target_url": "http://10.0.0.8/hook", "event": "customer.created"},
        422,
        "WEBHOOK_URL_NOT_ALLOWED",
    ),
    (
        "not http",
        "zapier",
        {"target_url": "ftp://127.0.0.1/x", "event": "customer.created"},
        422,
        "WEBHOOK_URL_NOT_ALLOWED",
    ),
]


@pytest.mark.parametrize(
    ("name", "platform", "body", "status", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_subscribe_refusals(
    api: Api, name: str, platform: str, body: dict, status: int, code: str | None
) -> None:
    resp = api.post(f"/v2/integrations/{platform}/hooks", body)
    assert resp.status_code == status, resp.json
    assert resp.json["error"]["code"] == code
    if code == "WEBHOOK_URL_NOT_ALLOWED":
        assert resp.json["error"]["details"]["errors"][0]["field"] == "target_url"


@pytest.mark.parametrize(
    ("scopes", "event", "status"),
    [
        ("customers:read", "customer.created", 201),
        ("customers:read", "appointment.created", 403),
        ("appointments:read", "appointment.cancelled", 201),
        ("appointments:read", "customer.updated", 403),
    ],
)
def test_the_event_needs_its_read_scope(
    app: Flask, client: FlaskClient, tenant: Tenant, scopes: str, event: str, status: int
) -> None:
    api = Api(client, key_with_scopes(app, tenant, scopes))
    resp = api.post(
        "/v2/integrations/zapier/hooks", {"target_url": "http://127.0.0.1:9/", "event": event}
    )
    assert resp.status_code == status, resp.json


def test_status_of_an_unconnected_platform(api: Api) -> None:
    for platform in ("zapier", "make"):
        assert api.get(f"/v2/integrations/{platform}").json == {
            "connected": False,
            "grants": [],
            "hooks": [],
        }


def _live_hooks(app: Flask, owner: str) -> list[str]:
    with get_db(app).session() as session:
        return list(
            session.scalars(
                select(WebhookEndpoint.id).where(
                    WebhookEndpoint.owner_credential == owner, WebhookEndpoint.active.is_(True)
                )
            )
        )


def test_a_rotated_keys_hooks_follow_it_and_a_revoked_keys_hooks_end(
    app: Flask,
    client: FlaskClient,
    tenant: Tenant,
    api: Api,
    receiver: Receiver,
    dispatcher: Dispatcher,
) -> None:
    from hub.services.credentials import create_key, revoke_key, rotate_key

    with get_db(app).session() as session:
        old = create_key(session, tenant.account_id, tenant.environment, "customers:read")
    hook = _hook(Api(client, old.secret), "make", receiver.url("/make"))
    with get_db(app).session() as session:
        new = rotate_key(session, tenant.account_id, old.id)
    assert _live_hooks(app, f"key:{old.id}") == []
    assert _live_hooks(app, f"key:{new.id}") == [hook["id"]]
    _customer(api, "Avant")
    dispatcher.run_until_idle()
    assert len(receiver.received("/make")) == 1  # still delivered after the rotation
    with get_db(app).session() as session:
        assert revoke_key(session, tenant.account_id, new.id)
        ep = session.get(WebhookEndpoint, hook["id"])
        assert ep is not None and not ep.active and ep.disabled_reason == "credential_revoked"
    _customer(api, "Après")
    dispatcher.run_until_idle()
    assert len(receiver.received("/make")) == 1  # nothing more once the key is revoked


def test_a_revoked_clients_hooks_end(
    app: Flask, client: FlaskClient, tenant: Tenant, receiver: Receiver
) -> None:
    from hub.services.credentials import create_client, revoke_client

    with get_db(app).session() as session:
        issued = create_client(session, tenant.account_id, tenant.environment, "customers:read")
    token = client.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": issued.id,
            "client_secret": issued.secret,
        },
    ).json["access_token"]
    hook = _hook(Api(client, token), "zapier", receiver.url("/zap"))
    assert _live_hooks(app, f"client:{issued.id}") == [hook["id"]]
    with get_db(app).session() as session:
        assert revoke_client(session, tenant.account_id, issued.id)
    assert _live_hooks(app, f"client:{issued.id}") == []
