"""Postal code centroids from the bundled dataset (no network)."""

from __future__ import annotations

import csv
import gzip
import io
import statistics
from collections import defaultdict
from importlib import resources

import pytest

from hub.scheduling import GeoPoint, centroid, haversine_km
from hub.scheduling.postal import DATA_FILE, DATA_PACKAGE, known_postal_codes


def _rows() -> list[dict[str, str]]:
    raw = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_bytes()
    return list(csv.DictReader(io.StringIO(gzip.decompress(raw).decode()), delimiter="\t"))


def _department(code: str) -> str:
    return code[:3] if code[:2] in ("97", "98") else code[:2]


PARIS_CODES = [f"750{n:02d}" for n in range(1, 21)]


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        pytest.param("75001", GeoPoint(48.8626, 2.3362), id="paris-1er"),
        pytest.param("75020", GeoPoint(48.8631, 2.4008), id="paris-20e"),
        pytest.param("75116", GeoPoint(48.8603, 2.2620), id="paris-16e-75116"),
        pytest.param("75016", GeoPoint(48.8603, 2.2620), id="paris-16e-75016"),
        pytest.param("92100", GeoPoint(48.8365, 2.2391), id="boulogne-billancourt"),
        pytest.param("78000", GeoPoint(48.8025, 2.1178), id="versailles"),
        pytest.param("93380", GeoPoint(48.9609, 2.3632), id="pierrefitte-not-saint-denis"),
        pytest.param(" 75 001 ", GeoPoint(48.8626, 2.3362), id="spaces-tolerated"),
    ],
)
def test_known_codes(code: str, expected: GeoPoint) -> None:
    assert centroid(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("00000", id="not-a-code"),
        pytest.param("22870", id="brehat-an-island-without-a-known-position"),
        pytest.param("98600", id="wallis-not-covered"),
        pytest.param("75000", id="paris-generic-is-not-a-delivery-code"),
        pytest.param("75700", id="cedex-not-covered"),
        pytest.param("", id="empty"),
        pytest.param(None, id="none"),
        pytest.param("ABCDE", id="letters"),
    ],
)
def test_unknown_codes_give_none(code: str | None) -> None:
    assert centroid(code) is None


def test_every_paris_arrondissement_is_covered_and_distinct() -> None:
    points = [centroid(code) for code in PARIS_CODES]
    assert all(p is not None for p in points)
    assert len(set(points)) == 20
    notre_dame = GeoPoint(48.8530, 2.3499)
    for point in points:
        assert point is not None
        assert haversine_km(point, notre_dame) < 7.0  # every arrondissement is inside Paris


def test_ile_de_france_is_complete() -> None:
    idf = {
        c for c in known_postal_codes() if c[:2] in {"75", "77", "78", "91", "92", "93", "94", "95"}
    }
    assert len(idf) == 528
    for code in idf:
        point = centroid(code)
        assert point is not None
        assert 48.1 < point.lat < 49.25 and 1.4 < point.lng < 3.6


# Reference points (town halls, to the nearest few hundred metres) and how far the centre of
# the city's postal code may lie from them.
@pytest.mark.parametrize(
    ("code", "reference", "within_km"),
    [
        pytest.param("69001", GeoPoint(45.7676, 4.8357), 1.5, id="lyon-1er"),
        pytest.param("13001", GeoPoint(43.2965, 5.3698), 2.0, id="marseille-1er"),
        pytest.param("31000", GeoPoint(43.6045, 1.4440), 1.5, id="toulouse"),
        pytest.param("33000", GeoPoint(44.8378, -0.5792), 1.5, id="bordeaux"),
        pytest.param("06000", GeoPoint(43.7034, 7.2663), 1.5, id="nice"),
        pytest.param("67000", GeoPoint(48.5734, 7.7521), 2.0, id="strasbourg"),
        pytest.param("59000", GeoPoint(50.6292, 3.0573), 4.0, id="lille-with-lomme"),
        pytest.param("35000", GeoPoint(48.1113, -1.6800), 1.5, id="rennes"),
        pytest.param("29200", GeoPoint(48.3904, -4.4861), 1.5, id="brest"),
        pytest.param("20000", GeoPoint(41.9192, 8.7386), 1.5, id="ajaccio"),
        pytest.param("85350", GeoPoint(46.7250, -2.3490), 3.0, id="ile-d-yeu"),
        pytest.param("97400", GeoPoint(-20.8789, 55.4481), 2.0, id="saint-denis-reunion"),
        pytest.param("97300", GeoPoint(4.9372, -52.3260), 2.0, id="cayenne"),
        pytest.param("98800", GeoPoint(-22.2758, 166.4580), 2.0, id="noumea"),
    ],
)
def test_cities_across_france(code: str, reference: GeoPoint, within_km: float) -> None:
    point = centroid(code)
    assert point is not None
    assert haversine_km(point, reference) < within_km


def test_coverage_is_all_of_france_but_a_few_islands() -> None:
    codes = known_postal_codes()
    assert len(codes) > 6200
    departments = {_department(c) for c in codes}
    assert {f"{n:02d}" for n in range(1, 96)} <= departments  # Corsica's codes start with 20
    assert {"971", "972", "973", "974", "976"} <= departments


def test_no_centre_lies_outside_its_department() -> None:
    """A namesake commune elsewhere in the region must not have dragged a centre away."""
    by_department: dict[str, list[GeoPoint]] = defaultdict(list)
    for row in _rows():
        by_department[_department(row["postal_code"])].append(
            GeoPoint(float(row["lat"]), float(row["lng"]))
        )
    for department, points in by_department.items():
        if len(department) == 3:
            continue  # overseas: islands and Guiana's forest are far apart, legitimately
        middle = GeoPoint(
            statistics.median(p.lat for p in points), statistics.median(p.lng for p in points)
        )
        farthest = max(haversine_km(p, middle) for p in points)
        assert farthest < 140, department
        for p in points:
            assert 41.3 < p.lat < 51.1 and -5.2 < p.lng < 9.6, department


def test_every_row_says_how_it_was_placed() -> None:
    rows = _rows()
    assert {r["basis"] for r in rows} <= {"laposte", "geonames", "epci", "mixed"}
    assert all(int(r["communes"]) >= 1 for r in rows)
    by_basis = defaultdict(int)
    for r in rows:
        by_basis[r["basis"]] += 1
    # Most of France is placed from its communes' own positions; the intercommunality
    # fallback stays the exception.
    assert by_basis["epci"] < 0.06 * len(rows)
