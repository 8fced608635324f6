"""Replay cassettes/zoho/ with no server: what the Zoho connector sends must not drift.

Matching is on method, path, query, body and If-Modified-Since; re-record with
tests/connectors/record_zoho_cassettes.py and review the diff.
"""

from __future__ import annotations

import pytest

from tests.connectors.zoho_scenarios import CASSETTE_DIR, SCENARIOS, Scenario, replay


@pytest.fixture(autouse=True)
def _plain_http_oauth(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_every_scenario_has_a_cassette() -> None:
    """One cassette per kind of call."""
    for scenario in SCENARIOS:
        assert (CASSETTE_DIR / f"{scenario.name}.yaml").is_file(), scenario.name


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_replay_without_server(scenario: Scenario) -> None:
    """The scenario sends exactly the recorded requests and understands the answers."""
    replay(scenario)
