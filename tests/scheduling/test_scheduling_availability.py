"""Availability: day slots, next available date, suggestions, choice of technician, day plan."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from scheduling_support import (
    HOME,
    PARIS,
    SETTINGS,
    A,
    B,
    C,
    D,
    TableTravel,
    booking,
    busy,
    paris,
    service,
    technician,
)

from hub.scheduling import (
    Booking,
    BusyPeriod,
    GeoPoint,
    HaversineTravel,
    Planner,
    Reason,
    SchedulingSettings,
    Slot,
    TechnicianData,
    check,
    day_plan,
)

MONDAY = date(2025, 1, 20)


def local_hhmm(slots: Sequence[Slot]) -> list[str]:
    return [s.start.astimezone(PARIS).strftime("%H:%M") for s in slots]


def grouped(bookings: Sequence[Booking]) -> dict[str, list[Booking]]:
    out: dict[str, list[Booking]] = {}
    for b in bookings:
        out.setdefault(b.technician_id, []).append(b)
    return out


class TestDaySlots:
    travel = TableTravel({(HOME, B): 20, (A, B): 15})

    def run(
        self,
        technicians: Sequence[TechnicianData],
        bookings: Sequence[Booking] = (),
        periods: Mapping[str, Sequence[BusyPeriod]] | None = None,
        earliest: datetime | None = None,
        location: GeoPoint | None = B,
        postal: str = "75001",
    ) -> list[Slot]:
        return Planner(
            technicians,
            service(),
            postal,
            location,
            grouped(bookings),
            periods or {},
            SETTINGS,
            self.travel,
        ).slots(MONDAY, earliest=earliest)

    def test_every_rule_shapes_the_day(self) -> None:
        tech = technician("tech_a", zones=("75*",), home=HOME)
        slots = self.run(
            [tech], [booking("b", paris(2025, 1, 20, 10), tech_id="tech_a", location=A)]
        )
        # 08:00: 20 min from home do not fit; 09:00: 15 min to the 10:00 job do not fit;
        # 09:30-10:30 overlap it; 11:00: 15 min from it do not fit.
        assert local_hhmm(slots) == [
            "08:30", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00",
            "14:30", "15:00", "15:30", "16:00", "16:30", "17:00",
        ]  # fmt: skip
        assert slots[0].travel_time == 20  # from home
        assert {s.travel_time for s in slots[1:]} == {15}  # from the 10:00 job at A
        assert all(s.end - s.start == timedelta(minutes=60) for s in slots)
        assert all(s.start.tzinfo is UTC for s in slots)
        assert {(s.technician_id, s.technician_name) for s in slots} == {("tech_a", "Tech tech_a")}

    @pytest.mark.parametrize(
        ("tech", "expected_count"),
        [
            pytest.param(technician("t", zones=("75*",)), 19, id="qualified"),
            pytest.param(technician("t", zones=("75*",), skills=["gaz"]), 0, id="lacks-skill"),
            pytest.param(technician("t", zones=("92*",)), 0, id="out-of-zone"),
            pytest.param(technician("t", zones=("75*",), max_per_day=0), 0, id="no-capacity"),
            pytest.param(technician("t", zones=("75*",), hours={}), 0, id="day-off"),
        ],
    )
    def test_technician_level_filters(self, tech: TechnicianData, expected_count: int) -> None:
        assert len(self.run([tech], location=None)) == expected_count

    def test_busy_period_and_earliest(self) -> None:
        tech = technician("t", zones=("75*",))
        periods = {"t": [busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13), "t")]}
        got = self.run([tech], periods=periods, earliest=paris(2025, 1, 20, 9, 10), location=None)
        assert local_hhmm(got) == [
            "09:30", "10:00", "10:30", "11:00",  # 11:30-12:30 hit the 12:00-13:00 event
            "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00",
        ]  # fmt: skip

    def test_sorted_by_start_then_technician(self) -> None:
        techs = [technician("t2", zones=("75*",)), technician("t1", zones=("75*",))]
        got = self.run(techs, location=None)
        assert [(s.technician_id, s.start) for s in got[:3]] == [
            ("t1", paris(2025, 1, 20, 8).astimezone(UTC)),
            ("t2", paris(2025, 1, 20, 8).astimezone(UTC)),
            ("t1", paris(2025, 1, 20, 8, 30).astimezone(UTC)),
        ]

    def test_rescheduled_appointment_frees_its_own_time(self) -> None:
        tech = technician("t", zones=("75*",))
        own = [booking("apt_1", paris(2025, 1, 20, 8), minutes=600, tech_id="t")]
        assert self.run([tech], own, location=None) == []
        planner = Planner(
            [tech], service(), "75001", None, grouped(own), {}, SETTINGS, TableTravel(), "apt_1"
        )
        assert len(planner.slots(MONDAY)) == 19


def _fleet(
    count: int, per_tech: int, seed: int = 7
) -> tuple[list[TechnicianData], dict[str, list[Booking]]]:
    rng = random.Random(seed)
    techs: list[TechnicianData] = []
    bookings: dict[str, list[Booking]] = {}
    for n in range(count):
        tech_id = f"tech_{n:02d}"
        home = GeoPoint(48.8 + rng.random() * 0.1, 2.25 + rng.random() * 0.2)
        techs.append(technician(tech_id, zones=("75*",), home=home, max_per_day=8))
        rows = []
        for k in range(per_tech):
            day = MONDAY + timedelta(days=k % 14)
            start = datetime(day.year, day.month, day.day, 8 + rng.randrange(10), 0, tzinfo=PARIS)
            where = GeoPoint(48.8 + rng.random() * 0.1, 2.25 + rng.random() * 0.2)
            rows.append(
                booking(f"{tech_id}_{k}", start, 45, tech_id=tech_id, after=15, location=where)
            )
        bookings[tech_id] = rows
    return techs, bookings


class CountingHaversine(HaversineTravel):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def matrix(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        self.calls += 1
        return super().matrix(origins, destinations)


def test_fifty_technicians_cost_two_matrix_calls() -> None:
    """Travel for a whole day of 50 technicians: two matrix calls, whatever the fleet's size.
    (How long it takes is bench/availability.py's business, not a test's.)"""
    techs, bookings = _fleet(50, 40)  # 2000 appointments over two weeks
    travel = CountingHaversine()
    slots = Planner(
        techs, service(), "75011", GeoPoint(48.858, 2.38), bookings, {}, SETTINGS, travel
    ).slots(MONDAY)
    assert slots
    assert travel.calls == 2  # all places → customer, customer → all places


class TestNextAvailableDate:
    def run(
        self, after: date, bookings: Sequence[Booking] = (), settings: SchedulingSettings = SETTINGS
    ) -> date | None:
        tech = technician("t", zones=("75*",), max_per_day=1)
        return Planner(
            [tech], service(), "75001", None, grouped(bookings), {}, settings, TableTravel()
        ).next_available_date(after)

    @pytest.mark.parametrize(
        ("after", "bookings", "expected"),
        [
            pytest.param(MONDAY, (), date(2025, 1, 21), id="next-day"),
            pytest.param(
                MONDAY,
                (booking("b", paris(2025, 1, 21, 9), tech_id="t"),),
                date(2025, 1, 22),
                id="tuesday-full",
            ),
            pytest.param(date(2025, 1, 24), (), date(2025, 1, 27), id="skips-the-weekend"),
        ],
    )
    def test_finds_the_first_free_date(
        self, after: date, bookings: tuple[Booking, ...], expected: date
    ) -> None:
        assert self.run(after, bookings) == expected

    def test_none_past_the_horizon(self) -> None:
        full = tuple(booking(f"b{d}", paris(2025, 1, 21 + d, 9), tech_id="t") for d in range(4))
        assert self.run(MONDAY, full, replace(SETTINGS, search_days=4)) is None
        assert self.run(MONDAY, full, replace(SETTINGS, search_days=7)) == date(2025, 1, 27)


class TestSuggestions:
    techs = [technician("t1", zones=("75*",)), technician("t2", zones=("75*",))]

    def run(
        self,
        bookings: Sequence[Booking],
        preferred: str | None,
        requested: datetime,
        limit: int = 3,
        earliest: datetime | None = None,
    ) -> list[tuple[str, str]]:
        found = Planner(
            self.techs, service(), "75001", None, grouped(bookings), {}, SETTINGS, TableTravel()
        ).suggestions(requested, preferred_technician_id=preferred, limit=limit, earliest=earliest)
        return [(s.technician_id, s.start.astimezone(PARIS).strftime("%d %H:%M")) for s in found]

    def test_same_technician_first_then_others(self) -> None:
        bookings = [
            booking("x", paris(2025, 1, 20, 8), 240, tech_id="t1"),  # t1 busy until 12:00
            booking("y", paris(2025, 1, 20, 8), 90, tech_id="t2"),  # t2 busy until 09:30
        ]
        got = self.run(bookings, "t1", paris(2025, 1, 20, 9), limit=3)
        assert got == [("t1", "20 12:00"), ("t1", "20 12:30"), ("t1", "20 13:00")]
        got = self.run(bookings, "t2", paris(2025, 1, 20, 9), limit=3)
        assert got == [("t2", "20 09:30"), ("t2", "20 10:00"), ("t2", "20 10:30")]

    def test_nearest_first_without_preference(self) -> None:
        bookings = [booking("x", paris(2025, 1, 20, 8), 240, tech_id="t1")]
        got = self.run(bookings, None, paris(2025, 1, 20, 11), limit=5)
        # by distance to 11:00, then start, then technician id
        assert got == [
            ("t2", "20 11:00"),
            ("t2", "20 10:30"),
            ("t2", "20 11:30"),
            ("t2", "20 10:00"),
            ("t1", "20 12:00"),
        ]

    def test_looks_at_later_days_when_the_day_is_full(self) -> None:
        bookings = [
            booking("x", paris(2025, 1, 20, 8), 600, tech_id="t1"),
            booking("y", paris(2025, 1, 20, 8), 600, tech_id="t2"),
            booking("z", paris(2025, 1, 21, 8), 120, tech_id="t1"),
        ]
        got = self.run(
            bookings, "t1", paris(2025, 1, 20, 9), limit=2, earliest=paris(2025, 1, 20, 7)
        )
        assert got == [("t1", "21 10:00"), ("t1", "21 10:30")]

    def test_never_suggests_before_earliest(self) -> None:
        got = self.run([], None, paris(2025, 1, 20, 9), limit=3, earliest=paris(2025, 1, 20, 9, 10))
        assert got == [("t1", "20 09:30"), ("t2", "20 09:30"), ("t1", "20 10:00")]


class TestChooseTechnician:
    travel = TableTravel({(A, B): 30, (C, B): 10, (B, D): 10, (C, D): 15}, default=60)

    def run(
        self,
        techs: Sequence[TechnicianData],
        bookings: Sequence[Booking],
        when: datetime = paris(2025, 1, 20, 10),
    ) -> object:
        return Planner(
            techs, service(), "75001", B, grouped(bookings), {}, SETTINGS, self.travel
        ).choose_technician(when)

    def test_least_added_travel_wins(self) -> None:
        techs = [technician("t1", zones=("75*",)), technician("t2", zones=("75*",))]
        bookings = [
            booking("a", paris(2025, 1, 20, 8), tech_id="t1", location=A),
            booking("c", paris(2025, 1, 20, 8), tech_id="t2", location=C),
            booking("d", paris(2025, 1, 20, 12), tech_id="t2", location=D),
        ]
        got = Planner(
            techs, service(), "75001", B, grouped(bookings), {}, SETTINGS, self.travel
        ).choose_technician(paris(2025, 1, 20, 10))
        assert got.technician is not None and got.technician.id == "t2"
        assert got.added_travel == 10 + 10 - 15
        assert got.travel_time == 10
        assert got.reasons == []
        assert got.checks["t1"].ok and got.checks["t1"].travel_time == 30

    def test_ties_broken_by_id(self) -> None:
        techs = [technician("t9", zones=("75*",)), technician("t3", zones=("75*",))]
        got = Planner(
            techs, service(), "75001", B, {}, {}, SETTINGS, self.travel
        ).choose_technician(paris(2025, 1, 20, 10))
        assert got.technician is not None and got.technician.id == "t3"
        assert got.added_travel == 0

    def test_unqualified_technician_is_never_chosen(self) -> None:
        techs = [
            technician("t1", zones=("75*",), skills=["gaz"], home=B),
            technician("t2", zones=("75*",), home=A),
        ]
        got = Planner(
            techs, service(), "75001", B, {}, {}, SETTINGS, self.travel
        ).choose_technician(paris(2025, 1, 20, 10))
        assert got.technician is not None and got.technician.id == "t2"
        assert got.added_travel == 30

    @pytest.mark.parametrize(
        ("techs", "expected"),
        [
            pytest.param(
                [technician("t1", skills=["gaz"]), technician("t2", skills=["gaz"])],
                [Reason.SKILL_MISMATCH],
                id="nobody-has-the-skill",
            ),
            pytest.param(
                [technician("t1", skills=["gaz"]), technician("t2", zones=("92*",))],
                [Reason.OUT_OF_ZONE, Reason.ALREADY_BOOKED],
                id="closest-is-out-of-zone",
            ),
            pytest.param(
                [technician("t1", skills=["gaz"]), technician("t2", zones=("75*",))],
                [Reason.ALREADY_BOOKED],
                id="closest-is-booked",
            ),
        ],
    )
    def test_nobody_fits(self, techs: list[TechnicianData], expected: list[Reason]) -> None:
        bookings = [booking("x", paris(2025, 1, 20, 9), 180, tech_id="t2")]
        got = Planner(
            techs, service(), "75001", B, grouped(bookings), {}, SETTINGS, self.travel
        ).choose_technician(paris(2025, 1, 20, 10))
        assert got.technician is None
        assert got.reasons == expected


def test_day_plan_legs_and_free_windows() -> None:
    travel = TableTravel({(HOME, A): 12, (A, B): 7, (B, C): 25})
    tech = technician("t", home=HOME)
    rows = [
        booking("b3", paris(2025, 1, 20, 14), tech_id="t", location=C),
        booking("b1", paris(2025, 1, 20, 9), tech_id="t", location=A),
        booking("b2", paris(2025, 1, 20, 11), 60, tech_id="t", after=30, location=B),
        booking("other_day", paris(2025, 1, 21, 9), tech_id="t", location=A),
        booking("other_tech", paris(2025, 1, 20, 9), tech_id="u", location=A),
    ]
    plan = day_plan(
        tech,
        rows,
        MONDAY,
        SETTINGS,
        travel,
        busy=[busy(paris(2025, 1, 20, 16), paris(2025, 1, 20, 16, 30), "t")],
    )
    assert [leg.as_dict() for leg in plan.legs] == [
        {"from": None, "to": "b1", "minutes": 12},
        {"from": "b1", "to": "b2", "minutes": 7},
        {"from": "b2", "to": "b3", "minutes": 25},
    ]
    assert plan.total_travel == 44
    assert [b.id for b in plan.bookings] == ["b1", "b2", "b3"]
    assert [
        (s.astimezone(PARIS).strftime("%H:%M"), e.astimezone(PARIS).strftime("%H:%M"))
        for s, e in plan.free_windows
    ] == [
        ("08:00", "09:00"),
        ("10:00", "11:00"),
        ("12:30", "14:00"),
        ("15:00", "16:00"),
        ("16:30", "18:00"),
    ]
    assert len(travel.calls) == 1


def test_day_plan_on_a_day_off_has_no_free_window() -> None:
    plan = day_plan(technician("t"), [], date(2025, 1, 25), SETTINGS, TableTravel())
    assert plan.legs == [] and plan.free_windows == []


def test_day_slots_agree_with_check_for_every_candidate() -> None:
    """The hoisted loop of Planner.slots must give exactly what check() says, start by start."""
    techs, bookings = _fleet(8, 40, seed=3)
    techs.append(technician("tech_free", zones=("75*",), home=GeoPoint(48.85, 2.30)))
    bookings["tech_free"] = []
    where = GeoPoint(48.858, 2.38)
    srv = service(duration=90, before=10, after=20)
    travel = HaversineTravel()
    periods = {
        "tech_01": [busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13), "tech_01")],
        "tech_free": [busy(paris(2025, 1, 20, 12), paris(2025, 1, 20, 13), "tech_free")],
    }
    slots = Planner(techs, srv, "75011", where, bookings, periods, SETTINGS, travel).slots(MONDAY)
    free = {(s.technician_id, s.start): s.travel_time for s in slots}
    checked = 0
    for tech in techs:
        start = paris(2025, 1, 20, 8).astimezone(UTC)
        while start + timedelta(minutes=90) <= paris(2025, 1, 20, 18):
            result = check(
                tech, srv, start, "75011", where, bookings[tech.id], periods.get(tech.id, ()),
                SETTINGS, travel,
            )  # fmt: skip
            assert result.ok is ((tech.id, start) in free), (tech.id, start, result.reasons)
            if result.ok:
                assert free[(tech.id, start)] == result.travel_time
            checked += 1
            start += timedelta(minutes=30)
    assert checked == 9 * 18  # 08:00 ... 16:30
    assert 0 < len(slots) < checked


def test_overnight_window_slots_after_midnight_count_for_the_next_day() -> None:
    night = {"monday": (time(22), time(2))}
    tech = technician("t", zones=("75*",), hours=night, max_per_day=1)
    tuesday_job = [booking("b", paris(2025, 1, 21, 15), tech_id="t")]
    got = Planner(
        [tech], service(), "75001", None, grouped(tuesday_job), {}, SETTINGS, TableTravel()
    ).slots(MONDAY)
    # Starts up to 23:30 are Monday's; from midnight Tuesday's limit (1, already used) applies.
    assert local_hhmm(got) == ["22:00", "22:30", "23:00", "23:30"]


def test_overnight_window_with_the_evening_day_full_keeps_the_small_hours() -> None:
    night = {"monday": (time(22), time(2))}
    tech = technician("t", zones=("75*",), hours=night, max_per_day=1)
    monday_job = [booking("b", paris(2025, 1, 20, 9), tech_id="t")]
    got = Planner(
        [tech], service(), "75001", None, grouped(monday_job), {}, SETTINGS, TableTravel()
    ).slots(MONDAY)
    assert local_hhmm(got) == ["00:00", "00:30", "01:00"]
    assert {s.start.astimezone(PARIS).date() for s in got} == {date(2025, 1, 21)}
