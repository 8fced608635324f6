"""Travel providers: haversine estimate, memoising cache, OSRM client against a loopback fake."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import pytest
import requests
from fake_osrm import FakeOsrm

from hub.scheduling import (
    GeoPoint,
    HaversineTravel,
    OsrmTravel,
    TravelCache,
    TravelError,
    haversine_km,
)
from hub.scheduling.travel import UNREACHABLE_MINUTES, seconds_to_minutes

PARIS = GeoPoint(48.8566, 2.3522)
LYON = GeoPoint(45.7640, 4.8357)
MARSEILLE = GeoPoint(43.2965, 5.3698)
LOUVRE = GeoPoint(48.8606, 2.3376)
BASTILLE = GeoPoint(48.8532, 2.3692)


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        pytest.param(PARIS, LYON, 391.0, 393.0, id="paris-lyon-392km"),
        pytest.param(PARIS, MARSEILLE, 659.0, 662.0, id="paris-marseille-660km"),
        pytest.param(
            GeoPoint(48.0, 2.0), GeoPoint(49.0, 2.0), 111.19, 111.20, id="one-degree-of-latitude"
        ),
        pytest.param(LOUVRE, BASTILLE, 2.4, 2.6, id="louvre-bastille"),
        pytest.param(PARIS, PARIS, 0.0, 0.0, id="same-point"),
    ],
)
def test_haversine_known_distances(a: GeoPoint, b: GeoPoint, low: float, high: float) -> None:
    assert low <= haversine_km(a, b) <= high
    assert haversine_km(a, b) == pytest.approx(haversine_km(b, a))


@pytest.mark.parametrize(
    ("a", "b", "factor", "speed", "expected"),
    [
        # 111.195 km * 1.3 / 40 km/h = 3.6138 h = 216.83 min -> rounded up
        pytest.param(GeoPoint(48.0, 2.0), GeoPoint(49.0, 2.0), 1.3, 40.0, 217, id="rounds-up"),
        pytest.param(GeoPoint(48.0, 2.0), GeoPoint(49.0, 2.0), 1.0, 60.0, 112, id="plain-at-60kmh"),
        pytest.param(PARIS, PARIS, 1.3, 40.0, 0, id="same-point-is-zero"),
        pytest.param(LOUVRE, BASTILLE, 1.3, 40.0, 5, id="short-urban-hop"),
    ],
)
def test_haversine_minutes(
    a: GeoPoint, b: GeoPoint, factor: float, speed: float, expected: int
) -> None:
    travel = HaversineTravel(factor, speed)
    assert travel.minutes(a, b) == expected
    assert travel.matrix([a], [b]) == [[expected]]


def test_haversine_matrix_shape() -> None:
    got = HaversineTravel().matrix([PARIS, LYON], [LYON, PARIS, MARSEILLE])
    assert len(got) == 2 and all(len(row) == 3 for row in got)
    assert got[0][1] == 0 and got[1][0] == 0
    assert got[0][0] == got[1][1] == math.ceil(haversine_km(PARIS, LYON) * 1.3 / 40 * 60)


@pytest.mark.parametrize(
    ("seconds", "minutes"),
    [
        pytest.param(0.0, 0, id="zero"),
        pytest.param(0.1, 1, id="any-part-of-a-minute-counts"),
        pytest.param(600.0, 10, id="exact"),
        pytest.param(600.0000001, 10, id="float-noise-ignored"),
        pytest.param(601.0, 11, id="one-second-over"),
    ],
)
def test_seconds_to_minutes(seconds: float, minutes: int) -> None:
    assert seconds_to_minutes(seconds) == minutes


class Counting:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []
        self.inner = HaversineTravel()

    def matrix(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        self.calls.append((len(origins), len(destinations)))
        return self.inner.matrix(origins, destinations)


def test_cache_memoises_and_batches() -> None:
    provider = Counting()
    cache = TravelCache(provider)
    cache.prefetch([PARIS, LYON, PARIS], [MARSEILLE, LYON])
    assert provider.calls == [(2, 2)]  # duplicates removed
    assert cache.minutes(PARIS, MARSEILLE) == provider.inner.minutes(PARIS, MARSEILLE)
    assert cache.minutes(LYON, LYON) == 0
    assert cache.minutes(PARIS, LYON) > 0
    assert len(provider.calls) == 1  # everything above came from the cache
    cache.prefetch([PARIS], [MARSEILLE])
    assert len(provider.calls) == 1  # nothing new to fetch
    assert cache.minutes(MARSEILLE, PARIS) > 0  # not prefetched: one more call
    assert provider.calls[-1] == (1, 1)
    assert cache.calls == 2


@pytest.fixture
def osrm() -> Iterator[FakeOsrm]:
    fake = FakeOsrm().start()
    yield fake
    fake.stop()


def test_osrm_matrix_over_real_http(osrm: FakeOsrm) -> None:
    with requests.Session() as session:
        client = OsrmTravel(osrm.base_url, session=session)
        got = client.matrix([PARIS, LOUVRE], [BASTILLE, LYON, PARIS])
    expected = [
        [
            math.ceil(osrm.expected_seconds((o.lng, o.lat), (d.lng, d.lat)) / 60)
            for d in (BASTILLE, LYON, PARIS)
        ]
        for o in (PARIS, LOUVRE)
    ]
    assert got == expected
    assert got[0][2] == 0
    assert len(osrm.requests) == 1
    sent = osrm.requests[0]
    assert sent["path"] == (
        "/table/v1/driving/2.352200,48.856600;2.337600,48.860600;"
        "2.369200,48.853200;4.835700,45.764000;2.352200,48.856600"
    )
    assert sent["args"] == {"sources": "0;1", "destinations": "2;3;4", "annotations": "duration"}


def test_osrm_splits_requests_above_the_table_size(osrm: FakeOsrm) -> None:
    osrm.max_table_size = 4
    origins = [GeoPoint(48.80 + i / 100, 2.30) for i in range(5)]
    targets = [GeoPoint(48.85, 2.30 + j / 100) for j in range(3)]
    with OsrmTravel(osrm.base_url, max_locations=4) as client:
        got = client.matrix(origins, targets)
    assert got == HaversineTravel(1.0, 36.0).matrix(origins, targets)  # the fake drives at 10 m/s
    assert len(osrm.requests) > 1
    assert all(len(r["path"].split("/")[-1].split(";")) <= 4 for r in osrm.requests)


def test_osrm_null_duration_is_unreachable(osrm: FakeOsrm) -> None:
    island = GeoPoint(46.0, -1.3)
    osrm.unreachable.add((island.lng, island.lat))
    with OsrmTravel(osrm.base_url) as client:
        got = client.matrix([PARIS], [island, LOUVRE])
    assert got[0][0] == UNREACHABLE_MINUTES
    assert 0 < got[0][1] < 60


@pytest.mark.parametrize(
    ("status", "body", "match"),
    [
        pytest.param(
            400,
            '{"code": "InvalidQuery", "message": "Query string malformed"}',
            "InvalidQuery",
            id="osrm-400",
        ),
        pytest.param(
            400,
            '{"code": "TooBig", "message": "Too many table coordinates"}',
            "TooBig",
            id="too-big",
        ),
        pytest.param(
            200,
            '{"code": "NoTable", "message": "No route found"}',
            "NoTable",
            id="ok-status-error-code",
        ),
        pytest.param(500, "<html>Internal Server Error</html>", "HTTP 500", id="server-error-html"),
        pytest.param(200, '{"code": "Ok"}', "durations", id="no-durations"),
        pytest.param(200, '{"code": "Ok", "durations": [[1.0]]}', "durations", id="wrong-shape"),
    ],
)
def test_osrm_errors_raise_travel_error(osrm: FakeOsrm, status: int, body: str, match: str) -> None:
    osrm.fail_status, osrm.fail_body = status, body
    with OsrmTravel(osrm.base_url) as client, pytest.raises(TravelError, match=match):
        client.matrix([PARIS, LYON], [LOUVRE])


def test_osrm_connection_refused_is_a_travel_error() -> None:
    fake = FakeOsrm().start()
    url = fake.base_url
    fake.stop()
    with OsrmTravel(url, timeout=2.0) as client, pytest.raises(TravelError, match="request failed"):
        client.matrix([PARIS], [LYON])


def test_osrm_error_of_the_real_fake_for_bad_index(osrm: FakeOsrm) -> None:
    response = requests.get(
        f"{osrm.base_url}/table/v1/driving/2.35,48.85;2.36,48.86",
        params={"sources": "0", "destinations": "7"},
        timeout=5,
    )
    assert response.status_code == 400
    assert response.json()["code"] == "InvalidOptions"


def test_empty_matrix_needs_no_request(osrm: FakeOsrm) -> None:
    with OsrmTravel(osrm.base_url) as client:
        assert client.matrix([], [PARIS]) == []
        assert client.matrix([PARIS], []) == [[]]
    assert osrm.requests == []
