"""Outlook's per-mailbox limits: 4 concurrent requests, 10,000 per 10 minutes (Graph's
throttling guidance). The fake enforces both (429 + Retry-After); the connector paces itself."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests

from connectors.base import RateLimited, StaticTokenProvider
from connectors.outlook.api import GraphApi, MailboxPacer
from tests.fakes.graph import FakeGraph

pytest_plugins = ["tests.connectors.outlook_fixtures"]


def _event(graph: FakeGraph) -> str:
    return str(graph.user_create("x", "2030-01-01T09:00:00", "2030-01-01T10:00:00")["id"])


def _in_threads(count: int, work: Callable[[], object]) -> list[object]:
    results: list[object] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            outcome: object = work()
        except Exception as err:
            outcome = err
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def test_the_fake_refuses_a_fifth_concurrent_request(graph: FakeGraph) -> None:
    """Eight requests at once on one mailbox: beyond four, 429 MailboxConcurrency."""
    event_id = _event(graph)
    graph.latency = 0.3
    token = graph.issue_access_token()
    url = f"{graph.api_base_url}/me/events/{event_id}"

    def get() -> int:
        headers = {"Authorization": f"Bearer {token}"}
        resp = requests.get(url, headers=headers, timeout=10)
        if resp.status_code == 429:
            assert resp.headers["Retry-After"] == "1"
            assert "MailboxConcurrency" in resp.json()["error"]["message"]
        return resp.status_code

    statuses = _in_threads(8, get)
    assert statuses.count(200) >= 4 and 429 in statuses
    assert graph.throttled["concurrency"] == statuses.count(429)


def test_the_connector_never_sends_more_than_four_at_once(graph: FakeGraph) -> None:
    """Eight threads sharing one connector's API: its pacer holds the fifth back."""
    event_id = _event(graph)
    graph.latency = 0.2
    api = GraphApi(StaticTokenProvider(graph.issue_access_token()), api_base_url=graph.api_base_url)
    results = _in_threads(8, lambda: api.get_event(None, event_id, ()))
    api.close()
    assert all(isinstance(r, dict) for r in results), results
    assert graph.throttled == {} and graph.peak_in_flight[graph.user_id] == 4


class _Time:
    """A clock both the fake and the pacer read; sleeping moves it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_fake_enforces_the_ten_minute_budget(graph: FakeGraph) -> None:
    """Past the budget (10,000; lowered here to 5): 429 with the seconds until room is made."""
    clock = _Time()
    graph.clock = graph.store.clock = lambda: clock.now
    event_id = _event(graph)
    graph.mailbox_budget = 5
    api = GraphApi(
        StaticTokenProvider(graph.issue_access_token()),
        api_base_url=graph.api_base_url,
        pacer=MailboxPacer(10_000),  # no pacing: the fake says no
    )
    for _ in range(5):
        api.get_event(None, event_id, ())
        clock.now += 10
    with pytest.raises(RateLimited) as info:
        api.get_event(None, event_id, ())
    assert info.value.retry_after == 600 - 50 + 1
    assert graph.throttled["budget"] == 1
    api.close()


def test_the_connector_paces_itself_within_the_budget(graph: FakeGraph) -> None:
    """With the same budget on its side, the connector waits instead of being throttled;
    a $batch counts one request per member."""
    clock = _Time()
    graph.clock = graph.store.clock = lambda: clock.now
    ids = [_event(graph) for _ in range(3)]
    graph.mailbox_budget = 5
    pacer = MailboxPacer(5, clock=lambda: clock.now, sleep=clock.sleep)
    api = GraphApi(
        StaticTokenProvider(graph.issue_access_token()),
        api_base_url=graph.api_base_url,
        pacer=pacer,
        sleep=clock.sleep,
    )
    for _ in range(4):
        api.get_event(None, ids[0], ())
    fetched = api.get_events(None, ids, ())  # 3 members: waits for room for all three
    for _ in range(3):
        api.get_event(None, ids[1], ())
    api.close()
    assert set(fetched) == set(ids) and all(fetched.values())
    assert graph.throttled == {}
    assert sum(clock.slept) >= 600 and pacer.waited >= 600
