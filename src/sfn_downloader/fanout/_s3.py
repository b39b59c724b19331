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

``B`` is at least ``MIN_BATCH_ITEMS``: fewer, larger children cost fewer parent transitions
(one a child started, "Transitions in Distributed Map state") and fewer Express requests.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import time_tokens
from .._contract import (
    EXPRESS_MAX_MINUTES,
    HISTORY_EVENT_LIMIT,
    MAP_ITERATION_EVENTS,
    RETRY_EVENTS,
    RUN_OVERHEAD_EVENTS,
    STATE_DATA_LIMIT_BYTES,
    TASK_EVENTS,
)
from .._defaults import REQUEST_SECONDS
from .._parts import CheckContext, Target
from .._states import ERROR_CHARS, KEY_CHARS
from ..errors import Problem

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


def outcome_bytes(longest_key: str, batch: int) -> int:
    """The largest summary a child outputs (``BATCH_OUTCOME``), with a comma."""
    digits = "9" * len(str(batch))
    example = {
        "ok": False, "stored": int(digits), "failedCount": int(digits),
        "key": longest_key[:KEY_CHARS], "error": "E" * ERROR_CHARS,
    }  # fmt: skip
    return _compact(example) + 1


def batch_size(targets: Sequence[Target], given: int | None = None) -> int:
    """The requests a child runs: ``given``, else at least ``MIN_BATCH_ITEMS`` and enough that
    every child's summary fits the parent's state."""
    if given is not None:
        return given
    count = len(targets)
    if count == 0:
        return MIN_BATCH_ITEMS
    longest = max((t.key for t in targets), key=_compact)
    budget = STATE_DATA_LIMIT_BYTES - STATE_ROOM_BYTES
    batch = MIN_BATCH_ITEMS
    while True:  # the summary's size grows with the batch's digits: settle both
        needed = max(MIN_BATCH_ITEMS, -(-count // max(1, budget // outcome_bytes(longest, batch))))
        if needed <= batch:
            return batch
        batch = needed


def item_bytes(listed: Sequence[Any]) -> int:
    """The largest item a child's batch holds: a listed request and the selector's fields."""
    return max((_compact({"request": item}) for item in listed), default=0) + ITEM_ROOM_BYTES


def check(
    context: CheckContext, targets: Sequence[Target], listed: Sequence[Any]
) -> Iterator[Problem]:
    """What a request list read from S3 cannot hold, with the arithmetic."""
    shown = f"<{len(targets):,} paths>"
    if context.paginated:
        yield Problem(
            "concurrency", "items_from_s3=True",
            "reads a fan-out's requests from S3 in batches of requests, one after another in "
            "each child execution; with pagination each path is a page loop of its own, which "
            "this does not run yet.",
            "drop items_from_s3 (the request list then travels in the state, up to about "
            "5,000 paths), or drop pagination.",
        )  # fmt: skip
    if context.overridable_query:
        yield Problem(
            "concurrency", "items_from_s3=True",
            "reads requests written at synth from S3; an overridable query edits each "
            "request's URL in the run's state (query overrides), which a request read from "
            "S3 never passes through.",
            "drop items_from_s3 or the overrides (Starts.overrides / overridable_query).",
        )  # fmt: skip
    timed = [t.key for t in targets if time_tokens(t.key)]
    if timed:
        yield Problem(
            "fan_out", timed[0],
            "has time placeholders, filled each run in the run's state; requests read from "
            "S3 (items_from_s3=True) are the paths as written at synth.",
            "write the paths without time placeholders, or drop items_from_s3.",
        )  # fmt: skip
    if context.post_process:
        yield Problem(
            "post_process", True,
            "reads the run's outcomes, one per request; a fan-out read from S3 "
            "(items_from_s3=True) keeps one summary per batch of requests instead.",
            "drop post_process or items_from_s3.",
        )  # fmt: skip
    if not targets:
        return
    each = item_bytes(listed)
    given = context.concurrency.requests_per_child
    batch = batch_size(targets, given)
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
            f"request as its child reads it) is more than a child's 256 KiB input.",
            f"split the paths over several downloaders (about {most:,} each), or shorten them.",
        )  # fmt: skip
    if context.concurrency.child_workflow_type == sfn.StateMachineType.STANDARD:
        events = batch * (REQUEST_EVENTS + RETRY_EVENTS) + RUN_OVERHEAD_EVENTS
        if events > HISTORY_EVENT_LIMIT:
            yield Problem(
                "fan_out", shown,
                f"needs batches of {batch:,} requests, and a Standard child execution would "
                f"need {events:,} history events ({batch:,} x ({REQUEST_EVENTS} + "
                f"{RETRY_EVENTS} for one retry) + {RUN_OVERHEAD_EVENTS}), more than its "
                f"{HISTORY_EVENT_LIMIT:,}.",
                "use Express children (the default), or split the paths over several "
                "downloaders.",
            )  # fmt: skip
    else:
        seconds = batch * REQUEST_SECONDS
        if seconds > EXPRESS_MAX_MINUTES * 60:
            yield Problem(
                "fan_out", shown,
                f"needs batches of {batch:,} requests, one after another in each Express child "
                f"execution: {batch:,} x {REQUEST_SECONDS:g} s = {seconds:,.0f} s, more than "
                f"the {EXPRESS_MAX_MINUTES} minutes an Express execution runs.",
                "split the paths over several downloaders, or use "
                "child_workflow_type=StateMachineType.STANDARD.",
            )  # fmt: skip
