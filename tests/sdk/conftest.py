"""Fixtures of the SDK tests: a live hub server process, and a scripted loopback HTTP server.

The live server is the real thing, started the way an operator starts it (`ivalid db upgrade`,
`ivalid demo --json`, `ivalid serve --dev`), on a temporary SQLite database, or on
`IVALID_TEST_DATABASE_URL` when that is set. The stub server (`sdk_support.StubServer`) is a
real HTTP server on loopback answering from a script, for what a healthy hub never does on
demand (a 503, a dropped connection, a token that expires within a second).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import ivalid
import pytest
from sdk_support import LiveHub, StubServer, Worker, start_hub, start_worker, stop_hub, stop_worker


@pytest.fixture(scope="session")
def hub_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveHub]]:
    """Start extra hub processes with their own settings (e.g. a low rate limit)."""
    hubs: list[LiveHub] = []

    def start(**overrides: str) -> LiveHub:
        hub = start_hub(tmp_path_factory.mktemp("hub"), overrides)
        hubs.append(hub)
        return hub

    yield start
    for hub in hubs:
        stop_hub(hub)


@pytest.fixture(scope="session")
def live(hub_factory: Callable[..., LiveHub]) -> LiveHub:
    """The shared live hub; webhooks may target this machine's loopback address."""
    return hub_factory(IVALID_WEBHOOK_ALLOWLIST="127.0.0.1/32,localhost")


@pytest.fixture
def client(live: LiveHub) -> Iterator[ivalid.Client]:
    """A client of the shared live hub, with the demo account's API key."""
    with live.client() as c:
        yield c


@pytest.fixture
def stub() -> Iterator[StubServer]:
    """A scripted loopback HTTP server, stopped after the test."""
    server = StubServer()
    yield server
    server.close()


@pytest.fixture
def hub_worker(live: LiveHub) -> Iterator[Worker]:
    """`ivalid worker` beside the shared live hub, fanning events out to webhooks.

    Only for the test that asks for it: on a shared PostgreSQL database a worker left running
    would also work through the events of the other test suites.
    """
    worker = start_worker(live)
    yield worker
    stop_worker(worker)
