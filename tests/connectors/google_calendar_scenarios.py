"""The HTTP exchanges recorded in cassettes/google_calendar/, one scenario per kind of call.

Each scenario drives only the connector (and its OAuth client), so replaying it against its
cassette — with no server at all — sends exactly the recorded requests. Whatever the remote
side must look like beforehand is done by `setup` (recording only), and "remote user" edits in
the middle of a scenario go through `env.remote(...)`, a no-op on replay.

Record (or re-record) with `tests/connectors/record_cassettes.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import vcr
from vcr.request import Request as VcrRequest

import mappings
from connectors.base import (
    AuthError,
    CursorExpired,
    OAuth2Client,
    PreconditionFailed,
    StaticTokenProvider,
)
from connectors.google_calendar import GoogleCalendarConnector
from tests.fakes.google_calendar import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SCOPE,
    FakeGoogleCalendar,
)
from tests.fakes.google_oauth import s256

CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes" / "google_calendar"
# Requests are stored (and replayed) as if sent to this base, whatever port the fake had.
FIXED_BASE = "http://127.0.0.1:8765"
REDIRECT_URI = "https://hub.example/v2/integrations/google-calendar/callback"
ACCESS_TOKEN = "ya29.cassette-access-token"
REFRESH_TOKEN = "1//0g-cassette-refresh-token"
AUTH_CODE = "4/0A-cassette-authorization-code"
CODE_VERIFIER = "cassette-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"

SAMPLE_APPOINTMENT: dict[str, Any] = {
    "id": "apt_1234567890",
    "customer": {
        "id": "cust_abc123",
        "name": "Marie Dupont",
        "email": "marie@example.com",
        "phone": "+33612345678",
    },
    "service": {
        "id": "srv_installation",
        "name": "Installation Climatisation",
        "duration": 120,
        "price": 150.0,
    },
    "technician": {"id": "tech_xyz789", "name": "Jean Martin"},
    "scheduled_at": "2025-01-20T09:00:00Z",
    "duration": 120,
    "status": "confirmed",
    "location": {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"},
    "notes": "Code portail: 1234",
}


@dataclass
class Env:
    """What a scenario may use: the connector, the OAuth client, and the fake when recording."""

    connector: GoogleCalendarConnector
    oauth: OAuth2Client
    fake: FakeGoogleCalendar | None

    def remote(self, change: Callable[[FakeGoogleCalendar], Any]) -> None:
        """A change made by the remote user between two calls (skipped on replay)."""
        if self.fake is not None:
            change(self.fake)


@dataclass(frozen=True)
class Scenario:
    """One cassette: how to prepare the fake, what to run, what the result must be."""

    name: str
    run: Callable[[Env], Any]
    check: Callable[[Any], None]
    setup: Callable[[FakeGoogleCalendar], None] = lambda fake: None
    page_size: int = 250


def event_payload() -> dict[str, Any]:
    """The event the hub pushes for the sample appointment (real mapping output)."""
    return mappings.preview(mappings.load("google_calendar"), SAMPLE_APPOINTMENT)


def _seed(count: int) -> Callable[[FakeGoogleCalendar], None]:
    def setup(fake: FakeGoogleCalendar) -> None:
        base = datetime(2025, 1, 20, 8, tzinfo=UTC)
        for i in range(count):
            start = base + timedelta(days=i)
            fake.user_create(f"Chantier {i}", start, start + timedelta(hours=2))

    return setup


def _expect(error: type[Exception], run: Callable[[Env], Any]) -> Callable[[Env], Any]:
    def wrapped(env: Env) -> Any:
        try:
            run(env)
        except error as err:
            return err
        raise AssertionError(f"{error.__name__} not raised")

    return wrapped


def _incremental(env: Env) -> Any:
    full = list(env.connector.read("events", None))
    first, second = (r.id for r in full[0].records)
    env.remote(lambda fake: fake.user_retitle(first, "Chantier déplacé"))
    env.remote(lambda fake: fake.user_delete(second))
    return list(env.connector.read("events", full[-1].next_cursor))


def _check_incremental(pages: Any) -> None:
    assert len(pages) == 1 and pages[0].done
    assert [r.data["summary"] for r in pages[0].records] == ["Chantier déplacé"]
    assert len(pages[0].deleted) == 1


def _full_then_expired(env: Env) -> Any:
    cursor = list(env.connector.read("events", None))[-1].next_cursor
    env.remote(lambda fake: fake.invalidate_sync_tokens())
    list(env.connector.read("events", cursor))


def _patch(env: Env) -> Any:
    created = env.connector.create("events", event_payload())
    moved = {"start": {"dateTime": "2025-01-20T14:00:00+01:00", "timeZone": "Europe/Paris"}}
    moved["end"] = {"dateTime": "2025-01-20T16:00:00+01:00", "timeZone": "Europe/Paris"}
    updated = env.connector.update("events", created.id, moved, created.etag)
    try:
        env.connector.update("events", created.id, {"summary": "stale"}, created.etag)
    except PreconditionFailed as err:
        return updated, err
    raise AssertionError("412 expected")


def _delete(env: Env) -> Any:
    created = env.connector.create("events", event_payload())
    env.connector.delete("events", created.id, created.etag)
    return created.id


def _watch(env: Env) -> Any:
    return env.connector.subscribe(
        "events",
        "https://hub.example/push/google",
        channel_id="chan-cassette",
        token="tok",
        ttl=3600,
    )


def _stop(env: Env) -> Any:
    env.connector.unsubscribe(_watch(env))


def _issue_code(fake: FakeGoogleCalendar) -> None:
    fake.oauth.issue_code(
        code=AUTH_CODE, redirect_uri=REDIRECT_URI, scope=SCOPE, code_challenge=s256(CODE_VERIFIER)
    )


def _issue_tokens(fake: FakeGoogleCalendar) -> None:
    fake.oauth.issue_tokens(scope=SCOPE, refresh_token=REFRESH_TOKEN)


def _issue_revoked(fake: FakeGoogleCalendar) -> None:
    _issue_tokens(fake)
    fake.oauth.revoke_refresh_tokens()


def _check_identity(identity: Any) -> None:
    assert identity.email == "fake.user@example.com"


def _check_full(pages: Any) -> None:
    assert [len(p.records) for p in pages] == [2, 1]
    assert [p.done for p in pages] == [False, True]


def _check_expired(err: Any) -> None:
    assert err.reason == "fullSyncRequired"


def _check_inserted(record: Any) -> None:
    assert record.data["summary"] == "Installation Climatisation — Marie Dupont" and record.etag
    assert record.data["extendedProperties"]["private"]["ivalid_appointment_id"] == "apt_1234567890"


def _check_patched(out: Any) -> None:
    updated, error = out
    assert updated.data["start"]["dateTime"] == "2025-01-20T14:00:00+01:00"
    assert error.status == 412


def _check_channel(channel: Any) -> None:
    assert channel.id == "chan-cassette" and channel.resource_id and channel.expires_at


def _check_exchanged(token: Any) -> None:
    assert token.refresh_token and token.scopes == (SCOPE,)


def _check_refreshed(token: Any) -> None:
    assert token.access_token and token.refresh_token == REFRESH_TOKEN


def _check_invalid_grant(err: Any) -> None:
    assert err.reason == "invalid_grant"


def _nothing(result: Any) -> None:
    assert result is None or isinstance(result, str)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("calendar_list_get", lambda env: env.connector.check(), _check_identity),
    Scenario(
        "events_list_full",
        lambda env: list(env.connector.read("events", None)),
        _check_full,
        setup=_seed(3),
        page_size=2,
    ),
    Scenario("events_list_incremental", _incremental, _check_incremental, setup=_seed(2)),
    Scenario(
        "events_list_410", _expect(CursorExpired, _full_then_expired), _check_expired, _seed(1)
    ),
    Scenario(
        "events_insert",
        lambda env: env.connector.create("events", event_payload()),
        _check_inserted,
    ),
    Scenario("events_patch", _patch, _check_patched),
    Scenario("events_delete", _delete, _nothing),
    Scenario("events_watch", _watch, _check_channel),
    Scenario("channels_stop", _stop, _nothing),
    Scenario(
        "oauth_token_exchange",
        lambda env: env.oauth.exchange_code(AUTH_CODE, CODE_VERIFIER),
        _check_exchanged,
        setup=_issue_code,
    ),
    Scenario(
        "oauth_refresh",
        lambda env: env.oauth.refresh(REFRESH_TOKEN),
        _check_refreshed,
        setup=_issue_tokens,
    ),
    Scenario(
        "oauth_refresh_invalid_grant",
        _expect(AuthError, lambda env: env.oauth.refresh(REFRESH_TOKEN)),
        _check_invalid_grant,
        setup=_issue_revoked,
    ),
    Scenario("oauth_revoke", lambda env: env.oauth.revoke(REFRESH_TOKEN), _nothing, _issue_tokens),
)


def _fixed_host(request: VcrRequest) -> VcrRequest:
    """Store every request as sent to FIXED_BASE, so cassettes do not depend on the port."""
    scheme_host = f"{request.scheme}://{request.host}:{request.port}"
    if request.uri.startswith(scheme_host):
        request.uri = FIXED_BASE + request.uri[len(scheme_host) :]
    return request


def _drop_volatile_headers(response: dict[str, Any]) -> dict[str, Any]:
    for name in ("Date", "date", "Server", "server"):
        response["headers"].pop(name, None)
    return response


def _if_match(r1: VcrRequest, r2: VcrRequest) -> None:
    """Matcher: the conditional-write header is part of what the connector must send."""
    h1, h2 = r1.headers.get("If-Match"), r2.headers.get("If-Match")
    if h1 != h2:
        raise AssertionError(f"If-Match {h1!r} != {h2!r}")


def make_vcr(record_mode: str) -> vcr.VCR:
    """The cassette configuration shared by recording and replay."""
    config = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR),
        record_mode=record_mode,
        match_on=["method", "path", "query", "body", "if_match"],
        filter_headers=["authorization", "user-agent", "x-goog-api-client"],
        filter_post_data_parameters=[("client_secret", "FILTERED")],
        before_record_request=_fixed_host,
        before_record_response=_drop_volatile_headers,
        decode_compressed_response=True,
    )
    config.register_matcher("if_match", _if_match)
    return config


@contextmanager
def scenario_env(scenario: Scenario, fake: FakeGoogleCalendar | None) -> Iterator[Env]:
    """Connector and OAuth client aimed at the fake (recording) or at FIXED_BASE (replay)."""
    base = fake.base_url if fake is not None else FIXED_BASE
    config = {
        "api_base_url": base + "/calendar/v3/",
        "page_size": scenario.page_size,
        "now": lambda: datetime(2025, 1, 15, 12, tzinfo=UTC),  # the app clock (window)
    }
    endpoints = {
        "authorize_url": base + "/o/oauth2/v2/auth",
        "token_url": base + "/token",
        "revoke_url": base + "/revoke",
    }
    oauth = GoogleCalendarConnector.oauth_client(
        DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, **endpoints
    )
    with GoogleCalendarConnector(StaticTokenProvider(ACCESS_TOKEN), config) as connector:
        yield Env(connector, oauth, fake)


def run_against_fake(scenario: Scenario) -> Any:
    """Run a scenario live against a fresh fake (no cassette); returns its result."""
    with FakeGoogleCalendar(seed=0) as fake:
        fake.issue_access_token(token=ACCESS_TOKEN)
        scenario.setup(fake)
        with scenario_env(scenario, fake) as env:
            result = scenario.run(env)
    scenario.check(result)
    return result


def record(scenario: Scenario, record_mode: str = "once") -> Any:
    """Run a scenario against a fresh fake, recording its cassette; returns its result."""
    with FakeGoogleCalendar(seed=0) as fake:
        fake.issue_access_token(token=ACCESS_TOKEN)
        scenario.setup(fake)
        with (
            scenario_env(scenario, fake) as env,
            make_vcr(record_mode).use_cassette(f"{scenario.name}.yaml"),
        ):
            result = scenario.run(env)
    scenario.check(result)
    return result
