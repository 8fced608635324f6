"""Transforms CRM mappings need beside the generic ones: tags as `[{"name"}]` objects (the
form Zoho CRM's `Tag` field takes) and country names as ISO codes.

Importing `mappings` registers them (see mappings/__init__.py). The customer schema lives in
mappings/schemas.py, `phone_e164` in mappings/record_transforms.py, and each CRM's record
schema in its connector package (`StreamSpec.remote_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mappings.transforms import SKIP, Context, Param, Transform, first, register_transform


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
