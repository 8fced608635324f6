"""Replay cassettes/stripe/ with no server: the requests the hub sends Stripe must not drift.

Matching is on method, path, query, body, Idempotency-Key and Stripe-Account (not host or
port). Re-record with tests/connectors/record_stripe_cassettes.py and review the diff.
"""

from __future__ import annotations

import pytest
from vcr.errors import CannotOverwriteExistingCassetteException

from connectors.base import TransientError
from tests.connectors.stripe_scenarios import (
    CASSETTE_DIR,
    SCENARIOS,
    SESSION,
    Scenario,
    make_vcr,
    scenario_env,
)


def test_every_scenario_has_a_cassette() -> None:
    for scenario in SCENARIOS:
        path = CASSETTE_DIR / f"{scenario.name}.yaml"
        assert path.is_file(), f"record {scenario.name}: see record_stripe_cassettes.py"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replay_without_server(scenario: Scenario) -> None:
    """The scenario sends exactly the recorded requests, in order, and understands the answers."""
    with make_vcr("none").use_cassette(f"{scenario.name}.yaml") as cassette:
        with scenario_env(None) as env:
            result = scenario.run(env)
        assert cassette.all_played
    assert scenario.check(result) is not False


def test_a_changed_request_does_not_match() -> None:
    """Drift fails: the same call with another amount finds no recorded answer."""
    changed = {**SESSION, "line_items": [{**SESSION["line_items"][0], "quantity": 2}]}
    with (
        make_vcr("none").use_cassette("checkout_session_create.yaml"),
        scenario_env(None) as env,
        pytest.raises(TransientError) as caught,  # stripe-python: a connection error
    ):
        env.own.create_session(changed, "ivalid:pay_1:session:1")
    assert isinstance(caught.value.__cause__.__cause__, CannotOverwriteExistingCassetteException)
