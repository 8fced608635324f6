"""The connector registry: every package under connectors/ registers its class on import."""

from __future__ import annotations

import importlib
import pkgutil
import threading
from typing import TYPE_CHECKING, TypeVar

from connectors.spec import Manifest, SyncSpec

if TYPE_CHECKING:
    from connectors.base import Connector

_C = TypeVar("_C", bound="Connector")

_REGISTRY: dict[str, type[Connector]] = {}
_LOADED = False
_LOAD_LOCK = threading.Lock()


def register(connector_cls: type[_C]) -> type[_C]:
    """Class decorator: make a connector findable by its manifest name."""
    manifest = getattr(connector_cls, "manifest", None)
    if not isinstance(manifest, Manifest):
        raise TypeError(f"{connector_cls.__name__} has no Manifest")
    existing = _REGISTRY.get(manifest.name)
    if existing is not None and existing is not connector_cls:
        raise ValueError(f"connector {manifest.name!r} is already registered by {existing!r}")
    spec = getattr(connector_cls, "spec", None)
    if not isinstance(spec, SyncSpec):
        raise TypeError(f"{connector_cls.__name__} declares no SyncSpec")
    _REGISTRY[manifest.name] = connector_cls
    return connector_cls


def _load_builtin() -> None:
    """Import every sub-package of `connectors`, so each registers itself (once)."""
    global _LOADED
    with _LOAD_LOCK:
        if _LOADED:
            return
        package = importlib.import_module("connectors")
        for info in pkgutil.iter_modules(package.__path__):
            if info.ispkg:
                importlib.import_module(f"{package.__name__}.{info.name}")
        _LOADED = True


def get(name: str) -> type[Connector]:
    """The connector class registered under `name` (e.g. "google-calendar")."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY)) or "none"
        raise KeyError(f"unknown connector {name!r} (known: {known})") from None


def all_manifests() -> list[Manifest]:
    """Manifests of every registered connector, sorted by name."""
    _load_builtin()
    return [_REGISTRY[name].manifest for name in sorted(_REGISTRY)]


def all_specs() -> dict[str, SyncSpec]:
    """The sync spec of every registered connector, by connector name."""
    _load_builtin()
    return {name: _REGISTRY[name].spec for name in sorted(_REGISTRY)}


def spec_of(name: str) -> SyncSpec:
    """The sync spec of the connector registered under `name`."""
    return get(name).spec
