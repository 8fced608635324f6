"""Daylight-saving days in Europe/Paris: 2025-03-30 (02:00 → 03:00) and 2025-10-26 (03:00 → 02:00).

Slots are laid on the wall clock: a 08:00-18:00 day offers 08:00, 08:30 ... 17:30 local on a DST
Sunday exactly as on the Saturday before, while the UTC instants shift by one hour. A window that
spans the change itself (a 00:00-06:00 night shift) is 5 h of real time in March and 7 h in
October, and the slot list shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType

import pytest
from scheduling_support import EVERY_DAY_8_18, PARIS, SETTINGS, TableTravel, booking, paris, service
from scheduling_support import technician as make_technician

from hub.scheduling import Planner, Reason, check
from hub.scheduling.hours import day_bounds, day_window

SPRING = date(2025, 3, 30)
AUTUMN = date(2025, 10, 26)
NIGHT = MappingProxyType({"sunday": (time(0), time(6))})


def slots_for(
    day: date, hours: Mapping[str, tuple[time, time]] = EVERY_DAY_8_18, minutes: int = 30
) -> list[datetime]:
    tech = make_technician(hours=hours)
    found = Planner(
        [tech], service(duration=minutes), "75001", None, {}, {}, SETTINGS, TableTravel()
    ).slots(day)
    return [s.start for s in found]


@pytest.mark.parametrize(
    ("day", "first_utc", "last_utc"),
    [
        pytest.param(
            date(2025, 3, 29), "2025-03-29T07:00", "2025-03-29T16:30", id="saturday-before-spring"
        ),
        pytest.param(SPRING, "2025-03-30T06:00", "2025-03-30T15:30", id="spring-forward-sunday"),
        pytest.param(
            date(2025, 10, 25), "2025-10-25T06:00", "2025-10-25T15:30", id="saturday-before-autumn"
        ),
        pytest.param(AUTUMN, "2025-10-26T07:00", "2025-10-26T16:30", id="fall-back-sunday"),
    ],
)
def test_day_slots_follow_the_wall_clock(day: date, first_utc: str, last_utc: str) -> None:
    starts = slots_for(day)
    assert len(starts) == 20  # 08:00 ... 17:30 every 30 min, whatever the offset
    assert starts[0] == datetime.fromisoformat(first_utc).replace(tzinfo=UTC)
    assert starts[-1] == datetime.fromisoformat(last_utc).replace(tzinfo=UTC)
    local = [s.astimezone(PARIS) for s in starts]
    assert [(t.hour, t.minute) for t in local] == [(h, m) for h in range(8, 18) for m in (0, 30)]
    assert all(t.date() == day for t in local)


@pytest.mark.parametrize(
    ("day", "hours_of_real_time"),
    [
        pytest.param(SPRING, 23, id="spring-day-is-23h"),
        pytest.param(AUTUMN, 25, id="autumn-day-is-25h"),
        pytest.param(date(2025, 1, 19), 24, id="ordinary-sunday-is-24h"),
    ],
)
def test_local_day_length(day: date, hours_of_real_time: int) -> None:
    start, end = day_bounds(day, PARIS)
    assert end - start == timedelta(hours=hours_of_real_time)


@pytest.mark.parametrize(
    ("day", "real_hours", "count", "local_labels"),
    [
        pytest.param(
            SPRING,
            5,
            10,
            [
                "00:00", "00:30", "01:00", "01:30",
                "03:00", "03:30", "04:00", "04:30", "05:00", "05:30",
            ],
            id="spring-night-shift-loses-an-hour",
        ),
        pytest.param(
            AUTUMN,
            7,
            14,
            [
                "00:00", "00:30", "01:00", "01:30", "02:00", "02:30", "02:00", "02:30",
                "03:00", "03:30", "04:00", "04:30", "05:00", "05:30",
            ],
            id="autumn-night-shift-gains-an-hour",
        ),
    ],
)  # fmt: skip
def test_night_shift_across_the_change(
    day: date, real_hours: int, count: int, local_labels: list[str]
) -> None:
    window = day_window(make_technician(hours=NIGHT), day, PARIS)
    assert window is not None
    assert window.close - window.open == timedelta(hours=real_hours)
    starts = slots_for(day, NIGHT)
    assert len(starts) == count
    assert [s.astimezone(PARIS).strftime("%H:%M") for s in starts] == local_labels
    assert starts == sorted(set(starts))  # the repeated 02:00 are two distinct instants


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        pytest.param(
            datetime(2025, 3, 30, 6, 0, tzinfo=UTC), [], id="spring-08:00-local-is-06:00Z"
        ),
        pytest.param(
            datetime(2025, 3, 30, 5, 30, tzinfo=UTC),
            [Reason.OUTSIDE_WORKING_HOURS],
            id="spring-05:30Z-is-07:30-local",
        ),
        pytest.param(datetime(2025, 3, 30, 15, 0, tzinfo=UTC), [], id="spring-last-hour"),
        pytest.param(
            datetime(2025, 3, 30, 16, 0, tzinfo=UTC),
            [Reason.OUTSIDE_WORKING_HOURS],
            id="spring-16:00Z-is-18:00-local",
        ),
        pytest.param(
            datetime(2025, 10, 26, 6, 0, tzinfo=UTC),
            [Reason.OUTSIDE_WORKING_HOURS],
            id="autumn-06:00Z-is-07:00-local",
        ),
        pytest.param(
            datetime(2025, 10, 26, 7, 0, tzinfo=UTC), [], id="autumn-08:00-local-is-07:00Z"
        ),
        pytest.param(datetime(2025, 10, 26, 16, 0, tzinfo=UTC), [], id="autumn-17:00-local"),
    ],
)
def test_check_on_dst_days(start: datetime, expected: list[Reason]) -> None:
    tech = make_technician(hours=EVERY_DAY_8_18)
    result = check(tech, service(), start, "75001", None, (), (), SETTINGS, TableTravel())
    assert result.reasons == expected


@pytest.mark.parametrize(
    ("existing_local", "expected"),
    [
        pytest.param(
            paris(2025, 10, 26, 0, 30), [Reason.DAILY_LIMIT_REACHED], id="00:30-local-is-the-26th"
        ),
        pytest.param(paris(2025, 10, 25, 23, 30), [], id="23:30-local-is-the-25th"),
        pytest.param(
            paris(2025, 10, 26, 23, 30), [Reason.DAILY_LIMIT_REACHED], id="late-on-the-25h-day"
        ),
    ],
)
def test_daily_limit_counts_the_local_date(
    existing_local: datetime, expected: list[Reason]
) -> None:
    # 00:30 local on the 26th is still the 25th in UTC (22:30Z): the local date must win.
    tech = make_technician(
        hours=MappingProxyType({"sunday": (time(0), time(23, 59))}), max_per_day=1
    )
    existing = booking("b", existing_local, minutes=15)
    start = paris(2025, 10, 26, 12)
    result = check(tech, service(), start, "75001", None, (existing,), (), SETTINGS, TableTravel())
    assert result.reasons == expected
