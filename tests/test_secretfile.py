"""Secrets created on first start: concurrent first starts agree on one value."""

from __future__ import annotations

import multiprocessing as mp
import stat
from pathlib import Path

from hub.secretfile import read_or_create


def _start(path: str, candidate: str, out: mp.Queue) -> None:  # type: ignore[type-arg]
    out.put(read_or_create(Path(path), lambda: candidate))


def test_one_value_wins_when_processes_start_together(tmp_path: Path) -> None:
    path = tmp_path / "data" / "secret_key"
    ctx = mp.get_context("fork")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    workers = [ctx.Process(target=_start, args=(str(path), f"v{i}", out)) for i in range(12)]
    for w in workers:
        w.start()
    results = [out.get(timeout=30) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    values = {value for value, _ in results}
    assert len(values) == 1 and values == {path.read_text()}
    assert sum(created for _, created in results) == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left


def test_an_existing_secret_is_read_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    path.write_text("kept\n")
    assert read_or_create(path, lambda: "new") == ("kept", False)
