"""The whole error in the request's language: headline and every field message.

French by default, English with `Accept-Language: en`; pydantic's own (English) messages never
leak into a French answer.
"""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

from hub.i18n_fields import FIELD_MESSAGES, field_message
from tests.support import Api, Tenant

CUSTOMER = {"first_name": "Zoé", "last_name": "Lefèvre"}


def _cases(t: Tenant) -> list[Any]:
    ids = t.ids
    book = {"customer_id": ids["customer_id"], "service_id": ids["service_id"]}
    q = f"service_id={ids['service_id']}&postal_code=75001"
    return [
        # (method, path, body, field, reason, français, English)
        (
            "POST",
            "/v2/customers",
            {"last_name": "X"},
            "first_name",
            "missing",
            "Champ obligatoire",
            "Field required",
        ),
        (
            "POST",
            "/v2/customers",
            {**CUSTOMER, "colour": "red"},
            "colour",
            "extra_forbidden",
            "Champ inconnu",
            "Unknown field",
        ),
        (
            "POST",
            "/v2/customers",
            {**CUSTOMER, "first_name": "x" * 201},
            "first_name",
            "string_too_long",
            "Au plus 100 caractère(s) attendu(s)",
            "At most 100 character(s) expected",
        ),
        (
            "POST",
            "/v2/customers",
            {**CUSTOMER, "first_name": 12},
            "first_name",
            "string_type",
            "Une chaîne de caractères est attendue",
            "A string is expected",
        ),
        (
            "POST",
            "/v2/appointments",
            {**book, "scheduled_at": "demain"},
            "scheduled_at",
            "datetime_from_date_parsing",
            None,
            None,
        ),
        (
            "POST",
            "/v2/appointments",
            {**book, "scheduled_at": "2030-01-07T09:00:00Z", "duration": 2},
            "duration",
            "greater_than_equal",
            "La valeur doit être supérieure ou égale à 5",
            "The value must be greater than or equal to 5",
        ),
        (
            "POST",
            "/v2/appointments",
            {**book, "scheduled_at": "2030-01-07T09:00:00Z", "status": "done"},
            "status",
            "literal_error",
            None,
            None,
        ),
        (
            "POST",
            "/v2/appointments",
            {**book, "scheduled_at": "2030-01-07T09:00:00Z", "notify_customer": "peut-être"},
            "notify_customer",
            "bool_parsing",
            "Un booléen (true ou false) est attendu",
            "A boolean (true or false) is expected",
        ),
        (
            "POST",
            "/v2/appointments",
            {**book, "scheduled_at": "9999-01-07T09:00:00Z"},
            "scheduled_at",
            "year_out_of_range",
            "L'année doit être comprise entre 1970 et 2199",
            "The year must be between 1970 and 2199",
        ),
        (
            "POST",
            "/v2/appointments",
            {**book, "scheduled_at": "2030-01-07"},
            "scheduled_at",
            "datetime_required",
            None,
            None,
        ),
        (
            "POST",
            "/v2/availability/check",
            {"service_id": ids["service_id"], "scheduled_at": "2030-01-07T09:00:00Z"},
            "",
            "location_required",
            "postal_code ou location est obligatoire",
            "postal_code or location is required",
        ),
        (
            "GET",
            f"/v2/availability/slots?{q}&date_from=2030-01-10&date_to=2030-01-07",
            None,
            "",
            "date_range_inverted",
            "date_to ne doit pas précéder date_from",
            "date_to must not be before date_from",
        ),
        (
            "GET",
            f"/v2/availability/slots?{q}&date_from=2030-01-01&date_to=2030-03-01",
            None,
            "",
            "date_range_too_long",
            "La période couvre au plus 31 jours",
            "The range is at most 31 days",
        ),
        (
            "GET",
            "/v2/appointments?page=0",
            None,
            "page",
            "greater_than_equal",
            "La valeur doit être supérieure ou égale à 1",
            "The value must be greater than or equal to 1",
        ),
        (
            "GET",
            "/v2/appointments?date_from=hier",
            None,
            "date_from",
            "date_or_datetime",
            None,
            None,
        ),
        (
            "POST",
            "/v2/webhooks",
            {"url": "https://example.com/h", "events": ["nope.nope"]},
            "events",
            "unknown_event_type",
            None,
            None,
        ),
        (
            "POST",
            "/v2/technicians",
            {
                "name": "T",
                "email": "t@example.com",
                "working_hours": {"monday": {"start": "18:00", "end": "08:00"}},
            },
            "working_hours.monday",
            "hours_order",
            "L'heure de début doit précéder l'heure de fin",
            "start must be before end",
        ),
        (
            "POST",
            "/v2/appointments",
            {
                "customer_id": "cust_nope1",
                "service_id": ids["service_id"],
                "scheduled_at": "2030-01-07T09:00:00Z",
            },
            "customer_id",
            "not_found",
            "cust_nope1 n'existe pas",
            "cust_nope1 not found",
        ),
    ]


HEADLINES = {
    "VALIDATION_ERROR": ("Données invalides", "Invalid data"),
    "INVALID_REFERENCE": ("Un objet référencé n'existe pas", "A referenced object does not exist"),
}


@pytest.mark.parametrize("index", range(18))
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_part_of_a_validation_error_is_in_the_request_language(
    api: Api, tenant: Tenant, index: int, lang: str
) -> None:
    method, path, body, field, reason, fr, en = _cases(tenant)[index]
    headers = api.headers({"Accept-Language": lang} if lang == "en" else {})
    resp = api.client.open(path, method=method, json=body, headers=headers)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    err = resp.json["error"]
    assert err["message"] == HEADLINES[err["code"]][0 if lang == "fr" else 1]
    [found] = [e for e in err["details"]["errors"] if e["reason"] == reason]
    assert found["field"] == field or found["field"].startswith(field), found
    expected = fr if lang == "fr" else en
    if expected is None:
        expected = FIELD_MESSAGES[reason][0 if lang == "fr" else 1].split("{")[0]
        assert found["message"].startswith(expected), found
    else:
        assert found["message"] == expected, found


def test_the_table_has_both_languages_with_the_same_placeholders() -> None:
    fields = string.Formatter()
    for reason, (fr, en) in FIELD_MESSAGES.items():
        assert (fr and en and fr != en) or reason in {"url_type"}, reason
        names_fr = {n for _, n, _, _ in fields.parse(fr) if n}
        names_en = {n for _, n, _, _ in fields.parse(en) if n}
        assert names_fr == names_en, reason


def test_an_unknown_reason_is_a_generic_message_in_the_language() -> None:
    assert field_message("some_future_type", "fr") == "Valeur invalide"
    assert field_message("some_future_type", "en") == "Invalid value"
    assert field_message("string_too_short", "fr", {"min_length": 3}) == (
        "Au moins 3 caractère(s) attendu(s)"
    )


def test_french_answers_hold_no_pydantic_english(api: Api, tenant: Tenant) -> None:
    english = re.compile(r"\b(should|must|Input|valid|Field required|Extra inputs)\b")
    for method, path, body, *_ in _cases(tenant):
        resp = api.client.open(path, method=method, json=body, headers=api.headers())
        for e in resp.json["error"]["details"]["errors"]:
            assert not english.search(e["message"]), (path, e)


@pytest.mark.parametrize(
    "lang,headline,message",
    [
        pytest.param(
            "fr",
            "Cette URL de webhook n'est pas autorisée (https obligatoire, adresses internes "
            "refusées)",
            "Les URL de webhook doivent utiliser https",
            id="fr",
        ),
        pytest.param(
            "en",
            "This webhook URL is not allowed (https required, internal addresses refused)",
            "webhook URLs must use https",
            id="en",
        ),
    ],
)
def test_a_refused_webhook_url_speaks_the_request_language(
    api: Api, lang: str, headline: str, message: str
) -> None:
    headers = api.headers({"Accept-Language": lang})
    body = {"url": "http://example.com/hook", "events": ["customer.created"]}
    resp = api.client.post("/v2/webhooks", json=body, headers=headers)
    err = resp.json["error"]
    assert resp.status_code == 422 and err["message"] == headline
    [field] = err["details"]["errors"]
    assert field["reason"] == "http_not_allowed" and field["message"] == message
