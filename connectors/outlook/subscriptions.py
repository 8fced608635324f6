"""Graph change-notification subscriptions of the Outlook connector (a mixin of it).

Subscribe (Graph validates the notification URLs first), renew before expirationDateTime
(clamped to what Graph accepts for Outlook events), reauthorize, delete; and the endpoint's
side: the validation handshake, verification (subscription id + clientState) and parsing of
change and lifecycle notifications.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from connectors.base import Channel, InvalidRequest, NotFound, Notification

from . import const, notifications
from .api import GraphApi, mailbox_path
from .records import format_time, parse_time


class SubscriptionsMixin:
    """Subscriptions and notifications; mixed into `OutlookConnector` (which sets the state)."""

    api: GraphApi
    subscription_max_minutes: int

    def _now(self) -> datetime:
        raise NotImplementedError

    def _mailbox(self, stream: str) -> str | None:
        raise NotImplementedError

    def _resource(self, mailbox: str | None) -> str:
        """The documented resource of a mailbox's events: /me/events or /users/{id}/events."""
        return f"{mailbox_path(mailbox)}/events"

    def _expiration(self, ttl: int | None) -> datetime:
        """now + ttl, clamped to what Graph accepts for Outlook events."""
        ceiling = (self.subscription_max_minutes - const.SUBSCRIPTION_SKEW_MINUTES) * 60
        seconds = ceiling if ttl is None else min(int(ttl), ceiling)
        seconds = max(seconds, const.MIN_SUBSCRIPTION_MINUTES * 60)
        return self._now() + timedelta(seconds=seconds)

    @staticmethod
    def _channel(resp: Mapping[str, Any], stream: str, client_state: str) -> Channel:
        return Channel(
            id=str(resp["id"]),
            resource_id=str(resp.get("resource", "")),
            token=client_state,
            expires_at=parse_time(resp.get("expirationDateTime")),
            stream=stream,
            resource_uri=resp.get("notificationUrl"),
        )

    def subscribe(
        self,
        stream: str,
        address: str,
        *,
        channel_id: str | None = None,
        token: str | None = None,
        ttl: int | None = None,
        lifecycle_address: str | None = None,
    ) -> Channel:
        """POST /subscriptions on the calendar's events; Graph assigns the id.

        `channel_id` is ignored. Before answering, Graph calls `address` (and
        `lifecycle_address`, default `address`) with a validation token: the endpoint must
        already answer it (`handshake`). `token` is the clientState (random by default).
        """
        client_state = token or secrets.token_urlsafe(48)
        if len(client_state) > const.CLIENT_STATE_MAX_LENGTH:
            raise InvalidRequest("clientState is limited to 128 characters")
        body = {
            "changeType": const.SUBSCRIPTION_CHANGE_TYPES,
            "notificationUrl": address,
            "lifecycleNotificationUrl": lifecycle_address or address,
            "resource": self._resource(self._mailbox(stream)),
            "expirationDateTime": format_time(self._expiration(ttl)),
            "clientState": client_state,
            "latestSupportedTlsVersion": "v1_2",
        }
        return self._channel(self.api.create_subscription(body), stream, client_state)

    def renew(self, channel: Channel, ttl: int | None = None) -> Channel:
        """PATCH the subscription's expirationDateTime (clamped); NotFound: subscribe anew.

        The channel keeps its id, clientState and resource: only the expiry moves.
        """
        resp = self.api.update_subscription(
            channel.id, {"expirationDateTime": format_time(self._expiration(ttl))}
        )
        expires_at = parse_time(resp.get("expirationDateTime"))
        return dataclasses.replace(channel, expires_at=expires_at or channel.expires_at)

    def renewal_due(self, channel: Channel, now: datetime | None = None) -> bool:
        """True once less than half the maximum lifetime is left (room for failed attempts)."""
        if channel.expires_at is None:
            return True
        remaining = channel.expires_at - (now or self._now())
        return remaining <= timedelta(minutes=self.subscription_max_minutes) / 2

    def reauthorize(self, channel: Channel) -> None:
        """Answer a reauthorizationRequired lifecycle event (without extending the expiry)."""
        self.api.reauthorize_subscription(channel.id)

    def unsubscribe(self, channel: Channel) -> None:
        """DELETE the subscription; one Graph no longer knows counts as deleted."""
        try:
            self.api.delete_subscription(channel.id)
        except NotFound:
            return

    def handshake(self, query: Mapping[str, str]) -> tuple[int, dict[str, str], bytes] | None:
        """The answer to Graph's validation request, or None if `query` is not one."""
        token = notifications.validation_token(query)
        return notifications.handshake_response(token) if token else None

    def verify_notification(
        self,
        headers: Mapping[str, str],
        body: bytes,
        expected: Channel,
        *,
        now: datetime | None = None,
    ) -> bool:
        """True if the body holds items of `expected` and all of them carry its clientState.

        Graph may batch items of several subscriptions into one POST to a shared URL: items
        of other subscriptions are left to be verified against their own channels.
        """
        try:
            items = notifications.parse(body)
        except InvalidRequest:
            return False
        current = now or self._now()
        mine = [item for item in items if item.subscription_id == expected.id]
        return bool(mine) and all(notifications.matches(i, expected, current) for i in mine)

    def parse_notifications(self, headers: Mapping[str, str], body: bytes) -> list[Notification]:
        """Every item of a notification body as a Notification (state = change or lifecycle)."""
        out: list[Notification] = []
        for item in notifications.parse(body):
            action = notifications.lifecycle_action(item)
            out.append(
                Notification(
                    channel_id=item.subscription_id,
                    resource_id=item.event_id or item.resource,
                    state=item.lifecycle_event or item.change_type or "unknown",
                    message_number=None,
                    changed=action in ("sync", "resubscribe"),
                    expires_at=item.expires_at,
                )
            )
        return out

    def parse_notification(self, headers: Mapping[str, str], body: bytes) -> Notification:
        """The first item of a notification body (see `parse_notifications` for all)."""
        return self.parse_notifications(headers, body)[0]
