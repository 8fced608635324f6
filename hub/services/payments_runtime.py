"""What the payment jobs share: the database, settings, a clock and a Stripe client maker."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connectors.stripe.api import StripeApi
from hub.clock import Clock
from hub.config import Settings
from hub.crypto import decrypt
from hub.db import Database
from hub.models import StripeConnection


def default_api(settings: Settings, conn: StripeConnection) -> StripeApi:
    """The Stripe client acting for `conn`: its own key, or the platform's for its account."""
    base = settings.stripe_api_base or None
    if conn.mode == "key":
        return StripeApi(decrypt(settings, conn.api_key or ""), api_base=base)
    return StripeApi(
        settings.stripe_secret_key, stripe_account=conn.stripe_account_id, api_base=base
    )


ApiFactory = Callable[[Settings, StripeConnection], StripeApi]


@dataclass
class PaymentsRuntime:
    """What the payment jobs need: the database, settings, a clock, a Stripe client maker."""

    db: Database
    settings: Settings
    clock: Clock
    api_factory: ApiFactory = default_api
