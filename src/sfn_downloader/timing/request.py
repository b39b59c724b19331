"""The request a run computes: time placeholders filled, a window's bounds, an incremental mark.

``ComputeRequest`` (a JSONata Pass, first in the run) assigns ``$requestPath`` (with
placeholders in the path) and ``$requestQuery`` (with placeholders in the query, or a mark),
in the form the transport's task reads (``RequestForm``: ``apigateway:invoke`` takes ``/v1/...``
and lists, the HTTP Task ``v1/...`` and one string a name); the download reads them
(``Path.$`` or ``ApiEndpoint.$``, ``QueryParameters.$``). Without a mark, a single request's
JSONata download computes them in its own Arguments instead and ``ComputeRequest`` is left
out (``RunParts.computations``). With ``incremental``, ``ReadState``
comes first (the stored mark), and ``ComputeMark`` → ``AdvanceMark`` follow the stored answer.

JSONata because no JSONPath intrinsic reads or writes a time (``$toMillis``, ``$fromMillis``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from aws_cdk import Token
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import time_tokens
from .._contract import (
    COMPUTE_REQUEST_STATE,
    CURSOR_BEST_VARIABLE,
    PLACEHOLDER_FORMATS,
    REQUEST_BODY_VARIABLE,
    REQUEST_MARK_VARIABLE,
    REQUEST_PATH_VARIABLE,
    REQUEST_QUERY_VARIABLE,
)
from .._memory import READ_ITEM, StateItem
from .._parts import (
    Built,
    CheckContext,
    Computation,
    PageFold,
    RunFeature,
    RunParts,
    then_stored,
)
from .._request import RequestForm
from ..errors import Problem
from . import _placeholders
from ._placeholders import SCHEDULED_MILLIS, WINDOW_NAMES, Placeholder, split
from .incremental import Incremental
from .window import Window


class TimedRequest(RunFeature):
    """The time-dependent parts of the request (none, when nothing depends on time)."""

    def __init__(
        self,
        *,
        path: str | None,
        window: Window | None,
        incremental: Incremental | None,
        fan_out: bool = False,
        body: Mapping[str, Any] | None = None,
        pages: bool = False,
        templates: Sequence[str] = (),
    ) -> None:
        self.path = path
        self.templates = tuple(t for t in templates if isinstance(t, str))
        """With ``fan_out``: its requests as written (the listed paths, the ``path_values``
        template, ``from_answer``'s ``each``), whose time placeholders its listing fills."""
        self.body = body
        """A POST's body, as given (its string values may hold time placeholders)."""
        self.window = window
        self.incremental = incremental
        self.fan_out = fan_out
        """True with ``fan_out``: then ``path`` is the fan-out's template, not ours."""
        self.pages = pages
        """True with ``pagination`` (one path's pages): the mark follows every page."""

    def _parts(self) -> tuple[str, dict[str, list[str]]]:
        path = self.path
        if not isinstance(path, str) or Token.is_unresolved(path):
            return "", {}
        resource, _, query_string = path.partition("?")
        query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
        return resource, query

    @property
    def placeholders(self) -> list[Placeholder]:
        """The time placeholders of the path and the body (with ``fan_out``: of its
        requests)."""
        if self.fan_out:
            return [
                part
                for text in self.templates
                for token in time_tokens(text)
                for part in split(token)
                if isinstance(part, Placeholder)
            ]
        resource, query = self._parts()
        return [
            *_placeholders.placeholders_of(resource, query),
            *_placeholders.body_placeholders(self.body),
        ]

    @property
    def computes_body(self) -> bool:
        """True when the body has time placeholders: it is computed each run."""
        return not self.fan_out and bool(_placeholders.body_placeholders(self.body))

    @property
    def follows_time(self) -> bool:
        """True when the request depends on the scheduled time (placeholders, a window)."""
        return bool(self.placeholders)

    @property
    def computes_path(self) -> bool:
        """True when the path has placeholders: it is computed each run."""
        resource, _ = self._parts()
        return not self.fan_out and any(isinstance(p, Placeholder) for p in split(resource))

    @property
    def computes_query(self) -> bool:
        """True when the query is computed each run (placeholders in it, or a mark)."""
        _, query = self._parts()
        has_placeholders = any(
            isinstance(part, Placeholder)
            for values in query.values()
            for value in values
            for part in split(value)
        )
        return not self.fan_out and (has_placeholders or self.incremental is not None)

    @property
    def active(self) -> bool:
        """True when the run computes its request."""
        return self.computes_path or self.computes_query or self.computes_body

    @property
    def computed_path(self) -> str | None:
        """Where the download reads its path (``$requestPath``), or ``None``."""
        return sfn.JsonPath.string_at(f"${REQUEST_PATH_VARIABLE}") if self.computes_path else None

    @property
    def computed_body(self) -> str | None:
        """Where the download reads its body (``$requestBody``), or ``None``."""
        return f"${REQUEST_BODY_VARIABLE}" if self.computes_body else None

    @property
    def query_path(self) -> str | None:
        """Where the download reads its query (``$requestQuery``), or ``None``."""
        return f"${REQUEST_QUERY_VARIABLE}" if self.computes_query else None

    @property
    def per_delivery(self) -> bool:
        """With ``incremental``: each delivery's items are its own (``<scheduled time>#<
        execution name>``). Two deliveries of one scheduled run ask from different marks (or
        get different answers), so neither may overwrite the other's items: the mark may
        already have moved past their records."""
        return self.incremental is not None

    @property
    def page_fold(self) -> PageFold | None:
        """With ``incremental`` over pages: the furthest cursor value, folded page by page."""
        if self.incremental is None or not self.pages:
            return None
        fold = self.incremental.page_fold()
        return PageFold(
            start={CURSOR_BEST_VARIABLE: fold["start"]}, each={CURSOR_BEST_VARIABLE: fold["each"]}
        )

    @property
    def download_assign(self) -> dict[str, Any] | None:
        """What the download keeps of the answer (the incremental cursor values)."""
        return self.incremental.download_assign() if self.incremental is not None else None

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Placeholders, window and incremental, and a run that can compute its request."""
        path = self.path
        if self.fan_out:
            yield from self._check_fan_out(context)
            return
        resource, query = self._parts()
        if isinstance(path, str) and ("{" in path or "}" in path):
            yield from _placeholders.check(path, resource, query)
        yield from _placeholders.check_body(self.body)
        names = {p.name for p in self.placeholders}
        if self.window is not None:
            yield from self.window.check(context)
            if not names & set(WINDOW_NAMES):
                yield Problem(
                    "window",
                    repr(self.window),
                    "is given, but neither the path nor the body has {window_start} or "
                    "{window_end}: it would change no request.",
                    "put them in the path (e.g. '?from={window_start}&to="
                    "{window_end}'), or drop window.",
                )
        in_body = {p.name for p in _placeholders.body_placeholders(self.body)}
        for name in sorted(names & set(WINDOW_NAMES)):
            if self.window is None:
                in_path = name not in in_body or name in {
                    p.name for p in _placeholders.placeholders_of(resource, query)
                }
                yield Problem(
                    "path" if in_path else "body",
                    path if in_path else "{" + name + "}",
                    f"has {{{name}}} but no window is given.",
                    "pass window=Window.last(Duration.hours(1)), or use {scheduled_time}.",
                )
        if self.incremental is not None:
            yield from self.incremental.check(context)
        if not self.active:
            return
        path_names = {p.name for p in _placeholders.placeholders_of(resource, query)}
        prop = (
            "incremental" if self.incremental is not None and not names
            else "path" if path_names or not self.computes_body
            else "body"
        )  # fmt: skip
        shown: object = {"incremental": self.incremental, "path": path, "body": self.body}[prop]
        if context.uses_map and context.concurrency.is_distributed:
            yield Problem(
                prop,
                shown,
                "computes the request each run into variables, and pages 2..N run in a "
                "Distributed Map, whose child workflows cannot read the run's variables "
                '(AWS: "Passing data between states with variables", Variable scope).',
                "use Concurrency.inline(...) for the pages, or Pagination.page_number(), "
                "which fetches them one after another.",
            )
        if not context.transport.supports_computed_requests:
            yield Problem(
                prop,
                shown,
                "computes the request each run, which this transport cannot send.",
                "use transport=Transport.api_gateway() (the default).",
            )
        elif self.computes_path or self.computes_query:
            yield from context.transport.check_computed_query(
                prop, shown, query, paged=context.paginated
            )
        yield from self._check_overrides(context)

    def _check_overrides(self, context: CheckContext) -> Iterator[Problem]:
        """A mark and query overrides contradict each other."""
        if context.query_overrides and self.incremental is not None:
            yield Problem(
                "incremental",
                self.incremental,
                "keeps one mark per request, moved by every run that stores its answer: "
                "an on-demand run of an overridden query (overridable_query) would move it "
                "past answers the default query was never asked for.",
                "use a downloader per query (they may share a table), or drop overridable_query.",
            )

    def _check_fan_out(self, context: CheckContext) -> Iterator[Problem]:
        """A fan-out's listing fills the time placeholders of every request it lists: their
        formats, and a window that some request uses."""
        if self.incremental is not None:
            yield from self.incremental.check(context)
        yield from self._check_overrides(context)
        for placeholder in _placeholders.body_placeholders(self.body):
            yield Problem(
                "body", "{" + placeholder.name + "}",
                "is a time placeholder, which is not supported with fan_out yet.",
                "use one path per downloader (they may share a table).",
            )  # fmt: skip
        for placeholder in self.placeholders:
            if placeholder.format not in PLACEHOLDER_FORMATS:
                shown = "{" + placeholder.name + ":" + placeholder.format + "}"
                yield Problem(
                    "fan_out", shown,
                    f"formats {{{placeholder.name}}} as {placeholder.format!r}, which is not a "
                    f"format (they are {', '.join(':' + f for f in PLACEHOLDER_FORMATS)}).",
                    f"write e.g. {{{placeholder.name}:date}}, or {{{placeholder.name}}} for "
                    "ISO 8601.",
                )  # fmt: skip
        names = {p.name for p in self.placeholders}
        if self.window is not None:
            yield from self.window.check(context)
            if not names & set(WINDOW_NAMES):
                yield Problem(
                    "window", repr(self.window),
                    "is given, but no request of the fan-out has {window_start} or "
                    "{window_end}: it would change no request.",
                    "put them in the paths (e.g. '?from={window_start}&to={window_end}'), or "
                    "drop window.",
                )  # fmt: skip
        for name in sorted(names & set(WINDOW_NAMES)):
            if self.window is None:
                yield Problem(
                    "fan_out", "{" + name + "}", f"has {{{name}}} but no window is given.",
                    "pass window=Window.last(Duration.hours(1)), or use {scheduled_time}.",
                )  # fmt: skip

    @property
    def reads_state(self) -> bool:
        """True when a run reads the state item first (``incremental``: the stored mark); the
        flow adds the one ``ReadState`` every feature that remembers shares."""
        return self.incremental is not None and not self.fan_out

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """Where the download reads what the run computes (path, query, body), the cursor
        values it keeps (first, before any other feature's), each delivery's own items, the
        pages' fold, and advancing the mark once the answer (or every page) is stored."""
        assign = self.download_assign
        if self.fan_out and self.placeholders:
            parts = replace(
                parts,
                time_fill=lambda templates, scheduled=None: _placeholders.filler(
                    templates, self._millis(scheduled)
                ),
            )
        if self.fan_out and self.incremental is not None:
            # Each path its own mark, read and advanced in its iteration (PathMarkItems).
            fold = self.incremental.page_fold()
            return replace(
                parts, path_marks=self.incremental.path_marks(built.memory),
                download_assign={**(assign or {}), **(parts.download_assign or {})},
                per_delivery=True,
                page_fold=PageFold(start={}, each={CURSOR_BEST_VARIABLE: fold["each"]}),
            )  # fmt: skip
        computations = parts.computations
        if self.active and self.incremental is None:
            # A request computed from the scheduled time alone: a download that computes it in
            # its Arguments needs no ComputeRequest (the mark's variable is read after the
            # answer, by ComputeMark: with incremental, the Pass stays).
            computations = computations.offering(
                Computation(
                    state=COMPUTE_REQUEST_STATE,
                    assign=self._assignments(built.downloads.request_form),
                    request=True,
                )
            )
        return replace(
            parts, computations=computations,
            computed_path=self.computed_path, computed_body=self.computed_body,
            query_path=parts.query_path or self.query_path,
            download_assign={**assign, **(parts.download_assign or {})} if assign
            else parts.download_assign,
            per_delivery=self.per_delivery, page_fold=self.page_fold,
            stored=then_stored(
                parts, lambda scope, passes: self.stored(scope, built.memory, passes_answer=passes)
            ),
        )  # fmt: skip

    def state_assign(self, built: Built) -> Mapping[str, Any]:
        """With ``incremental`` (one path): the request computed as ``ReadState`` reads the
        stored mark, in its own ``Assign`` (no ``ComputeRequest``)."""
        if not (self.reads_state and self.active):
            return {}
        return self._assignments(built.downloads.request_form, item=READ_ITEM)

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """``ComputeRequest`` before the run, when the request is computed, in the form the
        transport's task reads it (``built.downloads.request_form``); none when the shape's
        download computes the request itself (``built.placed``), nor when ``ReadState``
        computes it (``state_assign``)."""
        if COMPUTE_REQUEST_STATE in built.placed or self.reads_state:
            return run
        return self.with_request(scope, run, built.downloads.request_form)

    def with_request(
        self, scope: Construct, run: sfn.IChainable, form: RequestForm | None = None
    ) -> sfn.IChainable:
        """``ComputeRequest → run`` when the request is computed; else ``run``.

        :param form: How the transport's task reads the computed path and query. Default:
            ``apigateway:invoke``'s (``/v1/...``, lists).
        """
        if not self.active:
            return run
        compute = sfn.Pass.jsonata(
            scope, COMPUTE_REQUEST_STATE, assign=self._assignments(form or RequestForm())
        )
        compute.next(run)
        return compute

    def stored(
        self, scope: Construct, memory: StateItem, *, passes_answer: bool = False
    ) -> list[sfn.IChainable]:
        """The states after the answer is stored: advancing the mark (with ``incremental``);
        ``passes_answer``: a later state stores what the state holds."""
        if self.incremental is None:
            return []
        return self.incremental.advance(
            scope, memory, over_pages=self.pages, passes_answer=passes_answer
        )

    def request_paths(self) -> tuple[str, ...]:
        """The paths a run can request, for the transport's grant: each placeholder a ``*``
        (``/v1/{scheduled_time:date}`` → ``/v1/*``); none when the path is a literal."""
        if not self.computes_path:
            return ()
        resource, _ = self._parts()
        pattern = "".join("*" if isinstance(p, Placeholder) else p for p in split(resource))
        while "**" in pattern:
            pattern = pattern.replace("**", "*")
        return (pattern,)

    def _assignments(self, form: RequestForm, item: str | None = None) -> dict[str, Any]:
        """``item``: where the state item is read (default: ``$stateItem``)."""
        millis = self._millis()
        resource, query = self._parts()
        assign: dict[str, Any] = {}
        if self.computes_path:
            assign[REQUEST_PATH_VARIABLE] = _jsonata(
                _placeholders.expression(split(form.path(resource)), millis)
            )
        if self.computes_body:
            assign[REQUEST_BODY_VARIABLE] = _placeholders.filled_body(self.body, millis)
        if self.computes_query:
            computed = {
                name: form.values([_value(value, millis) for value in values])
                for name, values in query.items()
            }
            if self.incremental is not None:
                mark = _jsonata(self.incremental.query_value(item))
                computed[self.incremental.param] = form.values([mark])
                assign[REQUEST_MARK_VARIABLE] = mark
            assign[REQUEST_QUERY_VARIABLE] = computed
        return assign

    def _millis(self, scheduled: str | None = None) -> Mapping[str, str]:
        """Each placeholder's epoch milliseconds, JSONata: from the run's input, or from
        ``scheduled`` (JSONata of the scheduled time's text: a child execution of a Distributed
        Map reads it from its items, its own input being its batch)."""
        millis = SCHEDULED_MILLIS if scheduled is None else f"$toMillis({scheduled})"
        span = self.window.span_seconds * 1000 if self.window is not None else 0
        return {
            "scheduled_time": millis,
            "window_start": f"({millis} - {span})",
            "window_end": millis,
        }


def _value(text: str, millis: Mapping[str, str]) -> str:
    parts = split(text)
    if not any(isinstance(part, Placeholder) for part in parts):
        return text
    return _jsonata(_placeholders.expression(parts, millis))


def _jsonata(expression: str) -> str:
    return "{% " + expression + " %}"
