"""The Make app (`apps/make`): its definition performed call by call against the live hub.

`make_runner.MakeApp` reads the definition and does what Make does with it: the OAuth 2
connection with PKCE (its authorize URL, the user's consent on the hub, its token and info
calls, its refresh), each webhook's attach, a delivery from the hub to a loopback receiver
processed by the webhook, detach, and every module and RPC through the Base (URL, headers,
error handling). The IML evaluator itself is tested first, on its own.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.apps.apps_support import APPS_DIR, AppsHub, booking_day, consent
from tests.apps.make_runner import (
    UNDEFINED,
    Connection,
    MakeApp,
    MakeError,
    UnsupportedIML,
    evaluate,
    render,
)
from tests.oauth_support import MAKE_REDIRECT
from tests.sdk.sdk_support import Reply, StubServer

MAKE_DIR: Path = APPS_DIR / "make"
NOW = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)
TRIGGERS = {
    "watchAppointmentCreated": "appointment.created",
    "watchAppointmentUpdated": "appointment.updated",
    "watchAppointmentConfirmed": "appointment.confirmed",
    "watchAppointmentCancelled": "appointment.cancelled",
    "watchCustomerCreated": "customer.created",
}


# -- the IML evaluator ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "template,scope,expected",
    [
        ("{{body.data}}", {"body": {"data": {"id": 1}}}, {"id": 1}),
        ("Bearer {{connection.accessToken}}", {"connection": {"accessToken": "t"}}, "Bearer t"),
        ("{{parameters.missing}}", {"parameters": {}}, UNDEFINED),
        ("[{{statusCode}}] {{body.error.code}}", {"statusCode": 409, "body": {}}, "[409] "),
        ("{{join(oauth.scope, ' ')}}", {"oauth": {"scope": ["a:r", "b:w"]}}, "a:r b:w"),
        ("{{join(map(s, 'slot'), ', ')}}", {"s": [{"slot": "x"}, {"slot": "y"}]}, "x, y"),
        ("{{if(length(ifempty(s, emptyarray)) > 0, 'yes', 'no')}}", {"s": UNDEFINED}, "no"),
        ("{{if(length(ifempty(s, emptyarray)) > 0, 'yes', 'no')}}", {"s": [1]}, "yes"),
        ("{{lower(e)}}", {"e": "A@B.FR"}, "a@b.fr"),
        ("{{replace('a+b+c', /\\+/g, '-')}}", {}, "a-b-c"),
        ("{{replace('a+b+c', /\\+/, '-')}}", {}, "a-b+c"),
        ("{{addSeconds(now, 60) > now}}", {}, True),
        (
            "{{data.expires < addMinutes(now, 5)}}",
            {"data": {"expires": "2030-01-07T08:04:00Z"}},
            True,
        ),
        (
            "{{data.expires < addMinutes(now, 5)}}",
            {"data": {"expires": "2030-01-07T09:00:00Z"}},
            False,
        ),
        (
            "{{body.meta.page < body.meta.total_pages}}",
            {"body": {"meta": {"page": 1, "total_pages": 2}}},
            True,
        ),
    ],
)
def test_iml_templates(template: str, scope: dict[str, Any], expected: Any) -> None:
    assert render(template, {"now": NOW, **scope}) == expected


def test_the_pkce_challenge_expression_is_rfc_7636s() -> None:
    """The connection's code_challenge, evaluated, on RFC 7636 appendix B's verifier."""
    app = MakeApp(MAKE_DIR, {}, {}, MAKE_REDIRECT)
    authorize = app.definition.code("connection", "ivalid", "communication")["authorize"]
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    challenge = render(
        authorize["qs"]["code_challenge"], {"now": NOW, "temp": {"codeVerifier": verifier}}
    )
    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    # And on the verifier the definition makes (two UUIDs: 72 characters, within 43..128).
    url, temp = app.authorize_url()
    digest = hashlib.sha256(temp["codeVerifier"].encode()).digest()
    assert 43 <= len(temp["codeVerifier"]) <= 128
    assert base64.urlsafe_b64encode(digest).rstrip(b"=").decode() in url


@pytest.mark.parametrize(
    "expr,message",
    [
        ("body.event = 'x'", "operator '='"),
        ("a + b", "operator '+'"),
        ("base64url(x)", "function base64url()"),
        ("nosuchroot.x", "variable 'nosuchroot'"),
        ("join(map(x, /a/g), ',')", "only supported in replace()"),
        ("sha256(x, 'latin1')", "encoding 'latin1'"),
    ],
)
def test_unsupported_iml_fails_loudly(expr: str, message: str) -> None:
    with pytest.raises(UnsupportedIML, match=re.escape(message)):
        evaluate(expr, {"now": NOW, "x": "v", "a": 1, "b": 2, "body": {}})


def test_an_unknown_directive_fails_loudly() -> None:
    app = MakeApp(MAKE_DIR, {"baseUrl": "http://127.0.0.1:9"}, {}, MAKE_REDIRECT)
    with pytest.raises(UnsupportedIML, match="aws"):
        app.request({"url": "/x", "aws": {}}, {"now": NOW}, use_base=True)


# -- the definition against the live hub ------------------------------------------------------


class Receiver:
    """A loopback HTTP server standing for Make's webhook URLs (answers 200)."""

    def __init__(self) -> None:
        self.stub = StubServer()

    def url(self, path: str) -> str:
        self.stub.default("POST", path, lambda _r: Reply(200, {"accepted": True}))
        return f"{self.stub.origin}{path}"

    def wait(self, path: str, object_id: str, seconds: float = 40) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for r in self.stub.calls("POST", path):
                body = r.json()
                if body and body.get("data", {}).get("id") == object_id:
                    return r
            time.sleep(0.2)
        raise AssertionError(f"no delivery of {object_id} to {path}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stub.close()


@pytest.fixture(scope="module")
def make(apps_hub: AppsHub) -> dict[str, Any]:
    """An account, the Make app registered for it (`ivalid apps create`) and its user."""
    account = apps_hub.new_account("Make Climatisation")
    registered = apps_hub.register_app(account["account_id"], "Make", MAKE_REDIRECT, "make")
    email = apps_hub.new_user(account["account_id"], "owner.make@ivalid-tests.fr")
    app = MakeApp(
        MAKE_DIR,
        {"baseUrl": apps_hub.origin},
        {
            "baseUrl": apps_hub.origin,
            "clientId": registered.client_id,
            "clientSecret": registered.client_secret,
        },
        MAKE_REDIRECT,
    )
    return {"account": account, "app": app, "email": email, "hub": apps_hub}


def _api(make: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    hub: AppsHub = make["hub"]
    headers = {"Authorization": f"Bearer {make['account']['api_key']}", "Accept-Language": "en"}
    return requests.request(method, f"{hub.origin}/v2{path}", headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def connection(make: dict[str, Any]) -> Connection:
    """The connection, made the way Make makes it (authorize → consent → token → info)."""
    app: MakeApp = make["app"]
    url, temp = app.authorize_url()
    back = consent(make["hub"].origin, url, make["email"])
    assert back.get("state") == "make-state" and back.get("code"), back
    return app.finish_authorization(temp, back)


def test_the_connection(make: dict[str, Any], connection: Connection) -> None:
    assert connection.data["accessToken"] and connection.data["refreshToken"]
    expires = datetime.fromisoformat(connection.data["expires"].replace("Z", "+00:00"))
    assert timedelta(minutes=50) < expires - datetime.now(UTC) <= timedelta(hours=1, seconds=5)
    assert connection.metadata == {
        "type": "text",
        "value": f"Make Climatisation ({make['email']})",
    }
    assert connection.uid == make["account"]["account_id"]
    token_call = next(r for r in make["app"].sent if r.url.endswith("/oauth/token"))
    assert "code_verifier=" in str(token_call.body)  # PKCE
    authorize = make["app"].authorize_url()[0]
    assert "code_challenge_method=S256" in authorize and "scope=appointments%3Aread" in authorize


def test_a_bad_code_is_a_clear_connection_error(make: dict[str, Any]) -> None:
    app: MakeApp = make["app"]
    _url, temp = app.authorize_url()
    with pytest.raises(MakeError, match=r"\[400\] invalid_grant: ") as caught:
        app.finish_authorization(temp, {"code": "not-a-code", "state": "make-state"})
    assert caught.value.status == 400


def test_refresh_when_due(make: dict[str, Any], connection: Connection) -> None:
    app: MakeApp = make["app"]
    assert app.refresh_if_due(connection) is False  # an hour left: not due
    before = dict(connection.data)
    connection.data["expires"] = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert app.refresh_if_due(connection) is True
    assert connection.data["accessToken"] != before["accessToken"]
    assert connection.data["refreshToken"] != before["refreshToken"]  # rotated
    app.info(connection)  # the new token works
    assert make["email"] in connection.metadata["value"]


@pytest.mark.parametrize(
    "rpc,path,label",
    [
        ("listServices", "/services?per_page=100", lambda o: o["name"]),
        ("listTechnicians", "/technicians?per_page=100", lambda o: o["name"]),
        (
            "listCustomers",
            "/customers?per_page=100&sort=-created_at",
            lambda o: f"{o['name']} <{o['email']}>",
        ),
    ],
)
def test_rpcs(
    make: dict[str, Any], connection: Connection, rpc: str, path: str, label: Any
) -> None:
    options = make["app"].rpc(rpc, connection)
    direct = _api(make, "GET", path).json()["data"]
    assert options == [{"label": label(o), "value": o["id"]} for o in direct]
    assert options


def _slots(make: dict[str, Any], day: str) -> list[dict[str, Any]]:
    ids = make["account"]
    answer = _api(
        make,
        "GET",
        "/availability",
        params={"service_id": ids["service_id"], "date": day, "postal_code": "75001"},
    )
    assert answer.status_code == 200 and answer.json()["slots"], answer.text
    return list(answer.json()["slots"])


def test_triggers_actions_and_searches(
    make: dict[str, Any], connection: Connection, receiver: Receiver
) -> None:
    app: MakeApp = make["app"]
    ids = make["account"]
    hooks: dict[str, dict[str, Any]] = {}
    for module, event in TRIGGERS.items():
        webhook = app.definition.component("module", module)["webhook"]
        data = app.attach(webhook, connection, receiver.url(f"/make/{module}"))
        assert data["externalHookId"].startswith("hook_") and data["secret"].startswith("whsec_")
        hooks[module] = {"webhook": webhook, "data": data, "event": event}
    status = _api(make, "GET", "/integrations/make").json()
    active = {h["id"]: h for h in status["hooks"]}
    for hook in hooks.values():
        assert active[hook["data"]["externalHookId"]]["event"] == hook["event"]
        assert active[hook["data"]["externalHookId"]]["platform"] == "make"

    # Customers.
    [customer] = app.run(
        "createCustomer",
        connection,
        {
            "first_name": "Paul",
            "last_name": "Make",
            "email": "paul.make@example.com",
            "address": {"street": "2 rue Saint-Denis", "city": "Paris", "postal_code": "75001"},
            "tags": ["make"],
        },
    )
    assert customer["id"].startswith("cust_") and customer["address"]["country"] == "FR"
    with pytest.raises(MakeError) as bad:
        app.run("createCustomer", connection, {"first_name": "A", "last_name": "B", "email": "a@b"})
    assert bad.value.type == "DataError" and bad.value.status == 422
    assert bad.value.message.startswith("[422] VALIDATION_ERROR: ") and "email" in bad.value.message
    [updated] = app.run(
        "updateCustomer", connection, {"customer_id": customer["id"], "phone": "+33611111111"}
    )
    assert updated["phone"] == "+33611111111" and updated["address"] == customer["address"]
    found = app.run("findCustomer", connection, {"email": "PAUL.MAKE@example.com"})
    assert [c["id"] for c in found] == [customer["id"]]
    assert app.run("findCustomer", connection, {"email": "nobody@example.com"}) == []

    # Appointments.
    day = booking_day(3)
    first, *others = _slots(make, day)
    [apt] = app.run(
        "createAppointment",
        connection,
        {
            "customer_id": customer["id"],
            "service_id": ids["service_id"],
            "scheduled_at": first["start_at"],
            "technician_id": first["technician_id"],
            "postal_code": "75001",
            "notes": "Booked from Make",
            "reminder_email": True,
        },
    )
    assert (
        apt["scheduled_at"] == first["start_at"]
        and apt["technician"]["id"] == first["technician_id"]
    )
    assert apt["reminder_email"] is True and apt["status"] == "pending"
    with pytest.raises(MakeError) as taken:
        app.run(
            "createAppointment",
            connection,
            {
                "customer_id": ids["customer_id"],
                "service_id": ids["service_id"],
                "scheduled_at": first["start_at"],
                "technician_id": first["technician_id"],
                "postal_code": "75001",
            },
        )
    assert taken.value.type == "DataError" and taken.value.status == 409
    direct = _api(
        make,
        "POST",
        "/appointments",
        json={
            "customer_id": ids["customer_id"],
            "service_id": ids["service_id"],
            "scheduled_at": first["start_at"],
            "technician_id": first["technician_id"],
            "location": {"postal_code": "75001"},
        },
    ).json()["error"]
    slots = ", ".join(s["slot"] for s in direct["suggestions"])
    technicians = ", ".join(s["technician_id"] for s in direct["suggestions"])
    assert taken.value.message == (
        f"[409] SLOT_NOT_AVAILABLE: {direct['message']} Suggested slots: {slots} "
        f"(technicians: {technicians})"
    )
    other = next(s for s in others if s["start_at"] != first["start_at"])
    [moved] = app.run(
        "rescheduleAppointment",
        connection,
        {
            "appointment_id": apt["id"],
            "scheduled_at": other["start_at"],
            "technician_id": other["technician_id"],
        },
    )
    assert moved["scheduled_at"] == other["start_at"]
    [confirmed] = app.run("confirmAppointment", connection, {"appointment_id": apt["id"]})
    assert confirmed["status"] == "confirmed"
    searched = app.run(
        "searchAppointments",
        connection,
        {"customer_id": customer["id"], "status": "confirmed", "limit": 5},
    )
    assert [a["id"] for a in searched] == [apt["id"]]
    assert len(app.run("searchAppointments", connection, {"limit": 1})) == 1
    [cancelled] = app.run(
        "cancelAppointment", connection, {"appointment_id": apt["id"], "reason": "Absent"}
    )
    assert cancelled["status"] == "cancelled"
    with pytest.raises(MakeError, match=r"\[409\] INVALID_STATUS_TRANSITION"):
        app.run("confirmAppointment", connection, {"appointment_id": apt["id"]})
    with pytest.raises(MakeError) as missing:
        app.run("confirmAppointment", connection, {"appointment_id": "apt_nope"})
    assert missing.value.type == "DataError" and missing.value.status == 404

    # Every instant trigger got its event, and outputs the object.
    expected = {
        "watchCustomerCreated": customer["id"],
        "watchAppointmentCreated": apt["id"],
        "watchAppointmentUpdated": apt["id"],
        "watchAppointmentConfirmed": apt["id"],
        "watchAppointmentCancelled": apt["id"],
    }
    for module, object_id in expected.items():
        delivery = receiver.wait(f"/make/{module}", object_id)
        assert delivery.json()["event"] == TRIGGERS[module]
        [bundle] = app.receive(module, delivery.json(), delivery.headers, connection)
        assert bundle["id"] == object_id
        interface = app.definition.code("module", module, "interface")
        assert all(f["name"] in bundle for f in interface), module

    for hook in hooks.values():
        app.detach(hook["webhook"], connection, hook["data"])
    status = _api(make, "GET", "/integrations/make").json()
    assert not {h["id"] for h in status["hooks"]} & {
        h["data"]["externalHookId"] for h in hooks.values()
    }


def test_a_parameter_the_module_does_not_have_is_refused(
    make: dict[str, Any], connection: Connection
) -> None:
    with pytest.raises(AssertionError, match="no such parameter"):
        make["app"].run("confirmAppointment", connection, {"appointment_id": "x", "oops": 1})
    with pytest.raises(AssertionError, match="is not one of its options"):
        make["app"].run(
            "createAppointment",
            connection,
            {
                "customer_id": "cust_x",
                "service_id": "srv_x",
                "scheduled_at": "2030-01-07T09:00:00Z",
                "postal_code": "75001",
            },
        )
