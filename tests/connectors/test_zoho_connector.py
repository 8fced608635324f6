"""The Zoho connector against the fake: paging, incremental cursors, deletions, batched
upserts with per-record results, custom fields, notifications, limits."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from connectors.base import Channel, InvalidRequest, NotFound, Page, RateLimited
from connectors.zoho import ZohoConnector
from connectors.zoho.tokens import SharedTokenProvider
from hub.clock import ManualClock
from tests.connectors.zoho_support import connection_config, seed_contacts
from tests.fakes.server import LoopbackServer
from tests.fakes.zoho import FakeZoho

pytest_plugins = ["tests.connectors.zoho_fixtures"]


def _read_all(connector: ZohoConnector, cursor: dict[str, Any] | None) -> tuple[list[Page], Any]:
    pages = list(connector.read("contacts", cursor))
    return pages, pages[-1].next_cursor


def _ids(pages: list[Page]) -> list[str]:
    return [r.id for p in pages for r in p.records]


def test_full_read_uses_pages_of_200_then_page_token(
    zoho: FakeZoho, zoho_connector: ZohoConnector
) -> None:
    """2,500 contacts: 13 record calls, page numbers up to 10, page_token after."""
    ids = seed_contacts(zoho, 2500)
    pages, cursor = _read_all(zoho_connector, None)
    assert sorted(_ids(pages)) == sorted(ids) and len(_ids(pages)) == 2500
    lists = [r for r in zoho.requests if r.endpoint == "records.list"]
    assert len(lists) == 13
    assert [r.query.get("page") for r in lists[:10]] == [str(n) for n in range(1, 11)]
    assert all("page_token" in r.query and "page" not in r.query for r in lists[10:])
    assert all(r.query["per_page"] == "200" for r in lists)
    assert all(r.query["sort_by"] == "Modified_Time" for r in lists)
    # A full pass reads the deleted list too (after a reconnection its deletions unlink).
    assert zoho.calls["records.deleted"] == 1
    assert cursor["phase"] == "records" and cursor["since"]


def test_incremental_read_gets_changes_in_one_call_and_keeps_same_second_edits(
    zoho: FakeZoho, zoho_connector: ZohoConnector, clock: ManualClock
) -> None:
    """100 edits after a full read come in one records call; an edit in the very second of
    the high-water mark is not lost (If-Modified-Since a second early, id tie-break)."""
    ids = seed_contacts(zoho, 300)
    store = zoho.store()
    clock.advance(timedelta(seconds=10))
    store.touch("Contacts", ids[0], First_Name="Marque")  # alone in the high-water second
    _, cursor = _read_all(zoho_connector, None)
    late = store.touch("Contacts", ids[0], First_Name="Même seconde")  # same second, after
    clock.advance(timedelta(seconds=30))
    for record_id in ids[1:100]:
        store.touch("Contacts", record_id, Mobile="+33 6 00 00 00 00")
    zoho.requests.clear()
    pages, cursor2 = _read_all(zoho_connector, cursor)
    assert sorted(_ids(pages)) == sorted(ids[:100])
    lists = [r for r in zoho.requests if r.endpoint == "records.list"]
    assert len(lists) == 1
    assert "If-Modified-Since" in lists[0].headers
    assert late["Modified_Time"] < cursor2["since"]
    assert [r.data["First_Name"] for p in pages for r in p.records if r.id == ids[0]] == [
        "Même seconde"
    ]
    pages, _ = _read_all(zoho_connector, cursor2)
    assert _ids(pages) == []  # nothing read twice


def test_deleted_and_merged_records(
    zoho: FakeZoho, zoho_connector: ZohoConnector, clock: ManualClock
) -> None:
    """Deletions come from the deleted-records list; a merge is the master edited and the
    others deleted."""
    ids = seed_contacts(zoho, 5)
    _, cursor = _read_all(zoho_connector, None)
    clock.advance(timedelta(seconds=10))
    zoho.store().remove("Contacts", ids[0])
    zoho.store().merge("Contacts", ids[1], [ids[2]])
    pages, cursor = _read_all(zoho_connector, cursor)
    assert sorted(d for p in pages for d in p.deleted) == sorted([ids[0], ids[2]])
    assert _ids(pages) == [ids[1]]
    pages, _ = _read_all(zoho_connector, cursor)
    assert [d for p in pages for d in p.deleted] == []


def test_killed_sync_resumes_from_the_last_saved_page(
    zoho: FakeZoho, zoho_connector: ZohoConnector
) -> None:
    """Stopping after 3 pages and resuming from that page's cursor reads each record once."""
    ids = seed_contacts(zoho, 1000)
    seen: list[str] = []
    saved = None
    for n, page in enumerate(zoho_connector.read("contacts", None)):
        seen.extend(r.id for r in page.records)
        saved = page.next_cursor
        if n == 2:
            break
    pages, _ = _read_all(zoho_connector, saved)
    seen.extend(_ids(pages))
    assert sorted(seen) == sorted(ids)


def test_upsert_batches_of_100_with_per_record_results(
    zoho: FakeZoho, zoho_connector: ZohoConnector
) -> None:
    """250 payloads: 3 calls; an existing e-mail is updated, not duplicated; one bad record
    fails alone."""
    existing = zoho.store().create("Contacts", Last_Name="Existant", Email="deja@example.fr")
    payloads: list[dict[str, Any]] = [
        {"Last_Name": f"N{i}", "Email": f"n{i}@example.fr"} for i in range(248)
    ]
    payloads.append({"Last_Name": "Bis", "Email": "DEJA@example.fr"})
    payloads.append({"Email": "sans-nom@example.fr"})  # Last_Name is mandatory
    results = zoho_connector.upsert_many("contacts", payloads)
    assert zoho.calls["records.upsert"] == 3
    assert [r.ok for r in results].count(False) == 1
    assert results[-1].code == "MANDATORY_NOT_FOUND"
    assert results[-2].id == existing["id"] and results[-2].action == "update"
    assert len(zoho.store().modules["Contacts"].records) == 249
    sent = [r.body for r in zoho.requests if r.endpoint == "records.upsert"]
    assert all(b["duplicate_check_fields"] == ["Email", "Phone"] for b in sent)


def test_phone_matches_when_email_does_not(zoho: FakeZoho, zoho_connector: ZohoConnector) -> None:
    """Duplicate check falls back to the phone number."""
    existing = zoho.store().create("Contacts", Last_Name="Tel", Phone="+33123456789")
    created = zoho_connector.create("contacts", {"Last_Name": "Tel", "Phone": "+33123456789"})
    assert created.id == existing["id"]


def test_update_delete_get(zoho: FakeZoho, zoho_connector: ZohoConnector) -> None:
    """Update by id, fetch, delete (twice is fine); an update of a deleted record is NotFound
    (the engine creates the record again)."""
    record = zoho_connector.create("contacts", {"Last_Name": "Durand"})
    zoho_connector.update("contacts", record.id, {"First_Name": "Anne"}, None)
    assert zoho_connector.get("contacts", record.id).data["First_Name"] == "Anne"
    zoho_connector.delete("contacts", record.id, None)
    zoho_connector.delete("contacts", record.id, None)
    assert record.id not in zoho.store().modules["Contacts"].records
    with pytest.raises(NotFound):
        zoho_connector.update("contacts", record.id, {"First_Name": "X"}, None)


def test_custom_fields_are_discovered_and_read(
    zoho: FakeZoho, provider: SharedTokenProvider, clock: ManualClock
) -> None:
    """A custom field from the metadata API can be mapped and is read; more than 50 is refused."""
    zoho.store().add_custom_field("Contacts", "Numero_Client")
    zoho.store().create("Contacts", Last_Name="Custom", Numero_Client="C-0042")
    config = connection_config(zoho, "us", custom_fields={"contacts": ["Numero_Client"]})
    with ZohoConnector(provider, config, clock=clock.now) as connector:
        assert [f["api_name"] for f in connector.custom_fields("contacts")] == ["Numero_Client"]
        pages = list(connector.read("contacts", None))
    assert pages[0].records[0].data["Numero_Client"] == "C-0042"
    many = connection_config(zoho, "us", custom_fields={"contacts": [f"F{i}" for i in range(40)]})
    with ZohoConnector(provider, many) as connector, pytest.raises(InvalidRequest):
        connector.fields_for("contacts")


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    """A loopback URL recording the notifications it receives."""
    received: list[tuple[dict[str, str], bytes]] = []
    got = threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        headers = {k[5:].lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        received.append((headers, body))
        got.set()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    server = LoopbackServer(app).start()
    try:
        yield server.base_url + "/v2/integrations/zoho/notifications", received
    finally:
        server.stop()


def test_watch_channel_notifies_and_is_verified(
    zoho: FakeZoho, zoho_connector: ZohoConnector, receiver: Any, clock: ManualClock
) -> None:
    """Enable a channel, change a contact: the callback names the channel and its token,
    which verification checks; a wrong token is refused; disabling stops it."""
    url, received = receiver
    with pytest.raises(InvalidRequest):
        zoho_connector.subscribe("contacts", url, channel_id="1001", token="t" * 51)
    channel = zoho_connector.subscribe("contacts", url, channel_id="1001", token="s3cret-token")
    assert channel.expires_at == clock.now().replace(microsecond=0) + timedelta(days=3)
    zoho_connector.create("contacts", {"Last_Name": "Notifié"})
    zoho.flush_notifications()
    assert len(received) == 1
    headers, body = received[0]
    assert zoho_connector.verify_notification(headers, body, channel)
    note = zoho_connector.parse_notification(headers, body)
    assert note.channel_id == "1001" and note.resource_id == "Contacts"
    forged = json.dumps({**json.loads(body), "token": "guess"}).encode()
    assert not zoho_connector.verify_notification(headers, forged, channel)
    other = Channel("1002", "Contacts", "s3cret-token", None, "contacts")
    assert not zoho_connector.verify_notification(headers, body, other)
    zoho_connector.unsubscribe(channel)
    zoho_connector.create("contacts", {"Last_Name": "Silence"})
    zoho.flush_notifications()
    assert len(received) == 1


def test_channel_renewal_moves_the_expiry(
    zoho: FakeZoho, zoho_connector: ZohoConnector, clock: ManualClock
) -> None:
    """Enabling the same channel again renews it; an expired channel no longer notifies."""
    channel = zoho_connector.subscribe(
        "contacts", "http://127.0.0.1:9/x", channel_id="7", token="tok"
    )
    clock.advance(timedelta(hours=23))
    renewed = zoho_connector.subscribe(
        "contacts", "http://127.0.0.1:9/x", channel_id="7", token="tok"
    )
    assert renewed.expires_at and channel.expires_at
    assert renewed.expires_at - channel.expires_at == timedelta(hours=23)
    assert list(zoho.channels) == ["7"]
    clock.advance(timedelta(days=4))
    zoho_connector.create("contacts", {"Last_Name": "Trop tard"})
    zoho.flush_notifications()
    assert zoho.channels["7"].deliveries == []


@pytest.mark.parametrize(
    ("headers", "retry"),
    [
        pytest.param({"Retry-After": "30"}, 30.0, id="retry-after"),
        pytest.param({}, None, id="none"),
    ],
)
def test_429_is_rate_limited(
    zoho: FakeZoho, zoho_connector: ZohoConnector, headers: dict[str, str], retry: float | None
) -> None:
    """429 TOO_MANY_REQUESTS (credits or concurrency) is RateLimited with Zoho's Retry-After."""
    zoho.inject_fault(429, "TOO_MANY_REQUESTS", headers=headers)
    with pytest.raises(RateLimited) as info:
        list(zoho_connector.read("contacts", None))
    assert info.value.retry_after == retry and info.value.reason == "TOO_MANY_REQUESTS"


def test_credits_used_up(zoho: FakeZoho, zoho_connector: ZohoConnector) -> None:
    """When the day's credits are spent the connector is told to back off; the credit
    headers of every answer are what `remote_usage` reports."""
    zoho.credits_per_day = 2
    assert zoho_connector.remote_usage() is None  # nothing reported yet
    zoho_connector.check()
    assert zoho_connector.remote_usage() == {
        "limit": 2,
        "remaining": 1,
        "used": 1,
        "window": "24h",
    }
    zoho_connector.check()
    with pytest.raises(RateLimited):
        zoho_connector.check()
    usage = zoho_connector.remote_usage()
    assert usage is not None and (usage["remaining"], usage["used"]) == (0, 2)


def test_api_domain_outside_the_table_is_refused(
    zoho: FakeZoho, provider: SharedTokenProvider
) -> None:
    """A connection whose stored API domain is not its data centre's is refused up front."""
    config = {**connection_config(zoho, "us"), "api_domain": "https://www.zohoapis.evil.example"}
    from connectors.base import AuthError

    with pytest.raises(AuthError):
        ZohoConnector(provider, config)


def test_mapped_customer_survives_a_trip_through_zoho(
    zoho: FakeZoho, provider: SharedTokenProvider, clock: ManualClock
) -> None:
    """mappings/zoho.yaml's outbound payload, written to Zoho and read back, maps to the same
    customer (custom field included)."""
    import mappings

    zoho.store().add_custom_field("Contacts", "Numero_Client")
    mapping = mappings.with_override(
        mappings.load("zoho"),
        {
            "rules": [
                {
                    "direction": "outbound",
                    "target": "Numero_Client",
                    "transform": "copy",
                    "source": "custom_fields.numero_client",
                },
                {
                    "direction": "inbound",
                    "target": "custom_fields.numero_client",
                    "transform": "copy",
                    "source": "Numero_Client",
                },
            ]
        },
    )
    customer = {
        "first_name": "Marie",
        "last_name": "Dupont",
        "email": "marie@example.com",
        "phone": "+33612345678",
        "tags": ["vip"],
        "address": {"street": "1 rue A", "city": "Paris", "postal_code": "75001", "country": "FR"},
        "custom_fields": {"numero_client": "C-7"},
    }
    config = connection_config(zoho, "us", custom_fields={"contacts": ["Numero_Client"]})
    with ZohoConnector(provider, config, clock=clock.now) as connector:
        connector.create("contacts", mappings.apply(mapping, "outbound", customer))
        (record,) = [r for p in connector.read("contacts", None) for r in p.records]
    assert mappings.apply(mapping, "inbound", record.data) == customer


def test_converted_lead_is_read_once_more_and_its_contact_matches(
    zoho: FakeZoho, zoho_connector: ZohoConnector, clock: ManualClock
) -> None:
    """Converting a lead: the leads stream sees it again flagged `$converted`, the contacts
    stream sees a new contact with the same e-mail (what keeps the same customer)."""
    lead = zoho.store().create("Leads", Last_Name="Martin", Email="paul@martin.fr")
    _, lead_cursor = _read_leads(zoho_connector, None)
    _, contact_cursor = _read_all(zoho_connector, None)
    clock.advance(timedelta(seconds=5))
    contact_id = zoho.store().convert_lead(lead["id"])
    leads, _ = _read_leads(zoho_connector, lead_cursor)
    contacts, _ = _read_all(zoho_connector, contact_cursor)
    (converted,) = [r for p in leads for r in p.records]
    assert converted.id == lead["id"] and converted.data["$converted"] is True
    (contact,) = [r for p in contacts for r in p.records]
    assert contact.id == contact_id and contact.data["Email"] == "paul@martin.fr"
    assert all(
        r.query.get("converted") == "both"
        for r in zoho.requests
        if r.endpoint == "records.list" and r.path.endswith("/Leads")
    )


def _read_leads(connector: ZohoConnector, cursor: Any) -> tuple[list[Page], Any]:
    pages = list(connector.read("leads", cursor))
    return pages, pages[-1].next_cursor


def test_expired_page_token_restarts_the_pass(
    zoho: FakeZoho, zoho_connector: ZohoConnector, clock: ManualClock
) -> None:
    """A sync stopped past 2,000 records and resumed after its page token expired reads that
    pass again from the start instead of failing."""
    ids = seed_contacts(zoho, 2300)
    saved = None
    for n, page in enumerate(zoho_connector.read("contacts", None)):
        saved = page.next_cursor
        if n == 10:
            break
    assert saved is not None and saved["page_token"]
    clock.advance(timedelta(days=2))
    zoho.requests.clear()
    pages, _ = _read_all(zoho_connector, saved)
    assert set(_ids(pages)) == set(ids)
    lists = [r.query for r in zoho.requests if r.endpoint == "records.list"]
    numbered = next(i for i, q in enumerate(lists) if "page" in q)
    assert lists[numbered - 1].get("page_token") == saved["page_token"]  # refused as expired
    assert lists[numbered]["page"] == "1"  # then the pass again from its first page


def test_concurrency_limit_is_rate_limited(zoho: FakeZoho, zoho_connector: ZohoConnector) -> None:
    """Past Zoho's concurrent-call limit the extra call answers 429: RateLimited, not a crash."""
    from concurrent.futures import ThreadPoolExecutor

    zoho_connector.check()  # the token is minted before the race
    zoho.concurrency_limit = 1
    zoho.latency = 0.3

    def call(_: int) -> str:
        try:
            zoho_connector.custom_fields("contacts")
        except RateLimited as err:
            return str(err.reason)
        return "ok"

    with ThreadPoolExecutor(3) as pool:
        outcomes = sorted(pool.map(call, range(3)))
    assert "ok" in outcomes and "TOO_MANY_REQUESTS" in outcomes
