"""A connection's field mapping (built-in + account override) and the payloads it produces."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from typing import Any

import connectors
import mappings
from connectors.spec import StreamSpec
from mappings import FieldMapping, schemas
from mappings.transforms import get_path, set_path


def register_remote_schemas() -> None:
    """Give the mapping engine the remote field trees the connectors declare (idempotent)."""
    for spec in connectors.all_specs().values():
        for stream in spec.streams:
            if stream.remote_schema and stream.remote_fields is not None:
                schemas.register_schema(stream.remote_schema, dict(stream.remote_fields))


def mapping_name(connector: str) -> str:
    """The built-in mapping of a connector: the one its spec's streams name."""
    for stream in connectors.spec_of(connector).streams:
        if stream.mapping:
            return stream.mapping
    raise ValueError(f"connector {connector!r} declares no mapping")


@lru_cache(maxsize=256)
def _with_override(connector: str, override_json: str) -> FieldMapping:
    register_remote_schemas()
    base = mappings.load(mapping_name(connector))
    return mappings.with_override(base, json.loads(override_json), source="account override")


def build(connector: str, override: dict[str, Any] | None) -> FieldMapping:
    """The effective mapping; MappingError (with the engine's message) if the override is bad."""
    if not override:
        register_remote_schemas()
        return mappings.load(mapping_name(connector))
    return _with_override(connector, json.dumps(override, sort_keys=True))


def title_path(mapping: FieldMapping) -> str | None:
    """The remote field holding the title (the source of the inbound `title` rule)."""
    outbound = {r.target for r in mapping.rules_for("outbound")}
    for rule in mapping.rules_for("inbound"):
        if rule.target == "title":
            paths = rule.transform.path("source")
            if paths and paths[0] in outbound:
                return paths[0]
    return None


def render(
    mapping: FieldMapping,
    appointment: dict[str, Any],
    context: dict[str, Any],
    title: str | None = None,
) -> dict[str, Any]:
    """The remote payload for an appointment; a title kept from the remote replaces ours."""
    payload = mappings.apply(mapping, "outbound", appointment, context)
    path = title_path(mapping)
    if title and path:
        set_path(payload, path, title)
        if mapping.echo_marker:
            set_path(payload, mapping.echo_marker, mappings.content_hash(mapping, payload, context))
    return payload


def default_title(mapping: FieldMapping, payload_without_override: dict[str, Any]) -> str | None:
    """The title our mapping gives (to tell a remote rename from our own title)."""
    path = title_path(mapping)
    value = get_path(payload_without_override, path) if path else None
    return None if value is None else str(value)


def payload_hash(payload: dict[str, Any]) -> str:
    """Fingerprint of a whole payload: equal means pushing it again would change nothing."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def inbound(
    mapping: FieldMapping, remote: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """What a remote record means locally (id, title, scheduled_at, duration, status)."""
    return mappings.apply(mapping, "inbound", remote, context)


def fingerprint(mapping: FieldMapping, remote: dict[str, Any], context: dict[str, Any]) -> str:
    """The inbound meaning of a remote record, hashed (insensitive to remote reformatting)."""
    return mappings.content_hash(mapping, remote, context)


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def remote_names(mapping: FieldMapping) -> set[str]:
    """The top-level remote fields a mapping writes (outbound targets) or reads (inbound)."""
    names = {_top(r.target) for r in mapping.rules_for("outbound")}
    for rule in mapping.rules_for("inbound"):
        names |= {_top(path) for _, path in rule.transform.referenced_paths()}
    return {n for n in names if n and not n.startswith("$")}


def custom_names(mapping: FieldMapping, stream: StreamSpec) -> list[str]:
    """The remote fields a mapping names that the stream's declared fields do not list: the
    organisation's own (custom) fields, which only the remote's field metadata knows."""
    declared = set(stream.remote_fields or {}) - {"*"}
    return sorted(n for n in remote_names(mapping) if n not in declared)


def mapped_stream(connector: str) -> StreamSpec | None:
    """The stream the connection's mapping (and its override) applies to."""
    name = mapping_name(connector)
    return next((s for s in connectors.spec_of(connector).streams if s.mapping == name), None)
