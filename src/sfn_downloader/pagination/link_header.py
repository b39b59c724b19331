"""``Link`` header pagination (``Pagination.link_header``, RFC 8288: GitHub, GitLab, Shopify).

Each answer's ``Link`` header lists URLs with their relations; the page loop (``_loop.py``)
follows the one whose ``rel`` is ``next``, until an answer has none::

    Link: <https://api.github.com/repositories/1/issues?page=2>; rel="next", <...>; rel="last"
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._parts import ANY_PATH, CheckContext, Request, RunParts
from ..errors import Problem
from ._base import Pagination, register
from ._loop import build_loop, header_lookup, resolve

_REL = re.compile(r"^[A-Za-z][A-Za-z0-9.\-]*$")
"""RFC 8288 registered relation types (compared case-insensitively)."""


@register
class LinkHeaderPagination(Pagination):
    """Follow ``Link: <url>; rel="next"``."""

    kind = "link_header"

    def __init__(
        self, *, rel: str, max_pages: int, query_names: Sequence[str] | None = None
    ) -> None:
        super().__init__(param=None, max_pages=max_pages, query_names=query_names)
        self.rel = rel
        """The link relation followed."""

    @property
    def follows_links(self) -> bool:
        """The API chooses the next path."""
        return True

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Next links may point anywhere on the endpoint."""
        del request
        return (ANY_PATH,)

    def _check(self, context: CheckContext) -> Iterator[Problem]:
        del context  # the settings of this kind depend on nothing else
        if not isinstance(self.rel, str) or not _REL.match(self.rel):
            yield Problem(
                "pagination.rel", self.rel,
                "is not a link relation type (letters, digits, '.' and '-', RFC 8288).",
                "pass e.g. rel='next'.",
            )  # fmt: skip

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The page loop, following each answer's next link."""
        return build_loop(
            scope, parts, step=self._step(parts), max_pages=self.max_pages,
            api_chooses_query=True,
        )  # fmt: skip

    def _step(self, parts: RunParts) -> str:
        rel = re.escape(self.rel.lower())
        # A link-value is <URI> then its parameters, up to the next '<'; rel="a b" may list
        # several relation types.
        return f"""(
      {resolve(parts.request.endpoint)}
      {header_lookup()}
      $links := $match($header("Link"), /<([^>]*)>([^<]*)/);
      $target := $links[$contains(groups[1], /;\\s*rel\\s*=\\s*(?:"(?:[^"]*\\s)?{rel}(?:\\s[^"]*)?"|{rel}(?=[\\s;,]|$))/i)][0].groups[0];
      $exists($target) ? $resolve($target) : {{}}
    )"""  # noqa: E501
