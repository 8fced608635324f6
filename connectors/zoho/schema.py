"""The fields of Zoho CRM records (API v8, modules Contacts and Leads) that mappings may name.

Zoho record schemas accept any top-level name besides the standard fields ("*"): custom fields
are per organisation, discovered from Zoho's field metadata when a connection is made, and
checked by Zoho when a record is written.
"""

from __future__ import annotations

from typing import Any

_SYSTEM: dict[str, Any] = {
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

CONTACT_FIELDS: dict[str, Any] = {
    **_SYSTEM,
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

LEAD_FIELDS: dict[str, Any] = {
    **_SYSTEM,
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
