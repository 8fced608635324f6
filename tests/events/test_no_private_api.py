"""The webhook client leans on documented extension points only, never on private internals.

A private attribute of urllib3, requests, httpx or the standard library's HTTP/TLS modules can
change in any patch release without notice; the pinning and the deadline would then break
silently. This scan fails on the forms such a dependency takes: importing a private name,
reading ``lib._name``, overriding or calling a private method of a library base class.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LIBRARIES = ("urllib3", "requests", "httpx", "httpcore", "ssl", "http", "socket")
EVENTS = Path(__file__).resolve().parents[2] / "hub" / "events"


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _from_library(module: str | None) -> bool:
    return module is not None and module.split(".")[0] in LIBRARIES


def _root(node: ast.expr) -> str | None:
    """Return the leftmost name of a dotted expression (``a`` in ``a.b.c``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def private_uses(source: str) -> list[str]:
    """Return a description of every private library attribute the module uses."""
    tree = ast.parse(source)
    found: list[str] = []
    library_names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _from_library(alias.name):
                    library_names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.module and _from_library(node.module):
            for alias in node.names:
                if _is_private(alias.name) or any(_is_private(p) for p in node.module.split(".")):
                    found.append(f"line {node.lineno}: imports {node.module}.{alias.name}")
                library_names.add(alias.asname or alias.name)

    # Classes that derive from a library class, directly or through a class of this module.
    derived: set[str] = set()
    classes = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)]
    changed = True
    while changed:
        changed = False
        for cls in classes:
            if cls.name in derived:
                continue
            if any(_root(base) in library_names | derived for base in cls.bases):
                derived.add(cls.name)
                changed = True

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            if _root(node.value) in library_names:
                found.append(f"line {node.lineno}: reads {ast.unparse(node)}")
            elif isinstance(node.value, ast.Call) and ast.unparse(node.value.func) == "super":
                found.append(f"line {node.lineno}: calls {ast.unparse(node)}")
    for cls in classes:
        if cls.name not in derived:
            continue
        for item in cls.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef) and _is_private(item.name):
                found.append(f"line {item.lineno}: {cls.name} overrides {item.name}")
            for sub in ast.walk(item):
                if (
                    isinstance(sub, ast.Attribute)
                    and _is_private(sub.attr)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id in ("self", "cls")
                ):
                    found.append(f"line {sub.lineno}: {cls.name} touches {ast.unparse(sub)}")
    return found


@pytest.mark.parametrize("path", sorted(EVENTS.glob("*.py")), ids=lambda p: p.name)
def test_no_private_library_attribute_in_hub_events(path: Path) -> None:
    assert private_uses(path.read_text(encoding="utf-8")) == []


def test_the_scan_catches_what_the_client_used_to_do() -> None:
    # The forms the previous client used: a private TypedDict of requests, an override of
    # urllib3's private _put_conn, and a descriptor over the connection's state.
    source = (
        "from requests.adapters import _HostParams\n"
        "from urllib3.connectionpool import HTTPConnectionPool\n"
        "import urllib3\n"
        "class Pool(HTTPConnectionPool):\n"
        "    def _put_conn(self, conn):\n"
        "        super()._put_conn(conn)\n"
        "class Sub(Pool):\n"
        "    def close(self):\n"
        "        self._pool = None\n"
        "x = urllib3.util._private\n"
    )
    found = private_uses(source)
    assert any("_HostParams" in f for f in found)
    assert any("overrides _put_conn" in f for f in found)
    assert any("super()._put_conn" in f for f in found)
    assert any("Sub touches self._pool" in f for f in found)
    assert any("urllib3.util._private" in f for f in found)
