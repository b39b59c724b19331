"""Next-URL pagination (``Pagination.next_url``: Django REST framework, SWAPI, Spotify).

Each answer holds the next page's URL (``{"next": "https://api.example.com/items?page=3"}``);
the page loop (``_loop.py``) follows it until it is null, missing or empty.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._parts import ANY_PATH, CheckContext, Request, RunParts
from ..errors import Problem
from ._base import Pagination, register
from ._loop import answer_path_problems, build_loop, jsonata_path, resolve


@register
class NextUrlPagination(Pagination):
    """Follow the URL at ``path`` in each answer."""

    kind = "next_url"

    def __init__(
        self, *, path: str, max_pages: int, query_names: Sequence[str] | None = None
    ) -> None:
        super().__init__(param=None, max_pages=max_pages, query_names=query_names)
        self.path = path
        """JSONPath of the next page's URL in the raw answer."""

    @property
    def follows_links(self) -> bool:
        """The API chooses the next path."""
        return True

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Next URLs may point anywhere on the endpoint."""
        del request
        return (ANY_PATH,)

    def _check(self, context: CheckContext) -> Iterator[Problem]:
        del context  # the settings of this kind depend on nothing else
        yield from answer_path_problems("pagination.path", self.path, "$.ResponseBody.next")

    def _build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The page loop, following each answer's next URL."""
        return build_loop(
            scope, parts, step=self._step(parts), max_pages=self.max_pages,
            api_chooses_query=True,
        )  # fmt: skip

    def _step(self, parts: RunParts) -> str:
        return f"""(
      {resolve(parts.request.endpoint)}
      $next := {jsonata_path(self.path)};
      $type($next) = "string" and $next != "" ? $resolve($next) : {{}}
    )"""
