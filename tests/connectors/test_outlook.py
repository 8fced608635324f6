"""The Outlook connector against the Graph fake, through real HTTP: reads, writes, errors."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import connectors
from connectors.base import (
    AuthError,
    Conflict,
    ConnectorError,
    CursorExpired,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    RateLimited,
    StaticTokenProvider,
    TransientError,
    retry_delay,
)
from connectors.outlook import OutlookConnector
from connectors.outlook.api import property_id, translate_http_error
from connectors.outlook.const import PROPERTY_SET_GUID
from connectors.outlook.records import body_digest
from tests.fakes.graph import FakeGraph

pytest_plugins = ["tests.connectors.outlook_fixtures"]

NOW = datetime.now(UTC).replace(microsecond=0)


def _seed(
    fake: FakeGraph, count: int, calendar_id: str | None = None, *, ours: bool = False
) -> list[str]:
    """`count` events on consecutive days (as the user would create them); their ids.

    `ours`: each carries a transactionId, as the events the hub creates do.
    """
    base = NOW + timedelta(days=1)
    return [
        fake.user_create(
            f"event {i}",
            base + timedelta(days=i),
            base + timedelta(days=i, hours=1),
            calendar_id=calendar_id,
            **({"transactionId": f"tx{i:030d}"} if ours else {}),
        )["id"]
        for i in range(count)
    ]


def _payload(subject: str = "Installation — Marie Dupont", **extra: Any) -> dict[str, Any]:
    start = (NOW + timedelta(days=3)).replace(hour=10, minute=0, second=0)
    return {
        "transactionId": "o9hcn28osblo9u4l8qnnisln8rql6lcb",
        "subject": subject,
        "body": {"contentType": "text", "content": "Code portail: 1234"},
        "start": {"dateTime": start.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "Europe/Paris"},
        "end": {
            "dateTime": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"),
            "timeZone": "Europe/Paris",
        },
        "extendedProperties": {"ivalid_appointment_id": "apt_1", "ivalid_hash": "h1"},
        **extra,
    }


def _connector(fake: FakeGraph, token: str, **config: Any) -> OutlookConnector:
    return OutlookConnector(
        StaticTokenProvider(token), {"api_base_url": fake.api_base_url, **config}
    )


def test_registered_with_manifest() -> None:
    """Found by name; the manifest says Calendars.ReadWrite (msal adds offline_access)."""
    assert connectors.get("outlook") is OutlookConnector
    manifest = next(m for m in connectors.all_manifests() if m.name == "outlook")
    assert manifest.scopes == ("Calendars.ReadWrite",)
    assert manifest.streams == ("events",) and manifest.supports_push
    assert "offline_access" not in manifest.scopes
    assert manifest.to_dict()["token_url"].endswith("/common/oauth2/v2.0/token")


def test_check_returns_identity(outlook: OutlookConnector) -> None:
    """check() reads the calendar; its owner is the connected account."""
    identity = outlook.check()
    assert identity.email == "fake.user@example.com" and identity.display_name == "Fake User"
    assert identity.extra["access_role"] == "owner" and identity.extra["is_default"] is True


def test_list_calendars_delegated_is_the_own_mailbox(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """Delegated: only the signed-in user's mailbox, by address (secondary calendars have no
    v1.0 delta, shared calendars belong to mailboxes a delegated token cannot sync)."""
    graph.add_calendar("Équipe terrain", can_edit=True)
    graph.add_user("Jean Martin", "jean@company.com")
    assert outlook.list_calendars() == [
        {
            "id": "me",
            "summary": "Calendar",
            "primary": True,
            "accessRole": "owner",
            "timeZone": None,
            "owner": "fake.user@example.com",
        }
    ]


def test_list_calendars_application_is_every_user(graph: FakeGraph) -> None:
    """Application permissions: one entry per user of the tenant (GET /users), by object id."""
    jean = graph.add_user("Jean Martin", "jean@company.com")
    with _connector(graph, graph.issue_app_token(), permissions="application", tenant="t") as conn:
        calendars = {c["id"]: c for c in conn.list_calendars()}
        assert conn.check().id == "t"
    assert calendars[jean]["owner"] == "jean@company.com"
    assert calendars[graph.user_id]["owner"] == "fake.user@example.com"
    users = next(r for r in graph.requests if r.endpoint == "users.list")
    assert users.query == {"$select": "id,displayName,mail,userPrincipalName"}


def test_full_sync_pages_and_saves_cursor_after_each(graph: FakeGraph, graph_token: str) -> None:
    """First round: every event, page by page (Prefer maxpagesize); the deltaLink comes last."""
    ids = _seed(graph, 5)
    with _connector(graph, graph_token, page_size=2) as conn:
        pages = list(conn.read("events", None))
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [p.done for p in pages] == [False, False, True]
    assert all("next_link" in p.next_cursor for p in pages[:-1])
    assert "delta_link" in pages[-1].next_cursor and "next_link" not in pages[-1].next_cursor
    assert all(p.next_cursor["window_start"] < p.next_cursor["window_end"] for p in pages)
    assert [r.id for p in pages for r in p.records] == ids
    deltas = [r for r in graph.requests if r.endpoint == "events.delta"]
    assert set(deltas[0].query) == {"startDateTime", "endDateTime"}
    assert all(r.prefer == 'odata.maxpagesize=2, IdType="ImmutableId"' for r in deltas)
    assert "$skiptoken" in deltas[1].query
    assert graph.calls["events.delta"] == 3


def test_full_sync_resumes_from_mid_round_cursor(graph: FakeGraph, graph_token: str) -> None:
    """A crash after page 1 resumes at page 2 with the saved nextLink, not from scratch."""
    ids = _seed(graph, 5)
    with _connector(graph, graph_token, page_size=2) as conn:
        reader = conn.read("events", None)
        page1 = next(reader)
        reader.close()
        rest = list(conn.read("events", page1.next_cursor))
    assert [r.id for p in [page1, *rest] for r in p.records] == ids
    assert rest[-1].done and rest[-1].next_cursor["window_end"] == page1.next_cursor["window_end"]


def test_incremental_returns_changes_and_deletions(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """With the deltaLink: only what changed; deleted events come back as deletions."""
    moved, deleted, untouched = _seed(graph, 3)
    cursor = list(outlook.read("events", None))[-1].next_cursor
    graph.user_move(moved, NOW + timedelta(days=9), NOW + timedelta(days=9, hours=2))
    graph.user_delete(deleted)
    foreign = graph.user_create(
        "Dentist", NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1)
    )

    pages = list(outlook.read("events", cursor))
    assert len(pages) == 1 and pages[0].done
    assert {r.id for r in pages[0].records} == {moved, foreign["id"]}
    assert pages[0].deleted == [deleted]
    record = next(r for r in pages[0].records if r.id == moved)
    assert record.data["start"]["timeZone"] == "UTC"
    assert record.data["start"]["dateTime"].endswith(".0000000")
    assert record.etag and record.etag.startswith('W/"') and record.updated_at is not None
    assert untouched not in {r.id for r in pages[0].records}
    last = [r for r in graph.requests if r.endpoint == "events.delta"][-1]
    assert "$deltatoken" in last.query

    again = list(outlook.read("events", pages[0].next_cursor))
    assert again[0].records == [] and again[0].deleted == []


def test_full_round_lists_only_live_events_in_the_window(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """Deleted events are not reported on a first round; events outside the window neither."""
    kept, gone = _seed(graph, 2)
    graph.user_delete(gone)
    far = graph.user_create("far", NOW + timedelta(days=900), NOW + timedelta(days=900, hours=1))
    pages = list(outlook.read("events", None))
    assert [r.id for r in pages[0].records] == [kept] and pages[0].deleted == []
    assert far["id"] not in {r.id for p in pages for r in p.records}


def test_event_moved_out_of_the_window_is_a_change_not_a_deletion(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """Graph reports it under @removed; it still exists, so no appointment gets cancelled."""
    (event,) = _seed(graph, 1)
    cursor = list(outlook.read("events", None))[-1].next_cursor
    graph.user_move(event, NOW + timedelta(days=900), NOW + timedelta(days=900, hours=1))
    page = list(outlook.read("events", cursor))[-1]
    assert page.deleted == [] and [r.id for r in page.records] == [event]


def test_expired_delta_token_raises_cursor_expired(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """410 syncStateNotFound → CursorExpired; a round without cursor then works."""
    _seed(graph, 2)
    cursor = list(outlook.read("events", None))[-1].next_cursor
    graph.invalidate_delta_tokens()
    with pytest.raises(CursorExpired) as info:
        list(outlook.read("events", cursor))
    assert info.value.status == 410 and info.value.reason == "syncStateNotFound"
    assert len(next(iter(outlook.read("events", None))).records) == 2


def test_ending_window_expires_the_cursor(graph: FakeGraph, graph_token: str) -> None:
    """Half way through the forward window, a new round (later window) is requested."""
    now = [NOW]
    conn = OutlookConnector(
        StaticTokenProvider(graph_token),
        {"api_base_url": graph.api_base_url, "sync_days_ahead": 10},
        clock=lambda: now[0],
    )
    with conn:
        cursor = list(conn.read("events", None))[-1].next_cursor
        now[0] = NOW + timedelta(days=4)
        list(conn.read("events", cursor))
        now[0] = NOW + timedelta(days=6)
        with pytest.raises(CursorExpired) as info:
            list(conn.read("events", cursor))
    assert info.value.reason == "windowExpired"


def test_cursor_pointing_at_another_host_is_expired(outlook: OutlookConnector) -> None:
    """The bearer token is never sent to a host other than the configured API root."""
    cursor = {"next_link": "https://evil.example/v1.0/me/calendarView/delta?$skiptoken=x"}
    with pytest.raises(CursorExpired) as info:
        list(outlook.read("events", cursor))
    assert info.value.reason == "foreign_link"


def test_unknown_stream_is_refused(outlook: OutlookConnector) -> None:
    """Streams are `events` or `events:<calendarId>`."""
    with pytest.raises(InvalidRequest):
        list(outlook.read("contacts", None))


def test_delegated_reads_its_own_mailbox_as_me(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """The linked stream of a delegated connection is `events:me`: /me/calendarView/delta."""
    created = outlook.create("events:me", _payload())
    page = list(outlook.read("events:me", None))[-1]
    assert [r.id for r in page.records] == [created.id]
    paths = {r.path for r in graph.requests}
    assert "/v1.0/me/calendarView/delta" in paths and "/v1.0/me/events" in paths


def test_delegated_reads_its_own_mailbox_by_address(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """`events:<own address>` goes through /users/{UPN}: allowed for the signed-in user."""
    created = outlook.create("events:fake.user@example.com", _payload())
    assert graph.events()[0]["id"] == created.id
    page = list(outlook.read("events:fake.user@example.com", None))[-1]
    assert [r.id for r in page.records] == [created.id]
    delta = next(r for r in graph.requests if r.endpoint == "events.delta")
    assert delta.path == "/v1.0/users/fake.user@example.com/calendarView/delta"


def test_delegated_token_cannot_reach_another_mailbox(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """Graph answers 403 ErrorAccessDenied: Calendars.ReadWrite (delegated) is the own mailbox."""
    jean = graph.add_user("Jean Martin", "jean@company.com")
    with pytest.raises(AuthError) as info:
        list(outlook.read(f"events:{jean}", None))
    assert info.value.status == 403 and info.value.reason == "ErrorAccessDenied"
    with pytest.raises(AuthError):
        outlook.create("events:jean@company.com", _payload())
    assert graph.events(graph.calendar_of(jean)) == []


def test_application_reads_and_writes_each_technicians_mailbox(graph: FakeGraph) -> None:
    """An app token (admin consent) reaches /users/{id}/…: one mailbox per technician."""
    jean = graph.add_user("Jean Martin", "jean@company.com")
    pierre = graph.add_user("Pierre Dubois", "pierre@company.com")
    with _connector(graph, graph.issue_app_token(), permissions="application") as conn:
        mine = conn.create(f"events:{jean}", _payload())
        graph.user_create("Dentist", NOW + timedelta(days=2), NOW + timedelta(days=2, hours=1),
                          calendar_id=graph.calendar_of(pierre))  # fmt: skip
        jean_page = list(conn.read(f"events:{jean}", None))[-1]
        pierre_page = list(conn.read(f"events:{pierre}", None))[-1]
        with pytest.raises(NotFound):  # an event of Jean's mailbox is not in Pierre's
            conn.get(f"events:{pierre}", mine.id)
        with pytest.raises(InvalidRequest):  # `events` alone names no mailbox here
            list(conn.read("events", None))
    assert [r.id for r in jean_page.records] == [mine.id]
    assert [r.data["subject"] for r in pierre_page.records] == ["Dentist"]
    paths = {r.path for r in graph.requests if r.endpoint == "events.delta"}
    assert paths == {
        f"/v1.0/users/{jean}/calendarView/delta",
        f"/v1.0/users/{pierre}/calendarView/delta",
    }


def test_app_token_without_admin_consent_is_refused(graph: FakeGraph) -> None:
    """A client credentials token of a tenant that never consented carries no roles: 403."""
    jean = graph.add_user("Jean Martin", "jean@company.com")
    with (
        _connector(graph, graph.issue_app_token(roles=()), permissions="application") as conn,
        pytest.raises(AuthError) as info,
    ):
        list(conn.read(f"events:{jean}", None))
    assert info.value.status == 403


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("me/calendars/{cal}/calendarView/delta", 400, id="per-calendar-delta-beta"),
        pytest.param("me/events", 400, id="me-with-app-token"),
    ],
)
def test_graph_fake_refuses_undocumented_paths(graph: FakeGraph, path: str, status: int) -> None:
    """Per-calendar delta is beta-only (v1.0: 400); /me means nothing to an app token."""
    import requests

    token = graph.issue_access_token() if "calendars" in path else graph.issue_app_token()
    url = f"{graph.api_base_url}/{path.format(cal=graph.default_calendar_id)}"
    query = {"startDateTime": "2030-01-01T00:00:00Z", "endDateTime": "2030-02-01T00:00:00Z"}
    resp = requests.get(url, params=query, headers={"Authorization": f"Bearer {token}"}, timeout=5)
    assert resp.status_code == status, resp.text


def test_every_call_asks_for_immutable_ids(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """Prefer: IdType="ImmutableId" on every request (and every $batch member): the fake, like
    Graph, gives other ids without it."""
    _seed(graph, 2, ours=True)
    created = outlook.create("events", _payload())
    outlook.update("events", created.id, _payload("Moved"), created.etag)
    list(outlook.read("events", None))
    assert graph.requests and all(
        'IdType="ImmutableId"' in (r.prefer or "") for r in graph.requests if r.endpoint != "batch"
    )
    batch = next(r for r in graph.requests if r.endpoint == "batch")
    assert all(m["headers"]["Prefer"] == 'IdType="ImmutableId"' for m in batch.body["requests"])
    import requests

    token = graph.issue_access_token()
    plain = requests.get(
        f"{graph.api_base_url}/me/events/{created.id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    ).json()
    assert plain["id"] != created.id  # the default (REST) id is another string


def test_create_update_delete_with_etags(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """Writes carry If-Match; a stale etag is a PreconditionFailed, never a lost update."""
    created = outlook.create("events", _payload(location={"displayName": "15 rue des Lilas"}))
    assert created.etag and created.data["subject"] == "Installation — Marie Dupont"
    assert graph.calls["events.create"] == 1 and graph.writes["events.create"] == 1

    updated = outlook.update("events", created.id, {"subject": "Moved"}, created.etag)
    assert updated.etag != created.etag
    assert updated.data["location"]["displayName"] == "15 rue des Lilas"  # patch keeps the rest
    assert graph.requests[-1].if_match == created.etag

    with pytest.raises(PreconditionFailed) as info:
        outlook.update("events", created.id, {"subject": "Lost"}, created.etag)
    assert info.value.status == 412 and info.value.reason == "ErrorIrresolvableConflict"
    with pytest.raises(PreconditionFailed):
        outlook.delete("events", created.id, created.etag)

    outlook.delete("events", created.id, updated.etag)
    assert graph.events() == []
    outlook.delete("events", created.id, None)  # already gone: fine
    with pytest.raises(NotFound):
        outlook.get("events", created.id)
    assert graph.writes == {"events.create": 1, "events.update": 2, "events.delete": 3}


def test_extended_properties_round_trip(graph: FakeGraph, outlook: OutlookConnector) -> None:
    """Our fields are stored as named extended properties and read back with $expand."""
    cursor = list(outlook.read("events", None))[-1].next_cursor
    created = outlook.create("events", _payload())
    sent = graph.requests[-1].body
    assert "extendedProperties" not in sent
    digest = body_digest(sent)
    assert sent["singleValueExtendedProperties"] == [
        {"id": f"String {PROPERTY_SET_GUID} Name ivalid_appointment_id", "value": "apt_1"},
        {"id": f"String {PROPERTY_SET_GUID} Name ivalid_hash", "value": "h1"},
        {"id": f"String {PROPERTY_SET_GUID} Name ivalid_body", "value": digest},
    ]
    assert created.data["extendedProperties"] == {
        "ivalid_appointment_id": "apt_1",
        "ivalid_hash": "h1",
    }

    fetched = outlook.get("events", created.id)
    assert fetched.data["extendedProperties"] == {
        **created.data["extendedProperties"],
        "ivalid_body": digest,
    }
    assert "singleValueExtendedProperties" not in fetched.data
    expand = graph.requests[-1].query["$expand"]
    assert expand.startswith("singleValueExtendedProperties($filter=id eq 'String {")
    assert " or id eq " in expand

    page = list(outlook.read("events", cursor))[-1]  # delta cannot $expand: a $batch reads them
    assert page.records[0].data["extendedProperties"]["ivalid_appointment_id"] == "apt_1"
    assert graph.calls["batch"] == 1 and graph.calls["events.get"] >= 2

    updated = outlook.update(
        "events", created.id, {"extendedProperties": {"ivalid_hash": "h2"}}, fetched.etag
    )
    assert updated.data["extendedProperties"]["ivalid_hash"] == "h2"
    props = outlook.get("events", created.id).data["extendedProperties"]
    assert props.pop("ivalid_body") != digest  # the digest follows each write
    assert props == {"ivalid_appointment_id": "apt_1", "ivalid_hash": "h2"}
    assert [r.id for r in outlook.find("apt_1")] == [created.id]
    assert property_id("x") == f"String {PROPERTY_SET_GUID} Name x"


def test_update_never_sends_read_only_or_immutable_fields(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """transactionId (immutable), id and @odata.etag stay out of a PATCH."""
    created = outlook.create("events", _payload())
    outlook.update("events", created.id, {**created.data, "subject": "x"}, created.etag)
    body = graph.requests[-1].body
    assert not {"transactionId", "id", "@odata.etag", "extendedProperties"} & set(body)


def test_create_is_idempotent_by_transaction_id(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """A retried create (same transactionId) returns the first event, never a duplicate."""
    first = outlook.create("events", _payload())
    second = outlook.create("events", _payload())
    assert first.id == second.id and len(graph.events()) == 1


def test_create_conflict_falls_back_to_the_appointment_id(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """Should Graph answer 409 to a retried create, the event with our id is returned."""
    first = outlook.create("events", _payload())
    graph.inject_fault(409, endpoint="events.create")
    again = outlook.create("events", _payload())
    assert again.id == first.id and len(graph.events()) == 1
    graph.inject_fault(409, endpoint="events.create")
    with pytest.raises(Conflict):
        outlook.create("events", _payload(extendedProperties={"ivalid_appointment_id": "other"}))


def test_update_of_unknown_event_is_not_found(outlook: OutlookConnector) -> None:
    """Patching an event that never existed is NotFound."""
    with pytest.raises(NotFound):
        outlook.update("events", "AAMkAGnope=", {"subject": "x"}, None)


def test_unknown_property_is_an_invalid_request(outlook: OutlookConnector) -> None:
    """Graph refuses a field the event type does not have (a mapping mistake): 400."""
    with pytest.raises(InvalidRequest) as info:
        outlook.create("events", _payload(summary="Google's name"))
    assert info.value.reason == "RequestBodyRead"


@pytest.mark.parametrize(
    ("status", "code", "retry_after", "expected", "retryable"),
    [
        pytest.param(429, None, 7, RateLimited, True, id="429-retry-after"),
        pytest.param(429, None, None, RateLimited, True, id="429-bare"),
        pytest.param(503, None, 30, RateLimited, True, id="503-retry-after"),
        pytest.param(503, None, None, TransientError, True, id="503"),
        pytest.param(500, None, None, TransientError, True, id="500"),
        pytest.param(504, None, None, TransientError, True, id="504"),
        pytest.param(401, None, None, AuthError, False, id="401"),
        pytest.param(403, "ErrorAccessDenied", None, AuthError, False, id="403-access-denied"),
        pytest.param(403, "MailboxConcurrency", None, TransientError, True, id="403-concurrency"),
        pytest.param(403, "Forbidden", None, InvalidRequest, False, id="403-other"),
        pytest.param(404, None, None, NotFound, False, id="404"),
        pytest.param(400, None, None, InvalidRequest, False, id="400"),
    ],
)
def test_http_errors_are_translated(
    graph: FakeGraph,
    outlook: OutlookConnector,
    status: int,
    code: str | None,
    retry_after: int | None,
    expected: type[ConnectorError],
    retryable: bool,
) -> None:
    """Every Graph failure surfaces as exactly one of our error classes (then recovers)."""
    graph.inject_fault(status, code=code, retry_after=retry_after)
    with pytest.raises(ConnectorError) as info:
        outlook.check()
    error = info.value
    assert type(error) is expected and error.retryable is retryable and error.status == status
    assert error.details["request_id"]
    if isinstance(error, RateLimited):
        assert error.retry_after == retry_after
        if retry_after:
            assert retry_delay(error, attempt=0) >= retry_after
    assert outlook.check().email  # the fault was for one call only


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected"),
    [
        pytest.param(410, b'{"error":{"code":"resyncRequired"}}', {}, CursorExpired, id="410"),
        pytest.param(
            400, b'{"error":{"code":"SyncStateNotFound"}}', {}, CursorExpired, id="400-syncstate"
        ),
        pytest.param(
            404, b'{"error":{"code":"syncStateInvalid"}}', {}, CursorExpired, id="404-sync"
        ),
        pytest.param(
            409,
            b'{"error":{"code":"ErrorIrresolvableConflict"}}',
            {},
            PreconditionFailed,
            id="409-changekey",
        ),
        pytest.param(412, b"", {}, PreconditionFailed, id="412-empty"),
        pytest.param(409, b'{"error":{"code":"ErrorConflict"}}', {}, Conflict, id="409"),
        pytest.param(502, b"<html>Bad Gateway</html>", {}, TransientError, id="502-html"),
        pytest.param(
            503, b"", {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}, RateLimited, id="date"
        ),
        pytest.param(422, b"", {}, InvalidRequest, id="422"),
        pytest.param(401, b'{"error":"invalid_token"}', {}, AuthError, id="401-oauth-shape"),
    ],
)
def test_translate_http_error_table(
    status: int, body: bytes, headers: dict[str, str], expected: type[ConnectorError]
) -> None:
    """The translation function on bodies and headers the fake does not produce."""
    error = translate_http_error(status, body, headers)
    assert type(error) is expected
    if headers.get("Retry-After"):
        assert isinstance(error, RateLimited) and (error.retry_after or 0) > 3600


def test_throttled_batch_members_are_retried_alone_after_retry_after(graph: FakeGraph) -> None:
    """Members answered 429 inside the $batch wait their Retry-After, then are fetched one by
    one: the page completes, nothing else is read twice."""
    ids = _seed(graph, 5, ours=True)
    slept: list[float] = []
    graph.inject_fault(429, endpoint="events.get", retry_after=3, count=2)
    with _connector(graph, graph.issue_access_token(), sleep=slept.append) as conn:
        pages = list(conn.read("events", None))
        retried = conn.api.retried_members
    assert [r.id for p in pages for r in p.records] == ids
    assert slept == [3.0] and retried == 2
    # 5 batch members (2 throttled) + the 2 retried alone
    assert graph.calls["batch"] == 1 and graph.calls["events.get"] == 7


def test_a_member_throttled_again_raises_rate_limited(graph: FakeGraph) -> None:
    """Still throttled when retried alone: RateLimited (the engine backs off), nothing moves."""
    _seed(graph, 2, ours=True)
    graph.inject_fault(429, endpoint="events.get", retry_after=4, count=3)
    with _connector(graph, graph.issue_access_token(), sleep=lambda _: None) as conn:
        with pytest.raises(RateLimited) as info:
            list(conn.read("events", None))
        assert info.value.retry_after == 4
        assert len(next(iter(conn.read("events", None))).records) == 2


def test_events_made_in_outlook_are_not_read_twice(graph: FakeGraph) -> None:
    """Only events carrying a transactionId (ours) are re-read for extended properties."""
    _seed(graph, 3)
    _seed(graph, 2, ours=True)
    with _connector(graph, graph.issue_access_token()) as conn:
        records = [r for p in conn.read("events", None) for r in p.records]
    assert len(records) == 5 and graph.calls["events.get"] == 2
    assert all(r.data["extendedProperties"] == {} for r in records[:3])


def test_network_failure_is_transient(graph_token: str) -> None:
    """Nothing listening (connection refused) → TransientError."""
    config = {"api_base_url": "http://127.0.0.1:9/v1.0", "timeout": 2}
    with (
        OutlookConnector(StaticTokenProvider(graph_token), config) as conn,
        pytest.raises(TransientError),
    ):
        conn.check()


class _Rotating:
    """A provider that hands out a new token from the fake when told the old one was refused."""

    def __init__(self, fake: FakeGraph) -> None:
        """Start with a valid token from the fake."""
        self.fake = fake
        self.token = fake.issue_access_token()
        self.rejected: list[str] = []
        self.lock = threading.Lock()

    def get_access_token(self) -> str:
        """The current token."""
        return self.token

    def token_rejected(self, token: str) -> None:
        """Record the refusal and take a fresh token."""
        with self.lock:
            self.rejected.append(token)
            self.token = self.fake.issue_access_token()


def test_401_asks_the_provider_to_refresh_once(graph: FakeGraph) -> None:
    """A refused token is reported to a RejectableTokenProvider and the call retried once."""
    provider = _Rotating(graph)
    graph.identity.expire_access_tokens()
    with OutlookConnector(provider, {"api_base_url": graph.api_base_url}) as conn:
        assert conn.check().email
    assert len(provider.rejected) == 1


def test_401_with_a_provider_that_cannot_refresh_is_auth_error(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """A static token the remote refuses: reconnect needed."""
    graph.identity.expire_access_tokens()
    with pytest.raises(AuthError) as info:
        outlook.check()
    assert info.value.reason == "InvalidAuthenticationToken"


@pytest.mark.parametrize("graph_scope", ["User.Read"])
def test_missing_scope_is_auth_error(outlook: OutlookConnector) -> None:
    """403 ErrorAccessDenied means the user must grant Calendars.ReadWrite again."""
    with pytest.raises(AuthError) as info:
        outlook.check()
    assert info.value.reason == "ErrorAccessDenied"


def test_a_repeated_patch_after_a_lost_answer_is_not_written_twice(
    graph: FakeGraph, outlook: OutlookConnector
) -> None:
    """PATCH landed but its answer was lost: resent with the old etag, Graph says 412; the
    event holds the digest of this very body, so it is returned as written (no 2nd write).
    A different body with the old etag stays a PreconditionFailed."""
    created = outlook.create("events", _payload())
    moved = _payload("Déplacé")
    outlook.update("events", created.id, moved, created.etag)
    writes, seq = graph.writes["events.update"], graph.store.seq
    again = outlook.update("events", created.id, moved, created.etag)  # the retry
    assert graph.writes["events.update"] == writes + 1  # the 412 attempt
    assert graph.store.seq == seq, "nothing written a second time"
    assert again.data["subject"] == "Déplacé"
    assert again.etag == graph.event(created.id)["@odata.etag"]
    with pytest.raises(PreconditionFailed):
        outlook.update("events", created.id, _payload("Autre"), created.etag)
