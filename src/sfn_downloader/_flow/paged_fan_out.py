"""Fan-out with pagination: every page of every path, composed by the flow.

Neither feature imports the other: the fan-out lists the paths and runs its Map; for each
path the paginator builds its page loop (``pagination/_loop.py``) from the request the Map
item holds, in the fan-out's frame (``parts.frame``). Each page is stored as
``<scheduled time>#<path as given>#<page>``; a path whose request fails (after its retries)
is recorded as failed, the others go on, and the run then fails with
``Downloader.RequestsFailed`` listing the failed paths.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import parse_qs

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._parts import ANY_PATH, CheckContext, Exchange, Request, RunParts
from ..errors import Problem
from ..fanout import FanOut, _s3, checked_size
from ..fanout._targets import listed_form
from ..fanout.answer import MAX_ANSWER_ITEMS
from ..pagination import Pagination


class PagedFanOut:
    """The run's shape with both ``fan_out`` and ``pagination``."""

    several_requests = True
    uses_map = True
    checks_answers = False

    def __init__(self, fan_out: FanOut, pagination: Pagination) -> None:
        self.fan_out = fan_out
        self.pagination = pagination

    def check(self, path: str | None, *, from_s3: bool = False) -> Iterator[Problem]:
        """Each path's query against the parameters pagination sets; the request list (with
        each path's first-page URL) against the state data limit (read from S3: against what
        a batch holds, in ``check_run_length``)."""
        targets = self.fan_out.targets(path, [])
        for index, target in enumerate(targets):
            yield from self.pagination.check_query(f"fan_out[{index}]", target.key, target.query)
        if self.fan_out.answer is not None:
            each = self.fan_out.answer.each
            yield from self.pagination.check_query(
                "fan_out.each", each, parse_qs(each.partition("?")[2], keep_blank_values=True)
            )
        if not from_s3:
            yield from checked_size("fan_out", targets, self.pagination.first_query())

    def check_run_length(self, context: CheckContext) -> Iterator[Problem]:
        """Every page of every path must fit the run: the paginator's check over the paths
        (``from_answer``: as many as a run requests, ``max_items`` or 1,000); read from S3,
        every page of a batch's paths must fit its child execution (``_s3.check``)."""
        source = self.fan_out.answer
        concurrency = context.concurrency
        pages = self.pagination.valid_max_pages
        if source is None and concurrency.items_from_s3 and concurrency.is_distributed:
            targets = self.fan_out.targets(context.path, [])
            first = self.pagination.first_query()
            if targets and pages is not None:
                yield from _s3.check(
                    context, targets, [listed_form(t, first) for t in targets], pages=pages,
                    first=first,
                )  # fmt: skip
        bound = ""
        if source is not None:
            limit = source.max_items
            paths = limit if isinstance(limit, int) and limit >= 1 else MAX_ANSWER_ITEMS
            bound = f" (FanOut.from_answer's max_items bounds the paths: {paths:,} now)"
        else:
            paths = len(self.fan_out.targets(context.path, []))
        if paths:
            yield from self.pagination.check_run_length(context, paths=paths, bound=bound)

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """The fan-out's Map, each iteration the paginator's page loop of its path."""
        return self.fan_out.build(scope, replace(parts, per_request=self.pagination))

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """The fan-out's paths; any path of the endpoint when next links choose theirs."""
        if self.pagination.follows_links:
            return (ANY_PATH,)
        return self.fan_out.request_paths(request)

    def exchange(self, request: Request) -> Exchange:
        """The fan-out's query parameters and the paginator's, and the headers it reads."""
        own, pages = self.fan_out.exchange(request), self.pagination.exchange(request)
        return Exchange(
            query_names=tuple(dict.fromkeys([*own.query_names, *pages.query_names])),
            response_headers=pages.response_headers,
        )

    def describe(self, request: Request) -> str:
        """The fan-out's paths, every page."""
        return f"{self.fan_out.describe(request)}, every page"
