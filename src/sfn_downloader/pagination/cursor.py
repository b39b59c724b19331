"""Cursor pagination (``Pagination.cursor``)::

DownloadFirstPage → PersistPage → HasNext? ─ no / page cap ─→ Done
                      ▲                 └ yes → NextPage (page + 1) → DownloadNextPage ┐
                      └───────────────────────────────────────────────────────────────┘
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._contract import CURRENT_PATH, PAGE_PATH, RESPONSE_FIELD, SCHEDULED_TIME_PATH
from .._parts import RunParts
from .._states import selected, sort_key
from ..errors import Problem
from ._base import Pagination
from ._loop import answer_path_problems, jsonata_path, set_param, string


class CursorPagination(Pagination):
    """Follow the cursor each answer holds at ``next_path``."""

    kind = "cursor"

    def __init__(self, *, next_path: str, param: str, max_pages: int) -> None:
        super().__init__(param=param, max_pages=max_pages)
        self.next_path = next_path
        """JSONPath of the next cursor in the raw response."""

    def _check(self) -> Iterator[Problem]:
        if not isinstance(self.next_path, str) or not self.next_path.startswith("$."):
            yield Problem(
                "pagination.next_path",
                self.next_path,
                "is not a JSONPath into the raw response.",
                "pass e.g. next_path='$.ResponseBody.next_cursor'.",
            )

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
        """In a fan-out: follow the cursor until it is missing or null."""
        del parts
        return f"""(
      {set_param()}
      $cursor := {jsonata_path(self.next_path)};
      $exists($cursor) and $cursor != null
        ? {{"next": $setParam($url, {string(self.param or "")}, $string($cursor))}} : {{}}
    )"""

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """A Choice loop: download, store, follow the cursor."""
        request, downloads, persists = parts.request, parts.downloads, parts.persists
        next_field = f"{CURRENT_PATH}.next"
        selector = {
            **selected(parts.result_selector),
            "next": sfn.JsonPath.string_at(self.next_path),
        }
        reactions = parts.on_status
        done = sfn.Succeed(scope, "Done")
        first = downloads.task(
            scope, "DownloadFirstPage", path=request.path, query=request.query or None,
            result_selector=reactions.selector(selector), result_path=CURRENT_PATH,
        )  # fmt: skip
        number_first = sfn.Pass(
            scope, "FirstPage", result=sfn.Result.from_number(1), result_path=PAGE_PATH
        )
        following = downloads.task(
            scope, "DownloadNextPage", path=request.path, query=request.query or None,
            page_param=self.param, page_value=sfn.JsonPath.string_at(next_field),
            result_selector=reactions.selector(selector), result_path=CURRENT_PATH,
        )  # fmt: skip
        persist = persists.task(
            scope, "PersistPage", sort_key=sort_key(SCHEDULED_TIME_PATH, PAGE_PATH),
            result_under=f"{CURRENT_PATH}.{RESPONSE_FIELD}",
        )  # fmt: skip
        next_page = sfn.Pass(
            scope,
            "NextPage",
            parameters={
                "page": sfn.JsonPath.math_add(sfn.JsonPath.number_at(PAGE_PATH), 1),
                "current": {"next": sfn.JsonPath.string_at(next_field)},
            },
        )
        # With on_status, an action ends the pages (Done); without, these are the tasks.
        first_page, next_one = (
            reactions.guard(
                scope, name, task, result_selector=selector, result_path=CURRENT_PATH, skip=done
            )
            for name, task in (("DownloadFirstPage", first), ("DownloadNextPage", following))
        )
        has_next = (
            sfn.Choice(scope, "HasNextPage")
            .when(
                sfn.Condition.or_(
                    sfn.Condition.is_not_present(next_field),
                    sfn.Condition.is_null(next_field),
                    sfn.Condition.number_greater_than_equals(PAGE_PATH, self.max_pages),
                ),
                done,
            )
            .otherwise(next_page.next(next_one).next(persist))
        )
        return first_page.next(number_first).next(persist).next(has_next)
