"""Customers, services, teams, technicians, webhooks, events and integrations, on a live hub."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import ivalid
import pytest
from ivalid.types import (
    Customer,
    Integration,
    Service,
    Team,
    Technician,
    TechnicianSchedule,
    Webhook,
)
from sdk_support import LiveHub, Received, Reply, StubServer, future_slot

MONDAY, TUESDAY, THURSDAY = 0, 1, 3


def test_pagination_walks_every_page(client: ivalid.Client) -> None:
    tag = f"page{uuid.uuid4().hex[:8]}"
    created = {
        client.customers.create(first_name=f"Client{i:02d}", last_name="Pagination", tags=[tag]).id
        for i in range(23)
    }
    first = client.customers.list(tag=tag, per_page=10)
    assert len(first.data) == 10
    assert (first.meta.total, first.meta.page, first.meta.per_page, first.meta.total_pages) == (
        23,
        1,
        10,
        3,
    )
    assert first.has_more

    second = first.next_page()
    assert second is not None and second.meta.page == 2 and len(second.data) == 10
    third = second.next_page()
    assert third is not None and len(third.data) == 3 and not third.has_more
    assert third.next_page() is None

    walked = [c.id for c in first]  # iterating the first page walks all three
    assert len(walked) == 23 and set(walked) == created
    assert all(isinstance(c, Customer) for c in first.auto_paging_iter())


def test_customers(client: ivalid.Client, live: LiveHub) -> None:
    email = f"marie.{uuid.uuid4().hex[:8]}@example.com"
    customer = client.customers.create(
        first_name="Marie",
        last_name="Dupont",
        email=email,
        phone="+33612345678",
        address={
            "street": "15 rue des Lilas",
            "city": "Paris",
            "postal_code": "75001",
            "country": "FR",
        },
        preferences={
            "preferred_contact": "sms",
            "preferred_time_slots": ["morning", "afternoon"],
            "language": "fr",
        },
        tags=["premium", "fidele"],
        custom_fields={"numero_client": "CLT-2024-001"},
    )
    assert isinstance(customer, Customer)
    assert customer.id.startswith("cust_") and customer.name == "Marie Dupont"
    assert customer.address is not None and customer.address.city == "Paris"
    assert customer.preferences is not None and customer.preferences.preferred_contact == "sms"
    assert customer.custom_fields["numero_client"] == "CLT-2024-001"

    assert client.customers.get(customer.id) == customer
    updated = client.customers.update(customer.id, phone="+33700000000", tags=["premium"])
    assert updated.phone == "+33700000000" and updated.tags == ["premium"]
    assert updated.email == email

    assert [c.id for c in client.customers.list(email=email)] == [customer.id]
    assert customer.id in {c.id for c in client.customers.list(q="Dupont", per_page=100)}
    assert list(client.customers.appointments(customer.id)) == []

    with pytest.raises(ivalid.ValidationError) as info:
        client.customers.create(first_name="Sans", last_name="Email", email="pas-un-email")
    assert any(e["field"].endswith("email") for e in info.value.errors)

    with pytest.raises(ivalid.NotFoundError):
        client.customers.update("cust_doesnotexist", phone="+33700000000")


def test_services(client: ivalid.Client, live: LiveHub) -> None:
    demo = client.services.get(live.demo["service_id"])
    assert isinstance(demo, Service)
    assert (demo.name, demo.duration, demo.price, demo.currency) == (
        "Installation Climatisation",
        120,
        150.0,
        "EUR",
    )
    assert demo.required_skills == ["climatisation", "electricite"]

    created = client.services.create(
        name="Dépannage Pompe à Chaleur",
        duration=90,
        buffer_after=15,
        price=120.5,
        required_skills=["climatisation"],
        category="depannage",
        color="#3B82F6",
    )
    assert created.id.startswith("srv_") and created.price == 120.5
    renamed = client.services.update(created.id, name="Dépannage PAC", available_online=False)
    assert renamed.name == "Dépannage PAC" and renamed.available_online is False
    assert client.services.get(created.id).name == "Dépannage PAC"
    assert created.id in {s.id for s in client.services.list(category="depannage")}
    assert all(s.category == "installation" for s in client.services.list(category="installation"))


def test_teams_and_technicians(client: ivalid.Client, live: LiveHub) -> None:
    team = client.teams.create(name="Équipe Lyon", description="Interventions Rhône")
    assert isinstance(team, Team) and team.technician_ids == []
    assert client.teams.update(team.id, description="Rhône et Isère").description == (
        "Rhône et Isère"
    )

    technician = client.technicians.create(
        name="Sophie Bernard",
        email="sophie.bernard@company.com",
        team_id=team.id,
        skills=["plomberie"],
        zones=["69001", "69002"],
        working_hours={
            "monday": {"start": "08:00", "end": "18:00"},
            "friday": {"start": "08:00", "end": "12:00"},
        },
        max_appointments_per_day=4,
        current_location={"lat": 45.764, "lng": 4.8357},
    )
    assert isinstance(technician, Technician)
    assert technician.working_hours["monday"].start == "08:00"
    assert technician.current_location is not None and technician.current_location.lat == 45.764
    assert client.teams.get(team.id).technician_ids == [technician.id]

    moved = client.technicians.update(technician.id, zones=["69003"], max_appointments_per_day=5)
    assert moved.zones == ["69003"] and moved.max_appointments_per_day == 5
    assert client.technicians.get(technician.id).zones == ["69003"]

    in_team = client.technicians.list(team_id=team.id)
    assert [t.id for t in in_team] == [technician.id]
    plumbers = {t.id for t in client.technicians.list(skill="plomberie", per_page=100)}
    assert {technician.id, live.demo["second_technician_id"]} <= plumbers
    assert team.id in {t.id for t in client.teams.list(per_page=100)}


def test_technician_schedule(client: ivalid.Client, live: LiveHub) -> None:
    jean = live.demo["technician_id"]
    start = future_slot(6, TUESDAY, 9)
    booked = client.appointments.create(
        customer_id=live.demo["customer_id"],
        service_id=live.demo["service_id"],
        scheduled_at=start,
        technician_id=jean,
    )
    schedule = client.technicians.schedule(jean, date=start.date())
    assert isinstance(schedule, TechnicianSchedule)
    assert schedule.date == start.date().isoformat()
    assert schedule.technician.id == jean
    assert schedule.working_hours is not None and schedule.working_hours.start == "08:00"
    assert [a.id for a in schedule.appointments] == [booked.id]


def test_events_record_what_happened(client: ivalid.Client, live: LiveHub) -> None:
    booked = client.appointments.create(
        customer_id=live.demo["customer_id"],
        service_id=live.demo["service_id"],
        scheduled_at=future_slot(6, THURSDAY, 8),
    )
    created_events = client.events.list(type="appointment.created", per_page=100)
    matching = [e for e in created_events if e.data["id"] == booked.id]
    assert len(matching) == 1
    event = client.events.get(matching[0].id)
    assert event.event == "appointment.created"
    assert event.data.customer.name == "Marie Dupont"
    assert event.timestamp.endswith("Z")


# -- webhooks -------------------------------------------------------------------------------------


@pytest.fixture
def receiver() -> Iterator[StubServer]:
    """A loopback endpoint that accepts every webhook delivery."""
    server = StubServer()
    server.default("POST", "/hooks/ivalid", lambda request: Reply(200, {"ok": True}))
    yield server
    server.close()


def test_webhook_management(client: ivalid.Client, receiver: StubServer) -> None:
    secret = "whsec_your_webhook_secret"
    url = f"{receiver.origin}/hooks/ivalid"
    hook = client.webhooks.create(
        url=url,
        events=["appointment.created", "appointment.updated", "appointment.cancelled"],
        secret=secret,
        active=True,
    )
    assert isinstance(hook, Webhook)
    assert hook.url == url and hook.active is True
    assert hook.events == ["appointment.created", "appointment.updated", "appointment.cancelled"]

    assert client.webhooks.get(hook.id).url == url
    assert hook.id in {h.id for h in client.webhooks.list()}
    paused = client.webhooks.update(hook.id, active=False)
    assert paused.active is False
    client.webhooks.update(hook.id, active=True)

    rotated = client.webhooks.rotate_secret(hook.id)
    assert rotated.secret and rotated.secret.startswith("whsec_") and rotated.secret != secret
    assert rotated.previous_secret_expires_at is not None
    assert client.webhooks.get(hook.id).secret is None  # shown once only

    queued = client.webhooks.test(hook.id)
    assert queued.webhook_id == hook.id and queued.event_type == "webhook.test"
    deliveries = client.webhooks.deliveries(hook.id)
    assert isinstance(deliveries, ivalid.Page)
    assert queued.id in {d.id for d in deliveries}
    assert [d.id for d in client.webhooks.deliveries(hook.id, event_type="webhook.test")] == [
        queued.id
    ]

    recovery = client.webhooks.recover(hook.id, since=future_slot(-2, MONDAY, 0))
    assert recovery.webhook_id == hook.id and isinstance(recovery.queued, int)

    assert client.webhooks.delete(hook.id) is None
    with pytest.raises(ivalid.NotFoundError):
        client.webhooks.get(hook.id)


def test_a_webhook_refuses_an_unsafe_url(client: ivalid.Client) -> None:
    with pytest.raises(ivalid.ValidationError):
        client.webhooks.create(url="http://169.254.169.254/latest", events=["appointment.created"])


def test_delivered_webhooks_verify_with_the_sdk(
    client: ivalid.Client, live: LiveHub, receiver: StubServer, hub_worker: object
) -> None:
    hook = client.webhooks.create(
        url=f"{receiver.origin}/hooks/ivalid", events=["appointment.created"]
    )
    assert hook.secret and hook.secret.startswith("whsec_")
    booked = client.appointments.create(
        customer_id=live.demo["customer_id"],
        service_id=live.demo["service_id"],
        scheduled_at=future_slot(7, MONDAY, 9),
    )

    def ours() -> list[Received]:
        # Events recorded before the hook existed may be fanned out to it too: skip those.
        return [
            r
            for r in receiver.calls("POST", "/hooks/ivalid")
            if json.loads(r.body).get("data", {}).get("id") == booked.id
        ]

    deadline = time.monotonic() + 30
    while not ours() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ours(), f"the worker did not deliver the webhook within 30s:\n{live.log_tail()}"
    request = ours()[0]
    signature = request.headers["X-iValid-Signature"]
    assert ivalid.webhooks.verify(request.body, signature, hook.secret)
    assert ivalid.webhooks.verify_standard(request.body, request.headers, hook.secret)
    event = ivalid.webhooks.construct_event(request.body, request.headers, hook.secret)
    assert event.event == "appointment.created" and event.data.id == booked.id
    assert event.data.customer.name == "Marie Dupont"

    (delivery,) = client.webhooks.deliveries(hook.id, event_id=event.id)
    deadline = time.monotonic() + 10
    while delivery.status == "pending" and time.monotonic() < deadline:
        time.sleep(0.2)
        (delivery,) = client.webhooks.deliveries(hook.id, event_id=event.id)
    assert delivery.status == "succeeded" and delivery.attempts[0].status_code == 200
    again = client.webhooks.retry_delivery(hook.id, delivery.id)
    assert again.event_id == event.id
    client.webhooks.delete(hook.id)


# -- integrations ---------------------------------------------------------------------------------


def test_integrations(client: ivalid.Client, live: LiveHub) -> None:
    try:
        integrations = client.integrations.list()
    except ivalid.NotFoundError:
        pytest.skip("this hub does not serve /v2/integrations yet")
    known = {"google-calendar", "outlook", "zoho", "stripe", "zapier", "make"}
    names = [i.name for i in integrations]
    assert names and set(names) <= known
    assert "google-calendar" in names

    google = client.integrations.get("google-calendar")
    assert isinstance(google, Integration)
    assert google.display_name == "Google Calendar" and google.status == "disconnected"
    mapping = client.integrations.mapping("google-calendar")
    assert mapping.integration == "google-calendar" and mapping.rules
    links = client.integrations.technician_links("google-calendar")
    assert live.demo["technician_id"] in {link.technician_id for link in links}

    with pytest.raises(ivalid.ConflictError) as info:
        client.integrations.sync("google-calendar")  # not connected yet
    assert info.value.code == "INTEGRATION_NOT_CONNECTED"
    if not google.configured:  # no OAuth application on this test server
        with pytest.raises(ivalid.ConflictError) as info:
            client.integrations.connect("google-calendar")
        assert info.value.code == "INTEGRATION_NOT_CONFIGURED"
    assert client.integrations.disconnect("google-calendar").status == "disconnected"
    with pytest.raises(ivalid.NotFoundError):
        client.integrations.get("fax-machine")
