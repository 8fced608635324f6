"""Typed keyword arguments of the resource methods: the request bodies and filters of the API.

Type checkers use these to check `client.appointments.create(customer_id=..., ...)` key by key.
At run time they are plain dicts; dates may be given as `date`/`datetime` objects or as strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Union

if TYPE_CHECKING:
    from typing_extensions import Required

__all__ = [
    "AddressParams",
    "AppointmentCreateParams",
    "AppointmentListParams",
    "AppointmentRescheduleParams",
    "AppointmentStatus",
    "AppointmentUpdateParams",
    "CoordinatesParams",
    "CustomerAppointmentListParams",
    "CustomerCreateParams",
    "CustomerListParams",
    "CustomerPreferencesParams",
    "CustomerUpdateParams",
    "DateLike",
    "EventListParams",
    "ListSort",
    "LocationParams",
    "PaginationParams",
    "ServiceCreateParams",
    "ServiceListParams",
    "ServiceUpdateParams",
    "TeamCreateParams",
    "TeamUpdateParams",
    "TechnicianCreateParams",
    "TechnicianListParams",
    "TechnicianUpdateParams",
    "WebhookCreateParams",
    "WebhookDeliveryListParams",
    "WebhookUpdateParams",
    "WeekHoursParams",
    "WorkingHoursParams",
]

DateLike = Union[str, date, datetime]
"""`YYYY-MM-DD` or ISO 8601 text, or a `date`/`datetime` (a naive datetime is taken as UTC)."""

AppointmentStatus = Literal["pending", "confirmed", "completed", "cancelled"]
# `sort` of the appointment and customer lists: `-` first is newest first (ties by id).
ListSort = Literal["-created_at", "-updated_at", "created_at", "updated_at"]


class PaginationParams(TypedDict, total=False):
    """Which page of a list to fetch."""

    page: int
    per_page: int


class CoordinatesParams(TypedDict, total=False):
    """A point on the map."""

    lat: Required[float]
    lng: Required[float]


class LocationParams(TypedDict, total=False):
    """Where an appointment takes place."""

    address: str
    city: str
    postal_code: str
    coordinates: CoordinatesParams


class AppointmentListParams(PaginationParams, total=False):
    """Filters of `GET /appointments`."""

    status: AppointmentStatus
    technician_id: str
    customer_id: str
    date_from: DateLike
    date_to: DateLike
    postal_code: str
    sort: ListSort
    updated_since: DateLike


class CustomerAppointmentListParams(PaginationParams, total=False):
    """Filters of `GET /customers/:id/appointments`."""

    status: AppointmentStatus
    date_from: DateLike
    date_to: DateLike
    sort: ListSort
    updated_since: DateLike


class _AppointmentFields(TypedDict, total=False):
    technician_id: str
    duration: int
    location: LocationParams
    notes: str
    notify_customer: bool
    reminder_sms: bool
    reminder_email: bool


class AppointmentCreateParams(_AppointmentFields, total=False):
    """Body of `POST /appointments`."""

    customer_id: Required[str]
    service_id: Required[str]
    scheduled_at: Required[DateLike]
    status: Literal["pending", "confirmed"]
    """The initial status; `pending` unless given."""


class AppointmentUpdateParams(_AppointmentFields, total=False):
    """Body of `PUT /appointments/:id`: only the fields given are changed."""

    customer_id: str
    service_id: str
    scheduled_at: DateLike
    status: AppointmentStatus
    """Moves along the status machine, like confirm/complete/cancel."""


class AppointmentRescheduleParams(TypedDict, total=False):
    """Body of `POST /appointments/:id/reschedule`."""

    scheduled_at: Required[DateLike]
    technician_id: str


class AddressParams(TypedDict, total=False):
    """A customer's postal address."""

    street: str
    city: str
    postal_code: str
    country: str


class CustomerPreferencesParams(TypedDict, total=False):
    """How and when a customer likes to be reached."""

    preferred_contact: str
    preferred_time_slots: list[str]
    language: str


class _CustomerFields(TypedDict, total=False):
    email: str
    phone: str
    address: AddressParams
    preferences: CustomerPreferencesParams
    tags: list[str]
    custom_fields: dict[str, Any]


class CustomerCreateParams(_CustomerFields, total=False):
    """Body of `POST /customers`."""

    first_name: Required[str]
    last_name: Required[str]


class CustomerUpdateParams(_CustomerFields, total=False):
    """Body of `PUT /customers/:id`: only the fields given are changed."""

    first_name: str
    last_name: str


class CustomerListParams(PaginationParams, total=False):
    """Filters of `GET /customers`."""

    email: str
    tag: str
    q: str
    sort: ListSort
    updated_since: DateLike


class _ServiceFields(TypedDict, total=False):
    description: str
    buffer_before: int
    buffer_after: int
    price: float
    currency: str
    required_skills: list[str]
    available_online: bool
    color: str
    category: str


class ServiceCreateParams(_ServiceFields, total=False):
    """Body of `POST /services`."""

    name: Required[str]
    duration: Required[int]


class ServiceUpdateParams(_ServiceFields, total=False):
    """Body of `PUT /services/:id`: only the fields given are changed."""

    name: str
    duration: int


class _TeamFields(TypedDict, total=False):
    description: str


class TeamCreateParams(_TeamFields, total=False):
    """Body of `POST /teams`."""

    name: Required[str]


class TeamUpdateParams(_TeamFields, total=False):
    """Body of `PUT /teams/:id`: only the fields given are changed."""

    name: str


class WorkingHoursParams(TypedDict):
    """One day's working hours, `HH:MM` local time."""

    start: str
    end: str


class WeekHoursParams(TypedDict, total=False):
    """Working hours per weekday; a day left out (or None) is a day off."""

    monday: WorkingHoursParams | None
    tuesday: WorkingHoursParams | None
    wednesday: WorkingHoursParams | None
    thursday: WorkingHoursParams | None
    friday: WorkingHoursParams | None
    saturday: WorkingHoursParams | None
    sunday: WorkingHoursParams | None


class _TechnicianFields(TypedDict, total=False):
    email: str
    phone: str
    skills: list[str]
    zones: list[str]
    working_hours: WeekHoursParams
    max_appointments_per_day: int
    current_location: CoordinatesParams
    start_location: CoordinatesParams
    """Where the technician's day starts, for travel times (e.g. home or depot)."""
    team_id: str


class TechnicianCreateParams(_TechnicianFields, total=False):
    """Body of `POST /technicians`."""

    name: Required[str]


class TechnicianUpdateParams(_TechnicianFields, total=False):
    """Body of `PUT /technicians/:id`: only the fields given are changed."""

    name: str


class _WebhookFields(TypedDict, total=False):
    active: bool
    description: str


class WebhookCreateParams(_WebhookFields, total=False):
    """Body of `POST /webhooks`; without `secret` the server generates one."""

    url: Required[str]
    events: Required[list[str]]
    secret: str


class WebhookUpdateParams(_WebhookFields, total=False):
    """Body of `PUT /webhooks/:id`: only the fields given are changed."""

    url: str
    events: list[str]
    secret: str


class ServiceListParams(PaginationParams, total=False):
    """Filters of `GET /services`."""

    category: str
    available_online: bool


class TechnicianListParams(PaginationParams, total=False):
    """Filters of `GET /technicians`."""

    team_id: str
    skill: str
    zone: str


class WebhookDeliveryListParams(PaginationParams, total=False):
    """Filters of `GET /webhooks/:id/deliveries`."""

    status: Literal["pending", "succeeded", "failed", "cancelled"]
    event_type: str
    event_id: str


class EventListParams(PaginationParams, total=False):
    """Filters of `GET /events`, newest first."""

    type: str | list[str]
    """One type, or several (`["appointment.created", "appointment.cancelled"]`)."""
    date_from: DateLike
    date_to: DateLike
