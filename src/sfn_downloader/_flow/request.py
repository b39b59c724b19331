"""The request as configured: the headers a request carries, and GraphQL's errors check.

A body says what it is (``Content-Type: application/json``) unless the user's headers do; a
GraphQL downloader's answers are checked for ``errors`` before anything stores them, on the
shapes that look at each answer first.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .._checks import strings_in
from .._contract import GRAPHQL_ERRORS_PATH
from .._parts import RunShape
from .._request import is_graphql
from ..errors import Problem
from .values import unwrapped


def sent_headers(headers: Mapping[str, str] | None, body: object) -> Mapping[str, str] | None:
    """The user's headers; a JSON body says what it is (``Content-Type``), unless they do."""
    sent: Mapping[str, str] | None = unwrapped(headers)
    if body is None or any(str(n).lower() == "content-type" for n in sent or {}):
        return sent
    return {**(sent or {}), "Content-Type": "application/json"}


def answer_errors(body: object, result_selector: Mapping[str, Any] | None) -> str | None:
    """A GraphQL downloader's answers are checked for ``errors`` before they are stored, unless
    its ``result_selector`` selects them itself (then they are data)."""
    if not is_graphql(body):
        return None
    selects_errors = any(
        value == GRAPHQL_ERRORS_PATH or value.startswith((f"{GRAPHQL_ERRORS_PATH}.",
                                                          f"{GRAPHQL_ERRORS_PATH}["))
        for value in strings_in(result_selector or {})
    )  # fmt: skip
    return None if selects_errors else GRAPHQL_ERRORS_PATH


def check_graphql(
    body: object, result_selector: Mapping[str, Any] | None, shape: RunShape
) -> Iterator[Problem]:
    """GraphQL answers errors with HTTP 200: a shape that stores each answer as it comes
    cannot keep them out of the table."""
    if answer_errors(body, result_selector) is None or shape.checks_answers:
        return
    yield Problem(
        "body", "{'query': ...}",
        "is a GraphQL request, whose answers may hold `errors` with HTTP 200; this run's "
        "shape (fan-out, or a paginator other than Pagination.cursor) stores each answer as "
        "it comes, before any check, so an error answer would be stored as data.",
        "use one request or Pagination.cursor(next_path=..., body_path=..., has_more_path=...), "
        "or select the errors yourself (result_selector={'errors.$': '$.ResponseBody.errors', "
        "...}) to store them as data.",
    )  # fmt: skip
