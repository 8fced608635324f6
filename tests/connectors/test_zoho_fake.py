"""The Zoho fake refuses what Zoho CRM v8 refuses (raw HTTP, no connector in between)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import requests

from hub.clock import ManualClock
from tests.fakes.zoho import FakeZoho

pytest_plugins = ["tests.connectors.zoho_fixtures"]


def _get(zoho: FakeZoho, token: str, path: str, location: str = "us", **kw: Any) -> Any:
    return requests.get(
        zoho.base(location) + "/crm/v8" + path,
        headers={"Authorization": f"Zoho-oauthtoken {token}", **kw.pop("headers", {})},
        timeout=5,
        **kw,
    )


@pytest.fixture
def token(zoho: FakeZoho) -> str:
    """An access token of the US organisation."""
    return zoho.issue_tokens("us")[1]


@pytest.mark.parametrize(
    ("params", "code"),
    [
        pytest.param({}, "REQUIRED_PARAM_MISSING", id="fields-required"),
        pytest.param(
            {"fields": ",".join(f"F{i}" for i in range(51))}, "LIMIT_EXCEEDED", id="51-fields"
        ),
        pytest.param({"fields": "Email", "per_page": "201"}, "INVALID_DATA", id="per-page-201"),
        pytest.param(
            {"fields": "Email", "page": "11"}, "DISCRETE_PAGINATION_LIMIT_EXCEEDED", id="page-11"
        ),
        pytest.param({"fields": "Email", "sort_by": "Email"}, "INVALID_DATA", id="sort-by"),
        pytest.param({"fields": "Nope"}, "INVALID_DATA", id="unknown-field"),
    ],
)
def test_list_refusals(zoho: FakeZoho, token: str, params: dict[str, str], code: str) -> None:
    """Each documented refusal of GET /{module} answers 400 with Zoho's code."""
    resp = _get(zoho, token, "/Contacts", params=params)
    assert resp.status_code == 400
    assert resp.json()["code"] == code


def test_bearer_header_and_foreign_data_centre_are_refused(zoho: FakeZoho, token: str) -> None:
    """Only `Zoho-oauthtoken` is accepted, and only at the data centre that issued the token."""
    bearer = requests.get(
        zoho.base("us") + "/crm/v8/Contacts?fields=Email",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert bearer.status_code == 401
    assert bearer.json()["code"] == "INVALID_TOKEN"
    assert _get(zoho, token, "/Contacts", "eu", params={"fields": "Email"}).status_code == 401
    assert _get(zoho, token, "/Contacts", "us", params={"fields": "Email"}).status_code == 204


def test_page_token_goes_past_2000_and_if_modified_since_filters(
    zoho: FakeZoho, token: str, clock: ManualClock
) -> None:
    """2,100 records: page 10 is the last by number, its next_page_token reaches the rest."""
    store = zoho.store("us")
    for i in range(2100):
        store.create("Contacts", Last_Name=f"N{i}")
    page10 = _get(zoho, token, "/Contacts", params={"fields": "Last_Name", "page": "10"}).json()
    assert page10["info"]["more_records"] is True
    rest = _get(
        zoho,
        token,
        "/Contacts",
        params={"fields": "Last_Name", "page_token": page10["info"]["next_page_token"]},
    ).json()
    assert len(rest["data"]) == 100 and rest["info"]["more_records"] is False
    since = clock.now().isoformat()
    clock.advance(timedelta(seconds=5))
    store.touch("Contacts", rest["data"][0]["id"], First_Name="Changé")
    changed = _get(
        zoho,
        token,
        "/Contacts",
        params={"fields": "First_Name"},
        headers={"If-Modified-Since": since},
    ).json()
    assert [r["id"] for r in changed["data"]] == [rest["data"][0]["id"]]


def test_upsert_multi_status_duplicates_and_limit(zoho: FakeZoho, token: str) -> None:
    """Upsert answers per record (207 when mixed), matches duplicates, refuses 101 records."""
    store = zoho.store("us")
    existing = store.create("Contacts", Last_Name="Dupont", Email="jean@dupont.fr")["id"]
    url = zoho.base("us") + "/crm/v8/Contacts/upsert"
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}
    body = {
        "data": [
            {"Last_Name": "Dupont", "Email": "JEAN@dupont.fr", "First_Name": "Jean"},
            {"Email": "sans-nom@example.fr"},
            {"Last_Name": "Martin", "Phone": "+33 1 00 00 00 00"},
        ],
        "duplicate_check_fields": ["Email", "Phone"],
    }
    resp = requests.post(url, json=body, headers=headers, timeout=5)
    assert resp.status_code == 207
    first, second, third = resp.json()["data"]
    assert first["action"] == "update" and first["details"]["id"] == existing
    assert first["duplicate_field"] == "Email"
    assert second["code"] == "MANDATORY_NOT_FOUND"
    assert third["action"] == "insert"
    too_many = requests.post(
        url, json={"data": [{"Last_Name": str(i)} for i in range(101)]}, headers=headers, timeout=5
    )
    assert too_many.status_code == 400 and too_many.json()["code"] == "LIMIT_EXCEEDED"


def test_watch_token_length_and_expiry(zoho: FakeZoho, token: str, clock: ManualClock) -> None:
    """A channel token over 50 characters or an expiry past a week is refused."""
    url = zoho.base("us") + "/crm/v8/actions/watch"
    headers = {"Authorization": f"Zoho-oauthtoken {token}"}

    def enable(**item: Any) -> requests.Response:
        base = {"channel_id": "1000", "events": ["Contacts.all"], "notify_url": "http://x/"}
        return requests.post(url, json={"watch": [{**base, **item}]}, headers=headers, timeout=5)

    assert enable(token="t" * 51).status_code == 400
    far = (clock.now() + timedelta(days=8)).isoformat()
    assert enable(token="t", channel_expiry=far).status_code == 400
    assert enable(token="t" * 50).status_code == 201


def test_credits_and_concurrency_answer_429(zoho: FakeZoho, token: str) -> None:
    """Past the day's credits, calls answer 429 TOO_MANY_REQUESTS."""
    zoho.credits_per_day = 3
    codes = [
        _get(zoho, token, "/Contacts", params={"fields": "Email"}).status_code for _ in range(4)
    ]
    assert codes == [204, 204, 204, 429]
    assert zoho.credits_used() == 3
