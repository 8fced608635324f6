"""The Zoho connector's kinds of call, each as a scenario recorded to cassettes/zoho/.

A scenario runs against the fake when recording (tests/connectors/record_zoho_cassettes.py)
and against the cassette alone when replaying (test_zoho_cassettes.py), with the same pinned
clock, tokens and codes, so what the connector sends must match byte for byte.
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

from connectors.base import RateLimited, StaticTokenProvider
from connectors.zoho import ZohoConnector
from connectors.zoho.const import SCOPES
from connectors.zoho.datacentres import DataCentres
from connectors.zoho.oauth import ZohoOAuth
from hub.clock import ManualClock
from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeZoho
from tests.fakes.zoho_accounts import Access, Grant, _Code

CASSETTE_DIR = Path(__file__).resolve().parents[2] / "cassettes" / "zoho"
FIXED_BASE = "http://127.0.0.1:8766"
REDIRECT_URI = "https://hub.example/v2/integrations/zoho/callback"
ACCESS_TOKEN = "1000.cassette-access-token"
REFRESH_TOKEN = "1000.cassette-refresh-token"
AUTH_CODE = "1000.cassette-authorization-code"
STATE = "cassette-state"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class Env:
    """What a scenario uses: the connector, the OAuth client, the data centre, the fake."""

    connector: ZohoConnector
    oauth: ZohoOAuth
    centres: DataCentres
    fake: FakeZoho | None
    base: str


@dataclass
class Scenario:
    """One kind of call: fake state to set up, the calls, and a check of what came back."""

    name: str
    run: Callable[[Env], Any]
    check: Callable[[Any], None]
    setup: Callable[[FakeZoho, ManualClock], None] = lambda fake, clock: None
    page_size: int = 200


def _seed(count: int) -> Callable[[FakeZoho, ManualClock], None]:
    def setup(fake: FakeZoho, clock: ManualClock) -> None:
        for i in range(count):
            fake.store("us").create("Contacts", Last_Name=f"Nom{i}", Email=f"c{i}@example.fr")
            clock.advance(timedelta(seconds=1))

    return setup


def _incremental_setup(fake: FakeZoho, clock: ManualClock) -> None:
    _seed(3)(fake, clock)
    store = fake.store("us")
    ids = sorted(store.modules["Contacts"].records)
    clock.advance(timedelta(seconds=60))
    store.touch("Contacts", ids[1], First_Name="Édité")
    store.remove("Contacts", ids[2])


INCREMENTAL_CURSOR = {
    "phase": "records",
    "since": "2026-03-02T09:00:02+00:00",
    "seen": {},
    "high": None,
    "high_seen": {},
    "page": 1,
    "page_token": None,
    "del_since": "2026-03-02T09:00:02+00:00",
    "del_seen": [],
}


def _mint_limit_setup(fake: FakeZoho, clock: ManualClock) -> None:
    fake.accounts.grants[REFRESH_TOKEN].minted = [clock.now().timestamp()] * 10


def _expect_rate_limited(call: Callable[[], Any]) -> Any:
    try:
        call()
    except RateLimited as err:
        return err
    raise AssertionError("expected RateLimited")


SCENARIOS: list[Scenario] = [
    Scenario(
        "oauth_token_exchange",
        lambda env: env.oauth.exchange(
            {"code": AUTH_CODE, "location": "us", "accounts-server": env.base, "state": STATE},
            STATE,
        ),
        lambda grant: None if grant.token.refresh_token and grant.api_domain else 1 / 0,
    ),
    Scenario(
        "oauth_refresh",
        lambda env: env.oauth.refresh(env.centres.get("us"), REFRESH_TOKEN),
        lambda token: None if token.access_token else 1 / 0,
    ),
    Scenario(
        "oauth_refresh_mint_limit",
        lambda env: _expect_rate_limited(
            lambda: env.oauth.refresh(env.centres.get("us"), REFRESH_TOKEN)
        ),
        lambda err: None if err.retry_after == 600 else 1 / 0,
        setup=_mint_limit_setup,
    ),
    Scenario(
        "oauth_revoke",
        lambda env: env.oauth.revoke(env.centres.get("us"), REFRESH_TOKEN),
        lambda result: None,
    ),
    Scenario(
        "records_list_full",
        lambda env: list(env.connector.read("contacts", None)),
        lambda pages: None if sum(len(p.records) for p in pages) == 3 else 1 / 0,
        setup=_seed(3),
        page_size=2,
    ),
    Scenario(
        "records_list_incremental",
        lambda env: list(env.connector.read("contacts", INCREMENTAL_CURSOR)),
        lambda pages: (
            None
            if [len(p.records) for p in pages] == [1, 0] and len(pages[-1].deleted) == 1
            else 1 / 0
        ),
        setup=_incremental_setup,
    ),
    Scenario(
        "records_upsert_multi_status",
        lambda env: env.connector.upsert_many(
            "contacts",
            [
                {"Last_Name": "Dupont", "Email": "c0@example.fr", "Phone": "+33123456789"},
                {"Email": "sans-nom@example.fr"},
            ],
        ),
        lambda results: None if [r.ok for r in results] == [True, False] else 1 / 0,
        setup=_seed(1),
    ),
    Scenario(
        "record_update",
        lambda env: env.connector.update(
            "contacts", "5725767000000400000", {"First_Name": "Anne"}, None
        ),
        lambda record: None,
        setup=_seed(1),
    ),
    Scenario(
        "records_delete",
        lambda env: env.connector.delete("contacts", "5725767000000400000", None),
        lambda result: None,
        setup=_seed(1),
    ),
    Scenario(
        "fields_metadata",
        lambda env: env.connector.custom_fields("contacts"),
        lambda fields: None if [f["api_name"] for f in fields] == ["Numero_Client"] else 1 / 0,
        setup=lambda fake, clock: fake.store("us").add_custom_field("Contacts", "Numero_Client"),
    ),
    Scenario(
        "users_current",
        lambda env: env.connector.check(),
        lambda identity: None if identity.id else 1 / 0,
    ),
    Scenario(
        "watch_enable",
        lambda env: env.connector.subscribe(
            "contacts",
            REDIRECT_URI.replace("callback", "notifications"),
            channel_id="1000000068001",
            token="cassette-channel-token",
        ),
        lambda channel: None if channel.expires_at else 1 / 0,
    ),
    Scenario(
        "watch_disable",
        lambda env: env.connector.api.disable_watch(["1000000068001"]),
        lambda result: None,
    ),
    Scenario(
        "records_429",
        lambda env: _expect_rate_limited(lambda: env.connector.check()),
        lambda err: None if err.retry_after == 30 else 1 / 0,
        setup=lambda fake, clock: fake.inject_fault(
            429, "TOO_MANY_REQUESTS", headers={"Retry-After": "30"}
        ),
    ),
]


def _fixed_host(request: VcrRequest) -> VcrRequest:
    """Store every request as sent to FIXED_BASE, whatever port the fake had."""
    scheme_host = f"{request.scheme}://{request.host}:{request.port}"
    if request.uri.startswith(scheme_host):
        request.uri = FIXED_BASE + request.uri[len(scheme_host) :]
    return request


def _volatile(real_base: str | None) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Drop changing headers, and write the fake's address in bodies as FIXED_BASE."""

    def clean(response: dict[str, Any]) -> dict[str, Any]:
        for name in ("Date", "date", "Server", "server"):
            response["headers"].pop(name, None)
        body = response.get("body", {}).get("string")
        if real_base and isinstance(body, bytes):
            response["body"]["string"] = body.replace(real_base.encode(), FIXED_BASE.encode())
        return response

    return clean


def _if_modified_since(r1: VcrRequest, r2: VcrRequest) -> None:
    """Matcher: the incremental header is part of what the connector must send."""
    h1, h2 = r1.headers.get("If-Modified-Since"), r2.headers.get("If-Modified-Since")
    if h1 != h2:
        raise AssertionError(f"If-Modified-Since {h1!r} != {h2!r}")


def make_vcr(record_mode: str, real_base: str | None = None) -> vcr.VCR:
    """The cassette configuration shared by recording and replay."""
    config = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR),
        record_mode=record_mode,
        match_on=["method", "path", "query", "body", "if_modified_since"],
        filter_headers=["authorization", "user-agent"],
        filter_post_data_parameters=[("client_secret", "FILTERED")],
        before_record_request=_fixed_host,
        before_record_response=_volatile(real_base),
        decode_compressed_response=True,
    )
    config.register_matcher("if_modified_since", _if_modified_since)
    return config


@contextmanager
def scenario_env(scenario: Scenario, fake: FakeZoho | None, clock: ManualClock) -> Iterator[Env]:
    """Connector and OAuth client aimed at the fake (recording) or at FIXED_BASE (replay)."""
    base = fake.base("us") if fake is not None else FIXED_BASE
    table = {"us": {"accounts_server": base, "api_domain": base}}
    centres = DataCentres.from_config(table)
    oauth = ZohoOAuth(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, REDIRECT_URI, data_centres=centres)
    config = {
        "location": "us",
        "api_domain": base,
        "data_centres": table,
        "page_size": scenario.page_size,
    }
    with ZohoConnector(StaticTokenProvider(ACCESS_TOKEN), config, clock=clock.now) as connector:
        yield Env(connector, oauth, centres, fake, base)


def _prime(fake: FakeZoho, clock: ManualClock) -> None:
    """Fixed tokens and code, so recorded requests are the same on every run."""
    scope = ",".join(SCOPES)
    now = clock.now().timestamp()
    fake.accounts.grants[REFRESH_TOKEN] = Grant(DEFAULT_CLIENT_ID, "us", scope)
    fake.accounts.access[ACCESS_TOKEN] = Access("us", scope, now + 3600, REFRESH_TOKEN)
    fake.accounts.codes[AUTH_CODE] = _Code(
        DEFAULT_CLIENT_ID, "us", REDIRECT_URI, scope, True, now + 120
    )


def record(scenario: Scenario) -> None:
    """Run `scenario` against a fresh fake and write its cassette."""
    clock = ManualClock(START)
    with FakeZoho(("us",), now=clock.now) as fake:
        _prime(fake, clock)
        scenario.setup(fake, clock)
        path = CASSETTE_DIR / f"{scenario.name}.yaml"
        path.unlink(missing_ok=True)
        with (
            make_vcr("all", fake.base("us")).use_cassette(path.name),
            scenario_env(scenario, fake, clock) as env,
        ):
            scenario.check(scenario.run(env))


def replay(scenario: Scenario) -> Any:
    """Run `scenario` against its cassette only (no server); returns what it returned."""
    clock = ManualClock(START)
    with (
        make_vcr("none").use_cassette(f"{scenario.name}.yaml") as cassette,
        scenario_env(scenario, None, clock) as env,
    ):
        result = scenario.run(env)
        assert cassette.all_played, f"{scenario.name}: not every recorded request was sent"
    scenario.check(result)
    return result
