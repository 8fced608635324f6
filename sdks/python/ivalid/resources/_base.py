"""What every resource service shares: building paths, calling the transport, typing results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from .._http import HTTPClient
from .._models import PageMeta
from .._object import IValidObject
from .._pagination import Page

M = TypeVar("M", bound=IValidObject)


def segment(value: str) -> str:
    """One path segment, percent-encoded so an id can never change the route."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"Expected a non-empty id, got {value!r}")
    return quote(value, safe="")


class Resource:
    """A group of API operations under one path, e.g. `/appointments`."""

    def __init__(self, http: HTTPClient) -> None:
        self._http = http

    def _call(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> M:
        payload = self._http.request(
            method, path, params=params, json_body=body, idempotency_key=idempotency_key
        )
        if not isinstance(payload, Mapping):
            payload = {} if payload is None else {"data": payload}
        return model.construct(payload)

    def _list(self, model: type[M], path: str, params: Mapping[str, Any]) -> Page[M]:
        def fetch(query: Mapping[str, Any]) -> Page[M]:
            payload = self._http.request("GET", path, params=query)
            if isinstance(payload, list):  # a bare array: one page holding everything
                payload = {"data": payload}
            if not isinstance(payload, Mapping):
                payload = {}
            items = payload.get("data") or []
            meta = payload.get("meta") or {}
            if not meta:
                count = len(items)
                meta = {"total": count, "page": 1, "per_page": count, "total_pages": 1}
            return Page(
                [model.construct(item) for item in items],
                PageMeta.construct(meta),
                params=query,
                fetch=fetch,
                raw={k: v for k, v in payload.items() if k not in ("data", "meta")},
            )

        return fetch(dict(params))
