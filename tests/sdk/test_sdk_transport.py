"""Retries, backoff, idempotency keys, token caching and error mapping, against a loopback server.

No mocks: the SDK talks HTTP to `StubServer`, a real server on 127.0.0.1 that answers from a
script, so what is tested is what goes over the wire.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

import ivalid
import pytest
from sdk_support import Received, Reply, StubServer

APPOINTMENT = {
    "id": "apt_1",
    "customer": {"id": "cust_1", "name": "Marie Dupont"},
    "service": {"id": "srv_1", "name": "Installation Climatisation", "duration": 120},
    "technician": {"id": "tech_1", "name": "Jean Martin"},
    "scheduled_at": "2025-01-20T09:00:00Z",
    "status": "pending",
    "location": {"postal_code": "75001", "coordinates": {"lat": 48.8566, "lng": 2.3522}},
}


def _client(stub: StubServer, **kwargs: Any) -> ivalid.Client:
    kwargs.setdefault("api_key", "key_test")
    return ivalid.Client(base_url=stub.base_url, **kwargs)


def _rate_limited(retry_after: str = "1") -> Reply:
    error = {"code": "RATE_LIMIT_EXCEEDED", "message": "Trop de requêtes"}
    return Reply(429, {"error": error}, {"Retry-After": retry_after})


def test_api_key_is_the_bearer_and_requests_are_json(stub: StubServer) -> None:
    stub.queue("GET", "/v2/appointments/apt_1", Reply(200, APPOINTMENT))
    with _client(stub) as client:
        appointment = client.appointments.get("apt_1")
    (request,) = stub.received
    assert request.headers["Authorization"] == "Bearer key_test"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["User-Agent"].startswith("ivalid-python/")
    assert "Idempotency-Key" not in request.headers
    assert appointment.id == "apt_1" and appointment["status"] == "pending"
    assert appointment.technician.name == "Jean Martin"
    assert appointment.location.coordinates.lat == 48.8566
    assert appointment.notes is None  # a documented field the server left out


def test_429_is_retried_after_retry_after(stub: StubServer) -> None:
    stub.queue("GET", "/v2/appointments/apt_1", _rate_limited("1"), Reply(200, APPOINTMENT))
    with _client(stub, max_retries=2) as client:
        started = time.monotonic()
        appointment = client.appointments.get("apt_1")
        elapsed = time.monotonic() - started
    assert appointment.id == "apt_1"
    assert len(stub.received) == 2
    assert elapsed >= 0.95, "the SDK must wait for Retry-After before retrying"


def test_429_post_is_retried_with_the_same_idempotency_key(stub: StubServer) -> None:
    stub.queue("POST", "/v2/appointments", _rate_limited("0"), Reply(201, APPOINTMENT))
    with _client(stub) as client:
        client.appointments.create(
            customer_id="cust_1", service_id="srv_1", scheduled_at="2025-01-20T09:00:00Z"
        )
    first, second = stub.calls("POST", "/v2/appointments")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert len(first.headers["Idempotency-Key"]) >= 32
    assert first.json() == {
        "customer_id": "cust_1",
        "service_id": "srv_1",
        "scheduled_at": "2025-01-20T09:00:00Z",
    }


def test_429_gives_up_after_max_retries_with_a_rate_limit_error(stub: StubServer) -> None:
    stub.queue("GET", "/v2/events", *[_rate_limited("0")] * 3)
    with _client(stub, max_retries=1) as client, pytest.raises(ivalid.RateLimitError) as info:
        client.events.list()
    assert len(stub.received) == 2
    error = info.value
    assert error.http_status == 429 and error.code == "RATE_LIMIT_EXCEEDED"
    assert error.retry_after == 0
    assert error.request_id == "req_stub2"


def test_a_retry_after_longer_than_a_minute_is_not_slept_through(stub: StubServer) -> None:
    stub.queue("GET", "/v2/events", _rate_limited("3600"))
    with _client(stub, max_retries=3) as client, pytest.raises(ivalid.RateLimitError) as info:
        client.events.list()
    assert len(stub.received) == 1
    assert info.value.retry_after == 3600


def test_server_errors_are_retried_for_get_and_post_but_not_delete(stub: StubServer) -> None:
    busy = Reply(503, {"error": {"code": "UNAVAILABLE", "message": "busy"}}, {"Retry-After": "0"})
    stub.queue("GET", "/v2/services", busy, Reply(200, {"data": [], "meta": {}}))
    stub.queue("POST", "/v2/appointments/apt_1/confirm", busy, Reply(200, APPOINTMENT))
    stub.queue("DELETE", "/v2/appointments/apt_1", busy)
    with _client(stub) as client:
        client.services.list()
        client.appointments.confirm("apt_1")
        with pytest.raises(ivalid.ServerError) as info:
            client.appointments.cancel("apt_1")
    assert info.value.http_status == 503
    assert len(stub.calls("GET", "/v2/services")) == 2
    assert len(stub.calls("POST", "/v2/appointments/apt_1/confirm")) == 2
    assert len(stub.calls("DELETE", "/v2/appointments/apt_1")) == 1


def test_a_dropped_connection_is_retried_for_post_with_the_same_key(stub: StubServer) -> None:
    stub.queue("POST", "/v2/customers", Reply(drop=True), Reply(201, {"id": "cust_9"}))
    with _client(stub) as client:
        customer = client.customers.create(first_name="Marie", last_name="Dupont")
    assert customer.id == "cust_9"
    first, second = stub.calls("POST", "/v2/customers")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]


def test_a_dropped_connection_is_not_retried_for_delete(stub: StubServer) -> None:
    stub.queue("DELETE", "/v2/webhooks/wh_1", Reply(drop=True))
    with _client(stub) as client, pytest.raises(ivalid.APIConnectionError):
        client.webhooks.delete("wh_1")
    assert len(stub.received) == 1


def test_an_unreachable_server_raises_api_connection_error() -> None:
    stub = StubServer()
    base_url = stub.base_url
    stub.close()  # nothing listens on that port any more
    client = ivalid.Client(api_key="k", base_url=base_url, max_retries=1)
    with client, pytest.raises(ivalid.APIConnectionError) as info:
        client.teams.list()
    assert info.value.http_status is None


def test_a_caller_supplied_idempotency_key_is_sent(stub: StubServer) -> None:
    stub.queue("POST", "/v2/appointments", Reply(201, APPOINTMENT))
    with _client(stub) as client:
        client.appointments.create(
            idempotency_key="order-42",
            customer_id="cust_1",
            service_id="srv_1",
            scheduled_at="2025-01-20T09:00:00Z",
        )
    assert stub.received[0].headers["Idempotency-Key"] == "order-42"


@pytest.mark.parametrize(
    ("status", "code", "error_type"),
    [
        pytest.param(400, "BAD_REQUEST", ivalid.BadRequestError, id="400"),
        pytest.param(401, "INVALID_TOKEN", ivalid.AuthenticationError, id="401"),
        pytest.param(403, "INSUFFICIENT_SCOPE", ivalid.PermissionDeniedError, id="403"),
        pytest.param(404, "NOT_FOUND", ivalid.NotFoundError, id="404"),
        pytest.param(409, "SLOT_NOT_AVAILABLE", ivalid.SlotNotAvailable, id="409-slot"),
        pytest.param(
            409, "INVALID_STATUS_TRANSITION", ivalid.InvalidStatusTransition, id="409-status"
        ),
        pytest.param(409, "SOMETHING_NEW", ivalid.ConflictError, id="409-other"),
        pytest.param(422, "VALIDATION_ERROR", ivalid.ValidationError, id="422"),
        pytest.param(422, "IDEMPOTENCY_KEY_REUSED", ivalid.IdempotencyError, id="422-idem"),
        pytest.param(500, "INTERNAL_ERROR", ivalid.ServerError, id="500"),
        pytest.param(418, None, ivalid.APIError, id="unknown"),
    ],
)
def test_errors_map_to_one_hierarchy(
    stub: StubServer, status: int, code: str | None, error_type: type[ivalid.APIError]
) -> None:
    body = {
        "error": {
            "code": code,
            "message": "Le créneau demandé n'est plus disponible",
            "details": {"errors": [{"field": "email", "reason": "invalid"}]},
            "suggestions": [{"slot": "2025-01-20T14:00:00Z", "technician_id": "tech_xyz789"}],
        }
    }
    stub.queue("POST", "/v2/appointments/apt_1/complete", Reply(status, body))
    with _client(stub, max_retries=0) as client, pytest.raises(error_type) as info:
        client.appointments.complete("apt_1")
    error = info.value
    assert isinstance(error, ivalid.IValidError)
    assert error.http_status == status and error.code == code
    assert error.message == "Le créneau demandé n'est plus disponible"
    assert error.details["errors"][0]["field"] == "email"
    assert error.suggestions[0]["technician_id"] == "tech_xyz789"
    assert error.request_id and error.request_id.startswith("req_stub")
    assert str(status) in str(error) and error.request_id in str(error)


def test_a_non_json_error_body_still_raises_the_right_error(stub: StubServer) -> None:
    stub.queue("GET", "/v2/teams/team_1", Reply(404, None))
    with _client(stub) as client, pytest.raises(ivalid.NotFoundError) as info:
        client.teams.get("team_1")
    assert info.value.http_status == 404


# -- OAuth client credentials ---------------------------------------------------------------------


def _token_endpoint(stub: StubServer, expires_in: int) -> list[dict[str, Any]]:
    """Serve /oauth/token: numbered tokens, refreshable; returns the grant bodies received."""
    grants: list[dict[str, Any]] = []

    def issue(request: Received) -> Reply:
        body = request.json()
        grants.append(body)
        if body.get("client_secret") != "s3cret":
            return Reply(401, {"error": "invalid_client", "error_description": "bad secret"})
        n = len(grants)
        return Reply(
            200,
            {
                "access_token": f"tok_{n}",
                "token_type": "Bearer",
                "expires_in": expires_in,
                "refresh_token": f"ref_{n}",
                "scope": body.get("scope") or "appointments:read",
            },
        )

    stub.default("POST", "/oauth/token", issue)
    return grants


def _echo_bearer(stub: StubServer, grants: list[dict[str, Any]]) -> None:
    """Answer GET /v2/teams, accepting only the newest token issued so far."""

    def answer(request: Received) -> Reply:
        if request.headers.get("Authorization") != f"Bearer tok_{len(grants)}":
            return Reply(401, {"error": {"code": "INVALID_TOKEN", "message": "expired"}})
        return Reply(200, {"data": [], "meta": {"total": 0, "page": 1, "per_page": 10}})

    stub.default("GET", "/v2/teams", answer)


def test_client_credentials_fetch_once_and_cache_the_token(stub: StubServer) -> None:
    grants = _token_endpoint(stub, expires_in=3600)
    _echo_bearer(stub, grants)
    with ivalid.Client(
        base_url=stub.base_url, client_id="cid", client_secret="s3cret", scope="teams:read"
    ) as client:
        for _ in range(3):
            client.teams.list()
    assert grants == [
        {
            "grant_type": "client_credentials",
            "scope": "teams:read",
            "client_id": "cid",
            "client_secret": "s3cret",
        }
    ]
    assert [r.headers["Authorization"] for r in stub.calls("GET", "/v2/teams")] == [
        "Bearer tok_1"
    ] * 3


def test_the_token_is_refreshed_before_it_expires(stub: StubServer) -> None:
    grants = _token_endpoint(stub, expires_in=1)
    _echo_bearer(stub, grants)
    with ivalid.Client(base_url=stub.base_url, client_id="cid", client_secret="s3cret") as client:
        client.teams.list()
        time.sleep(1.0)
        client.teams.list()
    assert [g["grant_type"] for g in grants] == ["client_credentials", "refresh_token"]
    assert grants[1]["refresh_token"] == "ref_1"
    # The second call went out with the new token straight away: no 401 round trip.
    assert [r.headers["Authorization"] for r in stub.calls("GET", "/v2/teams")] == [
        "Bearer tok_1",
        "Bearer tok_2",
    ]


def test_a_rejected_token_is_replaced_once(stub: StubServer) -> None:
    grants = _token_endpoint(stub, expires_in=3600)
    stub.queue(
        "GET",
        "/v2/teams",
        Reply(401, {"error": {"code": "INVALID_TOKEN", "message": "revoked"}}),
    )
    _echo_bearer(stub, grants)
    with ivalid.Client(base_url=stub.base_url, client_id="cid", client_secret="s3cret") as client:
        client.teams.list()
    assert len(grants) == 2
    assert [r.headers["Authorization"] for r in stub.calls("GET", "/v2/teams")] == [
        "Bearer tok_1",
        "Bearer tok_2",
    ]


def test_a_refused_refresh_token_falls_back_to_client_credentials(stub: StubServer) -> None:
    grants = _token_endpoint(stub, expires_in=1)
    _echo_bearer(stub, grants)
    with ivalid.Client(base_url=stub.base_url, client_id="cid", client_secret="s3cret") as client:
        client.teams.list()
        time.sleep(1.0)
        stub.queue(
            "POST",
            "/oauth/token",
            Reply(400, {"error": "invalid_grant", "error_description": "refresh token revoked"}),
        )
        client.teams.list()
    assert [g["grant_type"] for g in grants] == ["client_credentials", "client_credentials"]


def test_bad_client_credentials_raise_authentication_error(stub: StubServer) -> None:
    _token_endpoint(stub, expires_in=3600)
    client = ivalid.Client(base_url=stub.base_url, client_id="cid", client_secret="nope")
    with client, pytest.raises(ivalid.AuthenticationError) as info:
        client.teams.list()
    assert info.value.code == "invalid_client"
    assert info.value.message == "bad secret"
    assert stub.calls("GET", "/v2/teams") == []


# -- pagination -----------------------------------------------------------------------------------


def test_iterating_a_page_fetches_the_next_pages_lazily(stub: StubServer) -> None:
    def page(request: Received) -> Reply:
        query = dict(p.split("=") for p in request.path.split("?", 1)[1].split("&"))
        number, size = int(query.get("page", "1")), int(query.get("per_page", "10"))
        ids = list(range(1, 26))[(number - 1) * size : number * size]
        meta = {"total": 25, "page": number, "per_page": size, "total_pages": 3}
        return Reply(200, {"data": [{"id": f"cust_{i}"} for i in ids], "meta": meta})

    stub.default("GET", "/v2/customers", page)
    with _client(stub) as client:
        first = client.customers.list(tag="premium", per_page=10)
        assert [c.id for c in first.data][:2] == ["cust_1", "cust_2"]
        assert first.meta.total == 25 and first.meta.total_pages == 3 and first.has_more
        assert len(stub.received) == 1

        walk = iter(first)
        taken = [next(walk).id for _ in range(11)]
        assert taken[-1] == "cust_11"
        assert len(stub.received) == 2, "page 2 is fetched only when page 1 is used up"

        everything = [c.id for c in first]
        assert everything == [f"cust_{i}" for i in range(1, 26)]

    queries = [r.path.split("?", 1)[1] for r in stub.received]
    assert "tag=premium" in queries[1] and "page=2" in queries[1] and "per_page=10" in queries[1]


def test_query_values_are_encoded(stub: StubServer) -> None:
    from datetime import date, datetime

    stub.default("GET", "/v2/events", lambda r: Reply(200, {"data": [], "meta": {}}))
    with _client(stub) as client:
        page = client.events.list(
            type="appointment.created",
            date_from=date(2025, 1, 1),
            date_to=datetime(2025, 1, 31, 12, 30, tzinfo=UTC),
        )
    assert list(page) == []
    query = stub.received[0].path.split("?", 1)[1]
    assert "date_from=2025-01-01" in query
    assert "date_to=2025-01-31T12%3A30%3A00Z" in query


def test_base_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IVALID_BASE_URL", raising=False)
    assert ivalid.Client(api_key="k").base_url == "https://api.ivalid.fr/v2"
    sandbox = ivalid.Client(api_key="k", environment="sandbox")
    assert sandbox.base_url == "https://sandbox.api.ivalid.fr/v2"
    assert sandbox.token_url == "https://sandbox.api.ivalid.fr/oauth/token"
    monkeypatch.setenv("IVALID_BASE_URL", "http://127.0.0.1:8000/v2/")
    from_env = ivalid.Client(api_key="k", environment="production")
    assert from_env.base_url == "http://127.0.0.1:8000/v2"
    assert from_env.token_url == "http://127.0.0.1:8000/oauth/token"
    explicit = ivalid.Client(api_key="k", base_url="https://hub.example.org/ivalid/v2")
    assert explicit.token_url == "https://hub.example.org/ivalid/oauth/token"
    with pytest.raises(ValueError, match="environment"):
        ivalid.Client(api_key="k", environment="staging")


def test_credentials_are_required(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IVALID_API_KEY", "IVALID_CLIENT_ID", "IVALID_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="credentials"):
        ivalid.Client()
    monkeypatch.setenv("IVALID_API_KEY", "from-env")
    ivalid.Client().close()
