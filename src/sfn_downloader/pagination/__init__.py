"""Pagination: how a downloader follows an endpoint's pages, without a Lambda.

* ``Pagination.page_count`` (``page_count.py``): the first answer announces the number of
  pages in a header (EVE's ``X-Pages``); the remaining pages are fetched in a Map over
  ``States.ArrayRange``.
* ``Pagination.cursor`` (``cursor.py``): each answer holds the next page's cursor; a Choice
  loop follows it until there is none, or ``max_pages`` pages were fetched.
* ``Pagination.link_header`` (``link_header.py``), ``Pagination.next_url`` (``next_url.py``),
  ``Pagination.offset`` (``offset.py``), ``Pagination.page_number`` (``page_number.py``): the
  page loop of ``_loop.py``, each kind giving its JSONata step (the next request, or none).

Each page is stored as its own item, ``sk = <scheduled time>#<page number>``; in a fan-out,
every kind runs the page loop for each path (``<scheduled time>#<path>#<page>``). A new kind is
one module (a ``Pagination`` subclass) and one static factory on ``Pagination``.
"""

from __future__ import annotations

from ._base import DEFAULT_MAX_PAGES, Pagination

__all__ = ["DEFAULT_MAX_PAGES", "Pagination"]
