"""Offset pagination (``Pagination.offset``): ``?offset=0&limit=100``, ``?offset=100&...``.

The page loop (``_loop.py``) asks for ``limit`` items at a time; the pages end with one holding
fewer (or none), or, with ``total_path``, once the offset reaches the total.
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._contract import ITEMS_NOT_FOUND_ERROR, TOTAL_NOT_FOUND_ERROR
from .._parts import CheckContext, RunParts
from ..errors import Problem
from ._base import Pagination, register
from ._loop import answer_path_problems, build_loop, jsonata_path, set_param, string

MAX_LIMIT = 10_000


@register
class OffsetPagination(Pagination):
    """``param`` = 0, ``limit``, 2·``limit``, ... with ``limit_param`` = ``limit``."""

    kind = "offset"

    def __init__(
        self,
        *,
        param: str,
        limit_param: str,
        limit: int,
        items_path: str,
        total_path: str | None,
        max_pages: int,
    ) -> None:
        super().__init__(param=param, max_pages=max_pages)
        self.limit_param = limit_param
        """The query parameter that carries the page size."""
        self.limit = limit
        """Items a page."""
        self.items_path = items_path
        """JSONPath of the page's items in the raw answer."""
        self.total_path = total_path
        """JSONPath of the total number of items in the raw answer (``None``: not given)."""

    def _query_params(self) -> list[tuple[object, str]]:
        return [*super()._query_params(), (self.limit_param, "limit_param")]

    def _check(self, context: CheckContext) -> Iterator[Problem]:
        del context  # the settings of this kind depend on nothing else
        if self.limit_param == self.param:
            yield Problem(
                "pagination.limit_param", self.limit_param, "is the same parameter as param.",
                "pass e.g. param='offset', limit_param='limit'.",
            )  # fmt: skip
        if (
            not isinstance(self.limit, int)
            or isinstance(self.limit, bool)
            or not 1 <= self.limit <= MAX_LIMIT
        ):
            yield Problem(
                "pagination.limit", self.limit, f"is not an integer from 1 to {MAX_LIMIT:,}.",
                "pass e.g. limit=100.",
            )  # fmt: skip
        yield from answer_path_problems(
            "pagination.items_path", self.items_path, "$.ResponseBody.results"
        )
        if self.total_path is not None:
            yield from answer_path_problems(
                "pagination.total_path", self.total_path, "$.ResponseBody.count"
            )

    def first_query(self) -> dict[str, list[str]]:
        """The first page: offset 0."""
        return {str(self.param): ["0"], self.limit_param: [str(self.limit)]}

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The page loop, ``limit`` items a page."""
        return build_loop(
            scope, parts, step=self._step(parts), max_pages=self.max_pages,
            first_query=self.first_query(),
        )  # fmt: skip

    def _step(self, parts: RunParts) -> str:
        del parts
        items = jsonata_path(self.items_path)
        missing = _error(ITEMS_NOT_FOUND_ERROR, f"items_path {self.items_path} is not a list")
        total_check = total_stop = ""
        if self.total_path is not None:
            total_check = (
                f"$not($type($total) = 'number' or ($type($total) = 'string' and "
                f"$contains($total, /^\\d+$/))) ? "
                f"{_error(TOTAL_NOT_FOUND_ERROR, f'total_path {self.total_path} is not a number')}"
                " : "
            )
            total_stop = " or $next >= $number($string($total))"
        return f"""(
      {set_param()}
      $items := {items};
      {f"$total := {jsonata_path(self.total_path)};" if self.total_path else ""}
      $next := $page * {self.limit};
      $not($type($items) = "array") ? {missing} :
      {total_check}$count($items) < {self.limit}{total_stop} ? {{}} :
      {{"next": $setParam($url, {string(str(self.param))}, $string($next))}}
    )"""


def _error(name: str, what: str) -> str:
    """A JSONata ``{"error": ...}`` naming the page."""
    return (
        f'{{"error": {{"name": {string(name)}, '
        f'"cause": "Page " & $page & " (" & $url & "): {what} in the answer."}}}}'
    )
