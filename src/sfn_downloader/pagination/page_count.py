"""Page count pagination (``Pagination.page_count``, EVE's ``X-Pages``)::

DownloadFirstPage → [SelectFirstPage] → PersistFirstPage → CountPages (a JSONata Choice: no
    count → PageCountNotFound) → FetchPages (Map over pages 2..N, at most max_pages, none for
    one page: DownloadPage → [SelectPage] → PersistPage) → AnyFailed → MarkDelivered → Done

The downloads are checked (JSONata, a compressed answer refused in their ``Assign``); a
selection only a ResultSelector makes is applied by the JSONPath ``Select...`` Pass.

Each delivery's pages are ``<scheduled time>#<execution name>#<page>``; ``MarkDelivered``
says the delivery stored them all.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import HTTP_TOKEN, check_run_length
from .._contract import (
    ARRAY_RANGE_MAX_ITEMS,
    EXECUTION_NAME_PATH,
    FIRST_PATH,
    KEY_SEPARATOR,
    MAP_ITERATION_EVENTS,
    MAP_RUN_PATH,
    MAP_SCHEDULED_TIME_PATH,
    PAGE_COUNT_NOT_FOUND_ERROR,
    PAGE_PATH,
    PAGES_PATH,
    PAGING_ERROR_PATH,
    PAGING_FAILURE_VARIABLE,
    RESPONSE_FIELD,
    RESPONSE_PATH,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
    SELECTED_FIELD,
    TASK_EVENTS,
)
from .._parts import CheckContext, Request, RunParts, StoredAnswer
from .._request import HttpRequest
from .._states import (
    SUCCEEDED,
    CheckedStored,
    catch_into,
    checked_download,
    checked_in_map,
    compressed_check,
    record_failure,
    selected,
    sort_key,
    stored_in_map,
    succeed_after,
)
from ..errors import Problem
from ._base import Pagination, register
from ._loop import build_loop, header_lookup, set_param, string

MAX_PAGES = ARRAY_RANGE_MAX_ITEMS + 1
"""Page 1, then pages 2..N from one ``States.ArrayRange``: 1,001 at most."""
PAGE_EVENTS = MAP_ITERATION_EVENTS + 2 * TASK_EVENTS
"""A page's history events in the inline Map: its iteration 2, DownloadPage 5, PersistPage 5."""


@register
class PageCountPagination(Pagination):
    """Pages ``1..N``, ``N`` announced by the first answer's ``header``."""

    kind = "page_count"

    def __init__(self, *, header: str, param: str, max_pages: int) -> None:
        super().__init__(param=param, max_pages=max_pages)
        self.header = header
        """The response header announcing the number of pages."""

    @property
    def uses_map(self) -> bool:
        """Pages 2..N are fetched in a Map."""
        return True

    def _check(self, context: CheckContext) -> Iterator[Problem]:
        if not isinstance(self.header, str) or not HTTP_TOKEN.match(self.header):
            yield Problem(
                "pagination.header", self.header, "is not a header name.",
                "pass e.g. header='X-Pages'.",
            )  # fmt: skip
        pages = self.valid_max_pages
        if pages is None:
            return
        if pages > MAX_PAGES:
            yield Problem(
                "pagination.max_pages",
                pages,
                f"is over {MAX_PAGES:,}: pages 2..N are listed with States.ArrayRange(2, N, 1), "
                f"which produces at most {ARRAY_RANGE_MAX_ITEMS:,} items (Step Functions "
                'developer guide, "Intrinsic functions"), so a run announcing more pages would '
                "fail after storing page 1.",
                f"use max_pages={MAX_PAGES:,} or less (pages past it are not fetched), or "
                "Pagination.cursor if the API also pages by cursor.",
            )
            return

    def check_run_length(
        self, context: CheckContext, *, paths: int = 1, bound: str = ""
    ) -> Iterator[Problem]:
        """The first page, then pages 2..N ``concurrency`` at a time in a Map (of each path
        with a fan-out, one path after another within its iteration)."""
        pages = self.valid_max_pages
        in_flight = context.concurrency.max_concurrency
        if pages is None or pages > MAX_PAGES:
            return  # _check reports it
        if not isinstance(in_flight, int) or isinstance(in_flight, bool) or in_flight < 1:
            return  # the concurrency's own check reports it
        if paths > 1:
            yield from super().check_run_length(context, paths=paths, bound=bound)
            return
        others = pages - 1
        rounds = 1 + -(-others // in_flight)
        yield from check_run_length(
            "pagination.max_pages", pages, requests=others, noun="pages after the first",
            events_each=PAGE_EVENTS, records_events=context.records_events,
            history_counted=context.run_workflow_type == sfn.StateMachineType.STANDARD
            and not context.concurrency.is_distributed,
            rounds=rounds,
            sequence=f"the first page, then {others:,} more, {in_flight} at a time "
            f"({rounds - 1:,} rounds one after another)",
            timeout_seconds=context.timeout_seconds,
            history_fix="use max_pages={most} or less, or concurrency=Concurrency.distributed(n) "
            "(each page its own child execution).",
            time_fix="use a higher concurrency, fewer pages or a longer timeout (Standard runs up "
            "to a year; Express at most 5 minutes).",
        )  # fmt: skip

    def _headers_read(self) -> tuple[str, ...]:
        return (self.header,) if isinstance(self.header, str) else ()

    def first_query(self) -> dict[str, list[str]]:
        """The first page: 1."""
        return {str(self.param): ["1"]}

    def _missing(self) -> str:
        """JSONata: the paging error of a first answer without a count (``$url`` its request)."""
        return (
            f'{{"error": {{"name": {string(PAGE_COUNT_NOT_FOUND_ERROR)}, "cause": "The first '
            f'answer of " & $url & " has no {self.header} header with a number of pages."}}}}'
        )

    def _count(self, parts: RunParts, headers: str | None = None) -> str:
        """``CountPages`` (one path): ``{"pages": N}`` from the first answer's header, named
        in any letter case, or ``{"pagingError": ...}`` (``Downloader.PageCountNotFound``, as
        in a fan-out): the first page is stored either way. ``headers``: where the first
        answer's headers are (JSONata; default: kept by its JSONPath download's selector)."""
        url = string(parts.request.given or parts.request.path)
        headers = headers or f"$states.input.{FIRST_PATH[2:]}.headers"
        return rf"""(
      $raw := {{"Headers": {headers}}};
      $url := {url};
      {header_lookup()}
      $announced := $header({string(self.header)});
      $contains($string($announced), /^\s*\d+\s*$/)
        ? {{"pages": $number($trim($announced))}}
        : {{"{PAGING_ERROR_PATH[2:]}": {self._missing()}.error}}
    )"""

    def _step(self, parts: RunParts) -> str:
        """In a fan-out: each path's pages one after another (the fan-out's Map runs the paths
        at once), up to the count its first answer announces."""
        del parts
        missing = self._missing()
        return f"""(
      {set_param()}
      {header_lookup()}
      $announced := $header({string(self.header)});
      $pages := $exists($paging.pages) ? $paging.pages
        : $contains($string($announced), /^\\s*\\d+\\s*$/) ? $number($trim($announced));
      $not($exists($pages)) ? {missing} :
      $page < $pages
        ? {{"next": $setParam($url, {string(str(self.param))}, $string($page + 1)), "paging": {{"pages": $pages}}}}
        : {{}}
    )"""  # noqa: E501

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Every page is a request of the one path (granted here: fetched one after another,
        the pages' download reads it from the state)."""
        return (request.path,)

    @property
    def checks_answers(self) -> bool:
        """Pages 2..N are stored by a Map as they come: no page is checked first."""
        return False

    @staticmethod
    def _first_key(parts: RunParts) -> str:
        """The first page's sort key: ``<scheduled time>[#<execution name>]#1``."""
        if parts.per_delivery:
            return sfn.JsonPath.format(
                "{}" + KEY_SEPARATOR + "{}" + KEY_SEPARATOR + "1",
                sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
                sfn.JsonPath.string_at(EXECUTION_NAME_PATH),
            )
        return sfn.JsonPath.format(
            "{}" + KEY_SEPARATOR + "1", sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
        )

    @staticmethod
    def _first_stored(scope: Construct, parts: RunParts) -> sfn.Chain:
        """``PersistFirstPage`` [→ ``ArchiveFirstPage``]; with ``records``, then (or instead,
        ``keep_answers=False``) the first page's records (states named ``FirstPage...``: the
        Map's pages have their own). A bad record there fails the run, as on one path."""
        under = f"{FIRST_PATH}.{RESPONSE_FIELD}"
        records = parts.records
        written = (
            records.states(scope, under=under, prefix="FirstPage") if records is not None else None
        )
        if written is not None and records is not None and not records.keeps_answers:
            return written
        key = PageCountPagination._first_key(parts)
        persist = parts.persists.task(scope, "PersistFirstPage", sort_key=key, result_under=under)
        chain = sfn.Chain.start(persist)
        if parts.each_stored is not None:  # the archive: ArchiveFirstPage
            for state in parts.each_stored(
                scope, StoredAnswer(under=under, sort_key=key, name="FirstPage")
            ):
                chain = chain.next(state)
        return chain.next(written) if written is not None else chain

    @staticmethod
    def _selects_first(parts: RunParts) -> bool:
        """True when the selection is one no plain path of the raw answer reads (a constant or
        an intrinsic in the ``result_selector``, an item attribute reading the whole
        selection, records whose ``items`` the selector makes): the checked download is then
        followed by a JSONPath Pass applying the selector (``SelectFirstPage``,
        ``SelectPage``: every digit kept), and what stores the page reads the selection, as
        the page loop's ``SelectPage`` does. One state more a page."""
        selector, records = parts.result_selector, parts.records
        return selector is not None and not (
            parts.persists.reads_through(selector)
            and (records is None or records.raw_items(selector) is not None)
        )

    @staticmethod
    def _checkable(parts: RunParts) -> bool:
        """True when every page goes through the checked download (``checked_in_map``, and
        its like for the first page): Persist and the records read the raw answer through
        the selector, or (``_selects_first``) the selection a JSONPath Pass applies first.
        Else the JSONPath downloads: an item attribute or the records' ``items`` that no
        plain path of the selection reads (a filter)."""
        records = parts.records
        through = None if PageCountPagination._selects_first(parts) else parts.result_selector
        return parts.persists.reads_through(through) and (
            records is None or records.raw_items(through) is not None
        )

    @staticmethod
    def _first_checked(scope: Construct, parts: RunParts) -> sfn.Chain:
        """After the checked first page (the state its raw answer, whose ``Headers``
        CountPages reads): with a selection only a selector makes (``_selects_first``),
        ``SelectFirstPage`` first; ``PersistFirstPage`` (through the selector, or of the
        selection; unless ``keep_answers=False``), then with an archive ``SelectFirstPage``
        if not applied yet and ``ArchiveFirstPage``, then the first page's records
        (``FirstPage...``: a bad record fails the run). ``SelectFirstPage`` is a JSONPath Pass
        keeping the selection beside the headers (every digit kept); each state passes its
        input on."""
        selector, records = parts.result_selector, parts.records
        key = PageCountPagination._first_key(parts)
        keeps = records is None or records.keeps_answers
        states: list[sfn.IChainable] = []
        under, through = "$", selector

        def select() -> None:
            nonlocal under, through
            assert selector is not None
            states.append(
                sfn.Pass(
                    scope, "SelectFirstPage",
                    parameters={"Headers.$": "$.Headers", SELECTED_FIELD: dict(selector)},
                )
            )  # fmt: skip
            under, through = f"$.{SELECTED_FIELD}", None

        if PageCountPagination._selects_first(parts):
            select()
        if keeps:
            states.append(
                parts.persists.task(
                    scope, "PersistFirstPage", sort_key=key, through=through,
                    result_under=None if under == "$" else under,
                )
            )  # fmt: skip
        if parts.each_stored is not None and keeps:
            if through is not None:
                select()
            states.extend(
                parts.each_stored(scope, StoredAnswer(under=under, sort_key=key, name="FirstPage"))
            )
        if records is not None:
            states.append(records.states(scope, under=under, through=through, prefix="FirstPage"))
        chain = sfn.Chain.start(states[0])
        for state in states[1:]:
            chain = chain.next(state)
        return chain

    @staticmethod
    def one_after_another(parts: RunParts) -> bool:
        """True when the run's pages are fetched one after another instead of in a Map: with
        ``retry_after`` (each page waited on), an ``incremental`` mark (folded page by page in
        the run's variables, which a Map's iterations cannot hand back: AWS, "Passing data
        between states with variables", Variable scope) or a query computed each run (which
        each page's request carries with its page number), or the polite features' memory
        of each page (read before it is asked, remembering the request the loop went on with)."""
        return (
            parts.server_waits is not None or parts.page_fold is not None
            or parts.query_path is not None or parts.request_memos is not None
        )  # fmt: skip

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The first page, its count, then a Map over the others; or, when the run needs it
        (``one_after_another``), the page loop, up to the count the first answer announces."""
        if self.one_after_another(parts):
            return build_loop(
                scope, parts, step=self._step(parts), max_pages=self.max_pages,
                first_query=self.first_query(), paging=self._initial_paging(),
            )  # fmt: skip
        downloads, persists = parts.downloads, parts.persists
        reactions = parts.on_status
        first_selector = {
            **selected(parts.result_selector),
            # Every header: CountPages looks the count up by name in any letter case (a
            # JSONPath to one header fails the run with States.Runtime when it is missing).
            "headers": sfn.JsonPath.object_at("$.Headers"),
        }
        first_request = parts.first_request()
        first_page_request = first_request.with_query(
            {**(first_request.query or {}), str(self.param): ["1"]}
        )
        # The first page checked for free, as the others (``checked_in_map``): a JSONata
        # download whose output is the raw answer, read by PersistFirstPage through the
        # selector and by CountPages (its headers). With on_status, a status with an action is
        # caught into the run's end, and a 204 routed there by a Choice on the raw answer.
        checked = (
            None
            if not self._checkable(parts)
            else downloads.checked_task(
                scope, "DownloadFirstPage", first_page_request,
                assign=compressed_check(json.dumps(parts.request.given or parts.request.path)),
            )
        )  # fmt: skip
        if checked is not None:
            checked_download(scope, checked)
            first: sfn.TaskStateBase = checked
            persist_first: sfn.IChainable = self._first_checked(scope, parts)
        else:
            first = downloads.task(
                scope, "DownloadFirstPage", first_page_request,
                result_selector=reactions.selector(first_selector), result_path=FIRST_PATH,
            )  # fmt: skip
            persist_first = self._first_stored(scope, parts)
        headers = "$states.input.Headers" if checked is not None else None
        # Where the run ends well (one page, or the Map's pages): with post_process, one run
        # end for both (it marks the delivery itself); else the delivery marked complete first
        # (MarkDelivered), with several answers a run.
        run_end = parts.run_end(scope, 1) if parts.run_end is not None else None
        delivered = parts.delivered(scope) if run_end is None else []
        done = run_end or succeed_after(scope, delivered, "Done" if delivered else "OnePage")
        # With on_status, an action on the first answer ends the run (nothing stored).
        status = None
        if checked is not None:
            reactions.catch(checked, skip=done, outputs="{% $states.input %}")
            status = reactions.no_content(
                scope, "DownloadFirstPageStatus", status_path="$.StatusCode", skip=done
            )
        if status is not None:
            first.next(status.otherwise(persist_first))
            first_page = sfn.Chain.custom(
                first, sfn.Chain.start(persist_first).end_states, persist_first
            )
        else:
            first_page = (
                sfn.Chain.start(first) if checked is not None
                else reactions.guard(
                    scope, "DownloadFirstPage", first, result_selector=first_selector,
                    result_path=FIRST_PATH, skip=done,
                )
            ).next(persist_first)  # fmt: skip
        if self.max_pages == 1:
            return first_page.next(done)

        page_request = first_request.with_param(
            str(self.param), sfn.JsonPath.format("{}", sfn.JsonPath.string_at(PAGE_PATH))
        )

        described = json.dumps(parts.request.given or parts.request.path)
        checked_pages = (
            None
            if not self._checkable(parts)
            else checked_in_map(
                scope, downloads=downloads, persists=persists, request=page_request,
                result_selector=parts.result_selector, key_path=PAGE_PATH,
                sort_key=lambda item: self._page_key(parts, item),
                key='"page " & $string($states.input.page) & " of " & ' + described,
                names=("DownloadPage", "PersistPage", "RecordFailure"),
                stored=CheckedStored(
                    on_status=reactions, each_stored=parts.each_stored, records=parts.records,
                    name="Page", time_path=MAP_SCHEDULED_TIME_PATH,
                    select=self._selects_first(parts),
                ),
            )
        )  # fmt: skip
        iteration = (
            checked_pages if checked_pages is not None else self._page(scope, parts, page_request)
        )
        return self._pages(scope, parts, first_page, done, run_end, delivered, iteration,
                           headers)  # fmt: skip

    @staticmethod
    def _page_key(parts: RunParts, item: str = "$") -> str:
        """A page's sort key, ``<scheduled time>[#<execution name>]#<page>``, read from the Map
        item at ``item`` (the state, or the ``$mapItem`` variable)."""
        time, run, page = (
            item + path[1:] for path in (MAP_SCHEDULED_TIME_PATH, MAP_RUN_PATH, PAGE_PATH)
        )
        if not parts.per_delivery:
            return sort_key(time, page)
        return sfn.JsonPath.format(
            "{}" + KEY_SEPARATOR + "{}" + KEY_SEPARATOR + "{}",
            sfn.JsonPath.string_at(time), sfn.JsonPath.string_at(run),
            sfn.JsonPath.string_at(page),
        )  # fmt: skip

    def _page(self, scope: Construct, parts: RunParts, page_request: HttpRequest) -> sfn.Chain:
        """One page of the Map, its download kept under ``$.response`` (JSONPath)."""
        downloads, persists, reactions = parts.downloads, parts.persists, parts.on_status
        download = downloads.task(
            scope, "DownloadPage", page_request,
            result_selector=reactions.selector(parts.result_selector), result_path=RESPONSE_PATH,
        )  # fmt: skip
        failure = record_failure(scope, "RecordFailure", key_path=PAGE_PATH)
        persist = stored_in_map(
            scope, persists=persists, records=parts.records,
            sort_key=self._page_key(parts),
            under=RESPONSE_PATH,
            key_path=PAGE_PATH, failure=failure, time_path=MAP_SCHEDULED_TIME_PATH,
            persist_id="PersistPage", each_stored=parts.each_stored, name="Page",
        )  # fmt: skip
        page: sfn.Chain | sfn.TaskStateBase = download
        if reactions.any:  # pages are fetched at once: an action skips that page only
            page = reactions.guard(
                scope, "DownloadPage", download, result_selector=parts.result_selector,
                result_path=RESPONSE_PATH,
                skip=sfn.Pass(scope, "SkippedPage", result=sfn.Result.from_object(SUCCEEDED)),
            )  # fmt: skip
        catch_into(failure, download)
        return sfn.Chain.start(page).next(persist)

    def _pages(
        self, scope: Construct, parts: RunParts, first_page: sfn.Chain,
        done: sfn.State, run_end: sfn.State | None,
        delivered: list[sfn.IChainable], iteration: sfn.IChainable, headers: str | None,
    ) -> sfn.IChainable:  # fmt: skip
        """The first page stored (``first_page``, ending in its Persist), its count, then the
        Map of the other pages (``iteration`` each)."""
        persists = parts.persists
        # One JSONata Choice counts, routes and lists the pages (it was CountPages, MorePages,
        # [CapPages,] ListPages: two or three states less on a run of several pages, one more
        # on a run of one, whose Map has no item). Its one rule's branch (no count) reads only
        # what the rule assigns ("Choice workflow state": a rule's Assign applies when it
        # matches); the state's Output, pages 2..N (at most max_pages, [] for one page), is
        # read on the Default branch alone, and is defined on every branch (moto 5.2.5 applies
        # it on the Default branch only, AWS on each).
        counted = "(" + self._count(parts, headers) + ")"
        error = PAGING_ERROR_PATH[2:]
        count_pages = sfn.Choice.jsonata(
            scope, "CountPages",
            outputs="{% ($c := " + counted + "; {'" + PAGES_PATH[2:] + "': $c.pages > 1 ? "
            + "[2..$min([$c.pages, " + str(self.max_pages) + "])] : []}) %}",
        )  # fmt: skip
        not_found = sfn.Fail.jsonata(
            scope, "PageCountNotFound",
            error="{% $" + PAGING_FAILURE_VARIABLE + ".name %}",
            cause="{% $" + PAGING_FAILURE_VARIABLE + ".cause %}",
        )  # fmt: skip
        fetch_pages = parts.maps.build(
            scope,
            "FetchPages",
            items_path=PAGES_PATH,
            item_selector={
                "page": sfn.JsonPath.number_at("$$.Map.Item.Value"),
                SCHEDULED_TIME_KEY: sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
                **persists.map_item_fields(),
            },
            iteration=iteration,
            then=run_end,
            done=done if delivered else None,
        )
        count_pages.when(
            sfn.Condition.jsonata("{% $exists(" + counted + "." + error + ") %}"), not_found,
            assign={PAGING_FAILURE_VARIABLE: "{% " + counted + "." + error + " %}"},
        )  # fmt: skip
        count_pages.otherwise(fetch_pages)
        return first_page.next(count_pages)
