"""`IValidObject`: an API JSON object, readable both as a dict and through typed attributes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

_T = TypeVar("_T", bound="IValidObject")


class IValidObject(dict[str, Any]):
    """A dict of the server's JSON whose keys are also attributes (`apt.status == apt["status"]`).

    It stays a plain dict underneath, so `json.dumps(obj)` works and fields the server adds later
    are kept. Subclasses declare the documented fields as annotations (for type checkers and
    editors) and name in `_nested` which fields hold objects of another model.
    """

    _nested: ClassVar[Mapping[str, type[IValidObject] | MappingOf]] = {}
    _field_names: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: set[str] = set()
        for klass in cls.__mro__:
            names.update(k for k in vars(klass).get("__annotations__", {}) if not k.startswith("_"))
        cls._field_names = frozenset(names)

    @classmethod
    def construct(cls: type[_T], values: Mapping[str, Any]) -> _T:
        """Build the model from decoded JSON, turning nested objects into their own models."""
        obj = cls()
        for key, value in values.items():
            dict.__setitem__(obj, key, _convert(value, cls._nested.get(key, IValidObject)))
        return obj

    if not TYPE_CHECKING:
        # Hidden from type checkers, so that a misspelt field is an error there; fields the
        # models do not declare are still readable as attributes at run time (or as `obj[key]`).
        def __getattr__(self, name: str) -> Any:
            try:
                return self[name]
            except KeyError:
                # A documented field the server left out reads as None rather than failing.
                if name in type(self)._field_names:
                    return None
                raise AttributeError(
                    f"{type(self).__name__!r} object has no attribute {name!r}"
                ) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        key = "id" if self.get("id") else "name" if isinstance(self.get("name"), str) else None
        label = f" {key}={self[key]!r}" if key else ""
        return f"<{type(self).__name__}{label} {dict.__repr__(self)}>"

    def to_dict(self) -> dict[str, Any]:
        """A deep copy made of plain dicts and lists, e.g. to store or to compare."""
        plain: dict[str, Any] = _plain(self)
        return plain


class MappingOf:
    """Marks a field holding a JSON object whose every value is one model (e.g. days → hours)."""

    def __init__(self, model: type[IValidObject]) -> None:
        self.model = model


def _convert(value: Any, model: type[IValidObject] | MappingOf) -> Any:
    if isinstance(model, MappingOf):
        if isinstance(value, Mapping) and not isinstance(value, IValidObject):
            return IValidObject.construct({k: _convert(v, model.model) for k, v in value.items()})
        return _convert(value, IValidObject)
    if isinstance(value, IValidObject):
        return value
    if isinstance(value, Mapping):
        return model.construct(value)
    if isinstance(value, list):
        return [_convert(item, model) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
