"""Transforms for CRM and payment records: phones, names, money, lookups, conditions, lists.

Registered on import (mappings/__init__.py imports this module). Phone numbers are parsed and
formatted by the `phonenumbers` library; money is exact (Decimal), never a float.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import phonenumbers

from mappings.transforms import (
    SKIP,
    Context,
    Param,
    Transform,
    first,
    get_path,
    register_transform,
)

# ISO 4217 currencies whose minor unit is not the hundredth (the rest have two decimals).
MINOR_DIGITS: dict[str, int] = {
    **dict.fromkeys(("BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG"), 0),
    **dict.fromkeys(("RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"), 0),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
}


def minor_digits(currency: str) -> int:
    """How many decimals the currency's minor unit has (EUR 2, JPY 0, KWD 3)."""
    return MINOR_DIGITS.get(currency.upper(), 2)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register_transform
class PhoneE164(Transform):
    """A phone number in E.164 (+33612345678); numbers without a country code are read in the
    connection's region (context `phone_region`), else the rule's `region` (FR by default)."""

    name = "phone_e164"
    params = {"source": Param("path"), "region": Param("str", False, "FR")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Parse and format; an unparseable or impossible number is skipped."""
        value = first(record, self.path("source"))
        if value in (None, ""):
            return SKIP
        region = str(context.extra.get("phone_region") or self.options.get("region") or "FR")
        try:
            number = phonenumbers.parse(str(value), region)
        except phonenumbers.NumberParseException:
            return SKIP
        if not phonenumbers.is_possible_number(number):
            return SKIP
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@register_transform
class NameSplit(Transform):
    """One part of a full name: `part: first` (all but the last word) or `last`."""

    name = "name_split"
    params = {"source": Param("path"), "part": Param("str")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Split on the last space."""
        value = first(record, self.path("source"))
        words = str(value or "").split()
        if not words:
            return SKIP
        if self.options["part"] == "last":
            return words[-1]
        return " ".join(words[:-1]) if len(words) > 1 else SKIP


@register_transform
class NameJoin(Transform):
    """A full name from its parts (`sources`: first, then last), empty parts left out."""

    name = "name_join"
    params = {"sources": Param("path"), "separator": Param("str", False, " ")}

    def referenced_paths(self) -> list[tuple[str, str]]:
        """Each part is a path of its own."""
        return [("sources", p) for p in self.path("sources")]

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Join the non-empty parts."""
        parts = [
            str(v) for p in self.path("sources") if (v := get_path(record, p)) not in (None, "")
        ]
        return str(self.options.get("separator", " ")).join(parts) if parts else SKIP


@register_transform
class MinorUnits(Transform):
    """An amount in a currency's minor units, exactly (150.00 EUR → 15000, 500 JPY → 500).

    `currency` is a path to the currency code, or `currency_code` a fixed one. With
    `reverse: true` it goes the other way (15000 EUR → "150.00").
    """

    name = "minor_units"
    params = {
        "source": Param("path"),
        "currency": Param("path", False),
        "currency_code": Param("str", False),
        "reverse": Param("bool", False, False),
    }

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Scale by 10^digits with half-up rounding (a third decimal of EUR is rounded)."""
        amount = _decimal(first(record, self.path("source")))
        code = self.options.get("currency_code") or first(record, self.path("currency"))
        if amount is None or not code:
            return SKIP
        digits = minor_digits(str(code))
        if self.options.get("reverse"):
            return str((amount / (Decimal(10) ** digits)).quantize(Decimal(10) ** -digits))
        scaled = (amount * (Decimal(10) ** digits)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return int(scaled)


@register_transform
class Arithmetic(Transform):
    """`source` × `multiply` + `add` (numbers as decimals; an integer result stays an int)."""

    name = "math"
    params = {
        "source": Param("path"),
        "multiply": Param("any", False, 1),
        "add": Param("any", False, 0),
    }

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Compute exactly."""
        value = _decimal(first(record, self.path("source")))
        factor, offset = (
            _decimal(self.options.get("multiply", 1)),
            _decimal(self.options.get("add", 0)),
        )
        if value is None or factor is None or offset is None:
            return SKIP
        result = value * factor + offset
        return int(result) if result == result.to_integral_value() else float(result)


@register_transform
class Lookup(Transform):
    """A value translated through a table (`table`: {ours: theirs}); unknown → `default`."""

    name = "lookup"
    params = {"source": Param("path"), "table": Param("map"), "default": Param("any", False)}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Translate; an unknown value without a default is skipped."""
        value = first(record, self.path("source"))
        table: Mapping[str, Any] = self.options["table"]
        if value is not None and str(value) in table:
            found = table[str(value)]
            return SKIP if found is None else found
        default = self.options.get("default")
        return SKIP if default is None else default


@register_transform
class When(Transform):
    """A conditional: `then` when `source` equals `equals` (or is non-empty without it), else
    `otherwise` (nothing when absent)."""

    name = "when"
    params = {
        "source": Param("path"),
        "equals": Param("any", False),
        "then": Param("any"),
        "otherwise": Param("any", False),
    }

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Pick the branch."""
        value = first(record, self.path("source"))
        if "equals" in self.options and self.options["equals"] is not None:
            hit = value == self.options["equals"]
        else:
            hit = value not in (None, "", [], {})
        if hit:
            return self.options["then"]
        otherwise = self.options.get("otherwise")
        return SKIP if otherwise is None else otherwise


@register_transform
class ListJoin(Transform):
    """A list as one string (tags → "a;b"), or with `split: true` a string back into a list."""

    name = "list"
    params = {
        "source": Param("path"),
        "separator": Param("str", False, ";"),
        "split": Param("bool", False, False),
    }

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Join or split, dropping empty items."""
        value = first(record, self.path("source"))
        sep = str(self.options.get("separator") or ";")
        if self.options.get("split"):
            if isinstance(value, list):
                return [str(v) for v in value if v not in (None, "")]
            items = [s.strip() for s in str(value or "").split(sep)]
            return [s for s in items if s] or SKIP
        if not isinstance(value, list):
            return SKIP if value in (None, "") else str(value)
        return sep.join(str(v) for v in value if v not in (None, "")) or SKIP
