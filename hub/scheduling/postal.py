"""Postal code → approximate centre, from a dataset shipped inside the package (no network).

The table lives in ``hub/scheduling/data/`` (gzip'd TSV: ``postal_code``, ``lat``, ``lng``,
``communes``, ``basis``); its sources, licence, coverage and accuracy are in ``data/README.md``.
It is read lazily on the first lookup and kept for the life of the process.
"""

from __future__ import annotations

import csv
import gzip
import io
from functools import cache
from importlib import resources

from hub.scheduling.model import GeoPoint
from hub.scheduling.rules import normalize_postal_code

DATA_PACKAGE = "hub.scheduling.data"
DATA_FILE = "fr_postal_centroids.tsv.gz"


@cache
def _table() -> dict[str, GeoPoint]:
    raw = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    text = gzip.decompress(raw).decode("utf-8")
    table: dict[str, GeoPoint] = {}
    reader = csv.DictReader(io.StringIO(text), delimiter="\t")
    for row in reader:
        table[row["postal_code"]] = GeoPoint(float(row["lat"]), float(row["lng"]))
    return table


def centroid(postal_code: str | None) -> GeoPoint | None:
    """Approximate centre of a French postal code, or None when it is not in the dataset."""
    code = normalize_postal_code(postal_code)
    if code is None:
        return None
    return _table().get(code)


def known_postal_codes() -> frozenset[str]:
    """Every postal code the bundled dataset covers."""
    return frozenset(_table())
