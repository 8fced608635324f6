"""Microsoft Graph change notifications: the validation handshake, parsing, verification.

What the hub's notification endpoint does with these (Graph's contract):

1. `?validationToken=...` (on subscribe, for notificationUrl and lifecycleNotificationUrl):
   answer `handshake_response(token)` — 200, text/plain, the decoded token — within 10 s.
2. Otherwise the body is `{"value": [...]}`, possibly several items. Verify them against the
   stored subscription (`verify`: subscription id and clientState, constant-time), answer
   202 within 3 s, and let the worker sync (never sync inside the request).
3. Lifecycle items (`lifecycleEvent`) say what to do: `lifecycle_action()`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from connectors.base import Channel, InvalidRequest

from . import const

# A notification may arrive a little after the subscription's expiry because of clock skew.
EXPIRY_GRACE = timedelta(minutes=5)

LifecycleAction = Literal["sync", "reauthorize", "resubscribe", "none"]


@dataclass(frozen=True)
class GraphNotification:
    """One item of a Graph notification POST (a change, or a lifecycle event)."""

    subscription_id: str
    client_state: str | None
    change_type: str | None
    lifecycle_event: str | None
    resource: str | None
    event_id: str | None
    expires_at: datetime | None
    tenant_id: str | None = None

    @property
    def is_lifecycle(self) -> bool:
        """True for reauthorizationRequired / subscriptionRemoved / missed."""
        return self.lifecycle_event is not None


def validation_token(query: Mapping[str, str]) -> str | None:
    """The token of a validation request (`?validationToken=`), already URL-decoded."""
    token = query.get("validationToken")
    return token if token else None


def handshake_response(token: str) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) answering a validation request: 200, plain text, the token."""
    return 200, {"Content-Type": "text/plain; charset=utf-8"}, token.encode("utf-8")


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def parse(body: bytes | str) -> list[GraphNotification]:
    """Every item of a notification body; InvalidRequest if it is not Graph's shape."""
    try:
        data = json.loads(body or b"")
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidRequest("notification body is not JSON") from err
    items = data.get("value") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise InvalidRequest("not a Graph notification (no value array)")
    out: list[GraphNotification] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("subscriptionId"):
            raise InvalidRequest("notification item without subscriptionId")
        resource_data = item.get("resourceData")
        event_id = resource_data.get("id") if isinstance(resource_data, dict) else None
        lifecycle = item.get("lifecycleEvent")
        out.append(
            GraphNotification(
                subscription_id=str(item["subscriptionId"]),
                client_state=item.get("clientState"),
                change_type=item.get("changeType"),
                lifecycle_event=str(lifecycle) if lifecycle else None,
                resource=item.get("resource"),
                event_id=str(event_id) if event_id else None,
                expires_at=_parse_time(item.get("subscriptionExpirationDateTime")),
                tenant_id=item.get("tenantId"),
            )
        )
    return out


def subscription_ids(body: bytes | str) -> set[str]:
    """The subscriptions a body speaks for (to look up the stored channels to verify with)."""
    return {n.subscription_id for n in parse(body)}


def matches(item: GraphNotification, expected: Channel, now: datetime) -> bool:
    """True if `item` comes from `expected`: same id, same clientState, not long expired."""
    if item.subscription_id != expected.id:
        return False
    if not expected.token or not hmac.compare_digest(
        (item.client_state or "").encode("utf-8"), expected.token.encode("utf-8")
    ):
        return False
    return not (expected.expires_at is not None and now > expected.expires_at + EXPIRY_GRACE)


def lifecycle_action(item: GraphNotification) -> LifecycleAction:
    """What the worker must do for an item.

    change → "sync" (read the delta); reauthorizationRequired → "reauthorize" (then keep going);
    subscriptionRemoved → "resubscribe" (a new subscription, then sync: changes were lost in
    between); missed → "sync" (the delta query catches what the notifications missed).
    """
    if item.lifecycle_event is None:
        return "sync" if item.change_type else "none"
    if item.lifecycle_event == const.LIFECYCLE_REAUTHORIZATION_REQUIRED:
        return "reauthorize"
    if item.lifecycle_event == const.LIFECYCLE_SUBSCRIPTION_REMOVED:
        return "resubscribe"
    if item.lifecycle_event == const.LIFECYCLE_MISSED:
        return "sync"
    return "none"
