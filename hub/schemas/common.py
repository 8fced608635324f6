"""Shapes shared by every resource: errors, pagination, locations."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


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


def _date_or_datetime(value: str) -> str:
    from hub.timeutil import parse_datetime

    try:
        parse_datetime(value)
    except ValueError as exc:
        raise ValueError(
            "expected an ISO 8601 date (2025-01-20) or date-time with time zone "
            "(2025-01-20T09:00:00Z)"
        ) from exc
    return value


# A date (a whole local day of the account) or an aware date-time; parsed by the service.
DateBound = Annotated[str, AfterValidator(_date_or_datetime)]
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
