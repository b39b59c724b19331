"""The pagination protocol: a ``Pagination`` is the run's shape when an endpoint pages.

Each kind is one module with one ``Pagination`` subclass that checks its own settings and
builds its states; ``Pagination``'s static factories are the registry. The flow only calls
``check`` and ``build``; in a fan-out it hands ``build`` a frame (``parts.frame``) in which
each path's pages are fetched one after another (``_loop.py``), from the request its Map item
holds.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import QUERY_NAME, check_run_length
from .._contract import (
    DISTRIBUTED_MAP_MAX_CONCURRENCY,
    FLOW_STATE_EVENTS,
    LIST_ITEMS_NOT_FOUND_ERROR,
    PAGING_FIELD,
    TASK_EVENTS,
)
from .._defaults import MAX_PAGES, NEXT_LINK_QUERY_NAMES
from .._parts import CheckContext, Exchange, Request, RunParts
from ..errors import Problem

P = TypeVar("P", bound="Pagination")

DEFAULT_MAX_PAGES = MAX_PAGES
LOOP_PAGE_EVENTS = 3 * FLOW_STATE_EVENTS + 2 * TASK_EVENTS
"""A page's history events in the page loop: DownloadPage 5, NextRequest (Pass) 2, SelectPage or
ReadPage (Pass) 2, PersistPage 5, MorePages (Choice) 2: 16."""
"""A run fetches at most this many pages unless ``max_pages`` says otherwise."""


_KINDS: dict[str, Callable[..., Pagination]] = {}
"""The registry: each kind's class by its ``kind`` (``register`` fills it as the package's
``__init__`` imports each kind's module). The factories look kinds up here, so this module
imports none of them back."""


def register(kind: type[P]) -> type[P]:
    """Class decorator: ``kind`` is made by the factory named ``kind.kind``."""
    _KINDS[kind.kind] = kind
    return kind


def _made(kind: str, **settings: Any) -> Pagination:
    return _KINDS[kind](**settings)


class Pagination(ABC):
    """How to fetch every page of a paginated endpoint. Use the static methods to create one."""

    kind: str = ""
    """The static method that made it (``"page_count"``, ``"cursor"``, ``"link_header"``,
    ``"next_url"``, ``"offset"``, ``"page_number"``)."""

    def __init__(
        self, *, param: str | None, max_pages: int, query_names: Sequence[str] | None = None
    ) -> None:
        self.param = param
        """The query parameter that carries the page number, offset or cursor (``None`` when
        the API gives the next page's URL)."""
        self.max_pages = max_pages
        """The most pages one run fetches (the first page included)."""
        self.query_names: object = (
            tuple(query_names) if isinstance(query_names, list | tuple) else query_names
        )
        """Next links' query parameters declared for a non-proxy integration (``None``: the
        common ones, ``NEXT_LINK_QUERY_NAMES``)."""

    @staticmethod
    def page_count(
        *, header: str = "X-Pages", param: str = "page", max_pages: int = DEFAULT_MAX_PAGES
    ) -> Pagination:
        """Pages ``1..N`` where the first answer's ``header`` says ``N`` (EVE's ``X-Pages``).

        The first page is requested with ``param=1``; pages ``2..min(N, max_pages)`` follow in a
        Map (the downloader's ``concurrency`` at a time). Pages past ``max_pages`` are not
        fetched. A first answer without the header (looked up in any letter case), or whose
        value is not a number, is stored, then the run fails with
        ``Downloader.PageCountNotFound``, as each path does in a fan-out.

        :param header: Default: ``"X-Pages"``.
        :param param: Default: ``"page"``.
        :param max_pages: At most 1,001: pages 2..N come from one ``States.ArrayRange``, which
            lists at most 1,000 items. The pages, ``concurrency`` at a time, must also fit the
            run's timeout (at 0.3 s a page at least). Default: 100.
        """
        return _made("page_count", header=header, param=param, max_pages=max_pages)

    @staticmethod
    def cursor(
        *,
        next_path: str,
        param: str = "cursor",
        max_pages: int = DEFAULT_MAX_PAGES,
        body_path: str | None = None,
        has_more_path: str | None = None,
    ) -> Pagination:
        """Follow a cursor: each answer's ``next_path`` holds the value of ``param`` for the
        next request; the loop ends when it is missing, null or the empty string (Slack's last
        ``next_cursor``), or after ``max_pages`` pages. The last page is stored either way.

        ``next_path`` is a JSONPath into the raw response: it starts with ``$.ResponseBody``
        (``"$.ResponseBody.response_metadata.next_cursor"``) or ``$.Headers``
        (``"$.Headers['X-Next-Cursor'][0]"``). A ``Link`` header is refused: it holds URLs,
        not a cursor. Pages are fetched one after another.

        GraphQL (``body={"query": ..., "variables": {...}}`` with ``method="POST"``): the
        cursor goes into the body (``body_path="$.variables.after"``) and ``has_more_path``
        (``"$.ResponseBody.data.repository.issues.pageInfo.hasNextPage"``) ends the loop when it
        reads ``false`` (GraphQL's last ``endCursor`` is not null). The first request carries
        the body as declared.

        :param param: The query parameter carrying the cursor. Unused with ``body_path``.
            Default: ``"cursor"``.
        :param body_path: Where the cursor goes in the JSON body instead of the query: a path
            of member names from the body's root (``"$.variables.after"``); needs ``body``.
            Default: none, the cursor is the query parameter ``param``.
        :param has_more_path: A JSONPath into the raw answer holding a boolean: the loop goes
            on only while it is ``true``; a page that says there is more but gives no cursor
            is stored, then the run fails with ``Downloader.CursorMissing``.
            Default: none, the cursor alone decides.
        :param max_pages: Bounded by what a run can hold: on Standard, 16 history events a page
            (plus 3 a retry) within the 25,000 an execution keeps (1,313 pages); and the pages,
            one after another at 0.3 s at least, within the run's timeout (1,000 in Express's 5
            minutes). Default: 100.
        """
        return _made("cursor",
            next_path=next_path, param=param, max_pages=max_pages, body_path=body_path,
            has_more_path=has_more_path,
        )  # fmt: skip

    @staticmethod
    def link_header(
        *,
        rel: str = "next",
        max_pages: int = DEFAULT_MAX_PAGES,
        query_names: Sequence[str] | None = None,
    ) -> Pagination:
        """Follow the RFC 8288 ``Link`` response header (GitHub, GitLab, Shopify): the next
        request is the URL whose ``rel`` is ``rel``; no such link ends the run's pages.

        The URL must be on the endpoint's origin (scheme, host and port compared exactly): one
        elsewhere is not requested, and the run fails with ``Downloader.NextUrlOffOrigin``; one
        that cannot be made into a request (a control character, a malformed ``%``) with
        ``Downloader.NextUrlMalformed``, after its page is stored. Relative URLs resolve
        against the endpoint; the next request carries the query as the API wrote it. Pages
        are fetched one after another.

        :param rel: The link relation to follow. Default: ``"next"``.
        :param max_pages: Default: 100.
        :param query_names: The query parameters the API's next links may carry beyond
            ``path``'s own (GitHub: ``["page"]``). Used with ``trim`` or ``retry_after``
            through the API Gateway proxy, which then passes on only the names it maps (a
            non-proxy integration, "Set up data mappings for REST APIs"); a next link carrying
            another name is not requested, and the run fails with
            ``Downloader.UnmappedQueryName`` (naming it) after storing the page that held it.
            The HTTP Task and the plain proxy pass every name. Default: the names APIs commonly
            write into next links (``page``, ``per_page``, ``cursor``, ``after``,
            ``page_token``, ``since``, ...: ``NEXT_LINK_QUERY_NAMES`` in the docs).
        """
        return _made("link_header", rel=rel, max_pages=max_pages, query_names=query_names)

    @staticmethod
    def next_url(
        *,
        path: str = "$.ResponseBody.next",
        max_pages: int = DEFAULT_MAX_PAGES,
        query_names: Sequence[str] | None = None,
    ) -> Pagination:
        """Follow a next-page URL in each answer (Django REST framework, SWAPI, Spotify): the
        value at ``path`` (absolute, or relative to the endpoint); a null, missing or empty
        value ends the run's pages. Same-origin and query rules as ``link_header``.

        :param path: A JSONPath into the raw answer (names and indexes).
            Default: ``"$.ResponseBody.next"``.
        :param max_pages: Default: 100.
        :param query_names: As ``link_header``'s: the query parameters next URLs may carry
            (Django REST: ``["page"]``), used with ``trim`` or ``retry_after``. Default: the
            names APIs commonly write into next links, as for ``link_header``.
        """
        return _made("next_url", path=path, max_pages=max_pages, query_names=query_names)

    @staticmethod
    def offset(
        *,
        param: str = "offset",
        limit_param: str = "limit",
        limit: int = 100,
        items_path: str = "$.ResponseBody.results",
        total_path: str | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Pagination:
        """``param=0, limit, 2·limit, ...`` with ``limit_param=limit`` on every request; the
        pages end with one holding fewer than ``limit`` items at ``items_path`` (or none), or,
        with ``total_path``, once ``param`` reaches the total.

        An answer whose ``items_path`` is not a list (or whose ``total_path`` is not a number)
        is stored, then the run fails with ``Downloader.PageItemsNotFound``
        (``Downloader.PageTotalNotFound``).

        :param param: Default: ``"offset"``.
        :param limit_param: Default: ``"limit"``.
        :param limit: Items a page, 1 to 10,000. Default: 100.
        :param items_path: Default: ``"$.ResponseBody.results"``.
        :param total_path: Where the answer gives the total number of items, e.g.
            ``"$.ResponseBody.count"``. Default: none, a short page ends the pages.
        :param max_pages: Default: 100.
        """
        return _made("offset",
            param=param, limit_param=limit_param, limit=limit, items_path=items_path,
            total_path=total_path, max_pages=max_pages,
        )  # fmt: skip

    @staticmethod
    def page_number(
        *,
        param: str = "page",
        start: int = 1,
        items_path: str = "$.ResponseBody",
        page_size: int | None = None,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Pagination:
        """``param=start, start+1, ...``; the pages end with an empty one (no items at
        ``items_path``), or, with ``page_size``, one holding fewer items. An answer whose
        ``items_path`` is not a list is stored, then the run fails with
        ``Downloader.PageItemsNotFound``.

        :param param: Default: ``"page"``.
        :param start: The first page's number (0 or more). Default: 1.
        :param items_path: Default: ``"$.ResponseBody"`` (the answer is the list).
        :param page_size: The items of a full page (set it with a parameter of the path, e.g.
            ``?per_page=100``). Default: none, only an empty page ends the pages.
        :param max_pages: Default: 100.
        """
        return _made("page_number",
            param=param, start=start, items_path=items_path, page_size=page_size,
            max_pages=max_pages,
        )  # fmt: skip

    @property
    def several_requests(self) -> bool:
        """Every page is its own item."""
        return True

    @property
    def uses_map(self) -> bool:
        """True when pages are fetched in a Map (so ``concurrency`` applies)."""
        return False

    @property
    def checks_answers(self) -> bool:
        """True when each page is checked before it is stored (``answer_errors``): the page
        loop checks every page."""
        return True

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
        yield from self.check_query("path", context.path, context.query)
        yield from self._check_query_names()
        yield from self._check(context)
        yield from self.check_run_length(context)

    def check_run_length(
        self, context: CheckContext, *, paths: int = 1, bound: str = ""
    ) -> Iterator[Problem]:
        """``max_pages`` pages one after another (of each of ``paths`` paths, their Map running
        ``concurrency`` at a time) must fit the 25,000 history events of a Standard execution
        (a Distributed Map's children keep their own) and the run's timeout, at 0.3 s a page at
        least; the message gives the arithmetic.

        :param paths: How many paths' pages the run holds (a fan-out's). Default: 1.
        :param bound: What bounds ``paths``, for the fix (``FanOut.from_answer``'s
            ``max_items``). Default: nothing said.
        """
        pages = self.valid_max_pages
        in_flight = context.concurrency.max_concurrency
        if pages is None or not isinstance(in_flight, int) or isinstance(in_flight, bool):
            return
        if in_flight < 1:
            return  # the concurrency's own check reports it
        one = paths == 1
        rounds = pages * (1 if one else -(-paths // in_flight))
        every = f"{pages:,} pages" + ("" if one else f" of each of {paths:,} paths")
        yield from check_run_length(
            "pagination.max_pages", pages, requests=pages * paths,
            noun="pages" if one else "pages of all paths",
            events_each=LOOP_PAGE_EVENTS, records_events=context.records_events,
            history_counted=context.run_workflow_type == sfn.StateMachineType.STANDARD
            and (one or not context.concurrency.is_distributed),
            rounds=rounds,
            sequence=f"{every} one after another"
            + ("" if one else f", {in_flight} paths at a time ({rounds:,} rounds)"),
            timeout_seconds=context.timeout_seconds,
            history_fix=(
                "use max_pages={most} or less, or workflow_type=StateMachineType.EXPRESS (no "
                "history limit, at most 5 minutes a run)." if one else
                "keep max_pages x paths at {most} or less" + bound + ", or use "
                "concurrency=Concurrency.distributed(n) (each path its own child execution), or "
                "split the paths over several downloaders."
            ),
            time_fix=(
                "use max_pages={most} or less" if one else
                "keep max_pages x rounds of paths at {most} or less" + bound
                + ", use a higher concurrency"
            ) + ", or a longer timeout (Standard runs up to a year; Express at most 5 minutes).",
        )  # fmt: skip

    def _check_query_names(self) -> Iterator[Problem]:
        """``query_names`` (of the kinds whose next links the API writes): a list of names."""
        names = self.query_names
        if names is None:
            return
        if not isinstance(names, tuple) or not all(
            isinstance(name, str) and QUERY_NAME.match(name) for name in names
        ):
            yield Problem(
                "pagination.query_names", names,
                "is not a list of query parameter names (any text but white space, control "
                "characters, '&', '=', '#' and '%').",
                "pass e.g. query_names=['page'].",
            )  # fmt: skip

    def check_query(
        self, prop: str, path: str | None, query: Mapping[str, list[str]]
    ) -> Iterator[Problem]:
        """The parameters pagination sets must be names, and not already in ``path``."""
        for name, setting in self._query_params():
            if not isinstance(name, str) or not QUERY_NAME.match(name):
                yield Problem(
                    f"pagination.{setting}", name,
                    "is not a query parameter name (any text but white space, control "
                    "characters, '&', '=', '#' and '%': write it decoded).",
                    f"pass e.g. {setting}='page'.",
                )  # fmt: skip
            elif name in query:
                yield Problem(
                    f"pagination.{setting}",
                    name,
                    f"is already in the {prop}'s query string ({path!r}).",
                    "remove it from the path: pagination sets it for every page.",
                )

    def _query_params(self) -> list[tuple[object, str]]:
        """The query parameters this kind sets, with the setting that names each."""
        return [] if self.param is None else [(self.param, "param")]

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """The page loop's task takes the one path from the state: it is granted here."""
        return (request.path,)

    # --- in a fan-out (PerRequest), and the page loop ------------------------------------------

    @property
    def follows_links(self) -> bool:
        """True when the API chooses the next request's path (next-page URLs)."""
        return False

    def first_query(self) -> dict[str, list[str]]:
        """Query parameters the first request of each path carries."""
        return {}

    def item_fields(self) -> dict[str, Any]:
        """A fan-out's Map item starts at page 1, with the paginator's initial state."""
        paging = self._initial_paging()
        return {"page": 1, **({PAGING_FIELD: paging} if paging else {})}

    def _initial_paging(self) -> dict[str, Any]:
        """What the loop carries from page to page, at the first page."""
        return {}

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The states that fetch and store every page (of ``parts.request``, or, in a fan-out's
        iteration, of the request its Map item holds)."""
        if parts.frame.in_map:
            from ._loop import build_loop

            return build_loop(
                scope, parts, step=self._step(parts), max_pages=self.max_pages,
                first_query=self.first_query(), paging=self._initial_paging(),
                api_chooses_query=self.follows_links,
            )  # fmt: skip
        return self._build(scope, parts)

    def collect(
        self,
        scope: Construct,
        parts: RunParts,
        *,
        items: str,
        limit: int | None,
        then: sfn.IChainable,
    ) -> sfn.IChainable:
        """``FanOut.from_answer``'s list request: every page read, its ``items`` collected,
        nothing stored (pages one after another, whatever the kind); then ``then``."""
        from ._loop import build_collect, string

        not_a_list = (
            f'{{"error": {{"name": {string(LIST_ITEMS_NOT_FOUND_ERROR)}, "cause": "The list '
            f'answer of " & $url & " has no list of items where FanOut.from_answer reads '
            f'them."}}}}'
        )
        step = f'($not($type({items}) = "array") ? {not_a_list} : {self._step(parts)})'
        return build_collect(
            scope, parts, step=step, max_pages=self.max_pages, items=items, limit=limit,
            then=then, first_query=self.first_query(), paging=self._initial_paging(),
            api_chooses_query=self.follows_links,
        )  # fmt: skip

    @abstractmethod
    def _step(self, parts: RunParts) -> str:
        """The page loop's step, as JSONata (see ``_loop.build_loop``)."""

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
            [
                *request.query, *([self.param] if isinstance(self.param, str) else []),
                *self.next_query_names,
            ]
        )  # fmt: skip
        return Exchange(query_names=tuple(names), response_headers=self._headers_read())

    @property
    def next_query_names(self) -> tuple[str, ...]:
        """The names next links may carry (``query_names``, or the common ones); none for the
        kinds that set their own parameter."""
        if not self.follows_links:
            return ()
        names = self.query_names
        if names is None:
            return NEXT_LINK_QUERY_NAMES
        if isinstance(names, tuple) and all(isinstance(name, str) for name in names):
            return names
        return ()  # check reports it

    def _headers_read(self) -> tuple[str, ...]:
        """The response headers this kind reads (none unless it says so)."""
        return ()

    @abstractmethod
    def _check(self, context: CheckContext) -> Iterator[Problem]:
        """The kind's own settings, and whether a run of ``max_pages`` pages can finish."""

    @abstractmethod
    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The states that fetch and store every page of the run's one path."""

    def __repr__(self) -> str:
        shown = {
            k: v for k, v in vars(self).items()
            if not (k in ("param", "query_names") and v is None)
        }  # fmt: skip
        return f"Pagination.{self.kind}({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))
