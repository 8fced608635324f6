"""Scheduling engine: pure functions over plain data (no database, no Flask).

The API layer loads rows, turns them into the dataclasses of ``model`` and calls:

* ``check`` - can this technician take this appointment? (all reasons, in priority order)
* ``Planner`` - built once per request over the loaded rows, then asked:
  ``slots(day)`` / ``next_available_date(after)`` for the availability endpoints,
  ``suggestions(start)`` for the alternatives offered with a 409 SLOT_NOT_AVAILABLE,
  ``choose_technician(start)`` for who should take it (least added travel)
* ``day_plan`` - a technician's legs and free windows for the schedule endpoint
* ``centroid`` - postal code → approximate position (bundled dataset)
"""

from hub.scheduling.model import (
    REASON_PRIORITY,
    Booking,
    BusyPeriod,
    CheckResult,
    GeoPoint,
    Reason,
    SchedulingSettings,
    ServiceData,
    Slot,
    TechnicianData,
    parse_working_hours,
)
from hub.scheduling.plan import DayPlan, Leg, day_plan
from hub.scheduling.planner import Assignment, Planner
from hub.scheduling.postal import centroid
from hub.scheduling.rules import check, in_zone
from hub.scheduling.travel import (
    HaversineTravel,
    OsrmTravel,
    TravelCache,
    TravelError,
    TravelProvider,
    haversine_km,
)

__all__ = [
    "REASON_PRIORITY",
    "Assignment",
    "Booking",
    "BusyPeriod",
    "CheckResult",
    "DayPlan",
    "GeoPoint",
    "HaversineTravel",
    "Leg",
    "OsrmTravel",
    "Planner",
    "Reason",
    "SchedulingSettings",
    "ServiceData",
    "Slot",
    "TechnicianData",
    "TravelCache",
    "TravelError",
    "TravelProvider",
    "centroid",
    "check",
    "day_plan",
    "haversine_km",
    "in_zone",
    "parse_working_hours",
]
