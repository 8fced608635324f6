"""The integration layer is declared: arrows point api → services → integrations → connectors,
mappings, never back, and the engine names no vendor."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Layer of each package, highest first; an import may only point to a lower layer (or within
# its own package).
LAYERS: dict[str, int] = {
    "hub.api": 4,
    "hub.services": 3,
    "hub.integrations": 2,
    "connectors": 1,
    "mappings": 1,
}
# Packages of one layer that must not import each other either.
SIBLINGS_APART = {("connectors", "mappings"), ("mappings", "connectors")}


def _package(module: str) -> str | None:
    """The layered package `module` belongs to, if any."""
    for name in sorted(LAYERS, key=len, reverse=True):
        if module == name or module.startswith(name + "."):
            return name
    return None


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) of every import in a file, TYPE_CHECKING ones included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            # `from hub import services` imports a package too.
            found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return found


def _files() -> list[Path]:
    roots = [ROOT / "hub", ROOT / "connectors", ROOT / "mappings"]
    return sorted(p for r in roots for p in r.rglob("*.py") if "migrations" not in p.parts)


def backwards_arrows(files: list[Path]) -> list[str]:
    """Every import that points up the layers (or across apart siblings)."""
    wrong = []
    for path in files:
        here = _package(_module_name(path))
        if here is None:
            continue
        for line, target in _imports(path):
            there = _package(target)
            if there is None or there == here:
                continue
            if LAYERS[there] > LAYERS[here] or (here, there) in SIBLINGS_APART:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {here} imports {target}")
    return sorted(set(wrong))


def package_cycles(files: list[Path]) -> list[list[str]]:
    """Cycles in the graph of imports between the layered packages."""
    edges: dict[str, set[str]] = {name: set() for name in LAYERS}
    for path in files:
        here = _package(_module_name(path))
        if here is None:
            continue
        for _, target in _imports(path):
            there = _package(target)
            if there is not None and there != here:
                edges[here].add(there)
    cycles: list[list[str]] = []

    def walk(node: str, trail: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in trail:
                cycles.append([*trail[trail.index(nxt) :], nxt])
            elif len(trail) < len(LAYERS):
                walk(nxt, [*trail, nxt])

    for start in sorted(edges):
        walk(start, [start])
    return cycles


def test_no_import_points_back_up_the_layers() -> None:
    assert backwards_arrows(_files()) == []


def test_no_cycle_between_the_layers() -> None:
    assert package_cycles(_files()) == []


def test_the_engine_and_connectors_use_no_request_models() -> None:
    """hub.schemas are the API's request/response models: api and services use them, the
    engine, the connectors and the mappings never do."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {target}"
        for path in _files()
        if _package(_module_name(path)) in ("hub.integrations", "connectors", "mappings")
        for line, target in _imports(path)
        if target == "hub.schemas" or target.startswith("hub.schemas.")
    ]
    assert wrong == []


def test_the_walker_sees_a_backwards_arrow_and_a_cycle(tmp_path: Path) -> None:
    """The check itself fails on what it must refuse (a service imported by the engine)."""
    bad = ROOT / "hub" / "integrations" / "_layer_probe.py"
    bad.write_text("from hub.services import appointments\n", encoding="utf-8")
    try:
        files = [*_files(), bad]
        assert any("_layer_probe.py:1" in w for w in backwards_arrows(files))
        assert ["hub.integrations", "hub.services", "hub.integrations"] in package_cycles(files)
    finally:
        bad.unlink()


def test_relative_imports_are_resolved() -> None:
    """`from . import const` inside a connector resolves to that connector's package."""
    path = ROOT / "connectors" / "google_calendar" / "connector.py"
    assert (31, "connectors.google_calendar") in _imports(path) or any(
        t.startswith("connectors.google_calendar.") for _, t in _imports(path)
    )


# Vendor names the engine must not know: each connector's package declares what it needs.
VENDORS = re.compile(
    r"google|gmail|outlook|microsoft|msal|graph|office365|azure|zoho|stripe|zapier|make\.com"
    r"|integromat",
    re.IGNORECASE,
)


@pytest.mark.parametrize(
    "path",
    [*sorted((ROOT / "hub" / "integrations").rglob("*.py")), ROOT / "mappings" / "schemas.py"],
    ids=lambda p: p.name,
)
def test_the_engine_names_no_vendor(path: Path) -> None:
    hits = [
        f"{path.name}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if VENDORS.search(line)
    ]
    assert hits == []


def test_the_engine_reads_no_flask_globals() -> None:
    """Services and the engine receive settings explicitly: no current_app, g or request."""
    pattern = re.compile(r"\b(current_app|flask\.g|from flask import .*\b(g|request)\b)")
    # idempotency.py is the HTTP Idempotency-Key layer of the API (it reads the request by
    # nature); it belongs with the blueprints and is left to the work on hub/auth.
    files = [
        *sorted((ROOT / "hub" / "integrations").rglob("*.py")),
        *sorted(p for p in (ROOT / "hub" / "services").rglob("*.py") if p.name != "idempotency.py"),
    ]
    hits = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in files
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []


def test_remote_field_trees_come_from_the_connectors_specs() -> None:
    """The mapping engine learns a remote side from the connector's package, not a central file."""
    import connectors
    from hub.integrations.mapping import register_remote_schemas
    from mappings import schemas

    stream = connectors.spec_of("google-calendar").stream("events")
    assert stream.remote_schema is not None and stream.remote_fields is not None
    schemas.SCHEMAS.pop(stream.remote_schema, None)
    register_remote_schemas()
    assert schemas.SCHEMAS[stream.remote_schema] == dict(stream.remote_fields)
