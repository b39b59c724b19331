"""Cursor pagination (``Pagination.cursor``): the page loop (``_loop.py``), the cursor read
from each raw answer by ``NextRequest`` (JSONata) before anything is selected from it, and
sent as the query parameter ``param`` or written into the body (``body_path``, GraphQL's
``$.variables.after``). ``has_more_path`` ends the pages when it reads ``false``; a page that
says there is more but gives no cursor is stored, then the run fails
(``Downloader.CursorMissing``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import RAW_ANSWER_ROOTS, headers_read, in_raw_answer
from .._contract import CURSOR_MISSING_ERROR, REQUEST_FIELD
from .._parts import CheckContext, RunParts
from .._request import body_pointer
from ..errors import Problem
from ._base import Pagination, register
from ._loop import answer_path_problems, build_loop, jsonata_path, set_param, string

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
        elif not in_raw_answer(path):
            yield Problem(
                "pagination.next_path",
                path,
                "is outside the raw answer, which holds only ResponseBody, Headers, StatusCode "
                "and StatusText: no page would ever have a cursor there.",
                "start it with $.ResponseBody (e.g. '$.ResponseBody.next_cursor') or $.Headers "
                "(e.g. \"$.Headers['X-Next-Cursor'][0]\").",
            )
        yield from self._check_body_and_more(context)

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
        """The page loop reads ``next_path`` (and ``has_more_path``) as JSONata: plain paths."""
        yield from super().check_query(prop, path, query)
        yield from answer_path_problems(
            "pagination.next_path", self.next_path, "$.ResponseBody.next_cursor"
        )
        if self.has_more_path is not None:
            yield from answer_path_problems(
                "pagination.has_more_path", self.has_more_path, "$.ResponseBody.has_more"
            )

    def _step(self, parts: RunParts) -> str:
        """Follow the cursor until it is missing, null or empty (or ``has_more_path`` false)."""
        del parts
        given = '$exists($cursor) and $cursor != null and $cursor != ""'
        pointer = body_pointer(self.body_path) if self.body_path is not None else None
        follow = (
            f'{{"next": $url, "body": {_with_member(f"$in.{REQUEST_FIELD}.body", pointer)}}}'
            if pointer is not None
            else f'{{"next": $setParam($url, {string(self.param or "")}, $string($cursor))}}'
        )
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
        """The page loop, following each answer's cursor (in the query, or in the body)."""
        return build_loop(
            scope, parts, step=self._step(parts), max_pages=self.max_pages,
            body_in_state=self.body_path is not None,
        )  # fmt: skip


def _with_member(value: str, pointer: tuple[str, ...]) -> str:
    """JSONata: ``value`` (an object) with the member at ``pointer`` set to ``$cursor``, the
    objects on the way kept (``("variables", "after")`` → ``$merge([b, {"variables":
    $merge([b.variables, {"after": $cursor}])}])``)."""
    name, rest = pointer[0], pointer[1:]
    inner = f"{value}.`{name}`"
    member = _with_member(inner, rest) if rest else "$cursor"
    return f"$merge([{value}, {{{string(name)}: {member}}}])"
