"""`client.webhooks`: the `/webhooks` endpoints (subscriptions, deliveries, secrets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._models import Webhook, WebhookDelivery, WebhookRecovery
from .._pagination import Page
from ._base import Resource, segment

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .._params import (
        DateLike,
        PaginationParams,
        WebhookCreateParams,
        WebhookDeliveryListParams,
        WebhookUpdateParams,
    )


class Webhooks(Resource):
    """Webhook subscriptions; to check a received webhook, use `ivalid.webhooks.verify`."""

    def create(
        self, *, idempotency_key: str | None = None, **params: Unpack[WebhookCreateParams]
    ) -> Webhook:
        """`POST /webhooks`: subscribe a URL to events."""
        return self._call(
            Webhook, "POST", "/webhooks", body=params, idempotency_key=idempotency_key
        )

    def list(self, **params: Unpack[PaginationParams]) -> Page[Webhook]:
        """`GET /webhooks`."""
        return self._list(Webhook, "/webhooks", params)

    def get(self, webhook_id: str) -> Webhook:
        """`GET /webhooks/:id`."""
        return self._call(Webhook, "GET", f"/webhooks/{segment(webhook_id)}")

    def update(self, webhook_id: str, **params: Unpack[WebhookUpdateParams]) -> Webhook:
        """`PUT /webhooks/:id`: change only the fields given."""
        return self._call(Webhook, "PUT", f"/webhooks/{segment(webhook_id)}", body=params)

    def delete(self, webhook_id: str) -> None:
        """`DELETE /webhooks/:id`: remove the endpoint, its pending deliveries and its logs."""
        self._http.request("DELETE", f"/webhooks/{segment(webhook_id)}")

    def deliveries(
        self, webhook_id: str, **params: Unpack[WebhookDeliveryListParams]
    ) -> Page[WebhookDelivery]:
        """`GET /webhooks/:id/deliveries`: what was sent, when, and how the endpoint answered."""
        return self._list(WebhookDelivery, f"/webhooks/{segment(webhook_id)}/deliveries", params)

    def retry_delivery(
        self, webhook_id: str, delivery_id: str, *, idempotency_key: str | None = None
    ) -> WebhookDelivery:
        """`POST /webhooks/:id/deliveries/:delivery_id/retry`: send that delivery again."""
        return self._call(
            WebhookDelivery,
            "POST",
            f"/webhooks/{segment(webhook_id)}/deliveries/{segment(delivery_id)}/retry",
            idempotency_key=idempotency_key,
        )

    def test(self, webhook_id: str, *, idempotency_key: str | None = None) -> WebhookDelivery:
        """`POST /webhooks/:id/test`: queue a `webhook.test` event to this endpoint only."""
        return self._call(
            WebhookDelivery,
            "POST",
            f"/webhooks/{segment(webhook_id)}/test",
            idempotency_key=idempotency_key,
        )

    def rotate_secret(
        self,
        webhook_id: str,
        *,
        secret: str | None = None,
        idempotency_key: str | None = None,
    ) -> Webhook:
        """`POST /webhooks/:id/rotate-secret`: a new signing secret, returned once in `.secret`.

        The server generates it unless `secret` is given. Deliveries are signed with both the new
        and the previous secret until `previous_secret_expires_at`.
        """
        return self._call(
            Webhook,
            "POST",
            f"/webhooks/{segment(webhook_id)}/rotate-secret",
            body={"secret": secret} if secret is not None else None,
            idempotency_key=idempotency_key,
        )

    def recover(
        self,
        webhook_id: str,
        *,
        since: DateLike,
        until: DateLike | None = None,
        idempotency_key: str | None = None,
    ) -> WebhookRecovery:
        """`POST /webhooks/:id/recover`: send again every subscribed event since a moment."""
        body: dict[str, DateLike] = {"since": since}
        if until is not None:
            body["until"] = until
        return self._call(
            WebhookRecovery,
            "POST",
            f"/webhooks/{segment(webhook_id)}/recover",
            body=body,
            idempotency_key=idempotency_key,
        )
