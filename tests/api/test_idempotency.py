"""Idempotency-Key on POST: replay, reuse with another body, errors kept, 5xx released."""

from __future__ import annotations

from tests.support import Api


def _customer(name: str) -> dict[str, str]:
    return {"first_name": name, "last_name": "Dupont"}


def test_same_key_same_body_replays(api: Api) -> None:
    h = {"Idempotency-Key": "k-123"}
    first = api.post("/v2/customers", _customer("Marie"), headers=h)
    second = api.post("/v2/customers", _customer("Marie"), headers=h)
    assert first.status_code == second.status_code == 201
    assert first.json == second.json
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert api.get("/v2/customers", q="marie").json["meta"]["total"] == 2  # demo Marie + one


def test_same_key_other_body_is_422(api: Api) -> None:
    h = {"Idempotency-Key": "k-456"}
    assert api.post("/v2/customers", _customer("Marie"), headers=h).status_code == 201
    resp = api.post("/v2/customers", _customer("Paul"), headers=h)
    assert resp.status_code == 422
    assert resp.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"


def test_keys_are_per_credential(api: Api, client, other_tenant) -> None:
    h = {"Idempotency-Key": "shared"}
    mine = api.post("/v2/customers", _customer("Marie"), headers=h)
    theirs = Api(client, other_tenant.api_key).post("/v2/customers", _customer("Marie"), headers=h)
    assert theirs.status_code == 201 and theirs.json["id"] != mine.json["id"]


def test_errors_are_replayed_too(api: Api) -> None:
    h = {"Idempotency-Key": "k-err"}
    bad = {"first_name": "Marie"}
    first = api.post("/v2/customers", bad, headers=h)
    assert first.status_code == 422
    again = api.post("/v2/customers", bad, headers=h)
    assert again.status_code == 422 and again.headers.get("Idempotent-Replayed") == "true"


def test_server_error_releases_the_key(api: Api, monkeypatch) -> None:
    from hub.services import customers

    real = customers.create
    calls = {"n": 0}

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return real(*a, **k)

    monkeypatch.setattr(customers, "create", flaky)
    h = {"Idempotency-Key": "k-500"}
    assert api.post("/v2/customers", _customer("Marie"), headers=h).status_code == 500
    resp = api.post("/v2/customers", _customer("Marie"), headers=h)
    assert resp.status_code == 201 and "Idempotent-Replayed" not in resp.headers


def test_expired_keys_are_forgotten(api: Api, app) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from hub.db import get_db
    from hub.models import IdempotencyRecord
    from hub.timeutil import utcnow

    h = {"Idempotency-Key": "k-old"}
    first = api.post("/v2/customers", _customer("Marie"), headers=h)
    with get_db(app).session() as s, s.begin():
        s.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
    again = api.post("/v2/customers", _customer("Paul"), headers=h)
    assert again.status_code == 201 and again.json["id"] != first.json["id"]


def test_bad_key_header(api: Api) -> None:
    resp = api.post("/v2/customers", _customer("Marie"), headers={"Idempotency-Key": "x" * 300})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "BAD_REQUEST"
