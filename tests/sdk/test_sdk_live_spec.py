"""The API documentation's Python example, run as printed against a live hub."""

from __future__ import annotations

import re

import ivalid
import pytest
from ivalid.types import Appointment
from sdk_support import SDK_README, SPEC_PATH, LiveHub

# The shell line the documentation prints above the code; the README shows it as a command.
PIP_LINE = "pip install ivalid"


def _spec_python_example() -> str:
    """The Python block of the spec (`python-example.py`), or the README's copy of it."""
    source = SPEC_PATH if SPEC_PATH.exists() else SDK_README
    text = source.read_text(encoding="utf-8")
    match = re.search(r"`python-example\.py`\s*```python\n(.*?)```", text, re.S)
    assert match, f"no python-example.py block in {source}"
    return match.group(1)


def _runnable(block: str) -> str:
    """The example minus its `pip install` line, which is a shell command, not Python."""
    lines = block.splitlines()
    assert lines[0].strip() == PIP_LINE, lines[0]
    return "\n".join(lines[1:]) + "\n"


def test_the_readme_shows_the_spec_example_verbatim() -> None:
    readme = SDK_README.read_text(encoding="utf-8")
    assert _runnable(_spec_python_example()).strip() in readme
    assert PIP_LINE in readme


def test_every_readme_python_block_is_valid_python() -> None:
    readme = SDK_README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert len(blocks) >= 5
    for block in blocks:
        if block.startswith(PIP_LINE):
            block = _runnable(block)
        compile(block, "README.md", "exec")


def test_the_spec_python_example_runs_as_printed(
    live: LiveHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = _runnable(_spec_python_example())
    # What is substituted, and nothing else: the demo account's credentials and ids replace the
    # documentation's placeholders (cust_abc123 / srv_installation are not real ids on a fresh
    # server), and the base URL reaches the test server through IVALID_BASE_URL, which the
    # Client reads, so `environment='production'` stays as printed.
    substitutions = {
        "'your_api_key'": repr(live.api_key),
        "'cust_abc123'": repr(live.demo["customer_id"]),
        "'srv_installation'": repr(live.demo["service_id"]),
    }
    for placeholder, value in substitutions.items():
        assert code.count(placeholder) == 1, placeholder
        code = code.replace(placeholder, value)
    monkeypatch.setenv("IVALID_BASE_URL", live.base_url)

    namespace: dict[str, object] = {"__name__": "python_example"}
    exec(compile(code, "python-example.py", "exec"), namespace)

    client = namespace["client"]
    assert isinstance(client, ivalid.Client)
    try:
        assert client.base_url == live.base_url
        appointments = namespace["appointments"]
        assert isinstance(appointments, ivalid.Page)
        assert all(a.status == "confirmed" for a in appointments.data)
        assert appointments.meta.page == 1

        new_appointment = namespace["new_appointment"]
        assert isinstance(new_appointment, Appointment)
        assert new_appointment.id.startswith("apt_")
        assert new_appointment.customer.id == live.demo["customer_id"]
        assert new_appointment.customer.name == "Marie Dupont"
        assert new_appointment.service.name == "Installation Climatisation"
        assert new_appointment.scheduled_at == "2025-01-20T09:00:00Z"
        assert new_appointment.technician is not None  # the hub chose one
        assert client.appointments.get(new_appointment.id) == new_appointment
    finally:
        client.close()
