"""Benchmark: the Zoho connector reading 10,000 contacts, then 100 changes incrementally.

Runs the real connector (requests, OAuth token provider, cursor logic) against the Zoho fake on
loopback. It prints, per phase, the HTTP calls made against the minimum possible (pages of
200 for the full read; one records call for the incremental read, plus the deleted-records
call every incremental pass makes), records/s, and as the baseline measured in the same run the
records/s of bare HTTP requests fetching the same pages with no connector logic.

    .venv/bin/python bench/zoho_read.py [--contacts 10000] [--changes 100]

This benchmarks the connector; the hub-side sync of customers (database, links) is not part of
it (see docs/integrations.md, "Zoho CRM", for what is and is not built).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.zoho import ZohoConnector
from connectors.zoho.connector import CONTACT_FIELDS
from connectors.zoho.datacentres import DataCentres
from connectors.zoho.oauth import ZohoOAuth
from connectors.zoho.tokens import MemoryTokenCache, SharedTokenProvider
from hub.clock import ManualClock
from tests.fakes.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, FakeZoho


def _baseline(fake: FakeZoho, token: str) -> tuple[int, float]:
    """Bare requests over the same pages: (records, seconds)."""
    http = requests.Session()
    url = fake.base("us") + "/crm/v8/Contacts"
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    params: dict[str, str] = {
        "fields": ",".join(CONTACT_FIELDS),
        "per_page": "200",
        "sort_by": "Modified_Time",
    }
    count, page, next_token = 0, 1, None
    started = time.perf_counter()
    while True:
        query = dict(params, page_token=next_token) if next_token else dict(params, page=str(page))
        body = http.get(url, params=query, headers=headers, timeout=30).json()
        count += len(body["data"])
        if not body["info"]["more_records"]:
            break
        page += 1
        next_token = body["info"]["next_page_token"] if page > 10 else None
    return count, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Seed, read fully, change, read incrementally; print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--changes", type=int, default=100)
    args = parser.parse_args(argv)
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    clock = ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with FakeZoho(("us",), now=clock.now) as fake:
        store = fake.store("us")
        for i in range(args.contacts):
            store.create("Contacts", Last_Name=f"Nom{i}", Email=f"c{i}@bench.example")
            if i % 20 == 19:  # twenty contacts a second, as a busy import writes them
                clock.advance(timedelta(seconds=1))
        refresh, access = fake.issue_tokens("us")
        centres = DataCentres.from_config(fake.data_centres())
        oauth = ZohoOAuth(
            DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, "http://127.0.0.1:9/cb", data_centres=centres
        )
        tokens = SharedTokenProvider(
            "bench", refresh, lambda rt: oauth.refresh(centres.get("us"), rt), MemoryTokenCache()
        )
        config = {
            "location": "us",
            "api_domain": fake.base("us"),
            "data_centres": fake.data_centres(),
        }
        base_count, base_seconds = _baseline(fake, access)
        fake.calls.clear()
        with ZohoConnector(tokens, config, clock=clock.now) as connector:
            started = time.perf_counter()
            pages = list(connector.read("contacts", None))
            full_seconds = time.perf_counter() - started
            full_records = sum(len(p.records) for p in pages)
            full_calls = fake.calls["records.list"] + fake.calls["records.deleted"]
            cursor = pages[-1].next_cursor
            clock.advance(timedelta(minutes=5))
            ids = sorted(store.modules["Contacts"].records)[: args.changes]
            for record_id in ids:
                store.touch("Contacts", record_id, Mobile="+33 6 00 00 00 00")
            fake.calls.clear()
            started = time.perf_counter()
            pages = list(connector.read("contacts", cursor))
            inc_seconds = time.perf_counter() - started
            inc_records = sum(len(p.records) for p in pages)
            inc_list_calls = fake.calls["records.list"]
            inc_deleted_calls = fake.calls["records.deleted"]
    assert full_records == args.contacts == base_count, (full_records, base_count)
    assert inc_records == args.changes, inc_records
    minimum = math.ceil(args.contacts / 200)
    base_rate = base_count / base_seconds
    full_rate = full_records / full_seconds
    print(f"{'phase':<14}{'records':>9}{'calls':>8}{'minimum':>9}{'records/s':>12}{'ratio':>8}")
    print(f"{'baseline':<14}{base_count:>9}{minimum:>8}{minimum:>9}{base_rate:>12.0f}{1.0:>8.2f}")
    print(
        f"{'full':<14}{full_records:>9}{full_calls:>8}{minimum:>9}{full_rate:>12.0f}"
        f"{full_rate / base_rate:>8.2f}"
    )
    print(
        f"{'incremental':<14}{inc_records:>9}{inc_list_calls:>8}{1:>9}"
        f"{inc_records / inc_seconds:>12.0f}{'':>8}  (+{inc_deleted_calls} deleted-records call)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
