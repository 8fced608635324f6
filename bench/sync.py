"""Benchmark: a full sync of 10,000 remote events, then an incremental sync after 100 changes.

Runs the hub's real sync (connector over HTTP, mapping, database, cursors) against a provider
fake on loopback, connected through the real OAuth flow. For each phase it prints the HTTP
calls made against the minimum possible (the pages a full listing needs at the provider's
largest page; one call for an incremental), records/s, and — as the baseline measured in the
same run — the records/s of the connector alone listing the same calendar with no database.

    .venv/bin/python bench/sync.py [--events 10000] [--changes 100] [--target google|outlook|zoho]

For Zoho the remote records are contacts and the hub's side is customers (matched, created,
linked); the minimum counts the deleted-records call every Zoho pass makes.

A target is one provider and its fake (`Target` below); add one to TARGETS to bench another
connector: start its fake, seed events into one calendar, change some, count calls.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.integrations.config import ProviderConfig

TECHNICIAN_EMAIL = "tech@bench.example"


class Target(Protocol):
    """One provider and its fake, as the benchmark needs them."""

    name: str  # the connector's registry name
    title: str
    max_page_size: int  # the provider's largest page: sets the minimum number of calls
    calls_per_pass: int  # calls every pass makes besides its pages (Zoho's deleted list)

    def start(self) -> None:
        """Start the fake on loopback."""

    def stop(self) -> None:
        """Stop it."""

    def provider(self) -> ProviderConfig:
        """The OAuth application and endpoints, pointed at the fake."""

    def calendar_id(self) -> str:
        """The calendar the technician is linked to (its id is his e-mail)."""

    def seed(self, count: int) -> None:
        """Create `count` events in that calendar, as the remote user would."""

    def change(self, count: int) -> None:
        """Move, rename or delete `count` of them."""

    def consent(self, authorization_url: str) -> str:
        """Play the user on the consent page; returns the redirect to our callback."""

    def api_calls(self) -> int:
        """Calls made to the provider's API so far (not the OAuth endpoints)."""

    def reset_calls(self) -> None:
        """Forget the counted calls."""

    def baseline(self) -> tuple[int, float]:
        """(records, seconds) of the connector alone listing the calendar (no database)."""

    def synced(self, db: Any) -> int:
        """The remote records the hub now holds (busy periods, linked customers)."""

    def remaining(self, events: int, changes: int) -> int:
        """How many `synced` should count after `change(changes)`."""


class GoogleTarget:
    """Google Calendar and its stateful fake."""

    name = "google-calendar"
    title = "Google Calendar"
    max_page_size = 2500
    calls_per_pass = 0

    def __init__(self) -> None:
        from tests.fakes.google_calendar import FakeGoogleCalendar

        self.fake = FakeGoogleCalendar(user_email="admin@bench.example", seed=7)
        self.ids: list[str] = []

    def start(self) -> None:
        """Start the fake; the technician's calendar is shared with the connected user."""
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        self.fake.start()
        self.fake.add_calendar(TECHNICIAN_EMAIL, "Technicien")

    def stop(self) -> None:
        """Stop the fake."""
        self.fake.stop()

    def provider(self) -> ProviderConfig:
        """The fake's endpoints."""
        from tests.fakes.google_calendar import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        urls = self.fake.oauth_endpoints()
        return ProviderConfig(
            self.name,
            DEFAULT_CLIENT_ID,
            DEFAULT_CLIENT_SECRET,
            urls["authorize_url"],
            urls["token_url"],
            urls["revoke_url"],
            self.fake.api_base_url,
        )

    def calendar_id(self) -> str:
        """The technician's calendar."""
        return TECHNICIAN_EMAIL

    def seed(self, count: int) -> None:
        """`count` one-hour events over the coming year (inside the full sync's window:
        365 days ahead of the app clock; 28 a day, every 20 minutes, for 10,000)."""
        start = self.start_day()
        per_day = max(8, -(-count // 360))
        for i in range(count):
            at = start + timedelta(days=i // per_day, minutes=(i % per_day) * 20)
            event = self.fake.user_create(
                f"Perso {i}", at, at + timedelta(hours=1), calendar_id=TECHNICIAN_EMAIL
            )
            self.ids.append(event["id"])

    @staticmethod
    def start_day() -> datetime:
        """Tomorrow 08:00 UTC: the runtime's clock is the system's, and the window is its."""
        today = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
        return today + timedelta(days=1)

    def change(self, count: int) -> None:
        """A mix of moves, renames and deletions."""
        for i, event_id in enumerate(self.ids[:count]):
            if i % 5 == 4:
                self.fake.user_delete(event_id, calendar_id=TECHNICIAN_EMAIL)
            elif i % 2:
                self.fake.user_retitle(event_id, f"Renamed {i}", calendar_id=TECHNICIAN_EMAIL)
            else:
                at = self.start_day() + timedelta(days=150 + i, hours=1)
                self.fake.user_move(
                    event_id, at, at + timedelta(hours=2), calendar_id=TECHNICIAN_EMAIL
                )

    def consent(self, authorization_url: str) -> str:
        """Open the consent page and click Allow (as the tests do)."""
        from tests.integrations.support import consent

        return consent(self.fake, authorization_url)

    def api_calls(self) -> int:
        """Calendar API calls counted by the fake."""
        return sum(
            n for endpoint, n in self.fake.calls.items() if not endpoint.startswith("oauth.")
        )

    def reset_calls(self) -> None:
        """Reset the fake's counters."""
        self.fake.reset_counters()

    def baseline(self) -> tuple[int, float]:
        """The connector alone: list every event, page by page."""
        from connectors.base import StaticTokenProvider
        from connectors.google_calendar import GoogleCalendarConnector

        token = self.fake.issue_access_token()
        config = {"api_base_url": self.fake.api_base_url, "page_size": self.max_page_size}
        started = time.perf_counter()
        records = 0
        with GoogleCalendarConnector(StaticTokenProvider(token), config) as connector:
            for page in connector.read(f"events:{TECHNICIAN_EMAIL}", None):
                records += len(page.records) + len(page.deleted)
        return records, time.perf_counter() - started

    def synced(self, db: Any) -> int:
        """Busy periods (every remote event is one)."""
        return _busy(db)

    def remaining(self, events: int, changes: int) -> int:
        """One change in five is a deletion."""
        return events - changes // 5


class OutlookTarget:
    """Outlook / Microsoft 365 and the Graph fake (msal against its identity endpoints)."""

    name = "outlook"
    title = "Outlook (Microsoft Graph)"
    max_page_size = 1000  # Graph's largest calendarView delta page (Prefer: odata.maxpagesize)
    calls_per_pass = 0

    def __init__(self) -> None:
        from tests.fakes.graph import FakeGraph

        self.fake = FakeGraph(
            user_email="admin@bench.example", user_name="Admin", seed=7, validate_endpoints=False
        )
        self.calendar = ""
        self.user = ""
        self.ids: list[str] = []
        # Inside the connector's calendarView window (a year back, two years ahead of now).
        self.origin = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)

    def start(self) -> None:
        """Start the fake; the technician has his own mailbox (application permissions)."""
        self.fake.start()
        self.user = self.fake.add_user("Tech", TECHNICIAN_EMAIL)
        self.calendar = self.fake.calendar_of(self.user)

    def stop(self) -> None:
        """Stop the fake."""
        self.fake.stop()

    def provider(self) -> ProviderConfig:
        """The app registration: msal's token URL and the Graph root, both on the fake."""
        from tests.integrations.test_outlook_convergence import provider_for

        return provider_for(self.fake)

    def calendar_id(self) -> str:
        """The technician's e-mail (his mailbox is linked through its owner)."""
        return TECHNICIAN_EMAIL

    def seed(self, count: int) -> None:
        """`count` one-hour events from next week on, all inside the connector's window (two
        years ahead): eight a day, more when there are too many for 600 days."""
        start = self.origin + timedelta(days=7)
        per_day = max(8, math.ceil(count / 600))
        step = timedelta(minutes=24 * 60 // per_day)
        for i in range(count):
            at = start + timedelta(days=i // per_day) + step * (i % per_day)
            event = self.fake.user_create(
                f"Perso {i}", at, at + timedelta(hours=1), calendar_id=self.calendar
            )
            self.ids.append(event["id"])

    def change(self, count: int) -> None:
        """A mix of moves, renames and deletions."""
        for i, event_id in enumerate(self.ids[:count]):
            if i % 5 == 4:
                self.fake.user_delete(event_id)
            elif i % 2:
                self.fake.user_retitle(event_id, f"Renamed {i}")
            else:
                at = self.origin + timedelta(days=400 + i, hours=1)
                self.fake.user_move(event_id, at, at + timedelta(hours=2))

    def consent(self, authorization_url: str) -> str:
        """Open the fake's consent page and click Allow (as the Outlook tests do)."""
        import requests

        from tests.integrations.test_outlook_convergence import _Form

        with requests.Session() as browser:
            page = browser.get(authorization_url, timeout=10)
            page.raise_for_status()
            form = _Form()
            form.feed(page.text)
            answer = browser.post(
                self.fake.base_url + form.action,
                data={**form.fields, "decision": "allow"},
                allow_redirects=False,
                timeout=10,
            )
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])

    def api_calls(self) -> int:
        """HTTP requests made to Graph (not the identity endpoints).

        A `$batch` is one request: its members (the extended properties read back, up to 20
        events each) are counted by the fake as calls of their own, and subtracted here.
        """
        members = sum(
            len((r.body or {}).get("requests") or ())
            for r in self.fake.requests
            if r.endpoint == "batch" and isinstance(r.body, dict)
        )
        return len(self.fake.requests) - members

    def reset_calls(self) -> None:
        """Reset the fake's counters."""
        self.fake.reset_counters()

    def baseline(self) -> tuple[int, float]:
        """The connector alone: list every event, page by page (properties read back)."""
        from connectors.base import StaticTokenProvider
        from connectors.outlook import OutlookConnector

        token = self.fake.issue_app_token()
        config = {
            "api_base_url": self.fake.api_base_url,
            "page_size": self.max_page_size,
            "permissions": "application",
        }
        started = time.perf_counter()
        records = 0
        with OutlookConnector(StaticTokenProvider(token), config) as connector:
            for page in connector.read(f"events:{self.user}", None):
                records += len(page.records) + len(page.deleted)
        return records, time.perf_counter() - started

    def synced(self, db: Any) -> int:
        """Busy periods (every remote event is one)."""
        return _busy(db)

    def remaining(self, events: int, changes: int) -> int:
        """One change in five is a deletion."""
        return events - changes // 5


class ZohoTarget:
    """Zoho CRM contacts and the Zoho fake (customers, not calendars: no technician needed)."""

    name = "zoho"
    title = "Zoho CRM (contacts to customers)"
    max_page_size = 200  # Zoho's per_page limit
    calls_per_pass = 1  # every pass ends with the module's deleted-records list

    def __init__(self) -> None:
        from hub.clock import ManualClock
        from tests.fakes.zoho import FakeZoho

        # Zoho's own clock, pinned: the contacts were written before the first sync, the
        # changes five minutes after it (Modified_Time has one-second resolution).
        self.clock = ManualClock(datetime(2031, 1, 6, 8, tzinfo=UTC))
        self.fake = FakeZoho(("us",), now=self.clock.now)
        self.ids: list[str] = []

    def start(self) -> None:
        """Start the fake (one data centre)."""
        os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
        self.fake.start()

    def stop(self) -> None:
        """Stop the fake."""
        self.fake.stop()

    def provider(self) -> ProviderConfig:
        """The Zoho application, its data centre table pointed at the fake."""
        from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        return ProviderConfig(
            connector=self.name,
            client_id=DEFAULT_CLIENT_ID,
            client_secret=DEFAULT_CLIENT_SECRET,
            authorize_url=f"{self.fake.base('us')}/oauth/v2/auth",
            extra={"data_centres": self.fake.data_centres()},
        )

    def calendar_id(self) -> str:
        """Unused by Zoho (the bench account still gets its technician)."""
        return TECHNICIAN_EMAIL

    def seed(self, count: int) -> None:
        """`count` contacts, each with its own e-mail and phone."""
        store = self.fake.store("us")
        for i in range(count):
            record = store.create(
                "Contacts",
                First_Name=f"Prenom{i}",
                Last_Name=f"Nom{i}",
                Email=f"c{i}@bench.example",
                Phone=f"+3361{i:07d}",
            )
            self.ids.append(record["id"])
            if i % 20 == 19:  # twenty contacts a second, as a busy import writes them
                self.clock.advance(timedelta(seconds=1))
        self.clock.advance(timedelta(minutes=5))

    def change(self, count: int) -> None:
        """Edits in Zoho's UI (customers are never deleted, so no deletions here)."""
        self.clock.advance(timedelta(minutes=5))
        store = self.fake.store("us")
        for i, record_id in enumerate(self.ids[:count]):
            if i % 2:
                store.touch("Contacts", record_id, Last_Name=f"Renomme{i}")
            else:
                store.touch("Contacts", record_id, Phone=f"+3362{i:07d}")

    def consent(self, authorization_url: str) -> str:
        """The fake's consent page grants at once and redirects to our callback."""
        import requests

        answer = requests.get(authorization_url, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text
        return str(answer.headers["Location"])

    def api_calls(self) -> int:
        """CRM API calls counted by the fake (the accounts server's are not)."""
        return sum(self.fake.calls.values())

    def reset_calls(self) -> None:
        """Forget the counted calls."""
        self.fake.calls.clear()
        self.fake.requests.clear()

    def baseline(self) -> tuple[int, float]:
        """The connector alone: read every contact, page by page (no database)."""
        from connectors.base import StaticTokenProvider
        from connectors.zoho import ZohoConnector

        _, token = self.fake.issue_tokens("us")
        config = {
            "location": "us",
            "api_domain": self.fake.base("us"),
            "data_centres": self.fake.data_centres(),
        }
        started = time.perf_counter()
        records = 0
        with ZohoConnector(StaticTokenProvider(token), config) as connector:
            for page in connector.read("contacts", None):
                records += len(page.records) + len(page.deleted)
        return records, time.perf_counter() - started

    def synced(self, db: Any) -> int:
        """Customers linked to a contact."""
        from sqlalchemy import func, select

        from hub.models import IntegrationLink

        with db.session() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(IntegrationLink)
                    .where(IntegrationLink.remote_id.is_not(None))
                )
                or 0
            )

    def remaining(self, events: int, changes: int) -> int:
        """Edits only: every contact stays linked."""
        return events


TARGETS: dict[str, Callable[[], Target]] = {
    "google": GoogleTarget,
    "outlook": OutlookTarget,
    "zoho": ZohoTarget,
}


@dataclass
class Phase:
    """One measured sync."""

    name: str
    records: int
    calls: int
    minimum: int
    seconds: float

    def row(self) -> str:
        """A line of the report."""
        rate = self.records / self.seconds if self.seconds else 0.0
        return (
            f"{self.name:<13}{self.records:>9,}{self.calls:>8}{self.minimum:>9}"
            f"{self.calls / self.minimum:>11.2f}{self.seconds:>9.2f}{rate:>12,.0f}"
        )


def _hub(workdir: Path, target: Target) -> tuple[Any, Any, str]:
    """A migrated database, an account with one technician, connected to the target."""
    from hub import crypto
    from hub.auth.guard import Principal
    from hub.auth.scopes import ALL_SCOPES
    from hub.config import Settings
    from hub.db import Database, transaction
    from hub.ids import new_id
    from hub.integrations import connect
    from hub.integrations.runtime import SyncRuntime
    from hub.migrate import upgrade
    from hub.models import IntegrationConnection, Technician
    from hub.services.credentials import create_account
    from hub.services.integration_inbound import local_services

    url = os.environ.get("IVALID_BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    settings = Settings.from_env(
        {
            "data_dir": workdir,
            "database_url": url,
            "encryption_keys": crypto.generate_key(),
            "public_url": "http://127.0.0.1:9",
        }
    )
    upgrade(url)
    db = Database(url)
    rt = SyncRuntime(
        db, settings, providers={target.name: target.provider()}, local=local_services()
    )
    with db.session() as session:
        account = create_account(session, "Bench")
        with transaction(session):
            session.add(
                Technician(
                    id=new_id("tech"),
                    account_id=account.id,
                    environment="production",
                    name="Tech",
                    email=target.calendar_id(),
                    skills=[],
                    zones=[],
                    working_hours={},
                )
            )
    principal = Principal(account.id, "production", ALL_SCOPES, "bench")
    start = connect.start(rt, principal, target.name)
    location = target.consent(start["authorization_url"])
    args = dict(parse_qsl(urlsplit(location).query))
    # The bench plays the account's signed-in user confirming the grant (no browser session).
    outcome = connect.finish(rt, target.name, args, confirmed_account=account.id)
    assert outcome.ok, (outcome, location)
    with db.session() as session:
        connection_id = session.query(IntegrationConnection.id).scalar()
    return rt, db, str(connection_id)


def _busy(db: Any) -> int:
    from sqlalchemy import func, select

    from hub.models import ExternalBusy

    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(ExternalBusy)) or 0)


def run(target: Target, events: int, changes: int) -> list[Phase]:
    """Both phases against one target; prints the report."""
    from hub.integrations import engine

    target.start()
    try:
        target.seed(events)
        with tempfile.TemporaryDirectory(prefix="ivalid-bench-") as tmp:
            rt, db, connection_id = _hub(Path(tmp), target)
            target.reset_calls()
            started = time.perf_counter()
            stats = engine.sync_now(rt, connection_id)
            full = Phase(
                "full sync",
                int((stats or {}).get("records", 0)),
                target.api_calls(),
                math.ceil(events / target.max_page_size) + target.calls_per_pass,
                time.perf_counter() - started,
            )
            assert target.synced(db) == events, (target.synced(db), stats)
            target.change(changes)
            target.reset_calls()
            started = time.perf_counter()
            stats = engine.sync_now(rt, connection_id)
            incremental = Phase(
                "incremental",
                int((stats or {}).get("records", 0)),
                target.api_calls(),
                1 + target.calls_per_pass,
                time.perf_counter() - started,
            )
            remaining = target.remaining(events, changes)
            assert target.synced(db) == remaining, (target.synced(db), stats)
            dialect = db.dialect
            db.engine.dispose()
        records, seconds = target.baseline()
    finally:
        target.stop()
    print(f"\n{target.title}: {events:,} remote events, then {changes} remote changes ({dialect})")
    print(
        f"{'phase':<13}{'records':>9}{'calls':>8}{'minimum':>9}{'calls/min':>11}"
        f"{'seconds':>9}{'records/s':>12}"
    )
    for phase in (full, incremental):
        print(phase.row())
    raw = records / seconds if seconds else 0.0
    hub_rate = full.records / full.seconds if full.seconds else 0.0
    print(
        f"baseline: the connector alone lists {records:,} records at {raw:,.0f} records/s; "
        f"the hub's full sync runs at {hub_rate / raw:.1%} of that"
        if raw
        else ""
    )
    return [full, incremental]


def main() -> None:
    """Parse the arguments and run the chosen targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    args = parser.parse_args()
    names = list(TARGETS) if args.target == "all" else [args.target]
    for name in names:
        run(TARGETS[name](), args.events, args.changes)


if __name__ == "__main__":
    main()
