"""Postal code centroids from the bundled dataset (no network)."""

from __future__ import annotations

import pytest

from hub.scheduling import GeoPoint, centroid, haversine_km
from hub.scheduling.postal import known_postal_codes

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
        pytest.param("69001", id="lyon-not-covered"),
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


def test_coverage_is_all_of_ile_de_france() -> None:
    codes = known_postal_codes()
    assert len(codes) == 528
    assert {c[:2] for c in codes} == {"75", "77", "78", "91", "92", "93", "94", "95"}
    for code in codes:
        point = centroid(code)
        assert point is not None
        assert 48.1 < point.lat < 49.25 and 1.4 < point.lng < 3.6
