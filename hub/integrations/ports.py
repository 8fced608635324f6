"""What the engine needs from the services, as an interface the services implement.

Arrows point one way (api → services → integrations): the engine never imports a service.
A remote change is still applied by the same service functions as an API request, with the
same rules; the services hand them to the engine in the runtime (`SyncRuntime.local`,
built by `hub.services.integration_inbound.local_services`). Each stream's spec names its
local type; the engine looks the operations up by that type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from hub.auth.guard import Principal


class LocalObjects(Protocol):
    """The service operations on one local type that remote changes go through.

    Both raise `hub.errors.ApiError` when the rules refuse (its `code` is reported in the
    `integration.conflict` event) and may raise `sqlalchemy.exc.IntegrityError` when the
    database's own guard does.
    """

    def update(
        self, session: Session, principal: Principal, local_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply `changes` (local field names) and return the object's representation."""
        ...

    def cancel(self, session: Session, principal: Principal, local_id: str) -> dict[str, Any]:
        """The remote object was deleted: cancel (or delete) the local one."""
        ...


class MatchableObjects(LocalObjects, Protocol):
    """A local type remote records may create or be matched to (customers).

    Before creating a local object for a remote record the engine asks `match` (an existing
    object the record describes: same e-mail, else same phone in E.164) and links it instead.
    """

    def match(self, session: Session, principal: Principal, data: dict[str, Any]) -> str | None:
        """The id of an existing object `data` (local field names) describes, if any."""
        ...

    def create(
        self, session: Session, principal: Principal, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Create the object `data` describes and return its representation."""
        ...


@dataclass(frozen=True)
class LocalServices:
    """The services' operations, by local type ("appointment", "customer", ...)."""

    by_type: dict[str, LocalObjects] = field(default_factory=dict)

    def of(self, local_type: str) -> LocalObjects:
        """The operations on `local_type` (LookupError when no service offers them)."""
        try:
            return self.by_type[local_type]
        except KeyError:
            raise LookupError(f"no service handles local type {local_type!r}") from None

    def matchable(self, local_type: str) -> MatchableObjects:
        """The operations on a type remote records may create (LookupError if it has none)."""
        objects = self.of(local_type)
        if not (
            callable(getattr(objects, "match", None)) and callable(getattr(objects, "create", None))
        ):
            raise LookupError(f"remote records cannot create local type {local_type!r}")
        return objects  # type: ignore[return-value]
