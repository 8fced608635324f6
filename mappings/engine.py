"""Load, validate and apply declarative field mappings (local object ↔ remote object).

A mapping is YAML (see google_calendar.yaml): two sides named by schema, default context,
`rules` (direction, target, transform and the transform's parameters), what a remote deletion
means locally, and where to stamp the echo marker. It is validated when it loads (see
`mappings.validation`: errors name the file and the line); its rules become small transform
objects, each with one `transform()`, and `apply()` runs them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mappings.transforms import SKIP, Context, get_path, set_path
from mappings.validation import (
    DEFAULT_KEYS,
    DIRECTIONS,
    OVERRIDE_KEYS,
    Direction,
    FieldMapping,
    MappingError,
    Rule,
    Validator,
    build,
    parse_yaml,
)

__all__ = [
    "DIRECTIONS",
    "Direction",
    "FieldMapping",
    "MappingError",
    "Rule",
    "apply",
    "content_hash",
    "from_dict",
    "is_echo",
    "load",
    "load_file",
    "loads",
    "make_context",
    "preview",
    "remote_deleted",
    "with_override",
]

MAPPINGS_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------------- loading


def loads(text: str, source: str = "<string>") -> FieldMapping:
    """Load a mapping from YAML text."""
    return build(parse_yaml(text, source), source)


def load_file(path: str | Path) -> FieldMapping:
    """Load a mapping from a YAML file (errors name the file)."""
    path = Path(path)
    return loads(path.read_text(encoding="utf-8"), path.name)


def from_dict(data: Mapping[str, Any], source: str = "<dict>") -> FieldMapping:
    """Load a mapping from plain data (errors name `source` and the key path)."""
    return build(data, source)


@cache
def load(name: str) -> FieldMapping:
    """A built-in mapping by name ("google_calendar" → mappings/google_calendar.yaml)."""
    return load_file(MAPPINGS_DIR / f"{name.replace('-', '_')}.yaml")


def with_override(
    base: FieldMapping, override: str | Path | Mapping[str, Any], source: str | None = None
) -> FieldMapping:
    """An account's customisation of `base`: replace/add rules, remove some, change defaults.

    `override` is YAML text, a path to a YAML file, or a dict::

        defaults: {time_zone: Europe/Brussels}
        rules:                      # same (direction, target) as a base rule: replaces it
          - {direction: outbound, target: summary, transform: template, template: "{customer.name}"}
        remove:
          - {direction: outbound, target: description}
    """
    if isinstance(override, Path):
        source = source or override.name
        data = parse_yaml(override.read_text(encoding="utf-8"), source)
    elif isinstance(override, str):
        source = source or "<override>"
        data = parse_yaml(override, source)
    else:
        source = source or "<override>"
        data = override
    check = Validator(source)
    doc = check.mapping(data, None, None, "")
    check.keys(doc, OVERRIDE_KEYS, "")
    defaults = check.mapping(doc.get("defaults", {}), doc, "defaults", "defaults")
    check.keys(defaults, DEFAULT_KEYS, "defaults")
    if "time_zone" in defaults:
        check.time_zone(defaults, "defaults")
    new_rules = doc.get("rules", [])
    if not isinstance(new_rules, list):
        raise check.fail(doc, "rules", "rules", "must be a list")
    built = [check.rule(s, new_rules, i, base.local, base.remote) for i, s in enumerate(new_rules)]
    removals = doc.get("remove", [])
    if not isinstance(removals, list):
        raise check.fail(doc, "remove", "remove", "must be a list")
    removed: set[tuple[str, str]] = set()
    existing = {(r.direction, r.target) for r in base.rules}
    for i, item in enumerate(removals):
        entry = check.mapping(item, removals, i, f"remove[{i}]")
        check.keys(entry, {"direction", "target"}, f"remove[{i}]")
        key = (str(entry.get("direction")), str(entry.get("target")))
        if key not in existing:
            raise check.fail(removals, i, f"remove[{i}]", f"no rule {key[0]} {key[1]!r} to remove")
        removed.add(key)
    replaced = {(r.direction, r.target): r for r in built}
    rules = [replaced.pop((r.direction, r.target), r) for r in base.rules]
    rules = [r for r in rules if (r.direction, r.target) not in removed]
    rules.extend(replaced.values())
    return FieldMapping(
        name=base.name,
        local=base.local,
        remote=base.remote,
        source=f"{base.source}+{source}",
        time_zone=str(defaults.get("time_zone", base.time_zone)),
        rules=tuple(rules),
        on_remote_delete=base.on_remote_delete,
        echo_marker=base.echo_marker,
        raw=base.raw,
    )


# -------------------------------------------------------------------------------- applying


def make_context(mapping: FieldMapping, context: Mapping[str, Any] | None) -> Context:
    """The transform context: `time_zone` from the caller, else the mapping's default."""
    extra = dict(context or {})
    tz_name = extra.get("time_zone") or mapping.time_zone
    try:
        zone = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            mapping.source, None, "context.time_zone", f"unknown time zone {tz_name!r}"
        ) from None
    return Context(time_zone=zone, extra=extra)


def _run(
    mapping: FieldMapping, direction: Direction, record: Mapping[str, Any], ctx: Context
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule in mapping.rules_for(direction):
        value = rule.transform.transform(record, ctx)
        if value is not SKIP:
            set_path(out, rule.target, value)
    return out


def content_hash(
    mapping: FieldMapping, remote: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> str:
    """Fingerprint of what a remote record means locally (its inbound mapping).

    Hashing the inbound view rather than raw remote JSON makes it insensitive to the remote's
    reformatting (Google rewrites "...Z" as "+01:00", adds fields we don't map).
    """
    ctx = make_context(mapping, context)
    inbound = _run(mapping, "inbound", remote, ctx)
    canonical = json.dumps(inbound, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def apply(
    mapping: FieldMapping,
    direction: Direction,
    record: Mapping[str, Any],
    context: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Map one record: outbound (local → remote, echo marker set) or inbound (remote → local)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown direction {direction!r}")
    ctx = make_context(mapping, context)
    out = _run(mapping, direction, record, ctx)
    if direction == "outbound" and mapping.echo_marker:
        set_path(out, mapping.echo_marker, content_hash(mapping, out, context))
    return out


def preview(
    mapping: FieldMapping, appointment: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What would be sent to the remote for this appointment (dashboard "preview")."""
    return apply(mapping, "outbound", appointment, context)


def preview_inbound(
    mapping: FieldMapping, remote: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What a remote record would become locally (the other direction of `preview`)."""
    return apply(mapping, "inbound", remote, context)


def is_echo(
    mapping: FieldMapping, remote: Mapping[str, Any], context: Mapping[str, Any] | None = None
) -> bool:
    """True if `remote` is exactly what we pushed (our own write coming back): skip it."""
    if not mapping.echo_marker:
        return False
    marker = get_path(remote, mapping.echo_marker)
    return bool(marker) and marker == content_hash(mapping, remote, context)


def remote_deleted(mapping: FieldMapping) -> dict[str, Any]:
    """The local changes a remote deletion means (e.g. {"status": "cancelled"})."""
    return dict(mapping.on_remote_delete)
