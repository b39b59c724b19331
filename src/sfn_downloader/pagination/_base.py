"""The pagination protocol: a ``Pagination`` is the run's shape when an endpoint pages.

Each kind is one module with one ``Pagination`` subclass that checks its own settings and
builds its states; ``Pagination``'s static factories are the registry. The flow only calls
``check`` and ``build``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import HTTP_TOKEN
from .._contract import DISTRIBUTED_MAP_MAX_CONCURRENCY
from .._defaults import MAX_PAGES
from .._parts import CheckContext, Exchange, Request, RunParts
from ..errors import Problem

DEFAULT_MAX_PAGES = MAX_PAGES
"""A run fetches at most this many pages unless ``max_pages`` says otherwise."""


class Pagination(ABC):
    """How to fetch every page of a paginated endpoint. Use the static methods to create one."""

    kind: str = ""
    """The static method that made it (``"page_count"``, ``"cursor"``)."""

    def __init__(self, *, param: str, max_pages: int) -> None:
        self.param = param
        """The query parameter that carries the page number (or the cursor)."""
        self.max_pages = max_pages
        """The most pages one run fetches (the first page included)."""

    @staticmethod
    def page_count(
        *, header: str = "X-Pages", param: str = "page", max_pages: int = DEFAULT_MAX_PAGES
    ) -> Pagination:
        """Pages ``1..N`` where the first answer's ``header`` says ``N`` (EVE's ``X-Pages``).

        The first page is requested with ``param=1``; pages ``2..min(N, max_pages)`` follow in a
        Map (the downloader's ``concurrency`` at a time). Pages past ``max_pages`` are not
        fetched. An answer without the header fails the run (``States.Runtime``).

        :param header: Default: ``"X-Pages"``.
        :param param: Default: ``"page"``.
        :param max_pages: At most 1,001: pages 2..N come from one ``States.ArrayRange``, which
            lists at most 1,000 items. The pages, ``concurrency`` at a time, must also fit the
            run's timeout (at 0.3 s a page at least). Default: 100.
        """
        from .page_count import PageCountPagination

        return PageCountPagination(header=header, param=param, max_pages=max_pages)

    @staticmethod
    def cursor(
        *, next_path: str, param: str = "cursor", max_pages: int = DEFAULT_MAX_PAGES
    ) -> Pagination:
        """Follow a cursor: each answer's ``next_path`` holds the value of ``param`` for the
        next request; the loop ends when it is missing, null or the empty string (Slack's last
        ``next_cursor``), or after ``max_pages`` pages. The last page is stored either way.

        ``next_path`` is a JSONPath into the raw response: it starts with ``$.ResponseBody``
        (``"$.ResponseBody.response_metadata.next_cursor"``) or ``$.Headers``
        (``"$.Headers['X-Next-Cursor'][0]"``). A ``Link`` header is refused: it holds URLs,
        not a cursor. Pages are fetched one after another.

        :param param: Default: ``"cursor"``.
        :param max_pages: Bounded by what a run can hold: on Standard, 16 history events a page
            (plus 3 a retry) within the 25,000 an execution keeps (1,313 pages); and the pages,
            one after another at 0.3 s at least, within the run's timeout (1,000 in Express's 5
            minutes). Default: 100.
        """
        from .cursor import CursorPagination

        return CursorPagination(next_path=next_path, param=param, max_pages=max_pages)

    @property
    def several_requests(self) -> bool:
        """Every page is its own item."""
        return True

    @property
    def uses_map(self) -> bool:
        """True when pages are fetched in a Map (so ``concurrency`` applies)."""
        return False

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """``max_pages`` and ``param``, then the kind's own settings."""
        if (
            not isinstance(self.max_pages, int)
            or isinstance(self.max_pages, bool)
            or not 1 <= self.max_pages <= DISTRIBUTED_MAP_MAX_CONCURRENCY
        ):
            yield Problem(
                "pagination.max_pages",
                self.max_pages,
                f"is not an integer from 1 to {DISTRIBUTED_MAP_MAX_CONCURRENCY:,}.",
                "pass e.g. max_pages=100.",
            )
        if not isinstance(self.param, str) or not HTTP_TOKEN.match(self.param):
            yield Problem(
                "pagination.param", self.param, "is not a query parameter name.",
                "pass e.g. param='page'.",
            )  # fmt: skip
        elif self.param in context.query:
            yield Problem(
                "pagination.param",
                self.param,
                f"is already in the path's query string ({context.path!r}).",
                "remove it from the path: pagination sets it for every page.",
            )
        yield from self._check(context)

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Every page is a request of the one literal path: the tasks grant it themselves."""
        del request
        return ()

    def describe(self, request: Request) -> str:
        """The paginated path."""
        return request.path

    @property
    def valid_max_pages(self) -> int | None:
        """``max_pages`` when it is a valid number (else ``check`` reports it)."""
        value = self.max_pages
        valid = isinstance(value, int) and not isinstance(value, bool)
        return value if valid and 1 <= value <= DISTRIBUTED_MAP_MAX_CONCURRENCY else None

    def exchange(self, request: Request) -> Exchange:
        """The path's query parameters and ``param``; the headers ``_headers_read`` names."""
        names = dict.fromkeys(
            [*request.query, *([self.param] if isinstance(self.param, str) else [])]
        )
        return Exchange(query_names=tuple(names), response_headers=self._headers_read())

    def _headers_read(self) -> tuple[str, ...]:
        """The response headers this kind reads (none unless it says so)."""
        return ()

    @abstractmethod
    def _check(self, context: CheckContext) -> Iterator[Problem]:
        """The kind's own settings, and whether a run of ``max_pages`` pages can finish."""

    @abstractmethod
    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The states that fetch and store every page."""

    def __repr__(self) -> str:
        return f"Pagination.{self.kind}({', '.join(f'{k}={v!r}' for k, v in vars(self).items())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))
