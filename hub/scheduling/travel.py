"""Travel times between places, in whole minutes rounded up.

``HaversineTravel`` needs nothing: great-circle distance times a road factor at an average
speed. ``OsrmTravel`` asks an OSRM server (``osrm-routed``) for real driving times through its
``table`` service. ``TravelCache`` sits in front of either and remembers every pair during one
computation, so availability for 50 technicians costs one or two matrix requests, not thousands.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, runtime_checkable

import requests

from hub.scheduling.model import GeoPoint, SchedulingSettings

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)

#: Minutes reported for a pair the router cannot connect (an island, a closed road network).
#: Large enough to fail every gap, small enough to add up without overflow concerns.
UNREACHABLE_MINUTES = 1_000_000


class TravelError(RuntimeError):
    """The travel-time provider failed (HTTP error, bad answer, router error code)."""


@runtime_checkable
class TravelProvider(Protocol):
    """Anything that can produce a matrix of driving minutes."""

    def matrix(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        """``result[i][j]``: minutes (rounded up) from ``origins[i]`` to ``destinations[j]``."""
        ...


def seconds_to_minutes(seconds: float) -> int:
    """Whole minutes, rounded up, tolerant of float noise (600.0000001 s is 10 min)."""
    return max(0, math.ceil(round(seconds / 60.0, 6)))


def haversine_km(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in kilometres."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlng = math.radians(b.lng - a.lng)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlng / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class HaversineTravel:
    """Driving time estimated as great-circle distance × road factor ÷ average speed."""

    def __init__(self, road_factor: float = 1.3, average_speed_kmh: float = 40.0) -> None:
        if road_factor <= 0 or average_speed_kmh <= 0:
            raise ValueError("road_factor and average_speed_kmh must be positive")
        self.road_factor = road_factor
        self.average_speed_kmh = average_speed_kmh

    @classmethod
    def from_settings(cls, settings: SchedulingSettings) -> HaversineTravel:
        """The estimator configured by an account's settings."""
        return cls(settings.road_factor, settings.average_speed_kmh)

    def minutes(self, a: GeoPoint, b: GeoPoint) -> int:
        """Estimated minutes from ``a`` to ``b``; 0 for the same point."""
        if a == b:
            return 0
        hours = haversine_km(a, b) * self.road_factor / self.average_speed_kmh
        return seconds_to_minutes(hours * 3600.0)

    def matrix(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        """Estimated minutes for every origin/destination pair."""
        return [[self.minutes(o, d) for d in destinations] for o in origins]


class OsrmTravel:
    """Driving times from an OSRM server's table service.

    ``GET {base_url}/table/v1/{profile}/{lng,lat;...}`` with ``sources``, ``destinations`` and
    ``annotations=duration`` answers ``{"code": "Ok", "durations": [[seconds, ...], ...]}``;
    errors come back as HTTP 400 with another ``code`` (``InvalidQuery``, ``NoTable``,
    ``TooBig``...) and raise ``TravelError``. A ``null`` duration (no route) becomes
    ``UNREACHABLE_MINUTES``. Requests are split so that no single one carries
    more than ``max_locations`` coordinates (osrm-routed's ``--max-table-size``, 100 by default).
    """

    def __init__(
        self,
        base_url: str,
        session: requests.Session | None = None,
        timeout: float = 5.0,
        profile: str = "driving",
        max_locations: int = 100,
    ) -> None:
        if max_locations < 2:
            raise ValueError("max_locations must be at least 2")
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.timeout = timeout
        self.profile = profile
        self.max_locations = max_locations
        self._owns_session = session is None

    def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._owns_session:
            self.session.close()

    def __enter__(self) -> OsrmTravel:
        """Use as a context manager to close the session afterwards."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the session the client created."""
        self.close()

    def matrix(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        """Driving minutes for every origin/destination pair (several requests if needed)."""
        result = [[0] * len(destinations) for _ in origins]
        if not origins or not destinations:
            return result
        half = self.max_locations // 2
        rows = min(len(origins), max(half, self.max_locations - len(destinations)))
        cols = self.max_locations - rows
        for i in range(0, len(origins), rows):
            for j in range(0, len(destinations), cols):
                block = self._table(origins[i : i + rows], destinations[j : j + cols])
                for di, line in enumerate(block):
                    result[i + di][j : j + len(line)] = line
        return result

    def _table(
        self, origins: Sequence[GeoPoint], destinations: Sequence[GeoPoint]
    ) -> list[list[int]]:
        points = [*origins, *destinations]
        coords = ";".join(f"{p.lng:.6f},{p.lat:.6f}" for p in points)
        sources = ";".join(str(i) for i in range(len(origins)))
        targets = ";".join(str(len(origins) + j) for j in range(len(destinations)))
        url = f"{self.base_url}/table/v1/{self.profile}/{coords}"
        params = {"sources": sources, "destinations": targets, "annotations": "duration"}
        try:
            response = self.session.get(url, params=params, timeout=self.timeout)
        except requests.RequestException as exc:
            raise TravelError(f"OSRM request failed: {exc}") from exc
        body = _json_or_none(response)
        code = body.get("code") if isinstance(body, dict) else None
        if response.status_code != 200 or code != "Ok":
            message = body.get("message", "") if isinstance(body, dict) else ""
            raise TravelError(
                f"OSRM table answered HTTP {response.status_code} code={code!r} {message}".strip()
            )
        durations = body.get("durations") if isinstance(body, dict) else None
        if not isinstance(durations, list) or len(durations) != len(origins):
            raise TravelError("OSRM table answer has no usable 'durations' matrix")
        matrix: list[list[int]] = []
        for line in durations:
            if not isinstance(line, list) or len(line) != len(destinations):
                raise TravelError("OSRM table answer has a malformed 'durations' row")
            matrix.append(
                [UNREACHABLE_MINUTES if s is None else seconds_to_minutes(float(s)) for s in line]
            )
        return matrix


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class TravelCache:
    """Memoises pair → minutes in front of a provider for the length of one computation."""

    def __init__(self, provider: TravelProvider) -> None:
        self.provider = provider
        self.calls = 0
        self._known: dict[tuple[GeoPoint, GeoPoint], int] = {}

    def prefetch(self, origins: Iterable[GeoPoint], destinations: Iterable[GeoPoint]) -> None:
        """Fetch, in one provider call, every origin → destination pair not known yet."""
        known = self._known
        dests = list(dict.fromkeys(destinations))
        need_o = [
            o for o in dict.fromkeys(origins) if any(o != d and (o, d) not in known for d in dests)
        ]
        need_d = [d for d in dests if any(o != d and (o, d) not in known for o in need_o)]
        if not need_o or not need_d:
            return
        self.calls += 1
        matrix = self.provider.matrix(need_o, need_d)
        for o, line in zip(need_o, matrix, strict=True):
            for d, minutes in zip(need_d, line, strict=True):
                known[(o, d)] = 0 if o == d else int(minutes)

    def minutes(self, origin: GeoPoint, destination: GeoPoint) -> int:
        """Minutes from ``origin`` to ``destination`` (fetched on demand if not prefetched)."""
        if origin == destination:
            return 0
        key = (origin, destination)
        value = self._known.get(key)
        if value is None:
            self.prefetch((origin,), (destination,))
            value = self._known[key]
        return value


def as_cache(travel: TravelProvider | TravelCache) -> TravelCache:
    """Wrap a provider in a fresh cache (a cache passed in is reused as is)."""
    return travel if isinstance(travel, TravelCache) else TravelCache(travel)
