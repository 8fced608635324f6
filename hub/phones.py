"""Phone numbers in E.164, as customers are matched by them.

One normalisation for every writer of a customer's phone (the customer service, the demo,
migration 0011's backfill) and for every lookup (an inbound CRM record matched to a customer):
`phonenumbers` parses the number, reading one without a country code in `DEFAULT_REGION`.
"""

from __future__ import annotations

import phonenumbers

# Stored customer numbers without a country code are read as French (the API's default
# country, as `Address.country`).
DEFAULT_REGION = "FR"


def e164(phone: str | None, region: str = DEFAULT_REGION) -> str | None:
    """A phone number in E.164, read in `region` without a country code; None if not one."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
