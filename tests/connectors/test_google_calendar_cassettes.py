"""Replay cassettes/google_calendar/ with no server: the connector's requests must not drift.

Matching is on method, path, query, body and If-Match (not host or port), so a change in what
the connector sends — a parameter, a header, a field of the body — fails here. Re-record with
tests/connectors/record_cassettes.py and review the diff.
"""

from __future__ import annotations

import pytest
from vcr.errors import CannotOverwriteExistingCassetteException

from tests.connectors.google_calendar_scenarios import (
    CASSETTE_DIR,
    SCENARIOS,
    Scenario,
    event_payload,
    make_vcr,
    run_against_fake,
    scenario_env,
)

KINDS = {
    "events.list full": "events_list_full",
    "events.list incremental": "events_list_incremental",
    "events.list 410": "events_list_410",
    "events.insert": "events_insert",
    "events.patch": "events_patch",
    "events.delete": "events_delete",
    "events.watch": "events_watch",
    "channels.stop": "channels_stop",
    "calendarList.get": "calendar_list_get",
    "token exchange": "oauth_token_exchange",
    "refresh": "oauth_refresh",
    "refresh invalid_grant": "oauth_refresh_invalid_grant",
    "revoke": "oauth_revoke",
}


@pytest.fixture(autouse=True)
def _plain_http_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_every_kind_of_call_has_a_cassette() -> None:
    """One cassette per kind of call the connector makes."""
    names = {s.name for s in SCENARIOS}
    assert set(KINDS.values()) <= names
    for name in names:
        assert (CASSETTE_DIR / f"{name}.yaml").is_file(), f"record {name}: see record_cassettes.py"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replay_without_server(scenario: Scenario) -> None:
    """The scenario sends exactly the recorded requests, in order, and understands the answers."""
    with (
        make_vcr("none").use_cassette(f"{scenario.name}.yaml") as cassette,
        scenario_env(scenario, None) as env,
    ):
        result = scenario.run(env)
    assert cassette.all_played, "the connector made fewer calls than recorded"
    scenario.check(result)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_live_against_fake(scenario: Scenario) -> None:
    """The same scenarios pass against the fake itself (cassettes can be re-recorded)."""
    run_against_fake(scenario)


def test_a_changed_request_fails_the_replay() -> None:
    """Sending another body than the recorded one is caught."""
    scenario = next(s for s in SCENARIOS if s.name == "events_insert")
    payload = {**event_payload(), "summary": "something else"}
    with (
        make_vcr("none").use_cassette(f"{scenario.name}.yaml"),
        scenario_env(scenario, None) as env,
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        env.connector.create("events", payload)
