"""Randomized convergence of iValid customers and Zoho CRM contacts (the fake, over HTTP).

200 seeded rounds of edits on both sides — customers created and edited through the API;
contacts created, edited, deleted and merged as a person in Zoho's UI would; the same
customer edited on both sides in one round — with syncs run as the worker runs them (the
outbox fan-out, then the connection's sync), some killed midway (a BaseException after a page,
before or after its cursor is saved, the lease left to expire), and a disconnect/reconnect
through the real OAuth flow. At the end every live contact is linked to exactly one customer
with the same fields, no e-mail is held twice on either side, and the records written to Zoho
are exactly one per local change (a change read from Zoho is never written back).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hub.clock import ManualClock
from hub.integrations.engine import sync_now
from hub.integrations.runtime import SyncHooks, SyncRuntime
from hub.models import IntegrationConnection, IntegrationLink
from tests.fakes.zoho import FakeZoho
from tests.integrations import test_zoho_connect as connect_test
from tests.integrations.support import dispatch
from tests.integrations.zoho_hub import NAME
from tests.integrations.zoho_hub import callback as _callback
from tests.integrations.zoho_hub import connection as _connection
from tests.integrations.zoho_hub import consent as _consent
from tests.support import Api, Tenant

# The EU data centre, the pinned clock, the fake and the runtime of the connect tests.
user_location = connect_test.user_location
clock = connect_test.clock
zoho = connect_test.zoho
rt = connect_test.rt

SEED = int(os.environ.get("IVALID_CONVERGENCE_SEED", "20251203"))
ROUNDS = 200
PAGE_SIZE = 5
FIELDS = ("First_Name", "Last_Name", "Email", "Phone")


class Crash(BaseException):
    """The worker process dies (not an Exception: nothing may catch it and clean up)."""


class ZohoScenario:
    """Drives both sides and counts what the model expects to be written to Zoho."""

    def __init__(
        self,
        app: Flask,
        api: Api,
        client: FlaskClient,
        tenant: Tenant,
        zoho: FakeZoho,
        clock: ManualClock,
        rt: SyncRuntime,
    ) -> None:
        self.app, self.api, self.client, self.tenant = app, api, client, tenant
        self.zoho, self.clock, self.rt = zoho, clock, rt
        self.store = zoho.store("eu")
        self.rng = random.Random(SEED)
        self.connected = True
        self.expected_writes = 0
        self.serial = 0
        self.stats: Counter[str] = Counter()
        self.dirty_offline: set[str] = set()  # customers changed while disconnected
        self.log: dict[str, list[Any]] = {}
        self.round = 0
        self.written = 0

    # ------------------------------------------------------------------ the worker

    def connection_id(self) -> str:
        conn = _connection(self.rt, self.tenant)
        assert conn is not None
        return conn.id

    def connect(self) -> None:
        assert _callback(self.client, _consent(self.api)).status_code == 200
        with self.rt.db.session() as session:
            conn = session.get(IntegrationConnection, self.connection_id())
            assert conn is not None
            conn.config = {**(conn.config or {}), "page_size": PAGE_SIZE}
            session.commit()

    def count_writes(self) -> None:
        """Count the contacts Zoho wrote: each record its multi-status answer says succeeded
        (upserts, inserts, updates, deletions; a refused record is no write)."""
        self.written = 0
        original = self.zoho.handle

        def counting(location: str, request: Any) -> Any:
            response = original(location, request)
            if request.method != "GET" and "/Contacts" in request.path:
                body = response.get_json(silent=True) or {}
                for item in body.get("data") or []:
                    self.written += item.get("status") == "success"
            return response

        self.zoho.handle = counting  # type: ignore[method-assign]

    def tick(self) -> None:
        """One round of the worker: the outbox fan-out, then the sync (twice, as the changes a
        pull applied reach the outbox too)."""
        self.clock.advance(timedelta(seconds=7))
        for _ in range(2):
            dispatch(self.app)
            if self.connected:
                assert sync_now(self.rt, self.connection_id()) is not None

    def killed_tick(self) -> None:
        """A sync whose worker dies after a page (before or after the cursor is saved)."""
        pages = self.rng.randint(1, 3)
        seen = Counter[str]()

        def crash(stream: str, number: int) -> None:
            seen[stream] += 1
            if sum(seen.values()) >= pages:
                raise Crash()

        before = self.rng.random() < 0.5
        self.rt.hooks = SyncHooks(after_page=crash) if before else SyncHooks(after_cursor=crash)
        try:
            self.tick()
        except Crash:
            self.stats["kills"] += 1
        finally:
            self.rt.hooks = SyncHooks()
        self.clock.advance(self.rt.lease + timedelta(seconds=1))  # the dead worker's lease

    # ------------------------------------------------------------------- local side

    def customers(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        page = 1
        while True:
            resp = self.api.get("/v2/customers", per_page=100, page=page)
            assert resp.status_code == 200, resp.get_json()
            data = resp.get_json()["data"]
            out.update({c["id"]: c for c in data})
            if len(data) < 100:
                return out
            page += 1

    def _local_changed(self, customer_id: str) -> None:
        self.stats["local_changes"] += 1
        if self.connected:
            self.expected_writes += 1
        else:
            self.dirty_offline.add(customer_id)

    def local_create(self) -> None:
        self.serial += 1
        body = {
            "first_name": f"Client{self.serial}",
            "last_name": f"Local{self.serial}",
            "email": f"local{self.serial}@example.fr",
            "phone": f"+3361{self.serial:07d}",
        }
        resp = self.api.post("/v2/customers", body)
        assert resp.status_code == 201, resp.get_json()
        self._local_changed(resp.get_json()["id"])

    def local_edit(self, customer_id: str | None = None) -> None:
        candidates = list(self.customers())  # in the API's order (ids are random)
        if customer_id is None and not candidates:
            return
        target = customer_id or self.rng.choice(candidates)
        self.serial += 1
        field, value = self.rng.choice(
            [("last_name", f"Edit{self.serial}"), ("phone", f"+3362{self.serial:07d}")]
        )
        resp = self.api.put(f"/v2/customers/{target}", {field: value})
        assert resp.status_code == 200, resp.get_json()
        self._local_changed(target)

    # ------------------------------------------------------------------ remote side

    def contacts(self) -> dict[str, dict[str, Any]]:
        return dict(self.store.modules["Contacts"].records)

    def remote_create(self) -> None:
        self.serial += 1
        self.store.create(
            "Contacts",
            First_Name=f"Contact{self.serial}",
            Last_Name=f"Zoho{self.serial}",
            Email=f"zoho{self.serial}@example.fr",
            Phone=f"+3363{self.serial:07d}",
        )
        self.stats["remote_changes"] += 1

    def remote_edit(self, record_id: str | None = None) -> None:
        ids = sorted(self.contacts())
        if record_id is None and not ids:
            return
        target = record_id or self.rng.choice(ids)
        self.serial += 1
        field, value = self.rng.choice(
            [("Last_Name", f"Zedit{self.serial}"), ("Phone", f"+3364{self.serial:07d}")]
        )
        self.store.touch("Contacts", target, **{field: value})
        self.stats["remote_changes"] += 1

    def remote_delete(self) -> None:
        ids = sorted(self.contacts())
        if ids:
            victim = self.rng.choice(ids)
            self.log.setdefault(victim, []).append(("delete", self.round, self.connected))
            self.store.remove("Contacts", victim)
            self.stats["remote_changes"] += 1
            self.stats["remote_deletes"] += 1

    def remote_merge(self) -> None:
        ids = sorted(self.contacts())
        if len(ids) >= 2:
            master, child = self.rng.sample(ids, 2)
            self.log.setdefault(child, []).append(("merged", self.round, self.connected))
            self.store.merge("Contacts", master, [child])
            self.stats["remote_changes"] += 1
            self.stats["merges"] += 1

    def both_sides(self) -> None:
        """The same customer edited in iValid and in Zoho before the next sync."""
        with self.rt.db.session() as session:
            linked = session.execute(
                select(IntegrationLink.local_id, IntegrationLink.remote_id)
                .where(IntegrationLink.remote_id.is_not(None))
                .order_by(IntegrationLink.remote_id)
            ).all()
        live = [(c, r) for c, r in linked if r in self.contacts()]
        if live and self.connected:
            customer_id, record_id = self.rng.choice(live)
            self.remote_edit(record_id)
            self.local_edit(customer_id)
            self.stats["both_sides"] += 1

    # ------------------------------------------------------------------- the run

    def play(self) -> None:
        actions = [
            (self.local_create, 14),
            (self.local_edit, 16),
            (self.remote_create, 12),
            (self.remote_edit, 14),
            (self.remote_delete, 4),
            (self.remote_merge, 4),
            (self.both_sides, 8),
        ]
        funcs, weights = zip(*actions, strict=True)
        for number in range(ROUNDS):
            self.round = number
            if number == 110:
                resp = self.api.delete(f"/v2/integrations/{NAME}")
                assert resp.status_code == 200, resp.get_json()
                self.connected = False
                self.stats["disconnects"] += 1
            elif number == 130:
                self.connect()
                self.connected = True
                self.expected_writes += len(self.dirty_offline)
                self.dirty_offline.clear()
            self.rng.choices(funcs, weights)[0]()
            if self.connected and self.rng.random() < 0.25:
                self.killed_tick()
            self.tick()
        for _ in range(3):
            self.tick()

    def check(self) -> None:
        """Every live contact linked to one customer with its fields; no duplicates."""
        customers = self.customers()
        contacts = self.contacts()
        with self.rt.db.session() as session:
            links = session.execute(
                select(IntegrationLink.local_id, IntegrationLink.remote_id).where(
                    IntegrationLink.connection_id == self.connection_id()
                )
            ).all()
        by_remote: dict[str, list[str]] = {}
        for local_id, remote_id in links:
            if remote_id is not None:
                by_remote.setdefault(remote_id, []).append(local_id)
        for remote_id, record in contacts.items():
            assert len(by_remote.get(remote_id, [])) == 1, f"contact {remote_id}: {by_remote}"
            customer = customers[by_remote[remote_id][0]]
            ours = (
                customer["first_name"],
                customer["last_name"],
                customer["email"],
                customer["phone"],
            )
            assert ours == tuple(record.get(f) for f in FIELDS), (customer, record)
        gone = set(by_remote) - set(contacts)
        if gone and os.environ.get("IVALID_CONVERGENCE_DEBUG"):
            print("GONE", gone, [self.log.get(g) for g in gone])
        assert not gone, f"links to contacts that are gone: {[(g, self.log.get(g)) for g in gone]}"
        for name, emails in (
            ("customers", [c["email"] for c in customers.values() if c["email"]]),
            ("contacts", [r.get("Email") for r in contacts.values() if r.get("Email")]),
        ):
            twice = [e for e, n in Counter(emails).items() if n > 1]
            assert not twice, f"duplicate {name}: {twice}"


def test_customers_and_contacts_converge(
    app: Flask,
    api: Api,
    client: FlaskClient,
    tenant: Tenant,
    zoho: FakeZoho,
    clock: ManualClock,
    rt: SyncRuntime,
) -> None:
    """200 rounds; then both sides agree, nothing is duplicated, writes = local changes."""
    s = ZohoScenario(app, api, client, tenant, zoho, clock, rt)
    s.connect()
    s.tick()  # the demo customers exported, a full read
    s.count_writes()
    s.play()
    s.check()
    writes = s.written
    print(f"\nzoho convergence: {dict(s.stats)}, writes: {writes}, expected: {s.expected_writes}")
    assert s.stats["kills"] >= 3 and s.stats["merges"] >= 2 and s.stats["both_sides"] >= 3
    assert s.stats["remote_changes"] >= 20 and s.stats["local_changes"] >= 20
    assert writes == s.expected_writes
