"""Locating an address: coordinates from the bundled postal code centroids."""

from __future__ import annotations


def locate(postal_code: str) -> tuple[float, float] | None:
    """The (lat, lng) centroid of a French postal code, or None if it is unknown."""
    try:
        from hub.scheduling.postal import centroid
    except ImportError:  # the data set is part of the scheduling package
        return None
    point = centroid(postal_code)
    return (point.lat, point.lng) if point is not None else None
