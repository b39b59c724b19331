"""Cursor pagination (``Pagination.cursor``)::

DownloadFirstPage → FirstPage → HasNextPage? ─ a cursor, under the page cap → SelectPage
    ▲                                 └ none (missing, null, "") or the cap → SelectLastPage
    │  SelectPage → PersistPage → NextPage (page + 1) → DownloadNextPage ─┐    → PersistLastPage
    └─────────────────────────────────────────────────────────────────────┘    → Done

The cursor is looked up in the raw answer (``HasNextPage``) before anything is selected from
it: a ResultSelector or Parameters path that matches nothing fails the run
(``States.Runtime``), so an answer without the field could not be selected, and its page
would be lost. ``SelectPage``/``SelectLastPage`` then apply the ``result_selector`` to the raw
answer (their ``InputPath``), unchanged, intrinsics and all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import check_run_length, headers_read
from .._contract import (
    CURRENT_PATH,
    FLOW_STATE_EVENTS,
    PAGE_PATH,
    RESPONSE_FIELD,
    SCHEDULED_TIME_PATH,
    TASK_EVENTS,
)
from .._parts import CheckContext, RunParts
from .._states import selected, sort_key
from ..errors import Problem
from ._base import Pagination
from ._loop import answer_path_problems, jsonata_path, set_param, string

PAGE_EVENTS = 3 * FLOW_STATE_EVENTS + 2 * TASK_EVENTS
"""A page's history events: HasNextPage (Choice) 2, SelectPage (Pass) 2, PersistPage 5,
NextPage (Pass) 2, DownloadNextPage 5: 16."""

RAW_ANSWER_ROOTS = ("$.ResponseBody", "$.Headers")
"""Where a cursor can be: the answer's body, or its headers (values are lists)."""
_LINK_HEADER = re.compile(r"^\$\.Headers(\.Link\b|\[['\"]Link['\"]\])", re.IGNORECASE)


class CursorPagination(Pagination):
    """Follow the cursor each answer holds at ``next_path``."""

    kind = "cursor"

    def __init__(self, *, next_path: str, param: str, max_pages: int) -> None:
        super().__init__(param=param, max_pages=max_pages)
        self.next_path = next_path
        """JSONPath of the next cursor in the raw response."""

    def _check(self, context: CheckContext) -> Iterator[Problem]:
        path = self.next_path
        if not isinstance(path, str) or not path.startswith("$."):
            yield Problem(
                "pagination.next_path",
                path,
                "is not a JSONPath into the raw response.",
                "pass e.g. next_path='$.ResponseBody.next_cursor'.",
            )
        elif _LINK_HEADER.match(path):
            yield Problem(
                "pagination.next_path",
                path,
                "reads the Link header, which holds whole URLs with their rel names "
                "('<https://...?page=2>; rel=\"next\"'), not a cursor: it would be sent as the "
                "cursor and every page after the first would be wrong.",
                "use Pagination.link_header(), which follows the Link header's next URL.",
            )
        elif not any(path == root or path.startswith((f"{root}.", f"{root}[")) for root in
                     RAW_ANSWER_ROOTS):  # fmt: skip
            yield Problem(
                "pagination.next_path",
                path,
                "is outside the raw answer, which holds only ResponseBody, Headers, StatusCode "
                "and StatusText: no page would ever have a cursor there.",
                "start it with $.ResponseBody (e.g. '$.ResponseBody.next_cursor') or $.Headers "
                "(e.g. \"$.Headers['X-Next-Cursor'][0]\").",
            )
        pages = self.valid_max_pages
        if pages is None:
            return
        yield from check_run_length(
            "pagination.max_pages", pages, requests=pages, noun="pages",
            events_each=PAGE_EVENTS,
            history_counted=context.run_workflow_type == sfn.StateMachineType.STANDARD,
            rounds=pages, sequence=f"{pages:,} pages one after another",
            timeout_seconds=context.timeout_seconds,
            history_fix="use max_pages={most} or less, or workflow_type=StateMachineType.EXPRESS "
            "(no history limit, at most 5 minutes a run).",
            time_fix="use max_pages={most} or less, or a longer timeout (Standard runs up to a "
            "year; Express at most 5 minutes).",
        )  # fmt: skip

    def _headers_read(self) -> tuple[str, ...]:
        """A cursor in a header (``$.Headers['X-Next-Cursor'][0]``)."""
        return headers_read([self.next_path] if isinstance(self.next_path, str) else [])

    def check_query(
        self, prop: str, path: str | None, query: Mapping[str, list[str]]
    ) -> Iterator[Problem]:
        """In a fan-out, the page loop reads ``next_path`` as JSONata: a plain path only."""
        yield from super().check_query(prop, path, query)
        if prop != "path":
            yield from answer_path_problems(
                "pagination.next_path", self.next_path, "$.ResponseBody.next_cursor"
            )

    def _step(self, parts: RunParts) -> str:
        """In a fan-out: follow the cursor until it is missing, null or empty."""
        del parts
        return f"""(
      {set_param()}
      $cursor := {jsonata_path(self.next_path)};
      $exists($cursor) and $cursor != null and $cursor != ""
        ? {{"next": $setParam($url, {string(self.param or "")}, $string($cursor))}} : {{}}
    )"""

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """A Choice loop: download, look for the cursor, select, store, follow it."""
        request, downloads, persists = parts.request, parts.downloads, parts.persists
        reactions = parts.on_status
        next_field = f"{CURRENT_PATH}.next"
        raw_next = CURRENT_PATH + self.next_path[1:]  # the cursor in the raw answer
        first = downloads.task(
            scope, "DownloadFirstPage", path=request.path, query=request.query or None,
            result_path=CURRENT_PATH,
        )  # fmt: skip
        number_first = sfn.Pass(
            scope, "FirstPage", result=sfn.Result.from_number(1), result_path=PAGE_PATH
        )
        following = downloads.task(
            scope, "DownloadNextPage", path=request.path, query=request.query or None,
            page_param=self.param, page_value=sfn.JsonPath.string_at(next_field),
            result_path=CURRENT_PATH,
        )  # fmt: skip
        select = sfn.Pass(
            scope, "SelectPage", input_path=CURRENT_PATH, result_path=CURRENT_PATH,
            parameters={**selected(parts.result_selector),
                        "next": sfn.JsonPath.string_at(self.next_path)},
        )  # fmt: skip
        select_last = sfn.Pass(
            scope, "SelectLastPage", input_path=CURRENT_PATH, result_path=CURRENT_PATH,
            parameters=selected(parts.result_selector),
        )  # fmt: skip
        key = sort_key(SCHEDULED_TIME_PATH, PAGE_PATH)
        response = f"{CURRENT_PATH}.{RESPONSE_FIELD}"
        persist = persists.task(scope, "PersistPage", sort_key=key, result_under=response)
        persist_last = persists.task(scope, "PersistLastPage", sort_key=key, result_under=response)
        next_page = sfn.Pass(
            scope,
            "NextPage",
            parameters={
                "page": sfn.JsonPath.math_add(sfn.JsonPath.number_at(PAGE_PATH), 1),
                "current": {"next": sfn.JsonPath.string_at(next_field)},
            },
        )
        # With on_status, an action ends the pages (Done); without, these are the tasks.
        done = sfn.Succeed(scope, "Done")
        first_page, next_one = (
            reactions.guard(scope, name, task, result_selector=None, result_path=CURRENT_PATH,
                            skip=done)
            for name, task in (("DownloadFirstPage", first), ("DownloadNextPage", following))
        )  # fmt: skip
        # The loop ends the way APIs end it: the field missing, null or "" (Slack's
        # next_cursor), or max_pages pages stored. The last page is stored either way.
        has_next = (
            sfn.Choice(scope, "HasNextPage")
            .when(
                sfn.Condition.and_(
                    sfn.Condition.is_present(raw_next),
                    sfn.Condition.not_(sfn.Condition.is_null(raw_next)),
                    sfn.Condition.not_(sfn.Condition.string_equals(raw_next, "")),
                    sfn.Condition.number_less_than(PAGE_PATH, self.max_pages),
                ),
                select.next(persist).next(next_page).next(next_one),
            )
            .otherwise(select_last.next(persist_last).next(done))
        )
        next_one.next(has_next)
        return first_page.next(number_first).next(has_next)
