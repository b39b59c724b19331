"""Fan-out: one run fetches many paths, each answer stored as its own item.

``FanOut.paths([...])`` lists concrete paths (no ``path``); ``FanOut.path_values({...})`` fills
the ``{name}`` placeholders of ``path`` with every combination of values;
``FanOut.from_answer(...)`` takes them from a first request's answer (``answer.py``). A run:
FetchAll (a Map holding the requests in its ``Items``: Download → Persist per path) →
AnyFailed. Items are keyed ``sk = <scheduled time>#<path as given>``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import (
    check_path,
    check_run_length,
    jsonata_path,
    jsonata_values,
    time_tokens,
)
from .._contract import (
    COMPRESSED_ANSWER_VARIABLE,
    KEY_PATH,
    MAP_ITERATION_EVENTS,
    MAP_RUN_PATH,
    MAP_SCHEDULED_TIME_PATH,
    QUERY_ATTRIBUTE_PATH,
    REQUEST_PATH,
    REQUESTS_PATH,
    RESPONSE_PATH,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
    TASK_EVENTS,
    URL_FIELD,
)
from .._parts import (
    FAN_OUT_FRAME,
    CheckContext,
    Exchange,
    Request,
    RunParts,
    Target,
    with_query,
)
from .._request import HttpRequest
from .._states import (
    SUCCEEDED,
    catch_into,
    checked_in_map,
    compressed_failure,
    compressed_rule,
    read_answer,
    record_failure,
    sort_key,
    stored_in_map,
    succeed_after,
    waits_failed,
)
from ..errors import Problem
from . import _batched, _overrides, _s3, answer
from ._targets import MAX_TARGETS_BYTES as MAX_TARGETS_BYTES
from ._targets import checked_size as checked_size
from ._targets import (
    first_page_url,
    keeps_url,
    listed_form,
    targets_of_paths,
    targets_of_template,
)
from ._targets import shown as _shown
from .answer import AnswerSource

if TYPE_CHECKING:
    from ..pagination import Pagination

_SELECTED = "selected"
"""Where a path's selection is kept beside the answer's ``Headers`` (``$.response.selected``)
when ``AnswerChecked`` reads them."""

REQUEST_EVENTS = MAP_ITERATION_EVENTS + 2 * TASK_EVENTS
"""A path's history events in an inline Map: its iteration 2, Download 5, Persist 5."""


class FanOut:
    """Several requests a run, each answer its own item. Use the static methods to create one."""

    def __init__(
        self,
        *,
        paths: Sequence[str] | None = None,
        values: Mapping[str, Sequence[str | int]] | None = None,
        answer: AnswerSource | None = None,
    ) -> None:
        self.listed_paths = paths
        """``FanOut.paths``: the concrete paths (else ``None``)."""
        self.placeholder_values = values
        """``FanOut.path_values``: the placeholders' values (else ``None``)."""
        self.answer = answer
        """``FanOut.from_answer``: where the requests are found (else ``None``)."""
        self._targets: dict[str | None, tuple[tuple[Target, ...], tuple[Problem, ...]]] = {}

    @staticmethod
    def paths(paths: Sequence[str]) -> FanOut:
        """Fetch each of ``paths`` every run (instead of ``path``), e.g.
        ``FanOut.paths(["/v1/a", "/v1/b?x=1"])``. Each answer is stored as its own item,
        ``sk = <scheduled time>#<path>``."""
        return FanOut(paths=paths)

    @staticmethod
    def path_values(values: Mapping[str, Sequence[str | int]]) -> FanOut:
        """Fill ``path``'s ``{name}`` placeholders (``path="/v1/markets/{region_id}/orders/"``)
        with every combination of ``values`` (``{"region_id": [10000002, 10000043]}``): one
        request a combination, ``sk = <scheduled time>#<concrete path>``."""
        return FanOut(values=values)

    @staticmethod
    def from_answer(
        *,
        path: str,
        each: str,
        items: str = "$.ResponseBody",
        max_items: int | None = None,
        pages: Pagination | None = None,
    ) -> FanOut:
        """Request ``path`` first, then ``each`` for every item of its answer (dlt's resolved
        parent/child resources, Airbyte's substreams), e.g. the market's type ids, then each
        type's history::

            FanOut.from_answer(path="/v1/markets/10000002/types/", items="$.ResponseBody",
                               each="/v1/markets/10000002/history/?type_id={item}")

        ``{item}`` is the item, ``{item.<field>}`` a field of an object item; values are
        percent-encoded. Each answer is stored as ``<scheduled time>#<filled-in each>``; the
        list's answer is not stored. An empty list requests and stores nothing (the run
        succeeds). Instead of ``path`` (the prop).

        :param items: A JSONPath into the list's raw answer (names and indexes).
            Default: ``"$.ResponseBody"`` (the answer is the list).
        :param max_items: Request only the first ``max_items`` items (1 to 1,000; up to
            122,880 with ``Concurrency.distributed(n)``, whose children then run the items in
            batches), leaving the others out on purpose. Default: every item, and a list of
            more than 1,000 (in batches: as many as batches of 50 allow, about 34,000) fails the
            run with ``Downloader.TooManyItems`` before any item is requested.
        :param pages: The list's own pagination, e.g. ``Pagination.page_count()``: its pages
            are read one after another, nothing stored. Default: the list is one answer.
        """
        return FanOut(
            answer=AnswerSource(path=path, items=items, each=each, max_items=max_items, pages=pages)
        )

    def templates(self, path: str | None) -> tuple[str, ...]:
        """The requests as written, before any value is filled in: the listed paths, the
        ``path_values`` template (``path``), or ``from_answer``'s ``each``."""
        if self.answer is not None:
            return (self.answer.each,)
        if self.listed_paths is not None:
            listed = self.listed_paths
            return tuple(listed) if isinstance(listed, list | tuple) else ()
        return (path,) if isinstance(path, str) else ()

    @property
    def several_requests(self) -> bool:
        """Every path is its own item."""
        return True

    @property
    def uses_map(self) -> bool:
        """The requests run in a Map."""
        return True

    @property
    def checks_answers(self) -> bool:
        """Each answer is stored as it comes (a failed check would lose the others)."""
        return False

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The paths (or the template and its values): concrete, unique, small enough."""
        problems: list[Problem] = []
        targets = self.targets(context.path, problems)
        if context.overridable_query and not isinstance(context.overridable_query, str):
            requests = targets
            if self.answer is not None:  # each item's request: ``each``, its defaults
                each = self.answer.each
                requests = (Target(each, _query(each), each),)
            problems += _overrides.check(context.overridable_query, requests)
        from_s3 = context.concurrency.items_from_s3 and context.concurrency.is_distributed
        if from_s3 and self.answer is not None:
            problems.append(Problem(
                "concurrency", "items_from_s3=True",
                "reads requests written at synth from S3; FanOut.from_answer's requests are "
                "known only when the run reads the list.",
                "drop items_from_s3 (with Concurrency.distributed(n), from_answer runs its "
                "items in batches from the run's state).",
            ))  # fmt: skip
        elif not problems:
            problems += self._batch_problems(context, from_s3=from_s3)
        if not problems and targets:
            if from_s3 and not context.paginated:  # a paged fan-out checks it with its pages
                problems += _s3.check(context, targets, [listed_form(t) for t in targets])
            elif not context.paginated:  # a paged fan-out checks it with its first pages
                prop = "fan_out.paths" if self.listed_paths is not None else "fan_out.path_values"
                problems += checked_size(prop, targets)
        yield from problems
        in_flight = context.concurrency.max_concurrency
        if problems or not isinstance(in_flight, int) or isinstance(in_flight, bool):
            return
        if context.paginated:
            return  # every page of every path is checked with the paginator
        if in_flight < 1:
            return  # the concurrency's own check reports it
        rounds = -(-len(targets) // in_flight)
        yield from check_run_length(
            "fan_out", f"<{len(targets):,} paths>", requests=len(targets), noun="paths",
            events_each=REQUEST_EVENTS, records_events=context.records_events,
            history_counted=context.run_workflow_type == sfn.StateMachineType.STANDARD
            and not context.concurrency.is_distributed,
            rounds=rounds,
            sequence=f"{len(targets):,} requests, {in_flight} at a time ({rounds:,} rounds one "
            "after another)",
            timeout_seconds=context.timeout_seconds,
            history_fix="use concurrency=Concurrency.distributed(n) (each path its own child "
            "execution), or split the paths over several downloaders ({most} or fewer each).",
            time_fix="use a higher concurrency, a longer timeout (Standard runs up to a year; "
            "Express at most 5 minutes), or split the paths over several downloaders.",
        )  # fmt: skip

    def _batch_problems(self, context: CheckContext, *, from_s3: bool) -> list[Problem]:
        """``from_answer`` beyond 1,000 items, in batches with ``Concurrency.distributed``
        (``_batched``): what the batches hold; ``requests_per_child`` only for batches."""
        problems: list[Problem] = []
        source = self.answer
        distributed = context.concurrency.is_distributed
        batched = source is not None and distributed
        per_child = context.concurrency.requests_per_child
        if per_child is not None and not from_s3 and not batched:
            problems.append(Problem(
                "concurrency", f"requests_per_child={per_child!r}",
                "applies to a fan-out run in batches: items_from_s3=True, or "
                "FanOut.from_answer with Concurrency.distributed(n).",
                "omit requests_per_child, or pass items_from_s3=True (FanOut.paths, "
                "FanOut.path_values).",
            ))  # fmt: skip
        if source is None:
            return problems
        limit = source.max_items
        valid = isinstance(limit, int) and not isinstance(limit, bool)
        if not batched and valid and limit is not None and limit > answer.MAX_ANSWER_ITEMS:
            problems.append(Problem(
                "fan_out.max_items", limit,
                f"is more than the {answer.MAX_ANSWER_ITEMS:,} items a run requests here: one "
                "Map iteration an item, their requests in the run's state (256 KiB).",
                f"pass max_items={answer.MAX_ANSWER_ITEMS:,} or fewer, or use "
                "concurrency=Concurrency.distributed(n) (up to "
                f"{_batched.MAX_BATCHED_ITEMS:,} items in batches).",
            ))  # fmt: skip
        if batched and valid and limit is not None and limit > _batched.MAX_BATCHED_ITEMS:
            problems.append(Problem(
                "fan_out.max_items", limit,
                f"is more than the {_batched.MAX_BATCHED_ITEMS:,} values a run's state holds "
                f"in batches ({_batched.LIST_BYTES // 1024} KiB of its 256 KiB, at least "
                f"{_batched.MIN_VALUE_BYTES} bytes a value: a one-digit id and its comma).",
                f"pass max_items={_batched.MAX_BATCHED_ITEMS:,} or fewer, or split the list over "
                "several downloaders.",
            ))  # fmt: skip
        elif batched and (limit is None or valid):
            given = per_child if isinstance(per_child, int) and per_child >= 1 else None
            pages = (context.max_pages or 1) if context.paginated else 1
            items = limit or _batched.default_items(source.each, given, pages)
            problems += _batched.check(context, source.each, items, pages)
        return problems

    def _batches(self, parts: RunParts) -> tuple[answer.Batches, int] | None:
        """With ``from_answer`` on a Distributed Map whose run allows it: what the list may
        hold, and the values a child execution runs (``_batched``); else ``None``."""
        source, maps = self.answer, parts.maps
        if source is None or not maps.is_distributed or maps.items_from_s3:
            return None
        pages = parts.per_request.max_pages if parts.per_request is not None else 1
        given = maps.requests_per_child
        items = source.max_items or _batched.default_items(source.each, given, pages)
        batch = _batched.batch_size(items, source.each, given, pages)
        most = _batched.value_chars(batch, source.each, overrides=bool(parts.overridable))
        return answer.Batches(items, most), batch

    def targets(self, path: str | None, problems: list[Problem]) -> tuple[Target, ...]:
        """The requests of a run (none known before it runs with ``from_answer``), adding a
        problem for each defect (computed once for each ``path``: a list may hold 100,000)."""
        key = path if isinstance(path, str) or path is None else repr(path)
        if key not in self._targets:
            found: list[Problem] = []
            self._targets[key] = (self._find_targets(path, found), tuple(found))
        targets, found_problems = self._targets[key]
        problems += found_problems
        return targets

    def _find_targets(self, path: str | None, problems: list[Problem]) -> tuple[Target, ...]:
        if self.answer is not None:
            if path is not None:
                problems.append(
                    Problem(
                        "fan_out",
                        repr(self),
                        "FanOut.from_answer is given together with `path`.",
                        "drop `path`: FanOut.from_answer(path=...) is the list's path.",
                    )
                )
            problems += answer.check(self.answer)
            return ()
        if self.listed_paths is not None:
            if path is not None:
                problems.append(
                    Problem(
                        "fan_out",
                        _shown(self.listed_paths),
                        "FanOut.paths is given together with `path`.",
                        "pass either path='/one' or fan_out=FanOut.paths(['/a', '/b']), not both.",
                    )
                )
            return targets_of_paths(self.listed_paths, problems)
        if path is None:
            problems.append(
                Problem(
                    "path",
                    None,
                    "is missing: FanOut.path_values fills the placeholders of `path`.",
                    "pass path='/x/{name}' with FanOut.path_values, or FanOut.paths([...]).",
                )
            )
            return ()
        check_path(path, problems, template=True)
        return targets_of_template(path, self.placeholder_values, problems)

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """FetchAll (a Map holding the requests: Download → Persist per path) → AnyFailed
        (``from_answer``: the list's states, then FetchAll over its requests); with
        ``parts.per_request`` (fan-out with pagination), each iteration runs what it builds
        (every page of its path) instead of one Download → Persist."""
        if parts.maps.items_from_s3 and self.answer is None:
            return self._from_s3(scope, parts)
        batches = self._batches(parts)
        if batches is not None:
            return self._answer_in_batches(scope, parts, *batches)
        item = sfn.JsonPath.object_at("$$.Map.Item.Value")
        iteration, fields = self._iteration(scope, parts, item)
        if parts.overridable:  # the query attribute every answer of the request is stored with
            fields[QUERY_ATTRIBUTE_PATH[2:]] = sfn.JsonPath.object_at(
                f"$$.Map.Item.Value.{QUERY_ATTRIBUTE_PATH[2:]}"
            )
        if self.answer is not None:  # an item that would move its request is not requested
            iteration = answer.guard(scope, iteration)
        fetch_all = parts.maps.build(
            scope,
            "FetchAll",
            items_path=REQUESTS_PATH,
            items=self._items(parts)
            if self.answer is None
            else answer.items(replace(parts, request=self._listing(parts)), self.answer),
            item_selector={
                **fields,
                SCHEDULED_TIME_KEY: sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
                **parts.persists.map_item_fields(),
            },
            iteration=iteration,
            then=parts.run_end(scope, 0) if parts.run_end is not None else None,
            # The run's end marks the delivery itself (post_process: MarkDelivered, RunDone).
            done=succeed_after(scope, parts.delivered(scope)) if parts.run_end is None else None,
        )
        if self.answer is None:  # FetchAll holds the requests (no ListRequests: issue 28(a))
            return fetch_all
        start, tail = answer.build(scope, replace(parts, request=self._listing(parts)), self.answer)
        if isinstance(tail, sfn.Choice):
            tail.otherwise(fetch_all)
        else:
            tail.next(fetch_all)
        return sfn.Chain.custom(start, [], fetch_all)

    def _listing(self, parts: RunParts) -> Request:
        """``from_answer``'s list request (its ``path``)."""
        assert self.answer is not None
        return Request(
            endpoint=parts.request.endpoint, path=self.answer.path.partition("?")[0],
            query=_query(self.answer.path), given=self.answer.path,
        )  # fmt: skip

    def _items(self, parts: RunParts) -> str | list[Any]:
        """``FetchAll``'s ``Items``: the listed requests (a JSON array in the definition),
        or, with time placeholders or query overrides, the JSONata expression computing them
        each run from its input (``$states.context.Execution.Input``)."""
        targets = self.targets(parts.request.given, [])
        if parts.overridable:
            return _overrides.listed_items(parts, targets)
        if parts.time_fill is not None and any(time_tokens(t.key) for t in targets):
            return self._computed_items(parts, targets)
        return [self._listed(parts, t) for t in targets]

    def _iteration(
        self, scope: Construct, parts: RunParts, item: Any
    ) -> tuple[sfn.IChainable, dict[str, Any]]:
        """What each request runs (Download → Persist; with ``parts.per_request`` every page of
        its path, from its own mark with ``incremental``), and the Map item's fields it reads
        (``item``: the listed request)."""
        if parts.per_request is None:
            return self._download_and_persist(scope, parts), {REQUEST_PATH[2:]: item}
        iteration: sfn.IChainable = parts.per_request.build(
            scope, replace(parts, frame=FAN_OUT_FRAME, per_request=None)
        )
        if parts.path_marks is not None:  # each path from its own mark
            iteration = sfn.Chain.start(
                parts.path_marks.read(
                    scope, key_path=KEY_PATH, url_path=f"$.{URL_FIELD}",
                    request_path=REQUEST_PATH,
                    request_from_url=parts.downloads.request_from_url("$u"),
                )
            ).next(iteration)  # fmt: skip
        fields = {
            REQUEST_PATH[2:]: item,
            KEY_PATH[2:]: sfn.JsonPath.string_at("$$.Map.Item.Value.key"),
            URL_FIELD: sfn.JsonPath.string_at(f"$$.Map.Item.Value.{URL_FIELD}"),
            **parts.per_request.item_fields(),
        }
        return iteration, fields

    def _from_s3(self, scope: Construct, parts: RunParts) -> sfn.Chain:
        """FetchAll: a Distributed Map reading the requests from an S3 asset (``_s3``), each
        child execution a batch of them ([BatchRequests, computing them each run →]
        FetchAllBatch: Download → Persist each, or every page of each path, one after another)
        and its summary (BatchOutcome); then AnyFailed (or ``post_process``'s run end). With
        query overrides, ``RunQuery`` first: the run's values, which every item carries."""
        targets = self.targets(parts.request.given, [])
        computed = _s3.computed(parts, targets)
        listed = _s3.listed_items(
            targets, [self._listed(parts, t) for t in targets], computed=computed
        )
        reader = _s3.requests_reader(scope, listed)
        pages = parts.per_request.max_pages if parts.per_request is not None else 1
        batch = _s3.batch_size(targets, parts.maps.requests_per_child, pages)
        iteration, fields = self._iteration(
            scope, parts, sfn.JsonPath.object_at("$$.Map.Item.Value")
        )
        if computed:  # BatchRequests puts each request's key and URL in its item
            fields = {k: v for k, v in fields.items() if k not in (KEY_PATH[2:], URL_FIELD)}
        if parts.overridable:
            fields[_s3.RUN_QUERY_KEY] = sfn.JsonPath.object_at(f"$.{_s3.RUN_QUERY_KEY}")
        fetch_all = _in_batches(
            scope, parts, iteration, item_reader=reader, batch_items=batch, fields=fields,
            batch_start=_s3.batch_requests(scope, parts, [t.key for t in targets])
            if computed else None,
        )  # fmt: skip
        if not parts.overridable:
            return fetch_all
        first = parts.per_request.first_query() if parts.per_request is not None else None
        item = _s3.computed_bytes(targets, first, parts.overridable)
        start = _s3.run_query(scope, parts.overridable, _s3.query_chars(batch, item))
        start.otherwise(fetch_all)
        return sfn.Chain.custom(start, [], fetch_all)

    def _answer_in_batches(
        self, scope: Construct, parts: RunParts, batches: answer.Batches, batch: int
    ) -> sfn.Chain:
        """The list (``ListRequests`` keeping its values), then FetchAll: a Distributed Map over
        the values, ``batch`` a child execution (BatchRequests computes their requests;
        FetchAllBatch: [ItemRefused →] Download → Persist each, one after another;
        BatchOutcome), then AnyFailed."""
        source = self.answer
        assert source is not None
        listing = Request(
            endpoint=parts.request.endpoint, path=source.path.partition("?")[0],
            query=_query(source.path), given=source.path,
        )  # fmt: skip
        start, tail = answer.build(scope, replace(parts, request=listing), source, batches)
        iteration, fields = self._iteration(
            scope, parts, sfn.JsonPath.object_at("$$.Map.Item.Value")
        )
        # BatchRequests puts each request's key and URL in its item (a page loop reads them).
        fields = {k: v for k, v in fields.items() if k not in (KEY_PATH[2:], URL_FIELD)}
        if parts.overridable:  # the run's values, which BatchRequests sets in each request
            fields[_s3.RUN_QUERY_KEY] = sfn.JsonPath.object_at(f"$.{_s3.RUN_QUERY_KEY}")
        fetch_all = _in_batches(
            scope, parts, answer.guard(scope, iteration), batch_items=batch,
            batch_start=answer.batch_requests(scope, parts, source), fields=fields,
        )  # fmt: skip
        tail.otherwise(fetch_all)
        return sfn.Chain.custom(start, [], fetch_all)

    @staticmethod
    def _listed(parts: RunParts, target: Target) -> dict[str, Any]:
        """A request as its Map item holds it; with pagination, with the first page's query
        and its ``url`` (the path as given, with that query)."""
        if parts.per_request is None:
            listed = parts.downloads.listed(target)
            # With a mark per path, ReadMark sets it into the URL as written; a memory per
            # path is keyed by that URL.
            urls = parts.path_marks is not None or parts.request_memos is not None
            return {**listed, URL_FIELD: target.key} if urls else listed
        first = parts.per_request.first_query()
        listed = parts.downloads.listed(Target(target.path, {**target.query, **first}, target.key))
        return {**listed, URL_FIELD: with_query(target.key, first)}

    @staticmethod
    def _computed_items(parts: RunParts, targets: tuple[Target, ...]) -> str:
        """``FetchAll``'s ``Items`` when requests hold time placeholders: each request's URL is
        its path as given with the run's times filled in (``$fill``), taken as a next-page URL
        is (``request_from_url``); its key stays the path as given, so a request's items line
        up run after run under their scheduled times."""
        assert parts.time_fill is not None
        url = first_page_url(parts, "$u")
        pages = f', "{URL_FIELD}": {url}' if keeps_url(parts) else ""
        listed = json.dumps([t.key for t in targets])
        fill = parts.time_fill([t.key for t in targets])
        return (
            f"{{% ({fill} [$map({listed}, function($key) {{ ("
            f"$u := $fill($key); $merge([{parts.downloads.request_from_url(url)}, "
            f"{{'key': $key{pages}}}]) ) }})]) %}}"
        )

    @staticmethod
    def _download_and_persist(scope: Construct, parts: RunParts) -> sfn.IChainable:
        request = (
            parts.first_request()
            .with_path(sfn.JsonPath.string_at(f"{REQUEST_PATH}.path"))
            .reading_query(f"{REQUEST_PATH}.query")
        )
        if parts.server_waits is not None or parts.download_assign:
            return FanOut._raw_first(scope, parts, request)
        checked = FanOut._checked(scope, parts, request)
        if checked is not None:
            return checked
        return FanOut._selected_first(scope, parts, request)

    @staticmethod
    def _selected_first(scope: Construct, parts: RunParts, request: HttpRequest) -> sfn.IChainable:
        """A path's JSONPath download whose answer is refused when compressed before anything
        stores it (issue 25 item 14): with a 204 action, the raw answer goes to
        ``DownloadStatus`` (a JSONata Choice whose first rule refuses it) → [``SelectDownload``]
        → the store, as many states as before; otherwise the download's ``ResultSelector``
        keeps the answer's ``Headers`` beside the selection (``$.response.selected``) and
        ``AnswerChecked`` (a JSONata Choice, one state more) refuses it. Neither Choice has an
        ``Output``: the selection passes on unevaluated (every digit kept)."""
        reactions = parts.on_status
        key_path = f"{REQUEST_PATH}.key"
        refuse = _refusal(scope, RESPONSE_PATH)
        skipped, status = None, None
        if reactions.any:  # a skipped answer: this path ends well, nothing stored
            skipped = sfn.Pass(
                scope, "Skipped",
                parameters={**SUCCEEDED, "skipped": sfn.JsonPath.string_at(key_path)},
            )  # fmt: skip
            status = reactions.no_content(
                scope, "DownloadStatus", skip=skipped, checked=refuse,
                status_path=jsonata_path(f"{RESPONSE_PATH}.StatusCode", "$states.input"),
            )  # fmt: skip
        selector = parts.result_selector
        under = RESPONSE_PATH
        if status is None and selector is not None:  # the headers kept beside the selection
            selector = {"Headers.$": "$.Headers", _SELECTED: dict(selector)}
            under = f"{RESPONSE_PATH}.{_SELECTED}"
        download = parts.downloads.task(
            scope, "Download", request, result_selector=selector if status is None else None,
            result_path=RESPONSE_PATH,
        )  # fmt: skip
        failure = record_failure(scope, "RecordFailure", key_path=key_path)
        persist = _stored(scope, parts, failure, under=under)
        if skipped is not None:
            reactions.catch(download, skip=skipped)
        catch_into(failure, download)
        if status is not None:
            stored: sfn.Chain = persist
            select = _select_download(scope, parts)
            if select is not None:
                stored = select.next(persist)
            download.next(status.otherwise(stored))
        else:
            answer_checked = sfn.Choice.jsonata(scope, "AnswerChecked")
            refuse(answer_checked)
            download.next(answer_checked.otherwise(persist))
        chain = sfn.Chain.custom(download, persist.end_states, persist)
        return _with_mark(scope, parts, chain, persist)

    @staticmethod
    def _checked(scope: Construct, parts: RunParts, request: HttpRequest) -> sfn.Chain | None:
        """A path's Download → Persist with its answer checked for free (issue 25, item 14):
        the download a JSONata task whose ``Assign`` fails a compressed answer and keeps the
        Map item (``$mapItem``: the key, the scheduled time), and whose output is the raw
        answer, never evaluated, so nothing stored passes through JSONata; Persist reads the
        item's paths where ``result_selector`` would have read them and the key from
        ``$mapItem``. A failed request is a failed outcome naming its key, as before, a
        compressed answer's error named ``Downloader.CompressedAnswer``. ``None`` where that
        construction does not apply (see ``single._checked``)."""
        if (
            parts.on_status.any or parts.records is not None or parts.each_stored is not None
            or parts.request_memos is not None or parts.path_marks is not None
            or parts.attributes or not parts.persists.reads_through(parts.result_selector)
        ):  # fmt: skip
            return None
        return checked_in_map(
            scope, downloads=parts.downloads, persists=parts.persists, request=request,
            result_selector=parts.result_selector, key_path=f"{REQUEST_PATH}.key",
            key=jsonata_path(f"{REQUEST_PATH}.key", "$states.input"),
            sort_key=lambda item: _answer_key(parts, item),
        )  # fmt: skip

    @staticmethod
    def _raw_first(scope: Construct, parts: RunParts, request: HttpRequest) -> sfn.IChainable:
        """The download keeps its raw answer: with ``retry_after`` a throttled one waits and
        asks again (a wait refused ends this path as a failed outcome, the other paths go
        on); with ``incremental`` ``ReadDownload`` reads the cursor values where the answer is
        kept (one meaning: ``_states.read_answer``); then [the 204 action] →
        [``SelectDownload``] → ``Persist``."""
        waits, reactions, memos = parts.server_waits, parts.on_status, parts.request_memos
        key_path = f"{REQUEST_PATH}.key"
        download = parts.downloads.task(
            scope, "Download", request, result_selector=None, result_path=RESPONSE_PATH
        )
        failure = record_failure(scope, "RecordFailure", key_path=key_path)
        persist = _stored(scope, parts, failure)

        def spared(suffix: str, outcome: str) -> sfn.State:
            """A path its memory spares (fresh, 304, unchanged) ends well, nothing stored."""
            return sfn.Pass(
                scope, f"Path{suffix}",
                parameters={
                    **SUCCEEDED, "outcome": outcome, "key": sfn.JsonPath.string_at(key_path),
                },
            )  # fmt: skip

        if memos is not None:  # before the catch-all
            memos.guard(download, skip=spared)
        catch_into(failure, download)
        skipped = None
        if reactions.any:  # a skipped answer: this path ends well, nothing stored
            skipped = sfn.Pass(
                scope, "Skipped",
                parameters={**SUCCEEDED, "skipped": sfn.JsonPath.string_at(key_path)},
            )  # fmt: skip
            reactions.catch(download, skip=skipped)
        # A compressed answer is refused (issue 25 item 14) by the first JSONata Choice after
        # the download: DownloadThrottled, ReadDownload, DownloadStatus, else AnswerChecked
        # (with a memory of its own, the path's ReadMemoAnswer refuses it).
        pending = _refusal(scope, RESPONSE_PATH) if memos is None else None
        waited = (
            waits.around(
                scope, "Download", download, raw_path=RESPONSE_PATH,
                failed=waits_failed(scope, key_path=key_path), checked=pending,
            )
            if waits is not None
            else sfn.Chain.start(download)
        )  # fmt: skip
        if waits is not None:
            pending = None
        read_checked = (
            _read_checked(scope, parts.download_assign, pending)
            if parts.download_assign and pending is not None
            else None
        )
        if read_checked is not None:
            pending = None
        elif parts.download_assign:
            waited = waited.next(
                read_answer(scope, "ReadDownload", RESPONSE_PATH, parts.download_assign)
            )
        stored: sfn.IChainable = persist
        if memos is not None:  # the path's memory: computed before the store, written after
            # (a compressed answer: this path's failed outcome, nothing stored or remembered)
            key = jsonata_path(key_path, "$states.input")
            stored = memos.before_store(
                scope, selected_path=RESPONSE_PATH, time_path=MAP_SCHEDULED_TIME_PATH,
                stored_key=_answer_key(parts), then=persist.start_state, skip=spared,
                pages=False, compressed=key, key=key,
            )  # fmt: skip
            persist = persist.next(memos.remember(scope, pages=False))
        select = _select_download(scope, parts)
        if select is not None:
            stored = select.next(stored)
        status_path = f"{RESPONSE_PATH}.StatusCode"
        choice = None
        if skipped is not None:
            choice = reactions.no_content(
                scope, "DownloadStatus", skip=skipped, checked=pending,
                status_path=status_path if pending is None
                else jsonata_path(status_path, "$states.input"),
            )  # fmt: skip
        if choice is not None:
            pending = None
            stored = choice.otherwise(stored)
        if pending is not None:  # nothing reads the answer before the store: one state more
            answer_checked = sfn.Choice.jsonata(scope, "AnswerChecked")
            pending(answer_checked)
            stored = answer_checked.otherwise(stored)
        if read_checked is not None:
            stored = read_checked.otherwise(stored)
        waited.next(stored)
        start = waited.start_state
        if memos is not None:  # the path's memory read first
            start = memos.read(
                scope, url_path=f"{REQUEST_PATH}.{URL_FIELD}", time_path=MAP_SCHEDULED_TIME_PATH,
                then=start, skip=spared,
            )  # fmt: skip
        return _with_mark(
            scope, parts, sfn.Chain.custom(start, persist.end_states, persist), persist,
        )  # fmt: skip

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Every path: the download task takes them from the state, so it grants none."""
        if self.answer is not None:
            return answer.request_paths(self.answer)
        # A time placeholder in a path is any segment text: granted as '*'.
        return tuple(dict.fromkeys(_granted(t.path) for t in self.targets(request.given, [])))

    def exchange(self, request: Request) -> Exchange:
        """Every target's query parameters (with ``from_answer``: the list's, its pages' and
        ``each``'s); no header of its own."""
        if self.answer is not None:
            return answer.exchange(self.answer, request.endpoint)
        names = dict.fromkeys(n for t in self.targets(request.given, []) for n in t.query)
        return Exchange(query_names=tuple(names))

    def describe(self, request: Request) -> str:
        """The first path, and how many more."""
        if self.answer is not None:
            return f"{self.answer.each} for each item of {self.answer.path}"
        targets = self.targets(request.given, [])
        more = len(targets) - 1
        return targets[0].key + (f" and {more} more" if more else "")

    def __repr__(self) -> str:
        if self.answer is not None:
            shown = ", ".join(f"{k}={v!r}" for k, v in answer.shown(self.answer).items())
            return f"FanOut.from_answer({shown})"
        if self.listed_paths is not None:
            return f"FanOut.paths({_shown(self.listed_paths)!r})"
        return f"FanOut.path_values({_shown(self.placeholder_values)!r})"


def _answer_key(parts: RunParts, item: str = "$") -> str:
    """``<scheduled time>#<key>``; with ``per_delivery`` (every run of several answers)
    ``<scheduled time>#<execution name>#<key>``, so that no delivery overwrites another's
    answer (the run's name from the Map item: a Distributed Map's children are executions of
    their own)."""
    key, time, run = (
        item + path[1:] for path in (f"{REQUEST_PATH}.key", MAP_SCHEDULED_TIME_PATH, MAP_RUN_PATH)
    )
    if not parts.per_delivery:
        return sort_key(time, key)
    return sfn.JsonPath.format(
        "{}#{}#{}", sfn.JsonPath.string_at(time), sfn.JsonPath.string_at(run),
        sfn.JsonPath.string_at(key),
    )  # fmt: skip


def _with_mark(
    scope: Construct, parts: RunParts, chain: sfn.IChainable, persist: sfn.INextable
) -> sfn.IChainable:
    """``chain`` (a path's download ... ``persist``), from the path's mark and advancing it
    once the answer is stored, with ``incremental``; else ``chain`` as it is."""
    marks = parts.path_marks
    if marks is None:
        return chain
    key = f"{REQUEST_PATH}.key"
    read = marks.read(
        scope, key_path=key, url_path=f"{REQUEST_PATH}.{URL_FIELD}", request_path=REQUEST_PATH,
        request_from_url=parts.downloads.request_from_url("$u"),
    )  # fmt: skip
    after = marks.advance(scope, over_pages=False)
    tail: sfn.Chain = sfn.Chain.start(after[0])
    for state in after[1:]:
        tail = tail.next(state)
    persist.next(tail)
    read.next(chain)
    return sfn.Chain.custom(read, tail.end_states, tail)


def _refusal(scope: Construct, where: str) -> Callable[[sfn.Choice], None]:
    """The rule a JSONata Choice right after a path's download takes first (issue 25 item 14):
    an answer whose headers (at ``where``) name a compressed ``Content-Encoding`` ends this
    path as a failed outcome (``PathCompressed``: its key, ``Downloader.CompressedAnswer``,
    the cause naming the key), before anything stores, archives, records it or advances the
    path's mark; the other paths go on and the run ends ``Downloader.RequestsFailed``. The
    rule's own ``Assign`` carries the cause and key (moto 5.2.5 applies a Choice's state-level
    ``Assign``/``Output`` only on its default branch)."""
    failed = compressed_failure(
        scope, "PathCompressed", variable=COMPRESSED_ANSWER_VARIABLE, in_map=True
    )
    key = jsonata_path(f"{REQUEST_PATH}.key", "$states.input")
    headers = jsonata_path(f"{where}.Headers", "$states.input")

    def rule(choice: sfn.Choice) -> None:
        compressed_rule(choice, failed, headers=headers, request=key, key=key)

    return rule


def _read_checked(
    scope: Construct, assign: Mapping[str, Any], refuse: Callable[[sfn.Choice], None]
) -> sfn.Choice | None:
    """``ReadDownload`` as a JSONata Choice (as many states as the Pass): ``refuse``'s rule
    first, and on its default branch the ``Assign`` the Pass made (the cursor values of a
    path's mark), read from the raw answer at ``$.response`` as the JSONPath ``Assign`` read
    them (``_checks.jsonata_values``, as ``_flow/single.py``'s ``_kept``: only values compared
    with the mark pass through JSONata, nothing stored). ``None`` when a value is a path it
    does not translate (a filter, two wildcards): the Pass stays and the check follows."""
    kept = {}
    for name, path in assign.items():
        root = jsonata_path(RESPONSE_PATH, "$states.input")
        value = jsonata_values(str(path), root) if name.endswith(".$") else None
        if value is None:
            return None
        kept[name[:-2]] = "{% " + value + " %}"
    choice = sfn.Choice.jsonata(scope, "ReadDownload", assign=kept)
    refuse(choice)
    return choice


def _stored(
    scope: Construct, parts: RunParts, failure: sfn.Pass, *, under: str = RESPONSE_PATH
) -> sfn.Chain:
    """A path's answer (at ``under``: ``$.response``, or the selection beside the headers
    ``AnswerChecked`` reads) stored: Persist, [Archive], and with ``records`` its records."""
    return stored_in_map(
        scope, persists=parts.persists, records=parts.records, sort_key=_answer_key(parts),
        under=under, key_path=f"{REQUEST_PATH}.key", failure=failure,
        time_path=MAP_SCHEDULED_TIME_PATH, each_stored=parts.each_stored,
        attributes=parts.attributes,
    )  # fmt: skip


def _granted(path: str) -> str:
    """``path`` as the role is granted it: each time placeholder a ``*``."""
    for token in time_tokens(path):
        path = path.replace(token, "*")
    return re.sub(r"\*+", "*", path)


def _query(path: str) -> dict[str, list[str]]:
    problems: list[Problem] = []
    return check_path(path, problems)[1]


def _in_batches(
    scope: Construct, parts: RunParts, iteration: sfn.IChainable, *, batch_items: int,
    item_reader: sfn.IItemReader | None = None, batch_start: sfn.State | None = None,
    fields: dict[str, Any] | None = None,
) -> sfn.Chain:  # fmt: skip
    """FetchAll in batches: a Distributed Map over the requests (read by ``item_reader``, or
    the values at ``$.requests``), ``batch_items`` a child execution, each item with
    ``fields`` (default: the request), the run's scheduled time and persist fields; every
    request stored marks the delivery, or ``post_process``'s run end (which reads the
    children's summaries) follows."""
    return parts.maps.build(
        scope, "FetchAll", items_path=REQUESTS_PATH,
        item_selector={
            **(fields or {REQUEST_PATH[2:]: sfn.JsonPath.object_at("$$.Map.Item.Value")}),
            SCHEDULED_TIME_KEY: sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
            **parts.persists.map_item_fields(),
        },
        iteration=iteration,
        then=parts.run_end(scope, 0) if parts.run_end is not None else None,
        done=succeed_after(scope, parts.delivered(scope)) if parts.run_end is None else None,
        item_reader=item_reader, batch_items=batch_items, batch_start=batch_start,
    )  # fmt: skip


def _select_download(scope: Construct, parts: RunParts) -> sfn.Pass | None:
    """``SelectDownload``: the ``result_selector`` applied to the raw answer at the path's
    ``$.response`` (a JSONPath Pass: every digit kept); ``None`` without a selector."""
    if parts.result_selector is None:
        return None
    return sfn.Pass(
        scope, "SelectDownload", input_path=RESPONSE_PATH,
        parameters=dict(parts.result_selector), result_path=RESPONSE_PATH,
    )  # fmt: skip
