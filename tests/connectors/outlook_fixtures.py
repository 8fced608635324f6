"""Fixtures of the Outlook connector tests: the Graph fake, a token, a connector bound to both.

Import the ones a module uses (`from tests.connectors.outlook_fixtures import graph, ...`);
`graph_scope` → `graph_token` → `outlook` are chained so a test can override one link.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from connectors.base import StaticTokenProvider
from connectors.outlook import OutlookConnector
from tests.fakes.graph import GRAPH_SCOPE, FakeGraph


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    """A running Graph + identity fake."""
    with FakeGraph() as fake:
        yield fake


@pytest.fixture
def graph_scope() -> str:
    """Scope of the access token the connector uses; override to test a missing scope."""
    return GRAPH_SCOPE


@pytest.fixture
def graph_token(graph: FakeGraph, graph_scope: str) -> str:
    """A valid access token issued by the fake."""
    return graph.issue_access_token(graph_scope)


@pytest.fixture
def outlook_config(graph: FakeGraph) -> dict[str, Any]:
    """Connection settings pointing the connector at the fake."""
    return {"api_base_url": graph.api_base_url, "page_size": 50}


@pytest.fixture
def outlook(graph_token: str, outlook_config: dict[str, Any]) -> Iterator[OutlookConnector]:
    """An Outlook connector talking to the fake over HTTP."""
    with OutlookConnector(StaticTokenProvider(graph_token), outlook_config) as conn:
        yield conn
