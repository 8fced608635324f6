"""Batch consumers: one call per fan-out batch, and one by one again if they raise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from hub.events import fanout
from hub.models import Event
from hub.services.dispatch import Dispatcher
from tests.events.webhooks.conftest import create_customer
from tests.support import Api


@pytest.fixture()
def batches() -> Iterator[list[list[str]]]:
    calls: list[list[str]] = []
    fail_once = {"armed": True}

    def consumer(session: Session, events: list[Event]) -> None:
        calls.append([e.id for e in events])
        if fail_once["armed"] and len(events) > 1:
            fail_once["armed"] = False
            raise RuntimeError("first batch fails")

    fanout.register_consumer("test-batch", consumer, types={"customer.created"}, batch=True)
    yield calls
    fanout.unregister_consumer("test-batch")


def test_a_batch_consumer_gets_the_batch_then_one_by_one_after_a_failure(
    api: Api, dispatcher: Dispatcher, batches: list[list[str]]
) -> None:
    for name in ("A", "B", "C"):
        create_customer(api, name)
    dispatcher.fan_out()
    first, *retries = batches
    assert len(first) == 3  # the whole batch in one call
    assert retries == [[event_id] for event_id in first]  # then each event alone
    dispatcher.fan_out()
    assert len(batches) == 4  # dispatched once: nothing more
