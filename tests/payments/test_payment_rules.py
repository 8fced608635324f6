"""What a booking owes and what a cancellation refunds: minor units, exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from connectors.stripe.amounts import to_major, to_minor
from hub.models import Service
from hub.services.payment_settings import amount_due
from hub.services.payments import refund_amount
from tests.support import Api, Tenant


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        pytest.param(Decimal("150.00"), "EUR", 15000, id="eur"),
        pytest.param(Decimal("0.29"), "EUR", 29, id="float-trap-0.29"),
        pytest.param(Decimal("1.005"), "EUR", 101, id="half-up"),
        pytest.param(Decimal("19.99"), "usd", 1999, id="lowercase"),
        pytest.param(Decimal("1500"), "JPY", 1500, id="zero-decimal"),
        pytest.param(Decimal("1.234"), "KWD", 1234, id="three-decimal"),
    ],
)
def test_minor_units(amount: Decimal, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor
    assert to_minor(to_major(minor, currency), currency) == minor


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError):
        to_minor(150.0, "EUR")  # type: ignore[arg-type]


def _service(
    payment: str, price: str, amount: str | None = None, pct: str | None = None
) -> Service:
    return Service(
        payment=payment,
        price=Decimal(price),
        currency="EUR",
        deposit_amount=Decimal(amount) if amount else None,
        deposit_percent=Decimal(pct) if pct else None,
    )


@pytest.mark.parametrize(
    ("service", "due"),
    [
        pytest.param(_service("none", "150.00"), None, id="none"),
        pytest.param(_service("full", "150.00"), ("full", 15000), id="full"),
        pytest.param(_service("deposit", "150.00", amount="49.90"), ("deposit", 4990), id="amount"),
        pytest.param(_service("deposit", "99.99", pct="30"), ("deposit", 3000), id="pct-rounds"),
        pytest.param(_service("deposit", "0.10", pct="1"), None, id="rounds-to-nothing"),
        pytest.param(_service("full", "0"), None, id="free"),
    ],
)
def test_amount_due(service: Service, due: tuple[str, int] | None) -> None:
    assert amount_due(service) == due


START = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
WINDOW = {"kind": "window", "hours": 48, "percent": 50}


@pytest.mark.parametrize(
    ("policy", "cancelled", "refund"),
    [
        pytest.param({"kind": "full"}, START - timedelta(hours=1), 15000, id="full"),
        pytest.param({"kind": "none"}, START - timedelta(days=9), 0, id="none"),
        pytest.param(WINDOW, START - timedelta(hours=48), 15000, id="window-edge"),
        pytest.param(WINDOW, START - timedelta(hours=47, minutes=59), 7500, id="inside"),
        pytest.param({**WINDOW, "percent": 33.33}, START, 5000, id="half-up"),
        pytest.param({}, START, 15000, id="default-full"),
    ],
)
def test_refund_policy(policy: dict[str, object], cancelled: datetime, refund: int) -> None:
    assert refund_amount(policy, 15000, START, cancelled) == refund


def test_service_payment_settings_through_the_api(api: Api, tenant: Tenant) -> None:
    path = f"/v2/services/{tenant.ids['service_id']}"
    ok = api.put(path, {"payment": "deposit", "deposit_amount": "30.00"})
    assert ok.status_code == 200
    assert (ok.get_json()["payment"], ok.get_json()["deposit_amount"]) == ("deposit", 30.0)
    both = api.put(path, {"deposit_percent": 10})
    assert both.status_code == 422  # an amount and a percentage
    assert api.put(path, {"payment": "deposit", "deposit_amount": "500.00"}).status_code == 422
    assert api.put(path, {"payment": "sometimes"}).status_code == 422
    assert api.put(path, {"deposit_percent": 150}).status_code == 422
    fresh = api.post(
        "/v2/services", {"name": "Dépannage", "duration": 60, "price": 80, "payment": "deposit"}
    )
    assert fresh.status_code == 422  # a deposit needs an amount or a percentage
