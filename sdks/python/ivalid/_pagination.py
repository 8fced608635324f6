"""`Page`: one page of a list endpoint, which also walks every following page lazily."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Callable, Generic, TypeVar

from ._models import PageMeta
from ._object import IValidObject

T = TypeVar("T", bound=IValidObject)

# Fetches one page given the query parameters; the resource that made the first page supplies it.
PageFetcher = Callable[[Mapping[str, Any]], "Page[T]"]


class Page(Generic[T]):
    """One page of results (`.data`, `.meta`); iterating it yields every item of every page.

    `for apt in client.appointments.list(status="confirmed"): ...` walks all pages, fetching each
    one only when the previous one is used up. `.data` is just this page; `next_page()` fetches
    the next one explicitly.
    """

    def __init__(
        self,
        data: list[T],
        meta: PageMeta,
        *,
        params: Mapping[str, Any] | None = None,
        fetch: PageFetcher[T] | None = None,
        raw: Mapping[str, Any] | None = None,
    ) -> None:
        self.data = data
        self.meta = meta
        self._params = dict(params or {})
        self._fetch = fetch
        self._raw = dict(raw or {})

    @property
    def has_more(self) -> bool:
        """True when a later page exists."""
        page, total_pages = self.meta.get("page"), self.meta.get("total_pages")
        if isinstance(page, int) and isinstance(total_pages, int):
            return page < total_pages
        # Without page numbers, a full page is the only hint that another may follow.
        per_page = self.meta.get("per_page")
        return isinstance(per_page, int) and len(self.data) >= per_page > 0

    def next_page(self) -> Page[T] | None:
        """The following page, fetched now, or None after the last one."""
        if not self.has_more or self._fetch is None:
            return None
        params = dict(self._params)
        params["page"] = int(self.meta.get("page") or params.get("page") or 1) + 1
        if "per_page" not in params and isinstance(self.meta.get("per_page"), int):
            # Keep the page size the server used, so page numbers keep meaning the same items.
            params["per_page"] = self.meta["per_page"]
        return self._fetch(params)

    def auto_paging_iter(self) -> Iterator[T]:
        """Every item from this page on, fetching later pages only as they are reached."""
        page: Page[T] | None = self
        while page is not None:
            yield from page.data
            if not page.data:
                return
            page = page.next_page()

    def __iter__(self) -> Iterator[T]:
        return self.auto_paging_iter()

    def __bool__(self) -> bool:
        return bool(self.data)

    def __getitem__(self, key: str) -> Any:
        """`page["data"]` / `page["meta"]`, as in the JSON the API returned."""
        if key == "data":
            return self.data
        if key == "meta":
            return self.meta
        return self._raw[key]

    def to_dict(self) -> dict[str, Any]:
        """The page as the API returned it: `{"data": [...], "meta": {...}}`."""
        return {
            **self._raw,
            "data": [item.to_dict() for item in self.data],
            "meta": self.meta.to_dict(),
        }

    def __repr__(self) -> str:
        meta = self.meta
        return (
            f"<Page {meta.get('page')}/{meta.get('total_pages')} of {meta.get('total')} items: "
            f"{len(self.data)} here>"
        )
