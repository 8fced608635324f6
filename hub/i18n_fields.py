"""Field-level validation messages (`details.errors[].message`) in French and English.

Keyed by the error's `reason`: pydantic's error types, and the API's own reasons. A message
may name the error's context values (`{min_length}`, `{expected}`…); a reason without an entry
answers a generic "invalid value" in the request's language, never pydantic's English.
"""

from __future__ import annotations

from typing import Any

FIELD_MESSAGES: dict[str, tuple[str, str]] = {
    # reason: (français, English)
    "missing": ("Champ obligatoire", "Field required"),
    "extra_forbidden": ("Champ inconnu", "Unknown field"),
    "string_type": ("Une chaîne de caractères est attendue", "A string is expected"),
    "string_too_short": (
        "Au moins {min_length} caractère(s) attendu(s)",
        "At least {min_length} character(s) expected",
    ),
    "string_too_long": (
        "Au plus {max_length} caractère(s) attendu(s)",
        "At most {max_length} character(s) expected",
    ),
    "string_pattern_mismatch": (
        "Format invalide (attendu : {pattern})",
        "Invalid format (expected: {pattern})",
    ),
    "int_type": ("Un nombre entier est attendu", "An integer is expected"),
    "int_parsing": ("Un nombre entier est attendu", "An integer is expected"),
    "int_from_float": ("Un nombre entier est attendu", "An integer is expected"),
    "float_type": ("Un nombre est attendu", "A number is expected"),
    "float_parsing": ("Un nombre est attendu", "A number is expected"),
    "finite_number": ("Un nombre fini est attendu", "A finite number is expected"),
    "bool_type": (
        "Un booléen (true ou false) est attendu",
        "A boolean (true or false) is expected",
    ),
    "bool_parsing": (
        "Un booléen (true ou false) est attendu",
        "A boolean (true or false) is expected",
    ),
    "greater_than": (
        "La valeur doit être supérieure à {gt}",
        "The value must be greater than {gt}",
    ),
    "greater_than_equal": (
        "La valeur doit être supérieure ou égale à {ge}",
        "The value must be greater than or equal to {ge}",
    ),
    "less_than": ("La valeur doit être inférieure à {lt}", "The value must be less than {lt}"),
    "less_than_equal": (
        "La valeur doit être inférieure ou égale à {le}",
        "The value must be less than or equal to {le}",
    ),
    "literal_error": ("Valeur attendue : {expected}", "Expected value: {expected}"),
    "enum": ("Valeur attendue : {expected}", "Expected value: {expected}"),
    "list_type": ("Une liste est attendue", "A list is expected"),
    "dict_type": ("Un objet est attendu", "An object is expected"),
    "model_type": ("Un objet est attendu", "An object is expected"),
    "model_attributes_type": ("Un objet est attendu", "An object is expected"),
    "too_short": (
        "Au moins {min_length} élément(s) attendu(s)",
        "At least {min_length} item(s) expected",
    ),
    "too_long": (
        "Au plus {max_length} élément(s) attendu(s)",
        "At most {max_length} item(s) expected",
    ),
    "date_type": ("Une date ISO 8601 est attendue (2025-01-20)", "An ISO 8601 date is expected"),
    "date_parsing": (
        "Date invalide : format ISO 8601 attendu (2025-01-20)",
        "Invalid date: ISO 8601 expected (2025-01-20)",
    ),
    "date_from_datetime_parsing": (
        "Date invalide : format ISO 8601 attendu (2025-01-20)",
        "Invalid date: ISO 8601 expected (2025-01-20)",
    ),
    "date_from_datetime_inexact": (
        "Une date sans heure est attendue (2025-01-20)",
        "A date without a time is expected (2025-01-20)",
    ),
    "datetime_type": (
        "Une date-heure ISO 8601 est attendue (2025-01-20T09:00:00Z)",
        "An ISO 8601 date-time is expected (2025-01-20T09:00:00Z)",
    ),
    "datetime_parsing": (
        "Date-heure invalide : format ISO 8601 attendu (2025-01-20T09:00:00Z)",
        "Invalid date-time: ISO 8601 expected (2025-01-20T09:00:00Z)",
    ),
    "datetime_from_date_parsing": (
        "Date-heure invalide : format ISO 8601 attendu (2025-01-20T09:00:00Z)",
        "Invalid date-time: ISO 8601 expected (2025-01-20T09:00:00Z)",
    ),
    "timezone_aware": (
        "Un fuseau horaire est requis (2025-01-20T09:00:00Z)",
        "A time zone is required (2025-01-20T09:00:00Z)",
    ),
    "datetime_required": (
        "Une date-heure est attendue (2025-01-20T09:00:00Z), pas une date",
        "A date-time is required (2025-01-20T09:00:00Z), not a date",
    ),
    "date_or_datetime": (
        "Date (2025-01-20) ou date-heure (2025-01-20T09:00:00Z) ISO 8601 attendue",
        "An ISO 8601 date (2025-01-20) or date-time (2025-01-20T09:00:00Z) is expected",
    ),
    "year_out_of_range": (
        "L'année doit être comprise entre {min_year} et {max_year}",
        "The year must be between {min_year} and {max_year}",
    ),
    "value_error": ("Valeur invalide", "Invalid value"),
    "email": ("Adresse e-mail invalide", "Invalid e-mail address"),
    "value_error.email": ("Adresse e-mail invalide", "Invalid e-mail address"),
    "url_parsing": ("URL invalide", "Invalid URL"),
    "url_scheme": ("Schéma d'URL non autorisé", "URL scheme not allowed"),
    "url_type": ("Une URL est attendue", "A URL is expected"),
    "json_invalid": ("JSON invalide", "Invalid JSON"),
    # The API's own reasons (schemas and services).
    "hours_order": (
        "L'heure de début doit précéder l'heure de fin",
        "start must be before end",
    ),
    "unknown_event_type": (
        "Type(s) d'événement inconnu(s) : {unknown} ; connus : {known}",
        "Unknown event type(s): {unknown}; known: {known}",
    ),
    "date_range_inverted": (
        "date_to ne doit pas précéder date_from",
        "date_to must not be before date_from",
    ),
    "date_range_too_long": (
        "La période couvre au plus {max_days} jours",
        "The range is at most {max_days} days",
    ),
    "location_required": (
        "postal_code ou location est obligatoire",
        "postal_code or location is required",
    ),
    "customer_without_address": (
        "location est obligatoire quand le client n'a pas d'adresse postale",
        "location is required when the customer has no postal address",
    ),
    "nul_character": ("Les caractères NUL sont refusés", "NUL characters are refused"),
    "invalid_value": (
        "Une valeur ne peut pas être enregistrée",
        "A value cannot be stored",
    ),
    "not_found": ("{id} n'existe pas", "{id} not found"),
    "range": (
        "since doit être dans le passé et avant until",
        "since must be in the past and before until",
    ),
    # Webhook URLs refused by the SSRF guard (hub.events.urlcheck reason codes).
    "url.invalid_url": ("URL invalide", "Invalid URL"),
    "url.scheme_not_allowed": ("Schéma d'URL non autorisé", "URL scheme not allowed"),
    "url.http_not_allowed": (
        "Les URL de webhook doivent utiliser https",
        "Webhook URLs must use https",
    ),
    "url.userinfo_not_allowed": (
        "Les identifiants dans l'URL ne sont pas autorisés",
        "Credentials in the URL are not allowed",
    ),
    "url.loopback": (
        "Les adresses locales (loopback) sont refusées",
        "Loopback addresses are refused",
    ),
    "url.private": ("Les adresses privées sont refusées", "Private addresses are refused"),
    "url.link_local": ("Les adresses link-local sont refusées", "Link-local addresses are refused"),
    "url.metadata": (
        "Les services de métadonnées cloud sont refusés",
        "Cloud metadata services are refused",
    ),
    "url.unspecified": ("Adresse non spécifiée refusée", "Unspecified address refused"),
    "url.multicast": ("Les adresses multicast sont refusées", "Multicast addresses are refused"),
    "url.reserved": ("Les adresses réservées sont refusées", "Reserved addresses are refused"),
    "url.cgnat": ("Les adresses CGNAT sont refusées", "CGNAT addresses are refused"),
    "url.unique_local": (
        "Les adresses IPv6 locales uniques sont refusées",
        "Unique local IPv6 addresses are refused",
    ),
    "url.no_address": (
        "Ce nom d'hôte n'a pas d'adresse IPv4 ni IPv6",
        "This host name has no IPv4 or IPv6 address",
    ),
}

GENERIC = ("Valeur invalide", "Invalid value")


def field_message(reason: str, lang: str, ctx: dict[str, Any] | None = None) -> str:
    """The message of a field error `reason` in `lang` (fr or en), with its context filled in."""
    fr, en = FIELD_MESSAGES.get(reason, GENERIC)
    text = en if lang == "en" else fr
    if ctx:
        try:
            return text.format(**{k: _show(v) for k, v in ctx.items()})
        except (KeyError, IndexError, ValueError):
            return text
    return text


def _show(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return value
