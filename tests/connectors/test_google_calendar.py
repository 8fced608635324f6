"""Google Calendar connector against the fake, through the real google-api-python-client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import connectors
from connectors.base import (
    AuthError,
    ConnectorError,
    CursorExpired,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    RateLimited,
    StaticTokenProvider,
    TransientError,
)
from connectors.google_calendar import GoogleCalendarConnector
from connectors.google_calendar.api import translate_http_error
from tests.connectors.conftest import pinned_now
from tests.fakes.google_calendar import FakeGoogleCalendar


def _seed(fake: FakeGoogleCalendar, count: int) -> list[str]:
    """Create `count` events on consecutive days, as the user would; returns their ids."""
    base = datetime(2025, 1, 20, 9, tzinfo=UTC)
    ids = []
    for i in range(count):
        start = base + timedelta(days=i)
        ids.append(fake.user_create(f"event {i}", start, start + timedelta(hours=1))["id"])
    return ids


def _payload(summary: str = "Installation — Marie Dupont", **extra: Any) -> dict[str, Any]:
    return {
        "summary": summary,
        "start": {"dateTime": "2025-01-20T10:00:00+01:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2025-01-20T12:00:00+01:00", "timeZone": "Europe/Paris"},
        **extra,
    }


def test_registered_with_manifest() -> None:
    """The connector is found by name and its manifest says what the hub needs."""
    assert connectors.get("google-calendar") is GoogleCalendarConnector
    manifest = next(m for m in connectors.all_manifests() if m.name == "google-calendar")
    assert manifest.scopes == ("https://www.googleapis.com/auth/calendar",)
    assert manifest.streams == ("events",)
    assert manifest.supports_push and manifest.auth_type == "oauth2"
    assert manifest.authorize_params["access_type"] == "offline"
    assert manifest.to_dict()["token_url"] == "https://oauth2.googleapis.com/token"


def test_check_returns_identity(connector: GoogleCalendarConnector) -> None:
    """check() says which Google account is connected."""
    identity = connector.check()
    assert identity.email == "fake.user@example.com"
    assert identity.extra["time_zone"] == "Europe/Paris"
    assert identity.extra["access_role"] == "owner"


def test_list_calendars(fake: FakeGoogleCalendar, connector: GoogleCalendarConnector) -> None:
    """Every calendar of the user is offered, the primary one flagged."""
    fake.add_calendar("team@group.calendar.google.com", "Équipe terrain")
    calendars = {c["id"]: c for c in connector.list_calendars()}
    assert calendars["fake.user@example.com"]["primary"] is True
    assert calendars["team@group.calendar.google.com"]["summary"] == "Équipe terrain"


def test_full_sync_pages_and_saves_cursor_after_each(
    fake: FakeGoogleCalendar, access_token: str
) -> None:
    """First sync: every event, page by page; the sync token comes only with the last page."""
    ids = _seed(fake, 5)
    config = {"api_base_url": fake.api_base_url, "page_size": 2, "now": pinned_now}
    with GoogleCalendarConnector(StaticTokenProvider(access_token), config) as conn:
        pages = list(conn.read("events", None))
    assert [len(p.records) for p in pages] == [2, 2, 1]
    assert [p.done for p in pages] == [False, False, True]
    assert all("page_token" in p.next_cursor for p in pages[:-1])
    assert set(pages[-1].next_cursor) == {"sync_token", "window"}
    assert [r.id for p in pages for r in p.records] == ids
    first, second = fake.requests[0], fake.requests[1]
    assert first.query == {
        "showDeleted": "true",
        "singleEvents": "true",
        "maxResults": "2",
        "timeMin": "2024-12-16T12:00:00Z",  # the window: 30 days back, 365 ahead of the app clock
        "timeMax": "2026-01-15T12:00:00Z",
        "alt": "json",
    }
    assert second.query["pageToken"] == pages[0].next_cursor["page_token"]
    assert fake.calls["events.list"] == 3


def test_full_sync_resumes_from_mid_listing_cursor(
    fake: FakeGoogleCalendar, access_token: str
) -> None:
    """A crash after page 1 resumes at page 2 with the saved cursor, not from scratch."""
    ids = _seed(fake, 5)
    config = {"api_base_url": fake.api_base_url, "page_size": 2, "now": pinned_now}
    with GoogleCalendarConnector(StaticTokenProvider(access_token), config) as conn:
        reader = conn.read("events", None)
        page1 = next(reader)
        reader.close()
        rest = list(conn.read("events", page1.next_cursor))
    assert [r.id for p in [page1, *rest] for r in p.records] == ids
    assert rest[-1].done


def test_incremental_sync_returns_changes_and_deletions(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """With the sync token: only what changed; deleted events come back as deletions."""
    moved, deleted, untouched = _seed(fake, 3)
    cursor = list(connector.read("events", None))[-1].next_cursor
    fake.user_move(moved, "2025-02-01T14:00:00+01:00", "2025-02-01T15:00:00+01:00")
    fake.user_delete(deleted)
    foreign = fake.user_create("Dentist", "2025-02-02T09:00:00Z", "2025-02-02T10:00:00Z")

    pages = list(connector.read("events", cursor))
    assert len(pages) == 1 and pages[0].done
    assert {r.id for r in pages[0].records} == {moved, foreign["id"]}
    assert pages[0].deleted == [deleted]
    moved_record = next(r for r in pages[0].records if r.id == moved)
    assert moved_record.data["start"]["dateTime"] == "2025-02-01T14:00:00+01:00"
    assert moved_record.etag and moved_record.updated_at is not None
    assert fake.requests[-1].query["syncToken"] == cursor["sync_token"]
    assert untouched not in {r.id for r in pages[0].records}

    again = list(connector.read("events", pages[0].next_cursor))
    assert again[0].records == [] and again[0].deleted == []
    assert again[0].next_cursor == pages[0].next_cursor


def test_first_sync_reports_already_deleted_events_as_deletions(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """showDeleted=True on the full sync: cancelled events are deletions, never records."""
    kept, gone = _seed(fake, 2)
    fake.user_delete(gone)
    pages = list(connector.read("events", None))
    assert [r.id for r in pages[0].records] == [kept]
    assert pages[0].deleted == [gone]


def test_expired_sync_token_raises_cursor_expired(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """410 fullSyncRequired → CursorExpired; a full sync without cursor then works."""
    _seed(fake, 2)
    cursor = list(connector.read("events", None))[-1].next_cursor
    fake.invalidate_sync_tokens()
    with pytest.raises(CursorExpired) as info:
        list(connector.read("events", cursor))
    assert info.value.status == 410 and info.value.reason == "fullSyncRequired"
    pages = list(connector.read("events", None))
    assert len(pages[0].records) == 2


def test_stale_page_token_raises_cursor_expired(connector: GoogleCalendarConnector) -> None:
    """A saved page token Google no longer accepts means: start the listing again."""
    with pytest.raises(CursorExpired):
        list(connector.read("events", {"page_token": "bm90IGEgdG9rZW4="}))


def test_sync_days_back_limits_only_the_full_sync(
    fake: FakeGoogleCalendar, access_token: str
) -> None:
    """timeMin on the first listing only: Google refuses it together with a sync token."""
    config = {"api_base_url": fake.api_base_url, "sync_days_back": 30, "now": pinned_now}
    with GoogleCalendarConnector(StaticTokenProvider(access_token), config) as conn:
        cursor = list(conn.read("events", None))[-1].next_cursor
        list(conn.read("events", cursor))
    assert "timeMin" in fake.requests[0].query and "timeMax" in fake.requests[0].query
    assert "timeMin" not in fake.requests[1].query and "timeMax" not in fake.requests[1].query


def test_unknown_stream_is_refused(connector: GoogleCalendarConnector) -> None:
    """Streams are `events` or `events:<calendarId>`."""
    with pytest.raises(InvalidRequest):
        list(connector.read("contacts", None))


def test_events_of_another_calendar(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """`events:<calendarId>` reads and writes a secondary calendar."""
    fake.add_calendar("team@group.calendar.google.com", "Team")
    created = connector.create("events:team@group.calendar.google.com", _payload())
    assert fake.event(created.id, "team@group.calendar.google.com")["summary"]
    assert fake.events("primary") == []


def test_create_update_delete_with_etags(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """Writes carry If-Match; a stale etag is a PreconditionFailed, never a lost update."""
    created = connector.create("events", _payload(location="15 rue des Lilas, 75001 Paris"))
    assert created.data["status"] == "confirmed" and created.etag

    updated = connector.update("events", created.id, {"summary": "Moved"}, created.etag)
    assert updated.etag != created.etag
    assert updated.data["location"] == "15 rue des Lilas, 75001 Paris"  # patch keeps the rest
    assert fake.requests[-1].if_match == created.etag

    with pytest.raises(PreconditionFailed) as info:
        connector.update("events", created.id, {"summary": "Lost"}, created.etag)
    assert info.value.status == 412
    with pytest.raises(PreconditionFailed):
        connector.delete("events", created.id, created.etag)

    connector.delete("events", created.id, updated.etag)
    assert fake.event(created.id)["status"] == "cancelled"
    connector.delete("events", created.id, None)  # already gone: fine
    assert connector.get("events", created.id).data["status"] == "cancelled"


def test_update_of_unknown_event_is_not_found(connector: GoogleCalendarConnector) -> None:
    """Patching an event that never existed is NotFound."""
    with pytest.raises(NotFound):
        connector.update("events", "doesnotexist0", {"summary": "x"}, None)


def test_create_with_our_id_is_idempotent(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """A retried insert (409 duplicate) returns the first one; a deleted one is revived."""
    payload = _payload(id="2edfiqlhs5tlnthllr6d9vk0vg76o0eb")
    first = connector.create("events", payload)
    second = connector.create("events", payload)
    assert first.id == second.id == payload["id"]
    assert len(fake.events()) == 1

    fake.user_delete(first.id)
    revived = connector.create("events", payload)
    assert revived.data["status"] == "confirmed"
    assert fake.event(first.id)["status"] == "confirmed"


@pytest.mark.parametrize(
    ("status", "reason", "expected", "retryable"),
    [
        pytest.param(429, None, RateLimited, True, id="429-rate-limited"),
        pytest.param(403, "rateLimitExceeded", TransientError, True, id="403-rateLimitExceeded"),
        pytest.param(403, "userRateLimitExceeded", TransientError, True, id="403-userRate"),
        pytest.param(403, "forbidden", InvalidRequest, False, id="403-forbidden"),
        pytest.param(403, "insufficientPermissions", AuthError, False, id="403-scope"),
        pytest.param(500, None, TransientError, True, id="500"),
        pytest.param(503, None, TransientError, True, id="503"),
        pytest.param(401, None, AuthError, False, id="401"),
        pytest.param(404, None, NotFound, False, id="404"),
        pytest.param(400, None, InvalidRequest, False, id="400"),
    ],
)
def test_http_errors_are_translated(
    fake: FakeGoogleCalendar,
    connector: GoogleCalendarConnector,
    status: int,
    reason: str | None,
    expected: type[ConnectorError],
    retryable: bool,
) -> None:
    """Every vendor failure surfaces as exactly one of our error classes."""
    fake.inject_fault(status, reason=reason, retry_after=12 if status == 429 else None)
    with pytest.raises(ConnectorError) as info:
        connector.check()
    assert type(info.value) is expected
    assert info.value.retryable is retryable
    assert info.value.status == status
    if status == 429:
        assert isinstance(info.value, RateLimited) and info.value.retry_after == 12
    assert connector.check().email  # the fault was for one call only


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        pytest.param(410, b'{"error":{"errors":[{"reason":"fullSyncRequired"}]}}', CursorExpired),
        pytest.param(410, b'{"error":{"errors":[{"reason":"deleted"}]}}', NotFound),
        pytest.param(
            412, b'{"error":{"errors":[{"reason":"conditionNotMet"}]}}', PreconditionFailed
        ),
        pytest.param(409, b'{"error":{"errors":[{"reason":"duplicate"}]}}', connectors.Conflict),
        pytest.param(403, b'{"error":{"errors":[{"reason":"quotaExceeded"}]}}', TransientError),
        pytest.param(502, b"<html>Bad Gateway</html>", TransientError),
        pytest.param(422, b"", InvalidRequest),
    ],
)
def test_translate_http_error_table(
    status: int, body: bytes, expected: type[ConnectorError]
) -> None:
    """The translation function on bodies the fake does not produce (HTML, empty)."""
    assert type(translate_http_error(status, body, {})) is expected


def test_network_failure_is_transient(access_token: str) -> None:
    """Nothing listening (connection refused) → TransientError."""
    config = {"api_base_url": "http://127.0.0.1:9/calendar/v3/", "timeout": 2}
    with (
        GoogleCalendarConnector(StaticTokenProvider(access_token), config) as conn,
        pytest.raises(TransientError),
    ):
        conn.check()


def test_401_with_a_provider_that_cannot_refresh_is_auth_error(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """A static token the remote refuses: reconnect needed."""
    fake.oauth.expire_access_tokens()
    with pytest.raises(AuthError):
        connector.check()


@pytest.mark.parametrize("token_scope", ["https://www.googleapis.com/auth/calendar.readonly"])
def test_missing_scope_is_auth_error(connector: GoogleCalendarConnector) -> None:
    """403 insufficientPermissions means the user must grant the calendar scope again."""
    with pytest.raises(AuthError) as info:
        connector.check()
    assert info.value.reason == "insufficientPermissions"


# ----------------------------------------------------------- bounded sync, recurring series


TEAM = "team0001@group.calendar.google.com"


def _weekly_forever(fake: FakeGoogleCalendar, calendar_id: str = "primary") -> dict[str, Any]:
    """A weekly series without an end, begun two years before the app clock's day."""
    return fake.user_create(
        "Yoga",
        "2023-01-16T18:00:00+01:00",
        "2023-01-16T19:00:00+01:00",
        calendar_id=calendar_id,
        recurrence=["RRULE:FREQ=WEEKLY"],
        time_zone="Europe/Paris",
    )


def test_full_sync_is_bounded_and_expands_a_series_only_in_the_window(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """timeMin/timeMax around the app clock: an endless weekly series lists ~56 instances
    (30 days back, 365 ahead), not the hundreds an unbounded listing expands."""
    series = _weekly_forever(fake)
    records = [r for p in connector.read("events", None) for r in p.records]
    assert {r.data["recurringEventId"] for r in records} == {series["id"]}
    starts = sorted(datetime.fromisoformat(r.data["start"]["dateTime"]) for r in records)
    assert starts[0] >= pinned_now() - timedelta(days=30, hours=1)
    assert starts[-1] < pinned_now() + timedelta(days=365)
    assert 55 <= len(records) <= 57
    assert all(r.id.startswith(series["id"] + "_") for r in records)
    query = fake.requests[-1].query
    assert query["timeMin"] and query["timeMax"] and query["singleEvents"] == "true"


def test_an_unbounded_listing_is_visibly_expensive(fake: FakeGoogleCalendar) -> None:
    """What the bound avoids: the same series listed without timeMax expands two years ahead
    of now, and a series that started long ago from its first week: hundreds of instances."""
    _weekly_forever(fake)
    token = fake.issue_access_token()
    with GoogleCalendarConnector(
        StaticTokenProvider(token), {"api_base_url": fake.api_base_url}
    ) as conn:
        body = conn.api.list_events("primary", max_results=2500)
    assert len(body["items"]) > 150  # about four years of weeks, against ~56 in the window
    assert fake.store.instances_listed == len(body["items"])


def test_incremental_drops_instances_past_the_window_and_the_window_is_renewed(
    fake: FakeGoogleCalendar, access_token: str
) -> None:
    """A series created after the full sync comes with the sync token (no bounds allowed):
    instances past the window's end are not reported; once the window's end is within
    358 days, the cursor expires so the engine lists the (moved) window again."""
    now = [pinned_now()]
    config = {"api_base_url": fake.api_base_url, "now": lambda: now[0], "rate_limit_attempts": 1}
    with GoogleCalendarConnector(StaticTokenProvider(access_token), config) as conn:
        cursor = list(conn.read("events", None))[-1].next_cursor
        _weekly_forever(fake)
        pages = list(conn.read("events", cursor))
        window_end = datetime.fromisoformat(cursor["window"][1].replace("Z", "+00:00"))
        records = [r for p in pages for r in p.records]
        assert records and all(
            datetime.fromisoformat(r.data["start"]["dateTime"]) < window_end for r in records
        )
        assert "syncToken" in fake.requests[-1].query and "timeMax" not in fake.requests[-1].query
        now[0] += timedelta(days=8)
        with pytest.raises(CursorExpired):
            list(conn.read("events", pages[-1].next_cursor))


def test_the_fake_refuses_bounds_with_a_sync_token(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """Google refuses timeMin/timeMax with a sync token, and an empty time range."""
    cursor = list(connector.read("events", None))[-1].next_cursor
    service = connector.api._service
    request = service.events().list(
        calendarId="primary", syncToken=cursor["sync_token"], timeMin="2025-01-01T00:00:00Z"
    )
    with pytest.raises(InvalidRequest):
        connector.api._execute(request)
    request = service.events().list(
        calendarId="primary", timeMin="2025-02-01T00:00:00Z", timeMax="2025-01-01T00:00:00Z"
    )
    with pytest.raises(InvalidRequest):
        connector.api._execute(request)


@pytest.mark.parametrize(
    ("body", "calendar", "accepted"),
    [
        pytest.param({"eventType": "outOfOffice"}, "primary", True, id="ooo-primary"),
        pytest.param({"eventType": "workingLocation"}, TEAM, False, id="wl-secondary"),
        pytest.param({"eventType": "fromGmail"}, "primary", False, id="fromGmail"),
        pytest.param({"eventType": "birthday"}, "primary", False, id="birthday-timed"),
        pytest.param({"recurrence": ["RRULE:FREQ=MONTHLY;BYDAY=MO"]}, "primary", False, id="rr"),
    ],
)
def test_the_fake_checks_event_types_as_google_does(
    fake: FakeGoogleCalendar,
    connector: GoogleCalendarConnector,
    body: dict[str, Any],
    calendar: str,
    accepted: bool,
) -> None:
    """Status events only on primary calendars, birthdays' shape, fromGmail not insertable."""
    fake.add_calendar(TEAM, "Team")
    if accepted:
        assert connector.create(f"events:{calendar}", _payload(**body)).id
    else:
        with pytest.raises(InvalidRequest):
            connector.create(f"events:{calendar}", _payload(**body))


def test_working_location_and_birthday_never_block_out_of_office_does() -> None:
    """The busy rule of the spec, by eventType (focus time blocks: Google shows it busy)."""
    from connectors.google_calendar.sync import is_free

    assert is_free({"eventType": "workingLocation", "transparency": "opaque"})
    assert is_free({"eventType": "birthday"})
    assert not is_free({"eventType": "outOfOffice"})
    assert not is_free({"eventType": "focusTime"})
    assert not is_free({"eventType": "default"})


# ------------------------------------------------------------ quota, pacing, batches, roles


def test_calendar_list_says_writable_and_reads_the_data_owner(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """accessRole reader/freeBusyReader → not writable; a secondary calendar's dataOwner
    comes from calendars.get (Google sets it for secondary calendars only)."""
    fake.add_calendar("boss@example.com", "Boss", access_role="freeBusyReader")
    fake.add_calendar("c0ffee@group.calendar.google.com", "Camion 2", data_owner="jean@example.com")
    calendars = {c["id"]: c for c in connector.list_calendars()}
    assert calendars["boss@example.com"]["writable"] is False
    assert calendars["c0ffee@group.calendar.google.com"]["dataOwner"] == "jean@example.com"
    assert calendars["c0ffee@group.calendar.google.com"]["writable"] is True
    assert fake.calls["calendars.get"] == 1  # only the secondary, writable calendar
    with pytest.raises(InvalidRequest) as info:
        connector.create("events:boss@example.com", _payload())
    assert info.value.status == 403 and info.value.reason == "requiredAccessLevel"


class _Clock:
    """A monotonic clock that sleeping advances (the fake reads the same time)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_fake_enforces_a_per_user_minute_and_the_pacer_stays_within_it() -> None:
    """The fake's budget (here 20 a sliding minute) answers 403 rateLimitExceeded; a connector
    paced at 18 a minute never meets it: it waits instead."""
    clock = _Clock()
    with FakeGoogleCalendar(clock=clock) as fake:
        fake.quota_per_minute = 20
        token = fake.issue_access_token()
        raw = {"api_base_url": fake.api_base_url, "rate_limit_attempts": 1}
        raw["requests_per_minute"] = 0  # unpaced
        with GoogleCalendarConnector(StaticTokenProvider(token), raw) as conn:
            for _ in range(20):
                conn.check()
            with pytest.raises(TransientError) as info:
                conn.check()
        assert info.value.status == 403 and info.value.reason == "rateLimitExceeded"
        clock.now += 61
        paced = {**raw, "requests_per_minute": 18, "monotonic": clock, "sleep": clock.sleep}
        with GoogleCalendarConnector(StaticTokenProvider(token), paced) as conn:
            for _ in range(40):
                conn.check()
        assert fake.quota_refusals == 1 and sum(clock.slept) >= 60


@pytest.mark.parametrize("status", [403, 429])
def test_a_rate_limited_call_is_retried_after_a_jittered_back_off(status: int) -> None:
    """With retries on, a refusal waits (exponential, full jitter) and the call goes again."""
    clock = _Clock()
    with FakeGoogleCalendar(clock=clock) as fake:
        fake.quota_per_minute, fake.quota_status = 2, status
        token = fake.issue_access_token()
        config = {
            "api_base_url": fake.api_base_url,
            "rate_limit_attempts": 30,
            "requests_per_minute": 0,
            "monotonic": clock,
            "sleep": clock.sleep,
        }
        with GoogleCalendarConnector(StaticTokenProvider(token), config) as conn:
            for _ in range(4):
                conn.check()
            assert conn.api.retries >= 1 and sum(clock.slept) > 0
        assert fake.quota_refusals == conn.api.retries


def test_create_many_uses_the_batch_endpoint(
    fake: FakeGoogleCalendar, connector: GoogleCalendarConnector
) -> None:
    """120 inserts: three POST /batch/calendar/v3 (50 calls each at most), each call counted
    by the fake as an events.insert; a 409 (already inserted) returns the existing event."""
    payloads = [_payload(f"event {i}", id=f"ivalid{i:05d}") for i in range(120)]
    connector.create("events", payloads[7])  # already there: answered 409 in its batch
    fake.reset_counters()
    results = connector.create_many("events", payloads)
    assert [getattr(r, "id", None) for r in results] == [p["id"] for p in payloads]
    assert fake.calls["batch"] == 3
    # 120 calls in the batches; the 409 is followed by one events.get, outside any batch
    assert fake.calls["events.insert"] == 120 and fake.calls["events.get"] == 1
    assert len(fake.events()) == 120
