"""Replay cassettes/outlook/ with no server: the connector's and msal's requests must not drift.

Matching is on method, path, query, body and If-Match (not host or port), so a change in what
is sent — a parameter, a header, a field of the body, msal's token request — fails here.
Re-record with tests/connectors/record_outlook_cassettes.py and review the diff.
"""

from __future__ import annotations

import pytest
import yaml
from vcr.errors import CannotOverwriteExistingCassetteException

from tests.connectors.outlook_scenarios import (
    CASSETTE_DIR,
    SCENARIOS,
    Scenario,
    event_payload,
    make_vcr,
    run_against_fake,
    scenario_env,
)

KINDS = {
    "delta full": "delta_full",
    "delta with deltaLink": "delta_incremental",
    "nextLink page": "delta_next_link",
    "410": "delta_410",
    "create": "events_create",
    "patch with If-Match, 412": "events_patch_if_match_412",
    "delete": "events_delete",
    "extended properties read back": "events_get_extended_properties",
    "subscription create": "subscription_create",
    "subscription renew": "subscription_renew",
    "subscription delete": "subscription_delete",
    "subscription reauthorize": "subscription_reauthorize",
    "calendar get": "calendar_get",
    "token exchange": "token_exchange",
    "token refresh": "token_refresh",
    "token refresh invalid_grant": "token_refresh_invalid_grant",
    "users list (application)": "users_list",
    "a user's calendarView delta and $batch (application)": "users_delta_batch",
    "client credentials": "token_client_credentials",
}


def test_every_kind_of_call_has_a_cassette() -> None:
    """One cassette per kind of call the connector (and msal) makes."""
    names = {s.name for s in SCENARIOS}
    assert set(KINDS.values()) == names
    for name in names:
        path = CASSETTE_DIR / f"{name}.yaml"
        assert path.is_file(), f"record {name}: see record_outlook_cassettes.py"


def test_cassettes_hold_no_secrets() -> None:
    """Authorization headers and the client secret were filtered before writing."""
    for path in CASSETTE_DIR.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for interaction in data["interactions"]:
            request = interaction["request"]
            assert "authorization" not in {k.lower() for k in request["headers"]}, path.name
            assert "fake~client~secret" not in str(request.get("body") or ""), path.name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replay_without_server(scenario: Scenario) -> None:
    """The scenario sends exactly the recorded requests, in order, and understands the answers."""
    with (
        make_vcr("none").use_cassette(f"{scenario.name}.yaml") as cassette,
        scenario_env(scenario, None) as env,
    ):
        result = scenario.run(env)
    assert cassette.all_played, "fewer calls were made than recorded"
    scenario.check(result)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_live_against_fake(scenario: Scenario) -> None:
    """The same scenarios pass against the fake itself (cassettes can be re-recorded)."""
    run_against_fake(scenario)


def test_a_changed_request_fails_the_replay() -> None:
    """Sending another body than the recorded one is caught."""
    scenario = next(s for s in SCENARIOS if s.name == "events_create")
    payload = {**event_payload(), "subject": "something else"}
    with (
        make_vcr("none").use_cassette(f"{scenario.name}.yaml"),
        scenario_env(scenario, None) as env,
        pytest.raises(CannotOverwriteExistingCassetteException),
    ):
        env.connector.create("events", payload)
