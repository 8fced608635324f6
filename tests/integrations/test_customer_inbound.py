"""The customer inbound service: remote records matched to customers by e-mail then E.164
phone, created through the API's rules (same events), edited, never deleted."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hub.auth.guard import Principal
from hub.auth.scopes import ALL_SCOPES
from hub.db import get_db
from hub.errors import ApiError
from hub.models import Customer, Event
from hub.services.integration_inbound import local_services
from tests.support import Api, Tenant


def _principal(tenant: Tenant) -> Principal:
    return Principal(tenant.account_id, tenant.environment, ALL_SCOPES, "integration:test")


def _customer(api: Api, **fields: Any) -> str:
    body = {"first_name": "Marie", "last_name": "Dupont", **fields}
    resp = api.post("/v2/customers", body)
    assert resp.status_code == 201, resp.get_json()
    return str(resp.get_json()["id"])


def test_match_by_email_then_e164_phone(app: Flask, api: Api, tenant: Tenant) -> None:
    """E-mail wins (any case); else a phone stored in national form matches its E.164 form."""
    by_email = _customer(api, email="marie@example.fr", phone="+33 6 00 00 00 01")
    by_phone = _customer(api, email="other@example.fr", phone="06 98 76 54 31")
    objects = local_services().matchable("customer")
    p = _principal(tenant)
    with get_db(app).session() as session:
        assert objects.match(session, p, {"email": "MARIE@example.fr"}) == by_email
        assert objects.match(session, p, {"email": "x@y.fr", "phone": "+33698765431"}) == by_phone
        assert objects.match(session, p, {"phone": "+33698765439"}) is None
        assert objects.match(session, p, {"email": "nobody@example.fr"}) is None


def test_match_stays_in_the_tenant(app: Flask, api: Api, other_tenant: Tenant) -> None:
    """Another account's customer with the same e-mail is not a match."""
    _customer(api, email="shared@example.fr")
    with get_db(app).session() as session:
        found = (
            local_services()
            .matchable("customer")
            .match(session, _principal(other_tenant), {"email": "shared@example.fr"})
        )
    assert found is None


def test_create_update_and_remote_delete(app: Flask, tenant: Tenant) -> None:
    """Created and edited through the customer service (events recorded); a deletion keeps it."""
    objects = local_services().matchable("customer")
    p = _principal(tenant)
    with get_db(app).session() as session:
        made = objects.create(session, p, {"last_name": "Durand", "email": "D@x.fr"})
        assert made["first_name"] == "-" and made["email"] == "d@x.fr"
        objects.update(session, p, made["id"], {"phone": "+33612345670", "unknown": 1})
        kept = objects.cancel(session, p, made["id"])
        assert kept["phone"] == "+33612345670"
        assert session.get(Customer, made["id"]) is not None
        types = session.scalars(
            select(Event.type).where(Event.account_id == tenant.account_id).order_by(Event.seq)
        ).all()
    assert [t for t in types if t.startswith("customer.")][-2:] == [
        "customer.created",
        "customer.updated",
    ]


def test_bad_remote_record_is_a_validation_error(app: Flask, tenant: Tenant) -> None:
    """A remote e-mail the API would refuse is refused the same way (422, field named)."""
    objects = local_services().matchable("customer")
    with get_db(app).session() as session, pytest.raises(ApiError) as caught:
        objects.create(session, _principal(tenant), {"last_name": "X", "email": "not-an-email"})
    assert caught.value.status == 422 and caught.value.details == {"fields": ["email"]}


def test_appointments_cannot_be_created_from_remote_records() -> None:
    """Only types whose service offers match/create are matchable."""
    with pytest.raises(LookupError):
        local_services().matchable("appointment")


@pytest.mark.parametrize(
    ("edit", "stored", "matches"),
    [
        ({"phone": "06 11 22 33 44"}, "+33611223344", "+33611223344"),
        ({"phone": "+33 6 11 22 33 45"}, "+33611223345", "0611223345"),
        ({"phone": "12 34 56"}, None, None),
        ({"phone": None}, None, None),
        ({"last_name": "Durand"}, "+33600000009", "+33600000009"),  # phone untouched
    ],
)
def test_every_phone_write_keeps_the_e164_column(
    app: Flask, api: Api, tenant: Tenant, edit: dict[str, Any], stored: Any, matches: Any
) -> None:
    """Created and edited through the API, the indexed E.164 column follows the phone, and
    matching reads it."""
    made = _customer(api, phone="06 00 00 00 09")
    resp = api.put(f"/v2/customers/{made}", edit)
    assert resp.status_code == 200, resp.get_json()
    with get_db(app).session() as session:
        customer = session.get(Customer, made)
        assert customer is not None and customer.phone_e164 == stored
        if matches is not None:
            found = (
                local_services()
                .matchable("customer")
                .match(session, _principal(tenant), {"phone": matches})
            )
            assert found == made


@pytest.mark.parametrize(
    ("survivor", "loser", "kept", "left"),
    [
        pytest.param(
            {"phone": "0611223344"},
            {"email": "a@x.fr", "phone": "+33611223344", "tags": ["vip"]},
            {"email": "a@x.fr", "phone": "0611223344", "tags": ["vip"]},
            {"email": None, "phone": None, "tags": ["vip", "merged"]},
            id="shared-phone-taken-once",
        ),
        pytest.param(
            {"email": "a@x.fr", "custom_fields": {"code": "S"}},
            {"email": "a@x.fr", "phone": "0600000001", "custom_fields": {"code": "L", "n": 2}},
            {"email": "a@x.fr", "phone": "0600000001", "custom_fields": {"code": "S", "n": 2}},
            {"email": None, "phone": None, "custom_fields": {"code": "L", "n": 2}},
            id="survivor-values-win",
        ),
        pytest.param(
            {"email": "a@x.fr", "phone": "0600000002"},
            {"email": "b@x.fr", "phone": "0600000002"},
            {"email": "a@x.fr", "phone": "0600000002"},
            {"email": "b@x.fr", "phone": None},
            id="a-different-email-stays-on-the-loser",
        ),
    ],
)
def test_merge_into_keeps_every_value(
    app: Flask,
    api: Api,
    tenant: Tenant,
    survivor: dict[str, Any],
    loser: dict[str, Any],
    kept: dict[str, Any],
    left: dict[str, Any],
) -> None:
    """The survivor keeps its values and takes what it lacks; the loser keeps what differs,
    loses only the identifiers now the survivor's; merging twice changes nothing."""
    s_id, l_id = _customer(api, **survivor), _customer(api, **loser)
    objects = local_services().matchable("customer")
    with get_db(app).session() as session:
        assert objects.duplicates(session, _principal(tenant), l_id) == [s_id]  # type: ignore[attr-defined]
        for _ in range(2):
            objects.merge(session, _principal(tenant), l_id, s_id)  # type: ignore[attr-defined]
    after_s = api.get(f"/v2/customers/{s_id}").get_json()
    after_l = api.get(f"/v2/customers/{l_id}").get_json()
    assert {k: after_s[k] for k in kept} == kept
    assert {k: after_l[k] for k in left} == left
    assert "merged" in after_l["tags"]
