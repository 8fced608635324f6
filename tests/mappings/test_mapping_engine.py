"""The mapping engine: validation at load time (file and line), transforms, overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import mappings
from mappings.engine import MappingError, with_override
from mappings.transforms import TRANSFORMS

VALID = """\
name: demo
local: appointment
remote: google_calendar.event
rules:
  - direction: outbound
    target: summary
    transform: template
    template: "{service.name} — {customer.name}"
  - direction: inbound
    target: title
    transform: copy
    source: summary
"""


def _broken(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new)


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        pytest.param(
            _broken("transform: template", "transform: tempalte"),
            7,
            "unknown transform 'tempalte'",
            id="transform",
        ),
        pytest.param(
            _broken("direction: inbound", "direction: sideways"),
            9,
            "unknown direction 'sideways'",
            id="direction",
        ),
        pytest.param(
            _broken("target: summary", "target: summmary"),
            6,
            "unknown field 'summmary' of google_calendar.event",
            id="target",
        ),
        pytest.param(
            _broken("target: title", "target: titel"),
            10,
            "unknown field 'titel' of appointment",
            id="local-target",
        ),
        pytest.param(
            _broken("source: summary", "source: subject"),
            12,
            "unknown field 'subject'",
            id="source",
        ),
        pytest.param(
            _broken("{customer.name}", "{customer.nom}"),
            8,
            "unknown field 'customer.nom' of appointment",
            id="placeholder",
        ),
        pytest.param(
            _broken("    source: summary", "    source: summary\n    colour: red"),
            13,
            "unknown field 'colour' for transform 'copy'",
            id="rule-key",
        ),
        pytest.param(
            _broken("name: demo", "name: demo\nnmae: typo"), 2, "unknown field 'nmae'", id="top-key"
        ),
        pytest.param(
            _broken("remote: google_calendar.event", "remote: gcal"),
            3,
            "unknown side 'gcal'",
            id="side",
        ),
        pytest.param(
            _broken("name: demo", "name: demo\ndefaults: {time_zone: Europe/Pariss}"),
            2,
            "unknown time zone",
            id="tz",
        ),
        pytest.param(
            _broken("    template:", "    templat:"), 8, "unknown field 'templat'", id="param-typo"
        ),
        pytest.param(
            VALID + "  - {direction: inbound, target: title, transform: copy, source: id}\n",
            13,
            "already set by rules[1]",
            id="duplicate-rule",
        ),
        pytest.param(VALID.replace("rules:", "rules: []\nx:"), None, "", id="yaml-shape"),
        pytest.param("name: [unclosed\n", 2, "invalid YAML", id="syntax"),
    ],
)
def test_invalid_mapping_names_file_and_line(
    tmp_path: Path, text: str, line: int | None, fragment: str
) -> None:
    """Every mistake is refused at load time with the file name and the line."""
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as info:
        mappings.load_file(path)
    message = str(info.value)
    assert message.startswith("broken.yaml")
    if line is not None:
        assert info.value.line == line, message
        assert message.startswith(f"broken.yaml:{line}: ")
    assert fragment in message


def test_unknown_transform_lists_known_ones() -> None:
    """The message helps fix the typo."""
    with pytest.raises(MappingError, match="address_join, constant, copy"):
        mappings.loads(_broken("transform: template", "transform: nope"), "m.yaml")


def test_missing_required_parameter() -> None:
    """A transform's required parameter must be given."""
    with pytest.raises(MappingError, match="needs 'source'") as info:
        mappings.loads(_broken("    source: summary\n", ""), "m.yaml")
    assert info.value.line == 9


def test_dict_mapping_errors_name_the_key_path() -> None:
    """Plain dicts (API, database) have no lines: the error names the key path instead."""
    data: dict[str, Any] = {
        "name": "x",
        "local": "appointment",
        "remote": "google_calendar.event",
        "rules": [
            {"direction": "outbound", "target": "summary", "transform": "copy", "source": "nope"}
        ],
    }
    with pytest.raises(MappingError) as info:
        mappings.from_dict(data, "account 42")
    assert str(info.value) == ("account 42: rules[0].source: unknown field 'nope' of appointment")


def test_free_form_extended_properties_are_allowed() -> None:
    """extendedProperties.private.* accepts any key (our markers live there)."""
    text = VALID + textwrap.indent(
        "- {direction: outbound, target: extendedProperties.private.anything, "
        "transform: copy, source: id}\n",
        "  ",
    )
    assert len(mappings.loads(text).rules) == 3


def test_override_replaces_adds_and_removes_rules() -> None:
    """An account override is validated by the same code and merged by (direction, target)."""
    base = mappings.load("google_calendar")
    custom = with_override(
        base,
        """
defaults: {time_zone: Europe/Brussels}
rules:
  - {direction: outbound, target: summary, transform: template, template: "{customer.name}"}
  - {direction: outbound, target: colorId, transform: constant, value: "5"}
remove:
  - {direction: outbound, target: description}
""",
        "acme.yaml",
    )
    out = mappings.preview(
        custom,
        {
            "id": "a",
            "customer": {"name": "Marie"},
            "scheduled_at": "2025-07-01T08:00:00Z",
            "duration": 60,
        },
    )
    assert out["summary"] == "Marie" and out["colorId"] == "5"
    assert "description" not in out
    assert out["start"] == {"dateTime": "2025-07-01T10:00:00+02:00", "timeZone": "Europe/Brussels"}
    assert len(custom.rules) == len(base.rules) + 1 - 1


@pytest.mark.parametrize(
    ("override", "line", "fragment"),
    [
        pytest.param(
            "rules:\n  - {direction: outbound, target: sumary, transform: copy, source: id}\n",
            2,
            "unknown field 'sumary'",
            id="target",
        ),
        pytest.param(
            "remove:\n  - {direction: inbound, target: notes}\n",
            2,
            "no rule inbound 'notes'",
            id="remove-missing",
        ),
        pytest.param("extends: other\n", 1, "unknown field 'extends'", id="top-key"),
        pytest.param("defaults:\n  time_zone: Mars/Olympus\n", 2, "unknown time zone", id="tz"),
    ],
)
def test_invalid_override(override: str, line: int, fragment: str) -> None:
    """Overrides get the same checks and the same kind of message."""
    with pytest.raises(MappingError) as info:
        with_override(mappings.load("google_calendar"), override, "acme.yaml")
    assert info.value.line == line and fragment in str(info.value)
    assert str(info.value).startswith(f"acme.yaml:{line}: ")


def test_override_from_dict() -> None:
    """A dict override (stored as JSON) works the same way."""
    custom = with_override(
        mappings.load("google_calendar"),
        {
            "rules": [
                {
                    "direction": "outbound",
                    "target": "transparency",
                    "transform": "constant",
                    "value": "transparent",
                }
            ]
        },
    )
    assert mappings.preview(custom, {"id": "a"})["transparency"] == "transparent"


def test_template_drops_lines_whose_values_are_all_missing() -> None:
    """No dangling "Tél. :" when the customer has no phone."""
    template = TRANSFORMS["template"](
        template="{notes}\n\nTél. : {customer.phone}\nEnd", drop_empty_lines=True
    )
    ctx = mappings.engine.make_context(mappings.load("google_calendar"), None)
    assert template.transform({"notes": "Hi"}, ctx) == "Hi\n\nEnd"
    assert template.transform({"customer": {"phone": "+33"}}, ctx) == "Tél. : +33\nEnd"


def test_unknown_context_time_zone() -> None:
    """A bad time zone from the caller is a MappingError, not a crash deep inside."""
    with pytest.raises(MappingError, match="Europe/Atlantis"):
        mappings.apply(
            mappings.load("google_calendar"), "outbound", {}, {"time_zone": "Europe/Atlantis"}
        )


def test_unknown_direction_at_apply() -> None:
    """apply() only knows outbound and inbound."""
    with pytest.raises(ValueError):
        mappings.apply(mappings.load("google_calendar"), "sideways", {})  # type: ignore[arg-type]
