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
