"""Typed models of the API's JSON objects, field for field as the API documentation shows them.

Every model is an `IValidObject`: a dict with attribute access. A documented field the server left
out reads as None; fields the documentation does not list are still there, through `obj["key"]`.
Timestamps stay ISO 8601 strings, exactly as the API sends them.
"""

from __future__ import annotations

from typing import Any

from ._object import IValidObject, MappingOf

__all__ = [
    "Address",
    "Appointment",
    "AppointmentCustomer",
    "AppointmentService",
    "AppointmentTechnician",
    "AvailabilityCheck",
    "AvailabilityDay",
    "AvailabilitySlot",
    "AvailabilitySlots",
    "Coordinates",
    "Customer",
    "CustomerPreferences",
    "Event",
    "Integration",
    "IntegrationAccount",
    "IntegrationConnect",
    "IntegrationDisconnect",
    "IntegrationError",
    "IntegrationMapping",
    "IntegrationSync",
    "Location",
    "MappingPreview",
    "PageMeta",
    "Service",
    "Suggestion",
    "Team",
    "Technician",
    "TechnicianLink",
    "TechnicianSchedule",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookRecovery",
    "WorkingHours",
]


class Coordinates(IValidObject):
    """A point on the map."""

    lat: float
    lng: float


class Location(IValidObject):
    """Where an appointment takes place."""

    address: str
    city: str
    postal_code: str
    coordinates: Coordinates | None

    _nested = {"coordinates": Coordinates}


class AppointmentCustomer(IValidObject):
    """The customer as embedded in an appointment."""

    id: str
    name: str
    email: str | None
    phone: str | None


class AppointmentService(IValidObject):
    """The service as embedded in an appointment."""

    id: str
    name: str
    duration: int
    price: float | None


class AppointmentTechnician(IValidObject):
    """The technician as embedded in an appointment."""

    id: str
    name: str


class Appointment(IValidObject):
    """A booked intervention: who, what, when, where, and its status."""

    id: str
    customer: AppointmentCustomer
    service: AppointmentService
    technician: AppointmentTechnician | None
    scheduled_at: str
    ends_at: str | None
    duration: int | None
    status: str
    """One of `pending`, `confirmed`, `completed`, `cancelled`."""
    location: Location | None
    notes: str | None
    notify_customer: bool | None
    reminder_sms: bool | None
    reminder_email: bool | None
    created_at: str | None
    updated_at: str | None

    _nested = {
        "customer": AppointmentCustomer,
        "service": AppointmentService,
        "technician": AppointmentTechnician,
        "location": Location,
    }


class Address(IValidObject):
    """A customer's postal address."""

    street: str
    city: str
    postal_code: str
    country: str


class CustomerPreferences(IValidObject):
    """How and when a customer likes to be reached."""

    preferred_contact: str | None
    preferred_time_slots: list[str]
    language: str | None


class Customer(IValidObject):
    """A customer of the account, with contact details and preferences."""

    id: str
    first_name: str
    last_name: str
    name: str | None
    email: str | None
    phone: str | None
    address: Address | None
    preferences: CustomerPreferences | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: str | None
    updated_at: str | None

    _nested = {"address": Address, "preferences": CustomerPreferences}


class Service(IValidObject):
    """A service the account offers: duration, price and required skills."""

    id: str
    name: str
    description: str | None
    duration: int
    buffer_before: int | None
    buffer_after: int | None
    price: float | None
    currency: str | None
    required_skills: list[str]
    available_online: bool | None
    color: str | None
    category: str | None
    created_at: str | None
    updated_at: str | None


class Team(IValidObject):
    """A group of technicians."""

    id: str
    name: str
    description: str | None
    technician_ids: list[str]
    created_at: str | None
    updated_at: str | None


class WorkingHours(IValidObject):
    """One day's working hours, `HH:MM` local time."""

    start: str
    end: str


class Technician(IValidObject):
    """A field technician: skills, zones and working hours."""

    id: str
    name: str
    email: str | None
    phone: str | None
    skills: list[str]
    zones: list[str]
    working_hours: dict[str, WorkingHours]
    """Keyed by lower-case weekday (`monday` … `sunday`)."""
    max_appointments_per_day: int | None
    current_location: Coordinates | None
    start_location: Coordinates | None
    team_id: str | None
    created_at: str | None
    updated_at: str | None

    _nested = {
        "working_hours": MappingOf(WorkingHours),
        "current_location": Coordinates,
        "start_location": Coordinates,
    }


class TechnicianSchedule(IValidObject):
    """A technician's day: working hours and the appointments booked in it."""

    technician_id: str
    date: str
    working_hours: WorkingHours | None
    appointments: list[Appointment]

    _nested = {"working_hours": WorkingHours, "appointments": Appointment}


class AvailabilitySlot(IValidObject):
    """A free slot: local `HH:MM` start and end (and the same as instants), and who would come."""

    start: str
    end: str
    technician_id: str
    technician_name: str | None
    travel_time: int | None
    """Minutes of travel to get there."""
    start_at: str | None
    end_at: str | None


class AvailabilityDay(IValidObject):
    """The free slots of one day (`GET /availability`)."""

    date: str
    slots: list[AvailabilitySlot]
    next_available_date: str | None

    _nested = {"slots": AvailabilitySlot}


class AvailabilitySlots(IValidObject):
    """Free slots over a date range, grouped by day (`GET /availability/slots`)."""

    date_from: str
    date_to: str
    days: list[AvailabilityDay]

    _nested = {"days": AvailabilityDay}


class Suggestion(IValidObject):
    """An alternative slot the server proposes when the one asked for is taken."""

    slot: str
    technician_id: str


class AvailabilityCheck(IValidObject):
    """Whether one slot can be booked (`POST /availability/check`), with alternatives if not."""

    available: bool
    technician_id: str | None
    """Who would come, when available."""
    travel_time: int | None
    reasons: list[str]
    """Why not, when not available."""
    suggestions: list[Suggestion]

    _nested = {"suggestions": Suggestion}


class Webhook(IValidObject):
    """A webhook endpoint; `secret` is shown only by create and rotate-secret."""

    id: str
    url: str
    events: list[str]
    active: bool
    description: str | None
    secret: str | None
    secret_hint: str | None
    """The secret's last characters, to tell secrets apart."""
    disabled_reason: str | None
    disabled_at: str | None
    previous_secret_expires_at: str | None
    """While a secret is rotated: until when the previous one still signs deliveries."""
    created_at: str | None
    updated_at: str | None


class WebhookAttempt(IValidObject):
    """One HTTP attempt of a delivery: when, the answer's status, latency, first 1 KB, error."""

    number: int
    attempted_at: str
    success: bool
    status_code: int | None
    latency_ms: int | None
    response_body: str | None
    error: str | None
    detail: str | None


class WebhookDelivery(IValidObject):
    """One event sent to one endpoint, and its attempts."""

    id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    """One of `pending`, `succeeded`, `failed`, `cancelled`."""
    attempt_count: int
    next_attempt_at: str | None
    last_status_code: int | None
    last_error: str | None
    created_at: str | None
    completed_at: str | None
    attempts: list[WebhookAttempt]

    _nested = {"attempts": WebhookAttempt}


class WebhookRecovery(IValidObject):
    """What `POST /webhooks/:id/recover` queued again."""

    webhook_id: str
    since: str
    until: str | None
    queued: int


class Event(IValidObject):
    """Something that happened in the account, as webhooks deliver it."""

    id: str
    event: str
    """The event type, e.g. `appointment.created`."""
    timestamp: str
    data: Any
    """The object the event is about (an `IValidObject`: an appointment, a customer, ...)."""


class IntegrationAccount(IValidObject):
    """The remote account a connection uses."""

    id: str
    email: str | None
    name: str | None


class IntegrationError(IValidObject):
    """The last error of a connection."""

    code: str | None
    message: str | None
    at: str | None


class Integration(IValidObject):
    """A connector (Google Calendar, Outlook, Zoho, ...) and the account's connection to it."""

    name: str
    """`google-calendar`, `outlook`, `zoho`, `stripe`, `zapier`, `make`."""
    display_name: str
    status: str
    """`disconnected`, `connected` or `reauth_required`."""
    configured: bool
    """Whether the hub has an OAuth application for this provider."""
    supports_push: bool
    connected_as: IntegrationAccount | None
    scopes: list[str]
    connected_at: str | None
    last_sync_at: str | None
    last_sync_status: str | None
    last_error: IntegrationError | None
    next_sync_at: str | None
    backoff_until: str | None
    sync_interval: int
    technicians_linked: int
    pending_pushes: int
    mapping_overridden: bool
    last_stats: dict[str, int]

    _nested = {"connected_as": IntegrationAccount, "last_error": IntegrationError}


class IntegrationConnect(IValidObject):
    """Where to send the user to grant access: the provider's consent page."""

    authorization_url: str
    expires_at: str


class IntegrationDisconnect(IValidObject):
    """The connection after it was disconnected."""

    integration: str
    status: str
    revoked: bool
    """Whether the provider confirmed the grant is revoked."""


class IntegrationSync(IValidObject):
    """A synchronisation queued for the worker."""

    integration: str
    status: str
    next_sync_at: str | None
    backoff_until: str | None


class IntegrationMapping(IValidObject):
    """How fields map to the provider: the account's override and the resulting rules."""

    integration: str
    override: dict[str, Any] | None
    time_zone: str
    rules: list[dict[str, Any]]


class MappingPreview(IValidObject):
    """What one appointment becomes at the provider."""

    appointment_id: str
    calendar_id: str | None
    payload: dict[str, Any]


class TechnicianLink(IValidObject):
    """A technician and the remote calendar his appointments go to."""

    technician_id: str
    technician_name: str
    email: str | None
    calendar_id: str | None
    linked_by: str | None
    last_pulled_at: str | None
    channel_expires_at: str | None
    channel_error: str | None


class PageMeta(IValidObject):
    """Where a list page sits: `total` items over `total_pages` pages of `per_page`."""

    total: int
    page: int
    per_page: int
    total_pages: int
