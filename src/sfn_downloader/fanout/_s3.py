"""A fan-out's requests read from S3 (``Concurrency.distributed(n, items_from_s3=True)``).

The request list is written at synth into a JSON file, deployed as a CDK S3 asset (``cdk
deploy`` uploads it to the bootstrap bucket; no Lambda), and the Distributed Map reads it with
an ``ItemReader`` ("ItemReader (Map)": a JSON array in an S3 object). Its ``ItemBatcher`` gives
each child execution ``{"Items": [...]}`` ("ItemBatcher (Map)"), which the child runs one after
another in an inline Map, so that ``n`` children hold ``n`` requests in flight, as without S3.

What bounds a batch of ``B`` requests (Step Functions service quotas):

* **The parent's state.** The Map's result is one summary a child (``BATCH_OUTCOME``), and a
  state holds at most 256 KiB: ``ceil(N / B) x <largest summary>`` must fit, which sets the
  smallest ``B`` for ``N`` requests.
* **A child's input**: 256 KiB, so ``B x <largest item>`` must fit.
* **An Express child runs at most 5 minutes**: ``B x REQUEST_SECONDS`` must fit.
* **A Standard child's history holds 25,000 events**: ``B x (REQUEST_EVENTS + RETRY_EVENTS)``
  plus the child's own states must fit.

``B`` is at least ``MIN_BATCH_ITEMS`` (``min_batch``): fewer, larger children cost fewer parent
transitions (one a child started, "Transitions in Distributed Map state") and fewer Express
requests. With pagination each listed request is a page loop of up to ``max_pages`` pages, one
after another in its child: the child's bounds count ``B x max_pages`` requests, and the least
``B`` is what an Express child runs in its 5 minutes (``1,000 / max_pages`` requests), at least
one.

Requests computed each run (time placeholders, query overrides: ``computed``) are listed as
their keys only (``{"key": <path as given>}``); a child's first state, ``BatchRequests``
(``batch_requests``), computes its batch's requests as the in-state listing does, reading the
scheduled time and the run's query from its items (the ``ItemSelector`` adds them: a child
execution's input is its batch, not the run's input). With overrides the parent checks the
run's values first (``RunQuery``): they travel in every item, within what a batch has room
for (``query_chars``), else the run fails with ``Downloader.InvalidInput`` before any request.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import time_tokens
from .._contract import (
    EXPRESS_MAX_MINUTES,
    HISTORY_EVENT_LIMIT,
    INVALID_INPUT_ERROR,
    MAP_ITERATION_EVENTS,
    QUERY_ATTRIBUTE_PATH,
    QUERY_KEY,
    REQUEST_PATH,
    RETRY_EVENTS,
    RUN_OVERHEAD_EVENTS,
    SCHEDULED_TIME_KEY,
    STATE_DATA_LIMIT_BYTES,
    TASK_EVENTS,
    URL_FIELD,
)
from .._defaults import REQUEST_SECONDS
from .._parts import CheckContext, RunParts, Target, with_query
from .._states import ERROR_CHARS, KEY_CHARS
from ..errors import Problem
from . import _overrides
from ._targets import first_page_url, keeps_url

MIN_BATCH_ITEMS = 50
"""The fewest requests a child execution runs (when there are as many): 100,000 requests are
then at most 2,000 children, 2,000 parent transitions."""
STATE_ROOM_BYTES = 16 * 1024
"""What the parent's state keeps besides the Map's result (the execution input, the scheduled
time): the children's summaries get 256 KiB less this."""
ITEM_ROOM_BYTES = 512
"""What the Map's ItemSelector adds to a listed request: the scheduled time, the expiry, the
run's name and start time (the persist fields)."""
REQUEST_EVENTS = MAP_ITERATION_EVENTS + 2 * TASK_EVENTS
"""A request's history events in the child's inline Map: its iteration 2, Download 5,
Persist 5."""
PAGE_EVENTS = 3 * 2 + 2 * TASK_EVENTS
"""A page's history events in a page loop (``pagination._base.LOOP_PAGE_EVENTS``): DownloadPage
5, NextRequest 2, SelectPage 2, PersistPage 5, MorePages 2."""
RUN_QUERY_KEY = "runQuery"
"""With query overrides: the run's values of the overridable names, in every item of a batch."""
SAMPLE_TIME = "2026-11-27T05:30:00Z"
"""The longest text a time placeholder becomes (``:iso``; ``:epoch_ms`` is 13 digits): what a
computed request is measured with at synth."""
BYTES_PER_QUERY_CHAR = 36
"""The most bytes a character of the run's query values becomes in a computed item: in
``runQuery``, the request's query, its key, its ``query`` attribute (each up to 6 bytes:
JSON-escaped) and percent-encoded in its URL (up to 9), and the JSON text ``$string`` measures
already escaped."""
MIN_QUERY_CHARS = 64
"""The fewest characters of query values a batch must have room for, else it is refused at
synth."""


def computed(parts_or_context: RunParts | CheckContext, targets: Sequence[Target]) -> bool:
    """True when the requests are computed each run (in each child): time placeholders in the
    paths, or query overrides."""
    overrides = (
        parts_or_context.overridable
        if isinstance(parts_or_context, RunParts)
        else parts_or_context.overridable_query
    )
    return bool(overrides) or any(time_tokens(t.key) for t in targets)


def listed_items(
    targets: Sequence[Target], listed: Sequence[dict[str, Any]], *, computed: bool
) -> list[dict[str, Any]]:
    """What the asset holds for each request: the request as listed, or (computed each run)
    its key only."""
    return [{"key": t.key} for t in targets] if computed else list(listed)


def computed_bytes(
    targets: Sequence[Target],
    first: dict[str, list[str]] | None = None,
    names: Sequence[str] = (),
) -> int:
    """The largest computed request a child holds (its times filled with ``SAMPLE_TIME``,
    each overridable name's default as given; with pagination its first page's query and
    ``url``), with the item's own fields, as a child's item after ``BatchRequests``: compact
    JSON."""
    from ._targets import listed_form

    def filled(text: str) -> str:
        for token in time_tokens(text):
            text = text.replace(token, SAMPLE_TIME)
        return text

    largest = 0
    for target in targets:
        path = filled(target.key)
        resource, _, query = path.partition("?")
        request = listed_form(
            Target(resource, parse_qs(query, keep_blank_values=True), target.key), first
        )
        item: dict[str, Any] = {"request": {**request, URL_FIELD: with_query(path, first or {})}}
        if names:  # the key's suffix and the query attribute (the run's values: query_chars)
            item[QUERY_ATTRIBUTE_PATH[2:]] = {n: {"S": ""} for n in names}
            item["request"]["key"] = "&".join(f"{n}=" for n in names) + "#" + target.key
        largest = max(largest, _compact(item))
    return largest + ITEM_ROOM_BYTES


def listed_file(items: Sequence[Any]) -> str:
    """The request list as the asset holds it: one JSON array, compact."""
    return json.dumps(list(items), separators=(",", ":"))


def requests_reader(scope: Construct, items: Sequence[Any]) -> sfn.S3JsonItemReader:
    """The requests written into a JSON file, deployed as an S3 asset, and the ItemReader that
    reads it (its policy statement, ``s3:GetObject`` on the one object, is added to the state
    machine's role by the Distributed Map)."""
    folder = Path(tempfile.mkdtemp(prefix="sfn-downloader-requests-"))
    path = folder / "requests.json"
    path.write_text(listed_file(items))
    asset = s3_assets.Asset(scope, "FanOutRequests", path=str(path))
    return sfn.S3JsonItemReader(bucket=asset.bucket, key=asset.s3_object_key)


def _compact(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def query_chars(batch: int, item: int) -> int:
    """With query overrides: the characters of the run's values (their JSON text) a batch of
    ``batch`` items of up to ``item`` bytes each has room for in a child's 256 KiB."""
    return (STATE_DATA_LIMIT_BYTES // batch - item) // BYTES_PER_QUERY_CHAR


def outcome_bytes(longest_key: str, batch: int) -> int:
    """The largest summary a child outputs (``BATCH_OUTCOME``), with a comma."""
    digits = "9" * len(str(batch))
    example = {
        "ok": False, "stored": int(digits), "failedCount": int(digits),
        "key": longest_key[:KEY_CHARS], "error": "E" * ERROR_CHARS,
    }  # fmt: skip
    return _compact(example) + 1


def min_batch(pages: int = 1) -> int:
    """The fewest requests a child runs by default: ``MIN_BATCH_ITEMS``, or with ``pages`` pages
    each as many as an Express child runs one after another in its 5 minutes, at least one."""
    fit = int(EXPRESS_MAX_MINUTES * 60 / REQUEST_SECONDS + 1e-9) // max(1, pages)
    return max(1, min(MIN_BATCH_ITEMS, fit))


def batch_size(targets: Sequence[Target], given: int | None = None, pages: int = 1) -> int:
    """The requests a child runs: ``given``, else at least ``min_batch(pages)`` and enough
    that every child's summary fits the parent's state."""
    if given is not None:
        return given
    count = len(targets)
    least = min_batch(pages)
    if count == 0:
        return least
    longest = max((t.key for t in targets), key=_compact)
    budget = STATE_DATA_LIMIT_BYTES - STATE_ROOM_BYTES
    batch = least
    while True:  # the summary's size grows with the batch's digits: settle both
        needed = max(least, -(-count // max(1, budget // outcome_bytes(longest, batch))))
        if needed <= batch:
            return batch
        batch = needed


def item_bytes(listed: Sequence[Any]) -> int:
    """The largest item a child's batch holds: a listed request and the selector's fields."""
    return max((_compact({"request": item}) for item in listed), default=0) + ITEM_ROOM_BYTES


def check(
    context: CheckContext, targets: Sequence[Target], listed: Sequence[Any], *,
    pages: int = 1, first: dict[str, list[str]] | None = None,
) -> Iterator[Problem]:  # fmt: skip
    """What a request list read from S3 cannot hold, with the arithmetic: ``listed`` the
    requests as the asset would hold them; with pagination (``pages``: its ``max_pages``,
    ``first``: the first page's query) every path a page loop in its child."""
    shown = f"<{len(targets):,} paths>"
    if not targets:
        return
    names = context.overridable_query if isinstance(context.overridable_query, tuple) else ()
    is_computed = bool(names) or any(time_tokens(t.key) for t in targets)
    each = computed_bytes(targets, first, names) if is_computed else item_bytes(listed)
    given = context.concurrency.requests_per_child
    batch = batch_size(targets, given, pages)
    children = -(-len(targets) // batch)
    summary = outcome_bytes(max((t.key for t in targets), key=_compact), batch)
    limit = STATE_DATA_LIMIT_BYTES - STATE_ROOM_BYTES
    if children * summary > limit:  # only a given batch can be too small
        smallest = -(-len(targets) // (limit // summary))
        yield Problem(
            "concurrency", f"requests_per_child={batch!r}",
            f"makes {children:,} child executions for {len(targets):,} requests; the Map's "
            f"result keeps one summary a child (up to {summary:,} bytes here), and "
            f"{children:,} x {summary:,} bytes is more than the {limit // 1024:,} KiB the "
            "parent's state has for them (256 KiB a state).",
            f"use requests_per_child={smallest:,} or more, or omit it.",
        )  # fmt: skip
    if batch * each > STATE_DATA_LIMIT_BYTES:
        most = STATE_DATA_LIMIT_BYTES // each * (limit // summary)
        yield Problem(
            "fan_out", shown,
            f"needs batches of {batch:,} requests ({len(targets):,} requests over at most "
            f"{limit // summary:,} children, each child's summary {summary:,} bytes of the "
            f"parent's {limit // 1024:,} KiB), and {batch:,} x {each:,} bytes (the largest "
            f"request as its child {'computes' if is_computed else 'reads'} it) is more than "
            "a child's 256 KiB input.",
            f"split the paths over several downloaders (about {most:,} each), or shorten them.",
        )  # fmt: skip
    elif names and query_chars(batch, each) < MIN_QUERY_CHARS:
        yield Problem(
            "concurrency", f"requests_per_child={batch!r}",
            f"leaves each of {batch:,} items {STATE_DATA_LIMIT_BYTES // batch:,} bytes of a "
            f"child's 256 KiB, {each:,} of them the largest computed request: "
            f"{query_chars(batch, each):,} characters for the run's query values at "
            f"{BYTES_PER_QUERY_CHAR} bytes each, fewer than {MIN_QUERY_CHARS} (the query "
            "overrides travel in every item of a batch).",
            "use a smaller requests_per_child, or drop the query overrides.",
        )  # fmt: skip
    requests = batch * pages
    every = f"{batch:,} requests" if pages == 1 else f"{batch:,} paths x {pages:,} pages"
    paged_fix = " or fewer max_pages," if pages > 1 else ""
    if context.concurrency.child_workflow_type == sfn.StateMachineType.STANDARD:
        per = REQUEST_EVENTS if pages == 1 else MAP_ITERATION_EVENTS + pages * PAGE_EVENTS
        events = batch * (per + pages * RETRY_EVENTS) + RUN_OVERHEAD_EVENTS
        if events > HISTORY_EVENT_LIMIT:
            shape = (
                f"{per}" if pages == 1 else f"{MAP_ITERATION_EVENTS} + {pages:,} x {PAGE_EVENTS}"
            )
            yield Problem(
                "fan_out", shown,
                f"needs batches of {every}, and a Standard child execution would "
                f"need {events:,} history events ({batch:,} x ({shape} + "
                f"{pages * RETRY_EVENTS:,} for one retry a request) + {RUN_OVERHEAD_EVENTS}), "
                f"more than its {HISTORY_EVENT_LIMIT:,}.",
                f"use Express children (the default), a smaller requests_per_child,{paged_fix} "
                "or split the paths over several downloaders.",
            )  # fmt: skip
    else:
        seconds = requests * REQUEST_SECONDS
        if seconds > EXPRESS_MAX_MINUTES * 60:
            yield Problem(
                "fan_out", shown,
                f"needs batches of {every}, one after another in each Express child "
                f"execution: {requests:,} x {REQUEST_SECONDS:g} s = {seconds:,.0f} s, more than "
                f"the {EXPRESS_MAX_MINUTES} minutes an Express execution runs.",
                f"split the paths over several downloaders, use a smaller requests_per_child,"
                f"{paged_fix} or child_workflow_type=StateMachineType.STANDARD.",
            )  # fmt: skip


def batch_requests(scope: Construct, parts: RunParts, keys: Sequence[str]) -> sfn.Pass:
    """``BatchRequests``, a child execution's first state with requests computed each run:
    each item of its batch (``{"request": {"key": <path as given>}, ...}``, as the Map's
    ``ItemSelector`` made it) with the request the run makes of it, computed as the in-state
    ``ListRequests`` computes it (times filled, the run's query values set), the scheduled
    time and the run's query read from the items."""
    names = parts.overridable
    url = first_page_url(parts, "$ovUrl")
    pages = f', "{URL_FIELD}": {url}' if keeps_url(parts) else ""
    own = "$states.input.Items[0]"
    fill = (
        parts.time_fill(keys, f"{own}.{SCHEDULED_TIME_KEY}")
        if parts.time_fill is not None
        else "$fill := function($t) { $t };"
    )
    prelude = _overrides.prelude(f"{own}.{RUN_QUERY_KEY}") if names else ""
    applied = _overrides.apply(names, "$ovUrl") if names else ""
    key = _overrides.key_of(names, "$ovKey") if names else "$ovKey"
    attribute = f", {_overrides.attribute(names)}" if names else ""
    # The item's own fields: a page loop reads its key and URL there, Persist the attribute
    # (which reads $ovValues, assigned while the request is computed).
    fields = [f"'{REQUEST_PATH[2:]}': $r"]
    if parts.per_request is not None:
        fields += ["'key': $r.key", f"'{URL_FIELD}': $r.{URL_FIELD}"]
    item = (
        f"( $ovKey := $i.{REQUEST_PATH[2:]}.key; $ovUrl := $fill($ovKey); {applied} "
        f"$r := $merge([{parts.downloads.request_from_url(url)}, {{'key': {key}{pages}}}]); "
        f"$merge([$i, {{{', '.join(fields)}{attribute}}}]) )"
    )
    expression = (
        f"({fill} {prelude} {{'Items': [$map($states.input.Items, function($i) {{ {item} }})]}})"
    )
    return sfn.Pass.jsonata(
        scope, "BatchRequests", outputs="{% " + re.sub(r"\s*\n\s*", " ", expression) + " %}"
    )


def run_query(scope: Construct, names: Sequence[str], most: int) -> sfn.Choice:
    """``RunQuery``, the parent's state before the Map with query overrides: the run's values
    of ``names`` (``runQuery``, ``{}`` when it gives none) join the state, for the
    ``ItemSelector`` to give every item; values longer than ``most`` characters (their JSON
    text, what a batch has room for: ``query_chars``) fail the run with
    ``Downloader.InvalidInput`` before any request. One state (a JSONata Choice with the
    Output), as the Pass it replaces."""
    allowed = json.dumps(list(names))
    given = (
        f"$sift($states.context.Execution.Input.{QUERY_KEY}, "
        f"function($v, $k) {{ $k in {allowed} }})"
    )
    values = f"($q := {given}; $exists($q) ? $q : {{}})"
    too_long = sfn.Fail(
        scope, "QueryTooLong", error=INVALID_INPUT_ERROR,
        cause=f"The run's query values ({', '.join(names)}) are longer than the {most:,} "
        "characters (as JSON) each item of a batch of requests read from S3 has room for; "
        "nothing was requested.",
    )  # fmt: skip
    return sfn.Choice.jsonata(
        scope, "RunQuery",
        outputs="{% $merge([$states.input, {'" + RUN_QUERY_KEY + "': " + values + "}]) %}",
    ).when(
        sfn.Condition.jsonata("{% $length($string(" + values + ")) > " + str(most) + " %}"),
        too_long,
    )  # fmt: skip
