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
one module (a ``Pagination`` subclass marked ``@register``), its import below, and one static
factory on ``Pagination`` that names its ``kind`` (``_base.py`` imports no kind back).
"""

from __future__ import annotations

# The kinds register themselves with the factories (one line each: the registration).
from . import cursor as cursor
from . import link_header as link_header
from . import next_url as next_url
from . import offset as offset
from . import page_count as page_count
from . import page_number as page_number
from ._base import DEFAULT_MAX_PAGES, Pagination

__all__ = ["DEFAULT_MAX_PAGES", "Pagination"]
