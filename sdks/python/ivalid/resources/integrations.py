"""`client.integrations`: the `/integrations` endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._models import (
    Integration,
    IntegrationConnect,
    IntegrationDisconnect,
    IntegrationMapping,
    IntegrationSync,
    MappingPreview,
    TechnicianLink,
)
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


class Integrations(Resource):
    """Integrations by name: `google-calendar`, `outlook`, `zoho`, `stripe`, `zapier`, `make`."""

    def list(self) -> Page[Integration]:
        """`GET /integrations`: every integration and the account's connection status."""
        return self._list(Integration, "/integrations", {})

    def get(self, name: str) -> Integration:
        """`GET /integrations/:name`."""
        return self._call(Integration, "GET", f"/integrations/{segment(name)}")

    def connect(self, name: str, *, idempotency_key: str | None = None) -> IntegrationConnect:
        """`POST /integrations/:name/connect`: the provider's consent page to send the user to.

        The connection is made when the user comes back from it (the hub's OAuth callback).
        """
        return self._call(
            IntegrationConnect,
            "POST",
            f"/integrations/{segment(name)}/connect",
            idempotency_key=idempotency_key,
        )

    def disconnect(self, name: str) -> IntegrationDisconnect:
        """`DELETE /integrations/:name`: revoke the access and stop syncing."""
        return self._call(IntegrationDisconnect, "DELETE", f"/integrations/{segment(name)}")

    def sync(self, name: str, *, idempotency_key: str | None = None) -> IntegrationSync:
        """`POST /integrations/:name/sync`: queue a synchronisation now (the worker runs it)."""
        return self._call(
            IntegrationSync,
            "POST",
            f"/integrations/{segment(name)}/sync",
            idempotency_key=idempotency_key,
        )

    def mapping(self, name: str) -> IntegrationMapping:
        """`GET /integrations/:name/mapping`: how fields map to the provider."""
        return self._call(IntegrationMapping, "GET", f"/integrations/{segment(name)}/mapping")

    def update_mapping(
        self,
        name: str,
        *,
        defaults: Mapping[str, Any] | None = None,
        rules: Sequence[Mapping[str, Any]] | None = None,
        remove: Sequence[Mapping[str, Any]] | None = None,
    ) -> IntegrationMapping:
        """`PUT /integrations/:name/mapping`: override rules; with no arguments, back to default."""
        body = {"defaults": defaults, "rules": rules, "remove": remove}
        return self._call(
            IntegrationMapping,
            "PUT",
            f"/integrations/{segment(name)}/mapping",
            body={k: v for k, v in body.items() if v is not None},
        )

    def preview_mapping(
        self,
        name: str,
        *,
        appointment_id: str,
        mapping: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> MappingPreview:
        """`POST /integrations/:name/mapping/preview`: what an appointment becomes remotely."""
        body: dict[str, Any] = {"appointment_id": appointment_id}
        if mapping is not None:
            body["mapping"] = mapping
        return self._call(
            MappingPreview,
            "POST",
            f"/integrations/{segment(name)}/mapping/preview",
            body=body,
            idempotency_key=idempotency_key,
        )

    def technician_links(self, name: str) -> Page[TechnicianLink]:
        """`GET /integrations/:name/links/technicians`: each technician's remote calendar.

        The calendars of the connected account are in `page["calendars"]`.
        """
        return self._list(TechnicianLink, f"/integrations/{segment(name)}/links/technicians", {})

    def link_technician(
        self, name: str, technician_id: str, *, calendar_id: str | None
    ) -> TechnicianLink:
        """`PUT /integrations/:name/links/technicians/:id`: choose a calendar (None unlinks)."""
        return self._call(
            TechnicianLink,
            "PUT",
            f"/integrations/{segment(name)}/links/technicians/{segment(technician_id)}",
            body={"calendar_id": calendar_id},
        )
