"""Every rule of ``check`` and every reason, table-driven (2025-01-20 is a Monday)."""

from __future__ import annotations

from datetime import datetime, time
from types import MappingProxyType

import pytest
from scheduling_support import (
    HOME,
    PARIS,
    SETTINGS,
    A,
    B,
    C,
    TableTravel,
    booking,
    busy,
    paris,
    service,
    technician,
)

from hub.scheduling import (
    REASON_PRIORITY,
    Booking,
    BusyPeriod,
    GeoPoint,
    Reason,
    ServiceData,
    TechnicianData,
    check,
    in_zone,
    parse_working_hours,
)

R = Reason


def run(
    start: datetime,
    *,
    tech: TechnicianData | None = None,
    srv: ServiceData | None = None,
    postal: str | None = "75001",
    location: GeoPoint | None = None,
    bookings: tuple[Booking, ...] = (),
    periods: tuple[BusyPeriod, ...] = (),
    travel: TableTravel | None = None,
    ignore: str | None = None,
    duration: int | None = None,
) -> tuple[list[Reason], int]:
    result = check(
        tech or technician(),
        srv or service(),
        start,
        postal,
        location,
        bookings,
        periods,
        SETTINGS,
        travel or TableTravel(),
        ignore_appointment_id=ignore,
        duration=duration,
    )
    assert result.ok is (not result.reasons)
    return result.reasons, result.travel_time


def test_reason_values_and_priority_are_the_documented_ones() -> None:
    assert [r.value for r in REASON_PRIORITY] == [
        "skill_mismatch",
        "out_of_zone",
        "outside_working_hours",
        "daily_limit_reached",
        "already_booked",
        "busy_external",
        "travel_time_conflict",
    ]


@pytest.mark.parametrize(
    ("srv", "tech", "expected"),
    [
        pytest.param(service(skills=["plomberie"]), technician(), [], id="has-the-skill"),
        pytest.param(
            service(skills=["plomberie", "electricite"]), technician(), [], id="has-all-skills"
        ),
        pytest.param(service(skills=[]), technician(skills=[]), [], id="no-skill-required"),
        pytest.param(
            service(skills=["climatisation"]), technician(), [R.SKILL_MISMATCH], id="lacks-skill"
        ),
        pytest.param(
            service(skills=["plomberie", "climatisation"]),
            technician(),
            [R.SKILL_MISMATCH],
            id="lacks-one-of-two",
        ),
        pytest.param(
            service(skills=["Plomberie "]), technician(), [], id="skills-case-insensitive"
        ),
    ],
)
def test_skills(srv: ServiceData, tech: TechnicianData, expected: list[Reason]) -> None:
    assert run(paris(2025, 1, 20, 10), srv=srv, tech=tech)[0] == expected


@pytest.mark.parametrize(
    ("postal", "zones", "expected"),
    [
        pytest.param("75001", ("75001", "92*"), [], id="exact-code"),
        pytest.param("75002", ("75001", "92*"), [R.OUT_OF_ZONE], id="exact-code-other"),
        pytest.param("92100", ("75001", "92*"), [], id="prefix-pattern"),
        pytest.param("93100", ("75001", "92*"), [R.OUT_OF_ZONE], id="prefix-no-match"),
        pytest.param("75013", ("75*",), [], id="department-prefix"),
        pytest.param("75013", ("7501*",), [], id="longer-prefix"),
        pytest.param("75020", ("7501*",), [R.OUT_OF_ZONE], id="longer-prefix-miss"),
        pytest.param("13001", ("*",), [], id="star-matches-all"),
        pytest.param(" 75 001 ", ("75001",), [], id="spaces-ignored"),
        pytest.param("75001", (), [R.OUT_OF_ZONE], id="no-zones-no-match"),
        pytest.param(None, ("75*",), [R.OUT_OF_ZONE], id="unknown-postal-code"),
        pytest.param(None, ("*",), [], id="unknown-postal-code-star"),
    ],
)
def test_zones(postal: str | None, zones: tuple[str, ...], expected: list[Reason]) -> None:
    assert in_zone(postal, zones) is (not expected)
    assert run(paris(2025, 1, 20, 10), postal=postal, tech=technician(zones=zones))[0] == expected


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        pytest.param(paris(2025, 1, 20, 8), 60, [], id="at-opening"),
        pytest.param(paris(2025, 1, 20, 17), 60, [], id="ends-at-closing"),
        pytest.param(paris(2025, 1, 20, 7, 30), 60, [R.OUTSIDE_WORKING_HOURS], id="before-open"),
        pytest.param(
            paris(2025, 1, 20, 17, 30), 60, [R.OUTSIDE_WORKING_HOURS], id="runs-past-closing"
        ),
        pytest.param(paris(2025, 1, 20, 19), 60, [R.OUTSIDE_WORKING_HOURS], id="evening"),
        pytest.param(paris(2025, 1, 25, 10), 60, [R.OUTSIDE_WORKING_HOURS], id="saturday-off"),
        pytest.param(paris(2025, 1, 20, 16), 120, [], id="long-job-fits"),
        pytest.param(paris(2025, 1, 20, 16, 30), 120, [R.OUTSIDE_WORKING_HOURS], id="long-job"),
    ],
)
def test_working_hours(start: datetime, minutes: int, expected: list[Reason]) -> None:
    assert run(start, srv=service(duration=minutes))[0] == expected


def test_duration_override_is_used_instead_of_the_service_duration() -> None:
    start = paris(2025, 1, 20, 17)
    assert run(start, srv=service(duration=60))[0] == []
    assert run(start, srv=service(duration=60), duration=90)[0] == [R.OUTSIDE_WORKING_HOURS]


def test_buffers_may_spill_outside_working_hours_but_the_job_may_not() -> None:
    srv = service(duration=60, before=30, after=30)
    assert run(paris(2025, 1, 20, 8), srv=srv)[0] == []
    assert run(paris(2025, 1, 20, 17), srv=srv)[0] == []


def test_overnight_shift_covers_the_small_hours_of_the_next_day() -> None:
    night = MappingProxyType({"monday": (time(22), time(6))})
    tech = technician(hours=night)
    assert run(paris(2025, 1, 20, 23), tech=tech)[0] == []
    assert run(paris(2025, 1, 21, 2), tech=tech)[0] == []  # Tuesday 02:00, Monday's shift
    assert run(paris(2025, 1, 21, 5, 30), tech=tech)[0] == [R.OUTSIDE_WORKING_HOURS]


def _three_that_day() -> tuple[Booking, ...]:
    return (
        booking("b1", paris(2025, 1, 20, 8)),
        booking("b2", paris(2025, 1, 20, 12)),
        booking("b3", paris(2025, 1, 20, 16)),
    )


@pytest.mark.parametrize(
    ("limit", "bookings", "ignore", "expected"),
    [
        pytest.param(None, _three_that_day(), None, [], id="unlimited"),
        pytest.param(4, _three_that_day(), None, [], id="under-limit"),
        pytest.param(3, _three_that_day(), None, [R.DAILY_LIMIT_REACHED], id="limit-reached"),
        pytest.param(0, (), None, [R.DAILY_LIMIT_REACHED], id="zero-limit"),
        pytest.param(3, _three_that_day(), "b2", [], id="rescheduled-one-not-counted"),
        pytest.param(
            1,
            (booking("y", paris(2025, 1, 19, 10)), booking("t", paris(2025, 1, 21, 10))),
            None,
            [],
            id="other-days-not-counted",
        ),
        pytest.param(
            1,
            (booking("o", paris(2025, 1, 20, 10), tech_id="tech_2"),),
            None,
            [],
            id="other-technician-not-counted",
        ),
    ],
)
def test_daily_limit(
    limit: int | None, bookings: tuple[Booking, ...], ignore: str | None, expected: list[Reason]
) -> None:
    tech = technician(max_per_day=limit)
    assert run(paris(2025, 1, 20, 10), tech=tech, bookings=bookings, ignore=ignore)[0] == expected


@pytest.mark.parametrize(
    ("start", "srv", "existing", "expected"),
    [
        pytest.param(
            paris(2025, 1, 20, 10, 30),
            service(),
            booking("b", paris(2025, 1, 20, 10)),
            [R.ALREADY_BOOKED],
            id="overlap",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(),
            booking("b", paris(2025, 1, 20, 10)),
            [R.ALREADY_BOOKED],
            id="same-start",
        ),
        pytest.param(
            paris(2025, 1, 20, 9),
            service(duration=180),
            booking("b", paris(2025, 1, 20, 10)),
            [R.ALREADY_BOOKED],
            id="new-one-contains-existing",
        ),
        pytest.param(
            paris(2025, 1, 20, 11),
            service(),
            booking("b", paris(2025, 1, 20, 10)),
            [],
            id="touching-after",
        ),
        pytest.param(
            paris(2025, 1, 20, 9),
            service(),
            booking("b", paris(2025, 1, 20, 10)),
            [],
            id="touching-before",
        ),
        pytest.param(
            paris(2025, 1, 20, 11),
            service(before=15),
            booking("b", paris(2025, 1, 20, 10)),
            [R.ALREADY_BOOKED],
            id="new-buffer-before",
        ),
        pytest.param(
            paris(2025, 1, 20, 11, 15),
            service(before=15),
            booking("b", paris(2025, 1, 20, 10)),
            [],
            id="new-buffer-before-fits",
        ),
        pytest.param(
            paris(2025, 1, 20, 9),
            service(after=15),
            booking("b", paris(2025, 1, 20, 10)),
            [R.ALREADY_BOOKED],
            id="new-buffer-after",
        ),
        pytest.param(
            paris(2025, 1, 20, 11, 15),
            service(),
            booking("b", paris(2025, 1, 20, 10), after=30),
            [R.ALREADY_BOOKED],
            id="existing-buffer-after",
        ),
        pytest.param(
            paris(2025, 1, 20, 11, 30),
            service(),
            booking("b", paris(2025, 1, 20, 10), after=30),
            [],
            id="existing-buffer-after-fits",
        ),
        pytest.param(
            paris(2025, 1, 20, 8, 45),
            service(),
            booking("b", paris(2025, 1, 20, 10), before=30),
            [R.ALREADY_BOOKED],
            id="existing-buffer-before",
        ),
        pytest.param(
            paris(2025, 1, 20, 11, 15),
            service(before=15),
            booking("b", paris(2025, 1, 20, 10), after=15),
            [R.ALREADY_BOOKED],
            id="both-buffers-meet",
        ),
        pytest.param(
            paris(2025, 1, 20, 11, 30),
            service(before=15),
            booking("b", paris(2025, 1, 20, 10), after=15),
            [],
            id="both-buffers-touch",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(),
            booking("b", paris(2025, 1, 20, 10), tech_id="tech_2"),
            [],
            id="other-technician",
        ),
    ],
)
def test_already_booked(
    start: datetime, srv: ServiceData, existing: Booking, expected: list[Reason]
) -> None:
    assert run(start, srv=srv, bookings=(existing,))[0] == expected


def test_overlap_found_even_when_stored_bookings_overlap_each_other() -> None:
    long_one = booking("long", paris(2025, 1, 20, 8), minutes=480)
    short_one = booking("short", paris(2025, 1, 20, 9))
    assert run(paris(2025, 1, 20, 14), bookings=(long_one, short_one))[0] == [R.ALREADY_BOOKED]


@pytest.mark.parametrize(
    ("ignore", "expected"),
    [
        pytest.param(None, [R.ALREADY_BOOKED], id="without-ignore-collides-with-itself"),
        pytest.param("apt_1", [], id="ignored-when-rescheduling"),
        pytest.param("apt_other", [R.ALREADY_BOOKED], id="ignoring-another-id"),
    ],
)
def test_ignore_appointment_id(ignore: str | None, expected: list[Reason]) -> None:
    itself = booking("apt_1", paris(2025, 1, 20, 10))
    assert run(paris(2025, 1, 20, 10, 30), bookings=(itself,), ignore=ignore)[0] == expected


@pytest.mark.parametrize(
    ("start", "srv", "period", "expected"),
    [
        pytest.param(
            paris(2025, 1, 20, 12, 30),
            service(),
            busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13)),
            [R.BUSY_EXTERNAL],
            id="overlap",
        ),
        pytest.param(
            paris(2025, 1, 20, 11),
            service(),
            busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13)),
            [],
            id="touching",
        ),
        pytest.param(
            paris(2025, 1, 20, 11),
            service(after=15),
            busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13)),
            [R.BUSY_EXTERNAL],
            id="buffer-after-overlaps",
        ),
        pytest.param(
            paris(2025, 1, 20, 13),
            service(before=10),
            busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13)),
            [R.BUSY_EXTERNAL],
            id="buffer-before-overlaps",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(),
            busy(paris(2025, 1, 20, 8), paris(2025, 1, 20, 18)),
            [R.BUSY_EXTERNAL],
            id="all-day-event",
        ),
        pytest.param(
            paris(2025, 1, 20, 12, 30),
            service(),
            busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13), tech_id="tech_2"),
            [],
            id="other-technician",
        ),
    ],
)
def test_busy_external(
    start: datetime, srv: ServiceData, period: BusyPeriod, expected: list[Reason]
) -> None:
    assert run(start, srv=srv, periods=(period,))[0] == expected


TRAVEL = TableTravel({(A, B): 20, (B, C): 45, (A, C): 50, (HOME, B): 30, (HOME, C): 25})


@pytest.mark.parametrize(
    ("start", "srv", "tech", "bookings", "expected", "travel_in"),
    [
        pytest.param(
            paris(2025, 1, 20, 10, 15),
            service(),
            technician(),
            (booking("p", paris(2025, 1, 20, 9), location=A),),
            [R.TRAVEL_TIME_CONFLICT],
            20,
            id="before-gap-too-short",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 20),
            service(),
            technician(),
            (booking("p", paris(2025, 1, 20, 9), location=A),),
            [],
            20,
            id="before-gap-exact",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 30),
            service(),
            technician(),
            (booking("p", paris(2025, 1, 20, 9), location=A, after=15),),
            [R.TRAVEL_TIME_CONFLICT],
            20,
            id="before-previous-buffer-after",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 30),
            service(before=15),
            technician(),
            (booking("p", paris(2025, 1, 20, 9), location=A),),
            [R.TRAVEL_TIME_CONFLICT],
            20,
            id="before-own-buffer-before",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 35),
            service(before=15),
            technician(),
            (booking("p", paris(2025, 1, 20, 9), location=A),),
            [],
            20,
            id="before-own-buffer-before-fits",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(),
            technician(),
            (booking("n", paris(2025, 1, 20, 11, 30), location=C),),
            [R.TRAVEL_TIME_CONFLICT],
            0,
            id="after-gap-too-short",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(),
            technician(),
            (booking("n", paris(2025, 1, 20, 11, 45), location=C),),
            [],
            0,
            id="after-gap-exact",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(),
            technician(),
            (booking("n", paris(2025, 1, 20, 12), location=C, before=30),),
            [R.TRAVEL_TIME_CONFLICT],
            0,
            id="after-next-buffer-before",
        ),
        pytest.param(
            paris(2025, 1, 20, 10),
            service(after=30),
            technician(),
            (booking("n", paris(2025, 1, 20, 12), location=C),),
            [R.TRAVEL_TIME_CONFLICT],
            0,
            id="after-own-buffer-after",
        ),
        pytest.param(
            paris(2025, 1, 20, 8),
            service(),
            technician(home=HOME),
            (),
            [R.TRAVEL_TIME_CONFLICT],
            30,
            id="home-first-of-day-at-opening",
        ),
        pytest.param(
            paris(2025, 1, 20, 8, 30),
            service(),
            technician(home=HOME),
            (),
            [],
            30,
            id="home-first-of-day-fits",
        ),
        pytest.param(
            paris(2025, 1, 20, 8, 30),
            service(before=10),
            technician(home=HOME),
            (),
            [R.TRAVEL_TIME_CONFLICT],
            30,
            id="home-with-buffer-before",
        ),
        pytest.param(
            paris(2025, 1, 20, 8),
            service(),
            technician(),
            (),
            [],
            0,
            id="no-home-nothing-to-check",
        ),
        pytest.param(
            paris(2025, 1, 20, 8, 30),
            service(),
            technician(home=HOME),
            (booking("y", paris(2025, 1, 19, 17), location=A),),
            [],
            30,
            id="yesterday-is-not-the-previous-stop",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 15),
            service(),
            technician(home=HOME),
            (
                booking("p", paris(2025, 1, 20, 9), location=A),
                booking("n", paris(2025, 1, 20, 12, 15), location=C),
            ),
            [R.TRAVEL_TIME_CONFLICT],
            20,
            id="between-two-before-fails",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 30),
            service(),
            technician(home=HOME),
            (
                booking("p", paris(2025, 1, 20, 9), location=A),
                booking("n", paris(2025, 1, 20, 12, 15), location=C),
            ),
            [],
            20,
            id="between-two-fits",
        ),
        pytest.param(
            paris(2025, 1, 20, 10, 15),
            service(),
            technician(),
            (booking("p", paris(2025, 1, 20, 9)),),
            [],
            0,
            id="previous-location-unknown",
        ),
    ],
)
def test_travel_time(
    start: datetime,
    srv: ServiceData,
    tech: TechnicianData,
    bookings: tuple[Booking, ...],
    expected: list[Reason],
    travel_in: int,
) -> None:
    reasons, travel_time = run(
        start, srv=srv, tech=tech, bookings=bookings, location=B, travel=TRAVEL
    )
    assert reasons == expected
    assert travel_time == travel_in


def test_unknown_customer_location_skips_travel() -> None:
    prev = booking("p", paris(2025, 1, 20, 9), location=A)
    assert run(paris(2025, 1, 20, 10), bookings=(prev,), location=None, travel=TRAVEL) == ([], 0)


def test_overlapping_neighbour_is_already_booked_not_a_travel_conflict() -> None:
    prev = booking("p", paris(2025, 1, 20, 9), location=A)
    reasons, _ = run(paris(2025, 1, 20, 9, 30), bookings=(prev,), location=B, travel=TRAVEL)
    assert reasons == [R.ALREADY_BOOKED]


def test_all_reasons_are_reported_in_priority_order() -> None:
    tech = technician(zones=("92*",), max_per_day=1, home=HOME)
    existing = (booking("p", paris(2025, 1, 20, 17), location=A),)
    period = (busy(paris(2025, 1, 20, 17), paris(2025, 1, 20, 19)),)
    reasons, _ = run(
        paris(2025, 1, 20, 17, 30),
        tech=tech,
        srv=service(skills=["climatisation"]),
        bookings=existing,
        periods=period,
        location=B,
        travel=TRAVEL,
    )
    assert reasons == [
        R.SKILL_MISMATCH,
        R.OUT_OF_ZONE,
        R.OUTSIDE_WORKING_HOURS,
        R.DAILY_LIMIT_REACHED,
        R.ALREADY_BOOKED,
        R.BUSY_EXTERNAL,
    ]
    far = (booking("n", paris(2025, 1, 20, 11, 30), location=C),)
    reasons, _ = run(paris(2025, 1, 20, 10), tech=tech, bookings=far, location=B, travel=TRAVEL)
    assert reasons == [R.OUT_OF_ZONE, R.DAILY_LIMIT_REACHED, R.TRAVEL_TIME_CONFLICT]


def test_check_result_exposes_first_reason() -> None:
    result = check(
        technician(),
        service(skills=["climatisation"]),
        paris(2025, 1, 20, 7),
        "75001",
        None,
        (),
        (),
        SETTINGS,
        TableTravel(),
    )
    assert not result.ok
    assert result.reason is Reason.SKILL_MISMATCH
    assert result.reasons == [R.SKILL_MISMATCH, R.OUTSIDE_WORKING_HOURS]


def test_check_uses_one_provider_call_for_both_legs() -> None:
    travel = TableTravel({(A, B): 5, (B, C): 5})
    bookings = (
        booking("p", paris(2025, 1, 20, 9), location=A),
        booking("n", paris(2025, 1, 20, 12), location=C),
    )
    reasons, _ = run(paris(2025, 1, 20, 10, 30), bookings=bookings, location=B, travel=travel)
    assert reasons == []
    assert len(travel.calls) == 1


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run(datetime(2025, 1, 20, 10))


def test_any_timezone_is_accepted_for_start() -> None:
    from datetime import UTC

    assert run(datetime(2025, 1, 20, 9, tzinfo=UTC))[0] == []  # 10:00 in Paris
    assert run(datetime(2025, 1, 20, 6, 30, tzinfo=UTC))[0] == [R.OUTSIDE_WORKING_HOURS]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param(
            {"monday": {"start": "08:00", "end": "18:00"}},
            {"monday": (time(8), time(18))},
            id="api-shape",
        ),
        pytest.param(
            {"Friday": {"start": "8:30", "end": "17:00"}},
            {"friday": (time(8, 30), time(17))},
            id="case-and-single-digit-hour",
        ),
        pytest.param(
            {"sunday": {"start": "22:00", "end": "24:00"}},
            {"sunday": (time(22), time(0))},
            id="midnight-as-24",
        ),
    ],
)
def test_parse_working_hours(raw: dict[str, dict[str, str]], expected: dict[str, object]) -> None:
    assert parse_working_hours(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param({"mon": {"start": "08:00", "end": "18:00"}}, id="bad-day"),
        pytest.param({"monday": {"start": "8h", "end": "18:00"}}, id="bad-time"),
        pytest.param({"monday": {"start": "25:00", "end": "18:00"}}, id="hour-out-of-range"),
    ],
)
def test_parse_working_hours_rejects_garbage(raw: dict[str, dict[str, str]]) -> None:
    with pytest.raises(ValueError):
        parse_working_hours(raw)


def test_paris_zone_constant_is_the_settings_zone() -> None:
    assert SETTINGS.tz == PARIS
