"""Secrets generated on first start and kept in the data directory, safely under concurrency."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, generate: Callable[[], str]) -> tuple[str, bool]:
    """The secret stored at `path`, created with `generate()` if absent; and whether we made it.

    Several processes may start at once on a fresh data directory (gunicorn's workers, the API
    and the worker): each writes its candidate to a private temporary file (mode 0600), then
    hard-links it to `path`, which succeeds for exactly one of them. Everyone then reads `path`,
    so all agree on one value and nobody ever sees a partly written file.
    """
    if path.exists():
        return path.read_text().strip(), False
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(generate())
        try:
            os.link(tmp, path)
            created = True
        except FileExistsError:
            created = False
    finally:
        os.unlink(tmp)
    return path.read_text().strip(), created
