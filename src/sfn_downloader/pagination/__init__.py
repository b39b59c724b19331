"""Pagination: how a downloader follows an endpoint's pages, without a Lambda.

* ``Pagination.page_count`` (``page_count.py``): the first answer announces the number of
  pages in a header (EVE's ``X-Pages``); the remaining pages are fetched in a Map over
  ``States.ArrayRange``.
* ``Pagination.cursor`` (``cursor.py``): each answer holds the next page's cursor; a Choice
  loop follows it until there is none, or ``max_pages`` pages were fetched.

Each page is stored as its own item, ``sk = <scheduled time>#<page number>``. A new kind is
one module (a ``Pagination`` subclass) and one static factory on ``Pagination``.
"""

from __future__ import annotations

from ._base import DEFAULT_MAX_PAGES, Pagination

__all__ = ["DEFAULT_MAX_PAGES", "Pagination"]
