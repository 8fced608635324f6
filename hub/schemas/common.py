"""Shapes shared by every resource: errors, pagination, locations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError


class Strict(BaseModel):
    """A request body: unknown fields are refused, strings stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Out(BaseModel):
    """A response body (documentation only: responses are built as plain dicts)."""

    model_config = ConfigDict(extra="allow")


PostalCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
Id = Annotated[
    str, StringConstraints(min_length=3, max_length=40, pattern=r"^[a-z]+_[A-Za-z0-9]+$")
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .()-]{6,20}$")]


# Years the API accepts in any date or date-time: far wider than any appointment or filter, far
# enough from datetime's limits (years 1 and 9999) that time-zone and day arithmetic never
# overflow. Every date field's OpenAPI description says so.
MIN_YEAR, MAX_YEAR = 1970, 2199
YEARS = f"Years {MIN_YEAR} to {MAX_YEAR}."
LOCAL_NOTE = (
    "A date-time without an offset (2026-12-06T09:00:00) is read in the account's time zone "
    "(Europe/Paris by default; an ambiguous autumn time is its first occurrence, a time skipped "
    "in spring moves forward by the gap)."
)


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PydanticCustomError(
            "year_out_of_range",
            "the year must be between {min_year} and {max_year}",
            {"min_year": MIN_YEAR, "max_year": MAX_YEAR},
        )


def account_zone_of(info: ValidationInfo) -> ZoneInfo:
    """The account's time zone the request's validation context offers (Paris without one)."""
    context = info.context or {}
    zone = context.get("zone")
    return zone() if callable(zone) else ZoneInfo("Europe/Paris")


def _bounded_date(value: date) -> date:
    _check_year(value.year)
    return value


def _local_or_aware(value: datetime, info: ValidationInfo) -> datetime:
    _check_year(value.year)
    if value.tzinfo is None:
        from hub.scheduling.hours import resolve

        return resolve(value, account_zone_of(info))
    return value.astimezone(UTC)


def _not_a_bare_date(value: Any) -> Any:
    if isinstance(value, str) and len(value.strip()) == 10:
        raise PydanticCustomError(
            "datetime_required", "a date-time is required (2025-01-20T09:00:00Z), not a date"
        )
    return value


def _day_text(value: str) -> str:
    _check_year(int(value[:4]))
    return value


def _date_or_datetime(value: str, info: ValidationInfo) -> str:
    from hub.timeutil import iso, parse_datetime

    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
        else:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise PydanticCustomError(
            "date_or_datetime",
            "expected an ISO 8601 date (2025-01-20) or date-time (2025-01-20T09:00:00Z)",
        ) from exc
    if len(text) == 10:
        _check_year(day.year)
        return text
    _check_year(parsed.year)
    if parsed.tzinfo is None:
        return iso(_local_or_aware(parsed, info)) or text
    parse_datetime(text)
    return text


# A date in the years the API accepts.
Day = Annotated[date, AfterValidator(_bounded_date), Field(description=f"ISO 8601 date. {YEARS}")]
# A YYYY-MM-DD string in those years (kept as text: the service reads it in the account's zone).
DayText = Annotated[
    str,
    StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    AfterValidator(_day_text),
    Field(description=f"YYYY-MM-DD. {YEARS}"),
]
# An instant: with an offset, or without one in the account's time zone; always aware UTC.
LocalDatetime = Annotated[
    datetime,
    BeforeValidator(_not_a_bare_date),
    AfterValidator(_local_or_aware),
    Field(description=f"ISO 8601 date-time. {LOCAL_NOTE} {YEARS}"),
]
# An instant with an offset (no local reading), in the years the API accepts.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_local_or_aware),
    Field(description=f"ISO 8601 date-time with an offset. {YEARS}"),
]
# A date (a whole local day of the account) or a date-time; parsed by the service.
DateBound = Annotated[
    str,
    AfterValidator(_date_or_datetime),
    Field(
        description="ISO 8601 date (a whole day in the account's time zone) or date-time. "
        f"{LOCAL_NOTE} {YEARS}"
    ),
]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Coordinates(Strict):
    """A point: latitude and longitude in degrees."""

    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class ErrorBody(Out):
    """The error object."""

    code: str = Field(examples=["SLOT_NOT_AVAILABLE"])
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    suggestions: list[dict[str, Any]] | None = None


class ErrorResponse(Out):
    """Every error answer: `{"error": {...}}`."""

    error: ErrorBody


class Meta(Out):
    """Pagination of a list."""

    total: int
    page: int
    per_page: int
    total_pages: int


class PageQuery(Strict):
    """`page` (from 1) and `per_page` (1 to 100, default 10)."""

    page: int = Field(default=1, ge=1, le=1_000_000)
    per_page: int = Field(default=10, ge=1, le=100)


# The orders a list can be asked for: `-` first is newest first.
ListSort = Literal["-created_at", "-updated_at", "created_at", "updated_at"]
SORT_NOTE = (
    "Order of the list: `-created_at` or `-updated_at` newest first, `created_at` or "
    "`updated_at` oldest first. Equal times are ordered by `id` (in the same direction), so "
    "the order is total and paging through it never skips nor repeats an object that did not "
    "change meanwhile."
)


class ChangesQuery(PageQuery):
    """`sort` and `updated_since`: polling a list for what is new or changed."""

    sort: ListSort | None = Field(default=None, description=SORT_NOTE)
    updated_since: LocalDatetime | None = Field(
        default=None,
        description="Only objects changed (or created) at or after this instant. "
        f"ISO 8601 date-time. {LOCAL_NOTE} {YEARS}",
    )
