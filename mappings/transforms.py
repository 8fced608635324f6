"""Named transforms a mapping rule can use; each is a small object with one `transform()`.

A transform declares its parameters (`params`); the engine validates a rule's keys against
them when the mapping loads, and checks every "path" parameter against the source side's
schema. A "path" parameter may be a list of paths: the first non-empty value wins.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

ParamKind = Literal["path", "str", "map", "bool", "any"]


class _Skip:
    """Sentinel: the rule sets nothing (source empty, status not mapped...)."""

    def __repr__(self) -> str:
        """Readable in test failures."""
        return "SKIP"


SKIP: Any = _Skip()


@dataclass(frozen=True)
class Param:
    """A transform parameter: its kind and whether a rule must give it."""

    kind: ParamKind
    required: bool = True
    default: Any = None


@dataclass(frozen=True)
class Context:
    """What a transform may know besides the record: the time zone, and free-form extras."""

    time_zone: ZoneInfo
    extra: Mapping[str, Any] = field(default_factory=dict)


def get_path(record: Mapping[str, Any], path: str) -> Any:
    """The value at dotted `path` in nested dicts, or None."""
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def set_path(record: dict[str, Any], path: str, value: Any) -> None:
    """Set dotted `path` in nested dicts, creating the intermediate dicts."""
    parts = path.split(".")
    node = record
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def first(record: Mapping[str, Any], paths: Sequence[str]) -> Any:
    """The first non-empty value among `paths` (None if all are empty)."""
    for path in paths:
        value = get_path(record, path)
        if value not in (None, ""):
            return value
    return None


def parse_instant(value: Any) -> datetime:
    """An ISO 8601 timestamp ("...Z" or with offset) as an aware UTC datetime."""
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without time zone: {value!r}")
    return moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """The API's timestamp form: "2025-01-20T09:00:00Z"."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_event_time(when: Any, default_tz: ZoneInfo) -> datetime | None:
    """A remote {dateTime[, timeZone]} or {date} (all-day) as an aware datetime."""
    if not isinstance(when, Mapping):
        return None
    tz = default_tz
    if when.get("timeZone"):
        tz = ZoneInfo(str(when["timeZone"]))
    if when.get("dateTime"):
        moment = datetime.fromisoformat(str(when["dateTime"]).replace("Z", "+00:00"))
        return moment if moment.tzinfo else moment.replace(tzinfo=tz)
    if when.get("date"):
        day = date.fromisoformat(str(when["date"]))
        return datetime(day.year, day.month, day.day, tzinfo=tz)
    return None


class Transform(abc.ABC):
    """A rule's computation: built once from validated params, then `transform()` per record."""

    name: ClassVar[str]
    params: ClassVar[dict[str, Param]]

    def __init__(self, **params: Any) -> None:
        """Keep the validated parameters (paths normalised to tuples)."""
        self.options = params

    def path(self, name: str) -> tuple[str, ...]:
        """A path parameter as a tuple of candidate paths (empty if absent)."""
        value = self.options.get(name)
        return tuple(value) if value else ()

    def referenced_paths(self) -> list[tuple[str, str]]:
        """(parameter, source path) pairs this transform reads, checked against the schema."""
        return [
            (name, p)
            for name, spec in self.params.items()
            if spec.kind == "path"
            for p in self.path(name)
        ]

    @abc.abstractmethod
    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Compute the target value from the source record (or SKIP)."""


TRANSFORMS: dict[str, type[Transform]] = {}


def register_transform(cls: type[Transform]) -> type[Transform]:
    """Class decorator: make a transform usable by name in mappings (each name once)."""
    known = TRANSFORMS.get(cls.name)
    if known is not None and known.__qualname__ != cls.__qualname__:
        raise ValueError(f"transform {cls.name!r} is already {known.__module__}.{known.__name__}")
    TRANSFORMS[cls.name] = cls
    return cls


@register_transform
class Copy(Transform):
    """The source value unchanged (skipped when empty)."""

    name = "copy"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Copy."""
        value = first(record, self.path("source"))
        return SKIP if value is None else value


@register_transform
class Constant(Transform):
    """A fixed value (e.g. a colour or transparency an account wants on every event)."""

    name = "constant"
    params = {"value": Param("any")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """The configured value."""
        return self.options["value"]


_FORMATTER = string.Formatter()


@register_transform
class Template(Transform):
    """Text with {dotted.path} placeholders; a line whose placeholders are all empty is dropped."""

    name = "template"
    params = {"template": Param("str"), "drop_empty_lines": Param("bool", False, True)}

    def __init__(self, **params: Any) -> None:
        """Pre-parse the template into lines of (literal, field) pieces."""
        super().__init__(**params)
        self._lines = [list(_FORMATTER.parse(line)) for line in str(params["template"]).split("\n")]

    def referenced_paths(self) -> list[tuple[str, str]]:
        """The placeholders' paths."""
        return [
            ("template", fld) for line in self._lines for _, fld, _, _ in line if fld is not None
        ]

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Render, dropping lines whose placeholders all came out empty."""
        rendered: list[str] = []
        drop = self.options.get("drop_empty_lines", True)
        for pieces in self._lines:
            text, fields, filled = "", 0, 0
            for literal, fld, _, _ in pieces:
                text += literal
                if fld is not None:
                    fields += 1
                    value = get_path(record, fld)
                    if value not in (None, ""):
                        filled += 1
                        text += str(value)
            if drop and fields and not filled:
                continue
            rendered.append(text.rstrip())
        out = re.sub(r"\n{3,}", "\n\n", "\n".join(rendered)).strip()
        return out


@register_transform
class AddressJoin(Transform):
    """ "15 rue des Lilas, 75001 Paris" from {address, postal_code, city}."""

    name = "address_join"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Join the non-empty parts."""
        location = first(record, self.path("source"))
        if not isinstance(location, Mapping):
            return SKIP
        town = " ".join(
            str(location[k]) for k in ("postal_code", "city") if location.get(k) not in (None, "")
        )
        parts = [str(location["address"])] if location.get("address") else []
        if town:
            parts.append(town)
        return ", ".join(parts) if parts else SKIP


@register_transform
class DateTimeTz(Transform):
    """UTC timestamp (+ optional minutes) → {"dateTime": local time with offset, "timeZone"}."""

    name = "datetime_tz"
    params = {"source": Param("path"), "add_minutes": Param("path", required=False)}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Convert to the context's time zone (DST handled by zoneinfo)."""
        value = first(record, self.path("source"))
        if value is None:
            return SKIP
        moment = parse_instant(value)
        if self.path("add_minutes"):
            minutes = first(record, self.path("add_minutes"))
            if minutes is None:
                return SKIP
            moment += timedelta(minutes=int(minutes))
        return {
            "dateTime": moment.astimezone(context.time_zone).isoformat(),
            "timeZone": context.time_zone.key,
        }


@register_transform
class DateTimeUtc(Transform):
    """Remote {dateTime} or all-day {date} → "2025-01-20T09:00:00Z"."""

    name = "datetime_utc"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Normalise to UTC."""
        moment = parse_event_time(first(record, self.path("source")), context.time_zone)
        return SKIP if moment is None else format_utc(moment)


@register_transform
class DurationMinutes(Transform):
    """Whole minutes between two remote times (end - start, in absolute time)."""

    name = "duration_minutes"
    params = {"start": Param("path"), "end": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Subtract."""
        start = parse_event_time(first(record, self.path("start")), context.time_zone)
        end = parse_event_time(first(record, self.path("end")), context.time_zone)
        if start is None or end is None:
            return SKIP
        # In UTC: Python subtracts wall clocks when both sides share one tzinfo (DST days).
        return round((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 60)


@register_transform
class StatusMap(Transform):
    """Translate a value through a table; unmapped (or mapped to null) values set nothing."""

    name = "status_map"
    params = {"source": Param("path"), "map": Param("map"), "default": Param("str", False)}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Look up."""
        value = first(record, self.path("source"))
        table: Mapping[str, Any] = self.options["map"]
        if value is not None and str(value) in table:
            mapped = table[str(value)]
            return SKIP if mapped is None else mapped
        default = self.options.get("default")
        return SKIP if default is None else default


@register_transform
class EventId(Transform):
    """A stable remote id derived from our id (base32hex, as Google requires for event ids).

    Inserting with a chosen id makes a retried create detectable (409) instead of a duplicate.
    """

    name = "event_id"
    params = {"source": Param("path")}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Hash our id into 32 characters of [0-9a-v]."""
        value = first(record, self.path("source"))
        if value in (None, ""):
            return SKIP
        digest = hashlib.sha256(f"ivalid:{value}".encode()).digest()
        return base64.b32hexencode(digest).decode("ascii").lower().rstrip("=")[:32]


@register_transform
class DateTimeLocal(Transform):
    """UTC timestamp (+ optional minutes) → {"dateTime": wall-clock time, "timeZone"}.

    Microsoft Graph's dateTimeTimeZone: a local time *without* offset plus the zone's name.
    In the hour a DST change repeats, a wall-clock time is ambiguous; such an instant is sent
    in UTC instead, so it never comes back an hour off.
    """

    name = "datetime_local"
    params = {"source": Param("path"), "add_minutes": Param("path", required=False)}

    def transform(self, record: Mapping[str, Any], context: Context) -> Any:
        """Convert to the context's time zone, or UTC where the wall clock is ambiguous."""
        value = first(record, self.path("source"))
        if value is None:
            return SKIP
        moment = parse_instant(value)
        if self.path("add_minutes"):
            minutes = first(record, self.path("add_minutes"))
            if minutes is None:
                return SKIP
            moment += timedelta(minutes=int(minutes))
        zone = context.time_zone
        # fold=0: how a receiver reads an offset-less wall time (the first of a repeated hour).
        wall = moment.astimezone(zone).replace(tzinfo=None, microsecond=0, fold=0)
        if wall.replace(tzinfo=zone).astimezone(UTC) != moment.replace(microsecond=0):
            return {
                "dateTime": moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S"),
                "timeZone": "UTC",
            }
        return {"dateTime": wall.strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": zone.key}
