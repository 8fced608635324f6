"""mappings/zoho.yaml and zoho_leads.yaml: customers ↔ Zoho contacts, leads → customers."""

from __future__ import annotations

from typing import Any

import pytest

import mappings
from mappings import MappingError

CUSTOMER: dict[str, Any] = {
    "first_name": "Marie",
    "last_name": "Dupont",
    "email": "marie@example.com",
    "phone": "+33612345678",
    "address": {
        "street": "15 rue des Lilas",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    },
    "tags": ["vip", "chaudière"],
    "custom_fields": {"numero_client": "C-0042"},
}

OVERRIDE = {
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
}


def test_customer_to_contact() -> None:
    """Names, e-mail, E.164 phone, mailing address and tags as Zoho writes them."""
    contact = mappings.apply(mappings.load("zoho"), "outbound", CUSTOMER)
    assert contact == {
        "First_Name": "Marie",
        "Last_Name": "Dupont",
        "Email": "marie@example.com",
        "Phone": "+33612345678",
        "Mailing_Street": "15 rue des Lilas",
        "Mailing_City": "Paris",
        "Mailing_Zip": "75001",
        "Mailing_Country": "FR",
        "Tag": [{"name": "vip"}, {"name": "chaudière"}],
    }


def test_round_trip_with_a_custom_field() -> None:
    """Customer → contact → customer is the identity, custom field included (override)."""
    mapping = mappings.with_override(mappings.load("zoho"), OVERRIDE)
    contact = mappings.apply(mapping, "outbound", CUSTOMER)
    assert contact["Numero_Client"] == "C-0042"
    assert mappings.apply(mapping, "inbound", contact) == CUSTOMER


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        pytest.param({"Phone": "01 23 45 67 89"}, "+33123456789", id="national-fr"),
        pytest.param({"Phone": "+33 (0)1 23 45 67 89"}, "+33123456789", id="trunk-zero"),
        pytest.param({"Phone": "0032 2 123 45 67"}, "+3221234567", id="international-prefix"),
        pytest.param({"Mobile": "06.12.34.56.78"}, "+33612345678", id="mobile-when-no-phone"),
        pytest.param(
            {"Phone": "+1 415-555-0100", "Mobile": "0612345678"}, "+14155550100", id="phone-first"
        ),
        pytest.param({"Phone": "12"}, None, id="not-a-number"),
    ],
)
def test_phone_in_e164(remote: dict[str, str], expected: str | None) -> None:
    """Zoho's free-form phone numbers come in as E.164 (read in France when national)."""
    customer = mappings.apply(mappings.load("zoho"), "inbound", {"Last_Name": "X", **remote})
    assert customer.get("phone") == expected


def test_phone_region_from_context() -> None:
    """A Belgian account reads national numbers as Belgian."""
    customer = mappings.apply(
        mappings.load("zoho"), "inbound", {"Phone": "02 123 45 67"}, {"phone_region": "BE"}
    )
    assert customer["phone"] == "+3221234567"


def test_country_names_become_codes() -> None:
    """Zoho's Mailing_Country is free text; ours is ISO 3166 alpha-2."""
    mapping = mappings.load("zoho")
    assert mappings.apply(mapping, "inbound", {"Mailing_Country": "France"}) == {
        "address": {"country": "FR"}
    }
    assert mappings.apply(mapping, "inbound", {"Mailing_Country": "Atlantide"}) == {}


def test_lead_to_customer() -> None:
    """A lead's own address fields map to the customer's address."""
    lead = {
        "First_Name": "Paul",
        "Last_Name": "Martin",
        "Company": "Martin SARL",
        "Email": "paul@martin.fr",
        "Mobile": "0611223344",
        "Street": "2 place du Marché",
        "City": "Lyon",
        "Zip_Code": "69002",
        "Country": "FR",
    }
    assert mappings.apply(mappings.load("zoho_leads"), "inbound", lead) == {
        "first_name": "Paul",
        "last_name": "Martin",
        "email": "paul@martin.fr",
        "phone": "+33611223344",
        "address": {
            "street": "2 place du Marché",
            "city": "Lyon",
            "postal_code": "69002",
            "country": "FR",
        },
    }


def test_unknown_customer_field_is_refused() -> None:
    """An override naming a customer field that does not exist fails with a clear message."""
    bad = {
        "rules": [
            {
                "direction": "inbound",
                "target": "custom_field.x",
                "transform": "copy",
                "source": "Numero_Client",
            }
        ]
    }
    with pytest.raises(MappingError, match="custom_field"):
        mappings.with_override(mappings.load("zoho"), bad)


def test_one_owner_per_schema_and_transform() -> None:
    """The customer schema and phone_e164 have one definition; Zoho's schemas come from its spec."""
    import connectors
    from mappings import record_transforms, schemas, transforms

    assert transforms.TRANSFORMS["phone_e164"] is record_transforms.PhoneE164
    assert schemas.SCHEMAS["customer"] is schemas.CUSTOMER
    spec = connectors.spec_of("zoho")
    assert spec.stream("contacts").remote_fields == schemas.SCHEMAS["zoho.contact"]
    assert spec.stream("leads").remote_fields == schemas.SCHEMAS["zoho.lead"]
    with pytest.raises(ValueError, match="already declared"):
        schemas.register_schema("customer", {"id": None})

    class Other(transforms.Transform):
        name = "phone_e164"

        def transform(self, record: Any, context: transforms.Context) -> Any:
            return None

    with pytest.raises(ValueError, match="already"):
        transforms.register_transform(Other)
