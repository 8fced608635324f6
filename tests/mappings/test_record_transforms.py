"""What CRMs and payments need from mappings: phones, names, money, lookups, conditions, lists,
custom fields, and previews both ways, with line-numbered errors."""

from __future__ import annotations

from typing import Any

import pytest

import mappings
from mappings.engine import MappingError
from mappings.schemas import register_schema

register_schema(
    "test_crm.contact",
    {
        "id": None,
        "First_Name": None,
        "Last_Name": None,
        "Full_Name": None,
        "Email": None,
        "Phone": None,
        "Tag": None,
        "Lead_Source": None,
        "Vip": None,
        "Numero_Client": None,
        "Amount": None,
        "Currency": None,
    },
)

CONTACT = """\
name: test-crm
local: customer
remote: test_crm.contact
rules:
  - {direction: outbound, target: First_Name, transform: copy, source: first_name}
  - {direction: outbound, target: Last_Name, transform: copy, source: last_name}
  - {direction: outbound, target: Email, transform: copy, source: email}
  - {direction: outbound, target: Phone, transform: phone_e164, source: phone, region: FR}
  - {direction: outbound, target: Tag, transform: list, source: tags}
  - direction: outbound
    target: Lead_Source
    transform: lookup
    source: preferences.preferred_contact
    table: {email: Web, phone: Phone Inquiry}
    default: Other
  - {direction: outbound, target: Vip, transform: when, source: custom_fields.vip,
     equals: "yes", then: true, otherwise: false}
  - {direction: outbound, target: Numero_Client, transform: copy,
     source: custom_fields.numero_client}
  - {direction: inbound, target: first_name, transform: name_split, source: Full_Name,
     part: first}
  - {direction: inbound, target: last_name, transform: name_split, source: Full_Name,
     part: last}
  - {direction: inbound, target: name, transform: name_join,
     sources: [First_Name, Last_Name]}
  - {direction: inbound, target: phone, transform: phone_e164, source: Phone, region: FR}
  - {direction: inbound, target: tags, transform: list, source: Tag, split: true}
  - {direction: inbound, target: custom_fields.numero_client, transform: copy,
     source: Numero_Client}
"""

CUSTOMER: dict[str, Any] = {
    "id": "cus_1",
    "first_name": "Marie",
    "last_name": "Durand",
    "email": "marie@example.fr",
    "phone": "06 12 34 56 78",
    "tags": ["vip", "", "chaudière"],
    "preferences": {"preferred_contact": "phone"},
    "custom_fields": {"numero_client": "C-1042", "vip": "yes"},
}


def test_local_to_remote_preview() -> None:
    mapping = mappings.loads(CONTACT, "contact.yaml")
    assert mappings.preview(mapping, CUSTOMER) == {
        "First_Name": "Marie",
        "Last_Name": "Durand",
        "Email": "marie@example.fr",
        "Phone": "+33612345678",
        "Tag": "vip;chaudière",
        "Lead_Source": "Phone Inquiry",
        "Vip": True,
        "Numero_Client": "C-1042",
    }


def test_remote_to_local_preview() -> None:
    mapping = mappings.loads(CONTACT, "contact.yaml")
    remote = {
        "First_Name": "Jean-Pierre",
        "Last_Name": "de la Fontaine",
        "Full_Name": "Jean Pierre Martin",
        "Phone": "+44 20 7946 0958",
        "Tag": "a; b;;",
        "Numero_Client": "C-7",
    }
    assert mappings.preview_inbound(mapping, remote) == {
        "first_name": "Jean Pierre",
        "last_name": "Martin",
        "name": "Jean-Pierre de la Fontaine",
        "phone": "+442079460958",
        "tags": ["a", "b"],
        "custom_fields": {"numero_client": "C-7"},
    }


def test_unknown_lookup_value_falls_back_and_conditions_take_the_other_branch() -> None:
    mapping = mappings.loads(CONTACT, "contact.yaml")
    other = {**CUSTOMER, "preferences": {"preferred_contact": "sms"}, "custom_fields": {}}
    out = mappings.preview(mapping, other)
    assert out["Lead_Source"] == "Other" and out["Vip"] is False
    assert "Numero_Client" not in out


@pytest.mark.parametrize(
    ("phone", "expected"),
    [
        pytest.param("06 12 34 56 78", "+33612345678", id="national-fr"),
        pytest.param("+33 (0)6 12 34 56 78", "+33612345678", id="international-with-trunk"),
        pytest.param("0033612345678", "+33612345678", id="00-prefix"),
        pytest.param("+1 650-253-0000", "+16502530000", id="us"),
        pytest.param("12", None, id="too-short"),
        pytest.param("not a phone", None, id="garbage"),
    ],
)
def test_phone_numbers_become_e164(phone: str, expected: str | None) -> None:
    mapping = mappings.loads(CONTACT, "contact.yaml")
    out = mappings.preview(mapping, {**CUSTOMER, "phone": phone})
    assert out.get("Phone") == expected


PAYMENT = """\
name: test-pay
local: payment
remote: test_crm.contact
rules:
  - {direction: outbound, target: Amount, transform: minor_units, source: amount,
     currency: currency}
  - {direction: outbound, target: Currency, transform: copy, source: currency}
  - {direction: inbound, target: amount, transform: minor_units, source: Amount,
     currency: Currency, reverse: true}
  - {direction: inbound, target: refunded_amount, transform: math, source: Amount,
     multiply: "0.5"}
"""


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        pytest.param("150.00", "EUR", 15000, id="eur"),
        pytest.param(0.29, "EUR", 29, id="float-without-rounding-error"),
        pytest.param("19.999", "EUR", 2000, id="half-up"),
        pytest.param(500, "JPY", 500, id="zero-decimals"),
        pytest.param("1.234", "KWD", 1234, id="three-decimals"),
    ],
)
def test_currency_minor_units_are_exact(amount: Any, currency: str, minor: int) -> None:
    mapping = mappings.loads(PAYMENT, "pay.yaml")
    out = mappings.preview(mapping, {"amount": amount, "currency": currency})
    assert out["Amount"] == minor and isinstance(out["Amount"], int)


def test_minor_units_back_and_arithmetic() -> None:
    mapping = mappings.loads(PAYMENT, "pay.yaml")
    assert mappings.preview_inbound(mapping, {"Amount": 15000, "Currency": "EUR"}) == {
        "amount": "150.00",
        "refunded_amount": 7500,
    }


def test_a_custom_field_path_outside_the_schema_names_its_line() -> None:
    broken = CONTACT.replace(
        "target: Numero_Client, transform: copy", "target: Numero, transform: copy"
    )
    with pytest.raises(MappingError) as info:
        mappings.loads(broken, "contact.yaml")
    assert str(info.value).startswith("contact.yaml:")
    assert info.value.line is not None and "Numero" in str(info.value)


def test_a_missing_parameter_is_refused_at_load() -> None:
    broken = CONTACT.replace("part: first}", "}")
    with pytest.raises(MappingError, match="needs 'part'"):
        mappings.loads(broken, "contact.yaml")
