"""Pagination: how a downloader follows an endpoint's pages, without a Lambda.

* ``Pagination.page_count``: the first answer announces the number of pages in a header
  (EVE's ``X-Pages``); the remaining pages are fetched in a Map over ``States.ArrayRange``.
* ``Pagination.cursor``: each answer holds the next page's cursor; a Choice loop follows it
  until there is none, or ``max_pages`` pages were fetched.

Each page is stored as its own item, ``sk = <scheduled time>#<page number>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DEFAULT_MAX_PAGES = 100
"""A run fetches at most this many pages unless ``max_pages`` says otherwise."""


class PaginationKind(Enum):
    """How the pages are found."""

    PAGE_COUNT = "page_count"
    CURSOR = "cursor"


@dataclass(frozen=True)
class Pagination:
    """How to fetch every page of a paginated endpoint. Use the static methods to create one."""

    kind: PaginationKind
    """``PAGE_COUNT`` or ``CURSOR``: which static method made it."""
    param: str
    """The query parameter that carries the page number (or the cursor)."""
    max_pages: int
    """The most pages one run fetches (the first page included)."""
    header: str | None = None
    """``page_count``: the response header announcing the number of pages.
    Default: ``"X-Pages"`` with ``page_count``; ``None`` with ``cursor``."""
    next_path: str | None = None
    """``cursor``: JSONPath of the next cursor in the raw response.
    Default: unused with ``page_count``; ``cursor`` requires it."""

    @staticmethod
    def page_count(
        *, header: str = "X-Pages", param: str = "page", max_pages: int = DEFAULT_MAX_PAGES
    ) -> Pagination:
        """Pages ``1..N`` where the first answer's ``header`` says ``N`` (EVE's ``X-Pages``).

        The first page is requested with ``param=1``; pages ``2..min(N, max_pages)`` follow in a
        Map (the downloader's ``max_concurrency`` at a time). Pages past ``max_pages`` are not
        fetched. An answer without the header fails the run (``States.Runtime``).

        :param header: Default: ``"X-Pages"``.
        :param param: Default: ``"page"``.
        :param max_pages: Default: 100.
        """
        return Pagination(PaginationKind.PAGE_COUNT, param, max_pages, header=header)

    @staticmethod
    def cursor(
        *, next_path: str, param: str = "cursor", max_pages: int = DEFAULT_MAX_PAGES
    ) -> Pagination:
        """Follow a cursor: each answer's ``next_path`` holds the value of ``param`` for the
        next request; the loop ends when it is missing or null, or after ``max_pages`` pages.

        ``next_path`` is a JSONPath into the raw response, e.g. ``"$.ResponseBody.next"`` or
        ``"$.Headers.X-Next-Cursor[0]"``. Pages are fetched one after another.

        :param param: Default: ``"cursor"``.
        :param max_pages: Default: 100.
        """
        return Pagination(PaginationKind.CURSOR, param, max_pages, next_path=next_path)
