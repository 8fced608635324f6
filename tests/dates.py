"""Test dates derived from one pinned anchor, never from the weekday or the hour the suite runs.

A test that books "in two days, or the next weekday" changes meaning with the day it runs on
(two such slots roll onto the same Monday on a Thursday). Every relative date in the suite is
instead counted from ``anchor_monday()``: the Monday two whole weeks after the current week's,
in Paris. Working day *n* is then always the same weekday and always distinct from day *n + 1*,
whatever today is; `scripts/faketime_probe.sh` runs the date-using tests at awkward moments
(Thursday, Friday evening, Saturday 23:30 in Paris, both DST nights) to prove it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


def anchor_monday(weeks: int = 2) -> date:
    """The Monday `weeks` whole weeks after the Monday of the current week (Paris calendar)."""
    today = datetime.now(PARIS).date()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks)


def workday(n: int, weeks: int = 2) -> date:
    """The `n`-th working day (Monday to Friday, from 0) counted from `anchor_monday(weeks)`."""
    return anchor_monday(weeks) + timedelta(weeks=n // 5, days=n % 5)


def paris(day: date, hour: int, minute: int = 0) -> datetime:
    """`day` at hh:mm on the Paris wall clock, as an aware UTC instant."""
    return datetime.combine(day, time(hour, minute), PARIS).astimezone(UTC)


def zulu(instant: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as the API takes it."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
