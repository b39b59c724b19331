"""Page-number pagination (``Pagination.page_number``): ``?page=1``, ``?page=2``, ...

The page loop (``_loop.py``) asks for the next number until a page holds no items (or, with
``page_size``, fewer than a full page).
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._contract import ITEMS_NOT_FOUND_ERROR
from .._parts import CheckContext, RunParts
from ..errors import Problem
from ._base import Pagination, register
from ._loop import answer_path_problems, build_loop, jsonata_path, set_param, string
from .offset import MAX_LIMIT, _error


@register
class PageNumberPagination(Pagination):
    """``param`` = ``start``, ``start`` + 1, ..."""

    kind = "page_number"

    def __init__(
        self, *, param: str, start: int, items_path: str, page_size: int | None, max_pages: int
    ) -> None:
        super().__init__(param=param, max_pages=max_pages)
        self.start = start
        """The first page's number."""
        self.items_path = items_path
        """JSONPath of the page's items in the raw answer."""
        self.page_size = page_size
        """The items of a full page (``None``: only an empty page ends the pages)."""

    def _check(self, context: CheckContext) -> Iterator[Problem]:
        del context  # the settings of this kind depend on nothing else
        if not isinstance(self.start, int) or isinstance(self.start, bool) or self.start < 0:
            yield Problem(
                "pagination.start", self.start, "is not an integer, 0 or more.",
                "pass e.g. start=1 (or start=0 for APIs that count from 0).",
            )  # fmt: skip
        size = self.page_size
        if size is not None and (
            not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_LIMIT
        ):
            yield Problem(
                "pagination.page_size", size, f"is not an integer from 1 to {MAX_LIMIT:,}.",
                "pass the page size the path asks for (e.g. page_size=100 with ?per_page=100), "
                "or omit it.",
            )  # fmt: skip
        yield from answer_path_problems("pagination.items_path", self.items_path, "$.ResponseBody")

    def first_query(self) -> dict[str, list[str]]:
        """The first page: ``start``."""
        return {str(self.param): [str(self.start)]}

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The page loop, one page number after another."""
        return build_loop(
            scope, parts, step=self._step(parts), max_pages=self.max_pages,
            first_query=self.first_query(),
        )  # fmt: skip

    def _step(self, parts: RunParts) -> str:
        del parts
        missing = _error(ITEMS_NOT_FOUND_ERROR, f"items_path {self.items_path} is not a list")
        short = f" or $count($items) < {self.page_size}" if self.page_size is not None else ""
        return f"""(
      {set_param()}
      $items := {jsonata_path(self.items_path)};
      $not($type($items) = "array") ? {missing} :
      $count($items) = 0{short} ? {{}} :
      {{"next": $setParam($url, {string(str(self.param))}, $string({self.start} + $page))}}
    )"""
