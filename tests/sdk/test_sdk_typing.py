"""The SDK's types work for its users: mypy accepts correct calls and catches wrong ones."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

GOOD = """
from datetime import datetime, timezone

import ivalid
from ivalid import Client
from ivalid.types import Appointment

client = Client(api_key="k", environment="sandbox")
page = client.appointments.list(status="confirmed", date_from="2025-01-01", per_page=50)
total: int = page.meta.total
first: Appointment = page.data[0]
for apt in page:
    name: str = apt.customer.name
    when: str = apt.scheduled_at
new = client.appointments.create(
    customer_id="cust_abc123",
    service_id="srv_installation",
    scheduled_at=datetime(2025, 1, 20, 9, tzinfo=timezone.utc),
    location={"postal_code": "75001", "city": "Paris"},
)
technician_id: str | None = new.technician.id if new.technician else None
try:
    client.appointments.confirm(new.id)
except ivalid.SlotNotAvailable as e:
    slots: list[str] = [s["slot"] for s in e.suggestions]
ok: bool = ivalid.webhooks.verify(b"{}", "sha256=00", "whsec_x")
event = ivalid.webhooks.construct_event(b"{}", {}, "whsec_x")
customer_name: str = event.data.customer.name
extra = new["a_field_the_models_do_not_know"]
"""

BAD = """
from ivalid import Client

client = Client(api_key="k")
client.appointments.create(customer_id="cust_abc123", service_id="srv_installation")
client.appointments.list(statut="confirmed")
client.customers.create(first_name="Marie", last_name="Dupont", tags="premium")
client.appointments.get("apt_1").customer.nom
"""


SDK_SOURCE = Path(__file__).resolve().parents[2] / "sdks" / "python"


@pytest.fixture(autouse=True)
def _sdk_on_mypy_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # An editable install is an import hook that mypy cannot follow: point it at the source.
    monkeypatch.setenv("MYPYPATH", str(SDK_SOURCE))


def _mypy(tmp_path: Path, code: str) -> tuple[str, int]:
    module = tmp_path / "example.py"
    module.write_text(textwrap.dedent(code))
    out, err, status = mypy_api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            "",
            str(module),
        ]
    )
    return out + err, status


def test_correct_usage_type_checks(tmp_path: Path) -> None:
    output, status = _mypy(tmp_path, GOOD)
    assert status == 0, output


def test_wrong_usage_is_caught(tmp_path: Path) -> None:
    output, status = _mypy(tmp_path, BAD)
    assert status == 1
    assert 'Missing named argument "scheduled_at"' in output
    assert 'Unexpected keyword argument "statut"' in output
    assert '"tags" to "create" of "Customers" has incompatible type "str"' in output
    assert '"AppointmentCustomer" has no attribute "nom"' in output
