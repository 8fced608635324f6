"""The HTTP exchanges recorded in cassettes/outlook/, one scenario per kind of call.

Each scenario drives only the connector (and msal, through `MsalAuth`), so replaying it
against its cassette — with no server at all — sends exactly the recorded requests. Time is
fixed (delta windows and subscription expirations are computed from it), the fake is seeded,
and the msal flow (state, PKCE verifier, nonce) is fixed, so every request body is stable.
Whatever the remote side must look like beforehand is done by `setup` (recording only), and
"remote user" edits in the middle of a scenario go through `env.remote(...)`, a no-op on replay.

Record (or re-record) with `tests/connectors/record_outlook_cassettes.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msal
import vcr
from vcr.request import Request as VcrRequest

import mappings
from connectors.base import AuthError, CursorExpired, PreconditionFailed, StaticTokenProvider
from connectors.outlook import MsalAuth, OutlookConnector
from connectors.outlook.authority import RedirectingSession
from tests.fakes.graph import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeGraph
from tests.fakes.microsoft_identity import (
    DEFAULT_TENANT_ID,
    PUBLIC_AUTHORITY,
    FakeMicrosoftIdentity,
    nonce_hash,
    s256,
)

CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes" / "outlook"
# Requests are stored (and replayed) as if sent to this base, whatever port the fake had.
FIXED_BASE = "http://127.0.0.1:8766"
NOW = datetime(2025, 1, 20, 8, 0, tzinfo=UTC)
REDIRECT_URI = "https://hub.example/oauth/callback/outlook"
ACCESS_TOKEN = "EwB-cassette-access-token"
APP_TOKEN = "eyJ0eXAi-cassette-app-token"  # application permissions (client credentials)
JEAN_ID = "5b1f0c1e-0000-4000-8000-00000000jean"
JEAN_EMAIL = "jean.martin@company.com"
REFRESH_TOKEN = "0.AQ-cassette-refresh-token"
AUTH_CODE = "0.AQ-cassette-authorization-code"
CODE_VERIFIER = "cassette-code-verifier-0123456789-abcdefghijklmnopqrstuvwxyz"
NONCE = "cassette-nonce"
STATE = "cassette-state"
SCOPES = ["Calendars.ReadWrite", "offline_access", "openid", "profile"]

SAMPLE_APPOINTMENT: dict[str, Any] = {
    "id": "apt_1234567890",
    "customer": {"id": "cust_abc123", "name": "Marie Dupont", "phone": "+33612345678"},
    "service": {"id": "srv_installation", "name": "Installation Climatisation", "duration": 120},
    "technician": {"id": "tech_xyz789", "name": "Jean Martin"},
    "scheduled_at": "2025-01-21T09:00:00Z",
    "duration": 120,
    "status": "confirmed",
    "location": {"address": "15 rue des Lilas", "city": "Paris", "postal_code": "75001"},
    "notes": "Code portail: 1234",
}


@dataclass
class Env:
    """What a scenario may use: the connector, msal, and the fake when recording."""

    connector: OutlookConnector
    base: str
    fake: FakeGraph | None

    def remote(self, change: Callable[[FakeGraph], Any]) -> None:
        """A change made by the remote user between two calls (skipped on replay)."""
        if self.fake is not None:
            change(self.fake)

    def app_auth(self) -> MsalAuth:
        """msal in application mode, in the fake's tenant (client credentials)."""
        return MsalAuth(
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            authority=f"{PUBLIC_AUTHORITY}/{DEFAULT_TENANT_ID}",
            http_client=RedirectingSession({PUBLIC_AUTHORITY: self.base}),
            permissions="application",
        )

    def auth(self, cache: str | None = None) -> MsalAuth:
        """msal for the fixed app registration, its identity calls sent to `base`."""
        return MsalAuth(
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            authority=f"{PUBLIC_AUTHORITY}/common",
            http_client=RedirectingSession({PUBLIC_AUTHORITY: self.base}),
            redirect_uri=REDIRECT_URI,
            cache=cache,
        )


@dataclass(frozen=True)
class Scenario:
    """One cassette: how to prepare the fake, what to run, what the result must be."""

    name: str
    run: Callable[[Env], Any]
    check: Callable[[Any], None]
    setup: Callable[[FakeGraph], None] = lambda fake: None
    page_size: int = 50
    permissions: str = "delegated"


def event_payload() -> dict[str, Any]:
    """The event the hub pushes for the sample appointment (real mapping output)."""
    return mappings.preview(mappings.load("outlook"), SAMPLE_APPOINTMENT)


def _seed(count: int) -> Callable[[FakeGraph], None]:
    def setup(fake: FakeGraph) -> None:
        """Create `count` events on consecutive days."""
        for i in range(count):
            start = NOW + timedelta(days=i + 1)
            fake.user_create(f"Chantier {i}", start, start + timedelta(hours=2))

    return setup


def _expect(error: type[Exception], run: Callable[[Env], Any]) -> Callable[[Env], Any]:
    def wrapped(env: Env) -> Any:
        """Run and return the expected error (fail if none)."""
        try:
            run(env)
        except error as err:
            return err
        raise AssertionError(f"{error.__name__} not raised")

    return wrapped


def _next_link(env: Env) -> Any:
    reader = env.connector.read("events", None)
    first = next(reader)
    reader.close()  # a crash after page 1: resume from the saved nextLink
    return [first, *env.connector.read("events", first.next_cursor)]


def _incremental(env: Env) -> Any:
    full = list(env.connector.read("events", None))
    first, second = (r.id for r in full[0].records)
    env.remote(lambda fake: fake.user_retitle(first, "Chantier déplacé"))
    env.remote(lambda fake: fake.user_delete(second))
    return list(env.connector.read("events", full[-1].next_cursor))


def _full_then_expired(env: Env) -> Any:
    cursor = list(env.connector.read("events", None))[-1].next_cursor
    env.remote(lambda fake: fake.invalidate_delta_tokens())
    list(env.connector.read("events", cursor))


def _patch(env: Env) -> Any:
    created = env.connector.create("events", event_payload())
    moved = {
        "start": {"dateTime": "2025-01-21T14:00:00", "timeZone": "Europe/Paris"},
        "end": {"dateTime": "2025-01-21T16:00:00", "timeZone": "Europe/Paris"},
    }
    updated = env.connector.update("events", created.id, moved, created.etag)
    try:
        env.connector.update("events", created.id, {"subject": "stale"}, created.etag)
    except PreconditionFailed as err:
        return updated, err
    raise AssertionError("412 expected")


def _delete(env: Env) -> Any:
    created = env.connector.create("events", event_payload())
    env.connector.delete("events", created.id, created.etag)
    return created.id


def _get_expanded(env: Env) -> Any:
    created = env.connector.create("events", event_payload())
    return env.connector.get("events", created.id)


def _subscribe(env: Env) -> Any:
    return env.connector.subscribe(
        "events", "https://hub.example/v2/integrations/outlook/notifications", token="s3cret"
    )


def _renew(env: Env) -> Any:
    return env.connector.renew(_subscribe(env), ttl=2 * 86400)


def _unsubscribe(env: Env) -> Any:
    env.connector.unsubscribe(_subscribe(env))


def _reauthorize(env: Env) -> Any:
    env.connector.reauthorize(_subscribe(env))


def _flow() -> dict[str, Any]:
    """The flow msal's initiate_auth_code_flow would return, with fixed secrets."""
    return {
        "state": STATE,
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES,
        "code_verifier": CODE_VERIFIER,
        "nonce": NONCE,
        "claims_challenge": None,
    }


def _exchange(env: Env) -> Any:
    auth = env.auth()
    return auth.complete(_flow(), {"code": AUTH_CODE, "state": STATE})


def seeded_cache() -> str:
    """A cache holding the account and an expired access token (no network: msal's own add)."""
    identity = FakeMicrosoftIdentity(clock=NOW.timestamp)
    cache = msal.SerializableTokenCache()
    cache.add(
        {
            "client_id": DEFAULT_CLIENT_ID,
            "scope": ["Calendars.ReadWrite", "openid", "profile"],
            "token_endpoint": f"{PUBLIC_AUTHORITY}/common/oauth2/v2.0/token",
            "environment": "login.microsoftonline.com",
            "grant_type": "authorization_code",
            "response": {
                "token_type": "Bearer",
                "scope": "Calendars.ReadWrite openid profile",
                "expires_in": 0,
                "access_token": ACCESS_TOKEN,
                "refresh_token": REFRESH_TOKEN,
                "id_token": identity.id_token(DEFAULT_CLIENT_ID, None),
                "client_info": identity.client_info(),
            },
        },
        now=int(NOW.timestamp()),
    )
    return str(cache.serialize())


def _refresh(env: Env) -> Any:
    return env.auth(seeded_cache()).acquire_token()


def _jean(events: int) -> Callable[[FakeGraph], None]:
    def setup(fake: FakeGraph) -> None:
        """Jean's mailbox, with `events` events the hub made (they carry a transactionId)."""
        fake.add_user("Jean Martin", JEAN_EMAIL, user_id=JEAN_ID)
        for i in range(events):
            start = NOW + timedelta(days=i + 1)
            fake.user_create(
                f"Chantier {i}",
                start,
                start + timedelta(hours=2),
                calendar_id=fake.calendar_of(JEAN_ID),
                transactionId=f"cassette-transaction-{i}",
            )

    return setup


def _check_users(calendars: Any) -> None:
    assert {c["id"]: c["owner"] for c in calendars}[JEAN_ID] == JEAN_EMAIL


def _check_mailbox(pages: Any) -> None:
    records = [r for p in pages for r in p.records]
    assert [r.data["subject"] for r in records] == ["Chantier 0", "Chantier 1"]
    assert all(r.data["extendedProperties"] == {} for r in records)


def _check_app_token(token: Any) -> None:
    assert token.access_token and token.refresh_token is None
    assert token.raw["tenant_id"] == DEFAULT_TENANT_ID


def _issue_code(fake: FakeGraph) -> None:
    fake.identity.issue_code(
        code=AUTH_CODE,
        redirect_uri=REDIRECT_URI,
        scope=" ".join(SCOPES),
        code_challenge=s256(CODE_VERIFIER),
        nonce=nonce_hash(NONCE),
    )


def _issue_grant(fake: FakeGraph) -> None:
    fake.identity.issue_grant(refresh_token=REFRESH_TOKEN)


def _issue_revoked(fake: FakeGraph) -> None:
    _issue_grant(fake)
    fake.identity.revoke_refresh_tokens()


def _check_identity(identity: Any) -> None:
    assert identity.email == "fake.user@example.com"


def _check_full(pages: Any) -> None:
    assert [len(p.records) for p in pages] == [2, 1]
    assert [p.done for p in pages] == [False, True]
    assert pages[0].records[0].data["extendedProperties"] == {}


def _check_incremental(pages: Any) -> None:
    assert len(pages) == 1 and pages[0].done
    assert [r.data["subject"] for r in pages[0].records] == ["Chantier déplacé"]
    assert len(pages[0].deleted) == 1


def _check_expired(err: Any) -> None:
    assert err.status == 410 and err.reason == "syncStateNotFound"


def _check_created(record: Any) -> None:
    assert record.data["subject"] == "Installation Climatisation — Marie Dupont" and record.etag
    assert record.data["extendedProperties"]["ivalid_appointment_id"] == "apt_1234567890"


def _check_patched(out: Any) -> None:
    updated, error = out
    assert updated.data["start"] == {"dateTime": "2025-01-21T13:00:00.0000000", "timeZone": "UTC"}
    assert error.status == 412


def _check_expanded(record: Any) -> None:
    props = record.data["extendedProperties"]
    assert props["ivalid_appointment_id"] == "apt_1234567890" and len(props["ivalid_hash"]) == 32


def _check_channel(channel: Any) -> None:
    assert channel.id and channel.token == "s3cret" and channel.expires_at > NOW


def _check_renewed(channel: Any) -> None:
    assert channel.expires_at == NOW + timedelta(days=2)


def _check_token(token: Any) -> None:
    assert token.access_token and "Calendars.ReadWrite" in token.scopes
    assert token.raw["username"] == "fake.user@example.com"


def _check_invalid_grant(err: Any) -> None:
    assert err.reason == "invalid_grant"


def _nothing(result: Any) -> None:
    assert result is None or isinstance(result, str)


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("calendar_get", lambda env: env.connector.check(), _check_identity),
    Scenario(
        "delta_full",
        lambda env: list(env.connector.read("events", None)),
        _check_full,
        setup=_seed(3),
        page_size=2,
    ),
    Scenario("delta_next_link", _next_link, _check_full, setup=_seed(3), page_size=2),
    Scenario("delta_incremental", _incremental, _check_incremental, setup=_seed(2)),
    Scenario("delta_410", _expect(CursorExpired, _full_then_expired), _check_expired, _seed(1)),
    Scenario(
        "events_create",
        lambda env: env.connector.create("events", event_payload()),
        _check_created,
    ),
    Scenario("events_patch_if_match_412", _patch, _check_patched),
    Scenario("events_delete", _delete, _nothing),
    Scenario("events_get_extended_properties", _get_expanded, _check_expanded),
    Scenario("subscription_create", _subscribe, _check_channel),
    Scenario("subscription_renew", _renew, _check_renewed),
    Scenario("subscription_delete", _unsubscribe, _nothing),
    Scenario("subscription_reauthorize", _reauthorize, _nothing),
    Scenario("token_exchange", _exchange, _check_token, setup=_issue_code),
    Scenario("token_refresh", _refresh, _check_token, setup=_issue_grant),
    Scenario(
        "users_list",
        lambda env: env.connector.list_calendars(),
        _check_users,
        setup=_jean(0),
        permissions="application",
    ),
    Scenario(
        "users_delta_batch",
        lambda env: list(env.connector.read(f"events:{JEAN_ID}", None)),
        _check_mailbox,
        setup=_jean(2),
        permissions="application",
    ),
    Scenario(
        "token_client_credentials",
        lambda env: env.app_auth().acquire_token_for_client(),
        _check_app_token,
        setup=lambda fake: fake.identity.grant_admin_consent(),
    ),
    Scenario(
        "token_refresh_invalid_grant",
        _expect(AuthError, _refresh),
        _check_invalid_grant,
        setup=_issue_revoked,
    ),
)


def _fixed_host(request: VcrRequest) -> VcrRequest:
    """Store every request as sent to FIXED_BASE, so cassettes do not depend on the port."""
    scheme_host = f"{request.scheme}://{request.host}:{request.port}"
    if request.uri.startswith(scheme_host):
        request.uri = FIXED_BASE + request.uri[len(scheme_host) :]
    return request


def _response_filter(live_base: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Drop volatile headers; links in bodies (nextLink, deltaLink) point at FIXED_BASE."""

    def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
        """Filter one response before it is written."""
        for name in ("Date", "date", "Server", "server"):
            response["headers"].pop(name, None)
        body = response["body"].get("string")
        if live_base and body:
            if isinstance(body, bytes):
                response["body"]["string"] = body.replace(live_base.encode(), FIXED_BASE.encode())
            else:
                response["body"]["string"] = body.replace(live_base, FIXED_BASE)
        return response

    return before_record_response


def _if_match(r1: VcrRequest, r2: VcrRequest) -> None:
    """Matcher: the conditional-write header is part of what the connector must send."""
    h1, h2 = r1.headers.get("If-Match"), r2.headers.get("If-Match")
    if h1 != h2:
        raise AssertionError(f"If-Match {h1!r} != {h2!r}")


def make_vcr(record_mode: str, live_base: str | None = None) -> vcr.VCR:
    """The cassette configuration shared by recording and replay."""
    config = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR),
        record_mode=record_mode,
        match_on=["method", "path", "query", "body", "if_match"],
        filter_headers=[
            "authorization",
            "user-agent",
            "x-client-sku",
            "x-client-ver",
            "x-client-os",
            "x-client-current-telemetry",
            "x-client-last-telemetry",
            "client-request-id",
        ],
        filter_post_data_parameters=[("client_secret", "FILTERED")],
        before_record_request=_fixed_host,
        before_record_response=_response_filter(live_base),
        decode_compressed_response=True,
    )
    config.register_matcher("if_match", _if_match)
    return config


@contextmanager
def scenario_env(scenario: Scenario, fake: FakeGraph | None) -> Iterator[Env]:
    """Connector and msal aimed at the fake (recording) or at FIXED_BASE (replay)."""
    base = fake.base_url if fake is not None else FIXED_BASE
    config = {
        "api_base_url": base + "/v1.0",
        "page_size": scenario.page_size,
        "permissions": scenario.permissions,
    }
    app = scenario.permissions == "application"
    tokens = StaticTokenProvider(APP_TOKEN if app else ACCESS_TOKEN)
    with OutlookConnector(tokens, config, clock=lambda: NOW) as connector:
        yield Env(connector, base, fake)


def _fake() -> FakeGraph:
    fake = FakeGraph(seed=0, clock=NOW.timestamp, validate_endpoints=False)
    fake.issue_access_token(token=ACCESS_TOKEN)
    fake.identity.issue_app_token(token=APP_TOKEN)
    return fake


def run_against_fake(scenario: Scenario) -> Any:
    """Run a scenario live against a fresh fake (no cassette); returns its result."""
    with _fake() as fake:
        scenario.setup(fake)
        with scenario_env(scenario, fake) as env:
            result = scenario.run(env)
    scenario.check(result)
    return result


def record(scenario: Scenario, record_mode: str = "once") -> Any:
    """Run a scenario against a fresh fake, recording its cassette; returns its result."""
    with _fake() as fake:
        scenario.setup(fake)
        with (
            scenario_env(scenario, fake) as env,
            make_vcr(record_mode, fake.base_url).use_cassette(f"{scenario.name}.yaml"),
        ):
            result = scenario.run(env)
    scenario.check(result)
    return result
