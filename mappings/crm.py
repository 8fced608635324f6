"""What CRM mappings need beside the calendar ones: the customer and Zoho record schemas, and
transforms for phone numbers in E.164, tags as Zoho writes them, and country codes.

Importing `mappings` registers them (see mappings/__init__.py). Zoho record schemas accept any
top-level name besides the standard fields: custom fields are per organisation, discovered from
Zoho's field metadata when a connection is made, and checked by Zoho when a record is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings.schemas import Schema, register_schema
from mappings.transforms import SKIP, Context, Param, Transform, first, register_transform

CUSTOMER: Schema = {
    "id": None,
    "first_name": None,
    "last_name": None,
    "name": None,
    "email": None,
    "phone": None,
    "address": {"street": None, "city": None, "postal_code": None, "country": None},
    "preferences": {"preferred_contact": None, "preferred_time_slots": None, "language": None},
    "tags": None,
    "custom_fields": {"*": None},
    "created_at": None,
    "updated_at": None,
}

_ZOHO_SYSTEM = {
    "id": None,
    "Created_Time": None,
    "Modified_Time": None,
    "Owner": {"id": None, "name": None, "email": None},
    "Created_By": {"id": None, "name": None},
    "Modified_By": {"id": None, "name": None},
    "Tag": None,
    "Email_Opt_Out": None,
    "Description": None,
    "*": None,  # custom fields
}

ZOHO_CONTACT: Schema = {
    **_ZOHO_SYSTEM,
    **{
        name: None
        for name in (
            "First_Name",
            "Last_Name",
            "Email",
            "Secondary_Email",
            "Phone",
            "Mobile",
            "Mailing_Street",
            "Mailing_City",
            "Mailing_Zip",
            "Mailing_State",
            "Mailing_Country",
        )
    },
}

ZOHO_LEAD: Schema = {
    **_ZOHO_SYSTEM,
    **{
        name: None
        for name in (
            "First_Name",
            "Last_Name",
            "Company",
            "Email",
            "Phone",
            "Mobile",
            "Street",
            "City",
            "Zip_Code",
            "State",
            "Country",
            "Converted__s",
            "Lead_Status",
        )
    },
}

register_schema("customer", CUSTOMER)
register_schema("zoho.contact", ZOHO_CONTACT)
register_schema("zoho.lead", ZOHO_LEAD)


@register_transform
class TagsOut(Transform):
    """Our tags (strings) as Zoho's `Tag` list of `{"name"}` objects."""

    name = "tags_out"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Wrap each tag."""
        value = first(record, self.path("source"))
        if value is None:
            return SKIP
        return [{"name": str(tag)} for tag in value]


@register_transform
class TagsIn(Transform):
    """Zoho's `Tag` objects as our tag strings."""

    name = "tags_in"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Unwrap each tag."""
        value = first(record, self.path("source"))
        if value is None:
            return SKIP
        return [str(t["name"]) for t in value if isinstance(t, Mapping) and t.get("name")]


_COUNTRIES = {
    "france": "FR",
    "belgique": "BE",
    "belgium": "BE",
    "suisse": "CH",
    "switzerland": "CH",
    "luxembourg": "LU",
    "allemagne": "DE",
    "germany": "DE",
    "espagne": "ES",
    "spain": "ES",
    "italie": "IT",
    "italy": "IT",
    "royaume-uni": "GB",
    "united kingdom": "GB",
}


@register_transform
class CountryCode(Transform):
    """A country as an ISO 3166 alpha-2 code: codes kept, common names translated, else
    nothing."""

    name = "country_code"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Normalise."""
        value = first(record, self.path("source"))
        if value in (None, ""):
            return SKIP
        text = str(value).strip()
        if len(text) == 2 and text.isalpha():
            return text.upper()
        return _COUNTRIES.get(text.lower(), SKIP)
