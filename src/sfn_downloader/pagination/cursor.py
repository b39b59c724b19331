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
    CURSOR_MISSING_ERROR,
    FLOW_STATE_EVENTS,
    PAGE_PATH,
    RESPONSE_FIELD,
    SCHEDULED_TIME_PATH,
    TASK_EVENTS,
)
from .._parts import CheckContext, RunParts
from .._request import body_pointer
from .._states import answer_errors_check, selected, sort_key
from ..errors import Problem
from ._base import Pagination, register
from ._loop import answer_path_problems, jsonata_path, set_param, string

PAGE_EVENTS = 3 * FLOW_STATE_EVENTS + 2 * TASK_EVENTS
"""A page's history events: HasNextPage (Choice) 2, SelectPage (Pass) 2, PersistPage 5,
NextPage (Pass) 2, DownloadNextPage 5: 16."""

RAW_ANSWER_ROOTS = ("$.ResponseBody", "$.Headers")
"""Where a cursor can be: the answer's body, or its headers (values are lists)."""
_LINK_HEADER = re.compile(r"^\$\.Headers(\.Link\b|\[['\"]Link['\"]\])", re.IGNORECASE)


@register
class CursorPagination(Pagination):
    """Follow the cursor each answer holds at ``next_path``."""

    kind = "cursor"

    def __init__(
        self,
        *,
        next_path: str,
        param: str,
        max_pages: int,
        body_path: str | None = None,
        has_more_path: str | None = None,
    ) -> None:
        # With body_path the cursor goes into the body: no query parameter carries it.
        super().__init__(param=None if body_path is not None else param, max_pages=max_pages)
        self.next_path = next_path
        """JSONPath of the next cursor in the raw response."""
        self.body_path = body_path
        """Where the cursor goes in the body (``$.variables.after``), instead of the query."""
        self.has_more_path = has_more_path
        """JSONPath of a boolean in the raw response: more pages while it is ``true``."""

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
        yield from self._check_body_and_more(context)
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

    @property
    def checks_answers(self) -> bool:
        """One path's pages: each answer is looked at (``HasNextPage``) before it is stored."""
        return True

    def __repr__(self) -> str:
        # The GraphQL settings only when given: the cursor's repr stays as it was without them.
        shown = {k: v for k, v in vars(self).items()
                 if not (k in ("param", "body_path", "has_more_path") and v is None)}  # fmt: skip
        return f"Pagination.cursor({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    def _check_body_and_more(self, context: CheckContext) -> Iterator[Problem]:
        """``body_path`` names a member of the body; ``has_more_path`` reads the raw answer."""
        more = self.has_more_path
        if more is not None and not (
            isinstance(more, str)
            and any(more.startswith((f"{root}.", f"{root}[")) for root in RAW_ANSWER_ROOTS)
        ):
            yield Problem(
                "pagination.has_more_path", more,
                "is not a JSONPath into the raw answer (ResponseBody or Headers).",
                "pass e.g. has_more_path='$.ResponseBody.data.repository.issues.pageInfo."
                "hasNextPage'.",
            )  # fmt: skip
        if self.body_path is None:
            return
        if body_pointer(self.body_path) is None:
            yield Problem(
                "pagination.body_path", self.body_path,
                "is not a path of member names from the body's root.",
                "pass e.g. body_path='$.variables.after'.",
            )  # fmt: skip
        if context.body is None:
            yield Problem(
                "pagination.body_path", self.body_path,
                "writes the cursor into the body, but the downloader sends no body.",
                "pass method='POST' and body={...}, or drop body_path to send the cursor as "
                "the query parameter `param`.",
            )  # fmt: skip
        if context.uses_map:
            yield Problem(
                "pagination.body_path", self.body_path,
                "is not supported in a fan-out yet: each path's pages are requested from the "
                "request its Map item holds, which carries no body.",
                "use one downloader per path with body_path, or the query parameter `param`.",
            )  # fmt: skip

    def _headers_read(self) -> tuple[str, ...]:
        """A cursor (or the more flag) in a header (``$.Headers['X-Next-Cursor'][0]``)."""
        paths = [p for p in (self.next_path, self.has_more_path) if isinstance(p, str)]
        return headers_read(paths)

    def check_query(
        self, prop: str, path: str | None, query: Mapping[str, list[str]]
    ) -> Iterator[Problem]:
        """In a fan-out, the page loop reads ``next_path`` as JSONata: a plain path only."""
        yield from super().check_query(prop, path, query)
        if prop != "path":
            yield from answer_path_problems(
                "pagination.next_path", self.next_path, "$.ResponseBody.next_cursor"
            )
            if self.has_more_path is not None:
                yield from answer_path_problems(
                    "pagination.has_more_path", self.has_more_path, "$.ResponseBody.has_more"
                )

    def _step(self, parts: RunParts) -> str:
        """In a fan-out: follow the cursor until it is missing, null or empty."""
        del parts
        given = '$exists($cursor) and $cursor != null and $cursor != ""'
        follow = f'{{"next": $setParam($url, {string(self.param or "")}, $string($cursor))}}'
        if self.has_more_path is None:
            decide = f"{given} ? {follow} : {{}}"
        else:
            missing = (
                f'{{"error": {{"name": {string(CURSOR_MISSING_ERROR)}, "cause": "Page " & '
                f'$string($page) & " of " & $url & " says there are more pages but gives no '
                f'cursor at {self.next_path}."}}}}'
            )
            decide = (
                f"{jsonata_path(self.has_more_path)} = true ? ({given} ? {follow} : {missing})"
                " : {}"
            )
        return f"""(
      {set_param()}
      $cursor := {jsonata_path(self.next_path)};
      {decide}
    )"""

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """A Choice loop: download, look for the cursor, select, store, follow it."""
        downloads, persists = parts.downloads, parts.persists
        reactions = parts.on_status
        next_field = f"{CURRENT_PATH}.next"
        raw_next = CURRENT_PATH + self.next_path[1:]  # the cursor in the raw answer
        first_request = parts.first_request()
        first = downloads.task(scope, "DownloadFirstPage", first_request, result_path=CURRENT_PATH)
        number_first = sfn.Pass(
            scope, "FirstPage", result=sfn.Result.from_number(1), result_path=PAGE_PATH
        )
        cursor = sfn.JsonPath.string_at(next_field)
        pointer = body_pointer(self.body_path) if self.body_path is not None else None
        following = downloads.task(
            scope, "DownloadNextPage",
            first_request.with_body_value(pointer, cursor) if pointer is not None
            else first_request.with_param(str(self.param), cursor),
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
        # next_cursor), has_more_path false, or max_pages pages stored. The last page is stored
        # either way.
        cursor_given = [
            sfn.Condition.is_present(raw_next),
            sfn.Condition.not_(sfn.Condition.is_null(raw_next)),
            sfn.Condition.not_(sfn.Condition.string_equals(raw_next, "")),
        ]
        under_cap = sfn.Condition.number_less_than(PAGE_PATH, self.max_pages)
        has_next = sfn.Choice(scope, "HasNextPage")
        if parts.answer_errors is not None:  # checked before anything stores the page
            errors = answer_errors_check(
                scope, CURRENT_PATH, parts.answer_errors, page_path=PAGE_PATH
            )
            errors.otherwise(has_next)
            next_one.next(errors)
            check: sfn.State = errors
        else:
            next_one.next(has_next)
            check = has_next
        go_on = select.next(persist).next(next_page).next(next_one)
        if self.has_more_path is None:
            has_next.when(sfn.Condition.and_(*cursor_given, under_cap), go_on)
        else:
            raw_more = CURRENT_PATH + self.has_more_path[1:]
            more = [
                sfn.Condition.is_present(raw_more),
                sfn.Condition.boolean_equals(raw_more, True),
            ]
            has_next.when(sfn.Condition.and_(*more, *cursor_given, under_cap), go_on)
            has_next.when(sfn.Condition.and_(*more, under_cap), self._missing(scope, parts))
        has_next.otherwise(select_last.next(persist_last).next(done))
        return first_page.next(number_first).next(check)

    def _missing(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """A page that says there is more but gives no cursor: stored, then the run fails
        (asking for the first page again would loop)."""
        select = sfn.Pass(
            scope, "SelectPageWithoutCursor", input_path=CURRENT_PATH, result_path=CURRENT_PATH,
            parameters=selected(parts.result_selector),
        )  # fmt: skip
        persist = parts.persists.task(
            scope, "PersistPageWithoutCursor", sort_key=sort_key(SCHEDULED_TIME_PATH, PAGE_PATH),
            result_under=f"{CURRENT_PATH}.{RESPONSE_FIELD}",
        )  # fmt: skip
        failed = sfn.Fail(
            scope, "CursorMissing", error=CURSOR_MISSING_ERROR,
            cause_path=sfn.JsonPath.format(
                "Page {} says there are more pages (has_more_path) but gives no cursor "
                "(next_path): it was stored, and the run stops.",
                sfn.JsonPath.string_at(PAGE_PATH),
            ),
        )  # fmt: skip
        return select.next(persist).next(failed)
