"""Validation of mapping documents: YAML with line numbers, the checks, the built model.

Every check runs when a mapping (or an account override) loads — unknown keys, directions,
transforms, fields, time zones — and a failure is a MappingError naming the file and the line
(or, for plain dicts, the key path). `mappings.engine` is the public entry point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from mappings.schemas import SCHEMAS, has_path
from mappings.transforms import TRANSFORMS, Transform

Direction = Literal["outbound", "inbound"]
DIRECTIONS: tuple[Direction, ...] = ("outbound", "inbound")

_TOP_KEYS = {
    "name": True,
    "description": False,
    "version": False,
    "local": True,
    "remote": True,
    "defaults": False,
    "rules": True,
    "on_remote_delete": False,
    "echo": False,
}
OVERRIDE_KEYS = {"defaults", "rules", "remove"}
_RULE_KEYS = ("direction", "target", "transform")
DEFAULT_KEYS = {"time_zone"}


class MappingError(ValueError):
    """A mapping (or override) is invalid; says where: file, line, and key path."""

    def __init__(self, source: str, line: int | None, path: str, message: str) -> None:
        """Build a message like "google_calendar.yaml:12: rules[3].transform: unknown ..."."""
        self.source, self.line, self.path, self.message = source, line, path, message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {path}: {message}" if path else f"{where}: {message}")


# ------------------------------------------------------------------ YAML with line numbers


class _LocDict(dict[str, Any]):
    """A dict that remembers the line of each key (1-based)."""

    line: int | None = None
    lines: dict[str, int]


class _LocList(list[Any]):
    """A list that remembers the line of each item (1-based)."""

    line: int | None = None
    lines: dict[int, int]


def line_of(container: Any, key: Any = None) -> int | None:
    """Line of `key` in a located container (or of the container itself); None for plain data."""
    lines = getattr(container, "lines", None)
    if key is not None and lines and key in lines:
        return int(lines[key])
    return getattr(container, "line", None)


def _from_node(node: yaml.Node, constructor: yaml.constructor.SafeConstructor, source: str) -> Any:
    if isinstance(node, yaml.MappingNode):
        out = _LocDict()
        out.line, out.lines = node.start_mark.line + 1, {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                raise MappingError(source, line, "", f"keys must be strings, got {key!r}")
            if key in out:
                raise MappingError(source, line, key, "duplicate key")
            out[key] = _from_node(value_node, constructor, source)
            out.lines[key] = line
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = _LocList()
        seq.line, seq.lines = node.start_mark.line + 1, {}
        for index, item in enumerate(node.value):
            seq.append(_from_node(item, constructor, source))
            seq.lines[index] = item.start_mark.line + 1
        return seq
    return constructor.construct_object(node, deep=True)


def parse_yaml(text: str, source: str) -> Any:
    """Parse YAML keeping line numbers; syntax errors become MappingError with the line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        line = err.problem_mark.line + 1 if err.problem_mark else None
        raise MappingError(source, line, "", f"invalid YAML: {err.problem}") from err
    if node is None:
        raise MappingError(source, None, "", "empty mapping")
    return _from_node(node, yaml.constructor.SafeConstructor(), source)


# -------------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class Rule:
    """One field of one direction: target path and the transform computing it."""

    direction: Direction
    target: str
    transform: Transform
    spec: Mapping[str, Any]


@dataclass(frozen=True)
class FieldMapping:
    """A validated mapping, ready to apply."""

    name: str
    local: str
    remote: str
    source: str
    time_zone: str
    rules: tuple[Rule, ...]
    on_remote_delete: Mapping[str, Any] = field(default_factory=dict)
    echo_marker: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)

    def rules_for(self, direction: Direction) -> tuple[Rule, ...]:
        """The rules of one direction, in file order."""
        return tuple(r for r in self.rules if r.direction == direction)


class Validator:
    """Walks plain or located data and raises MappingError at the first problem."""

    def __init__(self, source: str) -> None:
        """Validate data coming from `source` (a file name, or a label for dicts)."""
        self.source = source

    def fail(self, container: Any, key: Any, path: str, message: str) -> MappingError:
        """A MappingError located at `key` of `container` (line when known)."""
        return MappingError(self.source, line_of(container, key), path, message)

    def mapping(self, value: Any, container: Any, key: Any, path: str) -> Mapping[str, Any]:
        """`value` itself, if it is a mapping."""
        if not isinstance(value, Mapping):
            raise self.fail(container, key, path, "must be a mapping")
        return value

    def keys(self, data: Mapping[str, Any], allowed: set[str], path: str) -> None:
        """Refuse keys of `data` outside `allowed`."""
        for key in data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(
                    data, key, join_path(path, key), f"unknown field {key!r} (allowed: {known})"
                )

    def time_zone(self, data: Mapping[str, Any], path: str) -> str:
        """The `time_zone` of `data` (UTC when absent), if zoneinfo knows it."""
        tz = data.get("time_zone", "UTC")
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise self.fail(
                data, "time_zone", join_path(path, "time_zone"), f"unknown time zone {tz!r}"
            ) from None
        return str(tz)

    def side(self, data: Mapping[str, Any], key: str) -> str:
        """The schema name under `key`, if registered."""
        name = data.get(key)
        if name not in SCHEMAS:
            known = ", ".join(sorted(SCHEMAS))
            raise self.fail(data, key, key, f"unknown side {name!r} (known: {known})")
        return str(name)

    def field_path(self, schema_name: str, value: Any, container: Any, key: Any, path: str) -> str:
        """`value`, if it is a field path of the named schema."""
        if not isinstance(value, str) or not has_path(SCHEMAS[schema_name], value):
            raise self.fail(container, key, path, f"unknown field {value!r} of {schema_name}")
        return value

    def rule(self, spec: Any, rules: Any, index: int, local: str, remote: str) -> Rule:
        """Validate one rule and build its transform."""
        path = f"rules[{index}]"
        spec = self.mapping(spec, rules, index, path)
        for key in _RULE_KEYS:
            if key not in spec:
                raise self.fail(spec, None, path, f"missing {key!r}")
        direction = spec["direction"]
        if direction not in DIRECTIONS:
            raise self.fail(
                spec,
                "direction",
                f"{path}.direction",
                f"unknown direction {direction!r} (allowed: {', '.join(DIRECTIONS)})",
            )
        source_side, target_side = (local, remote) if direction == "outbound" else (remote, local)
        target = self.field_path(target_side, spec["target"], spec, "target", f"{path}.target")
        cls = TRANSFORMS.get(str(spec["transform"]))
        if cls is None:
            known = ", ".join(sorted(TRANSFORMS))
            raise self.fail(
                spec,
                "transform",
                f"{path}.transform",
                f"unknown transform {spec['transform']!r} (known: {known})",
            )
        params = self.params(cls, spec, path)
        try:
            transform = cls(**params)
        except (ValueError, TypeError) as err:
            raise self.fail(spec, "transform", f"{path}.transform", str(err)) from err
        for param, source_path in transform.referenced_paths():
            if not has_path(SCHEMAS[source_side], source_path):
                raise self.fail(
                    spec,
                    param,
                    join_path(path, param),
                    f"unknown field {source_path!r} of {source_side}",
                )
        return Rule(direction, target, transform, dict(spec))

    def params(self, cls: type[Transform], spec: Mapping[str, Any], path: str) -> dict[str, Any]:
        """Validate a rule's keys against its transform's parameters; return them."""
        allowed = set(_RULE_KEYS) | set(cls.params)
        for key in spec:
            if key not in allowed:
                known = ", ".join(sorted(cls.params)) or "none"
                raise self.fail(
                    spec,
                    key,
                    join_path(path, key),
                    f"unknown field {key!r} for transform {cls.name!r} (its parameters: {known})",
                )
        out: dict[str, Any] = {}
        for name, param in cls.params.items():
            where = join_path(path, name)
            if name not in spec:
                if param.required:
                    raise self.fail(spec, None, path, f"transform {cls.name!r} needs {name!r}")
                if param.default is not None:
                    out[name] = param.default
                continue
            value = spec[name]
            if param.kind == "path":
                paths = [value] if isinstance(value, str) else value
                if (
                    not isinstance(paths, list)
                    or not paths
                    or not all(isinstance(p, str) for p in paths)
                ):
                    raise self.fail(spec, name, where, "must be a field path or a list of them")
                out[name] = tuple(paths)
            elif param.kind == "str" and not isinstance(value, str):
                raise self.fail(spec, name, where, "must be a string")
            elif param.kind == "bool" and not isinstance(value, bool):
                raise self.fail(spec, name, where, "must be true or false")
            elif param.kind == "map" and not (
                isinstance(value, Mapping)
                and all(v is None or isinstance(v, str) for v in value.values())
            ):
                raise self.fail(spec, name, where, "must map names to strings (or null)")
            else:
                out.setdefault(name, dict(value) if isinstance(value, Mapping) else value)
        return out


def join_path(path: str, key: Any) -> str:
    """ "a.b" + "c" → "a.b.c"."""
    return f"{path}.{key}" if path else str(key)


def build(data: Any, source: str) -> FieldMapping:
    """Validate a whole mapping document and build it."""
    check = Validator(source)
    doc = check.mapping(data, None, None, "")
    check.keys(doc, set(_TOP_KEYS), "")
    for key, required in _TOP_KEYS.items():
        if required and key not in doc:
            raise check.fail(doc, None, "", f"missing {key!r}")
    local, remote = check.side(doc, "local"), check.side(doc, "remote")
    defaults = check.mapping(doc.get("defaults", {}), doc, "defaults", "defaults")
    check.keys(defaults, DEFAULT_KEYS, "defaults")
    time_zone = check.time_zone(defaults, "defaults")
    rules_data = doc["rules"]
    if not isinstance(rules_data, list) or not rules_data:
        raise check.fail(doc, "rules", "rules", "must be a non-empty list")
    rules = [check.rule(spec, rules_data, i, local, remote) for i, spec in enumerate(rules_data)]
    seen: dict[tuple[str, str], int] = {}
    for i, rule in enumerate(rules):
        pair = (rule.direction, rule.target)
        if pair in seen:
            raise check.fail(
                rules_data,
                i,
                f"rules[{i}]",
                f"{rule.direction} {rule.target!r} is already set by rules[{seen[pair]}]",
            )
        seen[pair] = i
    on_delete = check.mapping(
        doc.get("on_remote_delete", {}), doc, "on_remote_delete", "on_remote_delete"
    )
    for key in on_delete:
        check.field_path(local, key, on_delete, key, f"on_remote_delete.{key}")
    echo = check.mapping(doc.get("echo", {}), doc, "echo", "echo")
    check.keys(echo, {"marker"}, "echo")
    marker = None
    if "marker" in echo:
        marker = check.field_path(remote, echo["marker"], echo, "marker", "echo.marker")
    return FieldMapping(
        name=str(doc["name"]),
        local=local,
        remote=remote,
        source=source,
        time_zone=time_zone,
        rules=tuple(rules),
        on_remote_delete=dict(on_delete),
        echo_marker=marker,
        raw=doc,
    )
