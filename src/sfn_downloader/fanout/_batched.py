"""``FanOut.from_answer`` beyond 1,000 items: the list's values in batches of a Distributed Map.

With ``Concurrency.distributed(n)``, the list keeps of each item only what ``each`` reads
(``answer._kept``): 12,000 integer ids are about 80 KB, which the run's state holds (256 KiB),
where 12,000 request objects (~100 bytes each) would not. ``FetchAll`` is then a Distributed
Map over those values (``ItemsPath``); its ``ItemBatcher`` gives each child execution
``{"Items": [...]}`` of at most ``B`` values, each as the ``ItemSelector`` makes it (the value,
the scheduled time, the persist fields: "ItemBatcher (Map)", "ItemSelector (Map)"). A child
computes its batch's requests in one JSONata Pass (``BatchRequests``: ``each`` filled per value,
as ``ListRequests`` does on the inline path), runs Download → Persist for each, one after
another (``FetchAllBatch``), and outputs its summary (``BatchOutcome``).

What bounds a batch of ``B`` values for ``N`` items (Step Functions service quotas: 256 KiB of
data a state's input or output; an Express execution runs 5 minutes; a Standard execution's
history holds 25,000 events):

* **The parent's state**: the Map's result keeps one summary a child, ``ceil(N / B) x
  <largest summary>`` within 256 KiB less ``STATE_ROOM_BYTES``, which sets the smallest ``B``
  (at least ``MIN_BATCH_ITEMS``). The list's values themselves travel there too: at least 2
  bytes each (a one-digit id and its comma), so ``max_items`` is at most ``MAX_BATCHED_ITEMS``.
* **A child's state once its requests are computed**: ``B x request_bytes(each, v)`` within
  256 KiB, which sets the longest value (``v`` characters) a batch has room for. The run checks
  it before any request: a longer value fails it with ``Downloader.ItemTooLarge``.
* **An Express child runs at most 5 minutes** (``B x REQUEST_SECONDS``); **a Standard child's
  history** holds ``B x (REQUEST_EVENTS + 2 + RETRY_EVENTS) + RUN_OVERHEAD_EVENTS`` events.

With pagination each value's request is a page loop of up to ``max_pages`` pages, one after
another in its child (``pages``): a child's bounds count ``B x max_pages`` requests, and the
least ``B`` is ``_s3.min_batch(max_pages)``. Time placeholders in ``each`` and query overrides are
computed in each child (``BatchRequests`` reads the scheduled time and the run's query from its
items, which the ``ItemSelector`` gives them: a child execution's own input is its batch); the
run's query values then travel in every item, at most ``QUERY_CHARS`` characters of JSON text
(``ListRequests`` fails a run given more with ``Downloader.InvalidInput``), which a batch's
values give up room for. ``post_process`` follows the Map once and reads the batches' summaries.
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import aws_stepfunctions as sfn

from .._checks import time_tokens
from .._contract import (
    EXPRESS_MAX_MINUTES,
    FLOW_STATE_EVENTS,
    HISTORY_EVENT_LIMIT,
    RETRY_EVENTS,
    RUN_OVERHEAD_EVENTS,
    STATE_DATA_LIMIT_BYTES,
)
from .._defaults import REQUEST_SECONDS
from .._parts import CheckContext
from .._states import KEY_CHARS
from ..errors import Problem
from ._s3 import (
    ITEM_ROOM_BYTES,
    PAGE_EVENTS,
    REQUEST_EVENTS,
    STATE_ROOM_BYTES,
    min_batch,
    outcome_bytes,
)

LIST_BYTES = STATE_DATA_LIMIT_BYTES - STATE_ROOM_BYTES
"""What the parent's state has for the list's values, and again for the children's summaries."""
MIN_VALUE_BYTES = 2
"""The least a listed value takes in the state: a one-digit id and its comma."""
MAX_BATCHED_ITEMS = LIST_BYTES // MIN_VALUE_BYTES
"""The most items ``max_items`` may take in batches (122,880): more values than fit the state."""
REQUEST_ROOM_BYTES = 512
"""What a computed request adds besides the filled-in ``each``: its field names, the query
object, an unsafe item's refusal text."""
QUERY_CHARS = 128
"""With query overrides in batches: the most characters the run's values (their JSON text) may
have; each is up to ``BYTES_PER_VALUE_CHAR`` bytes in every item of a batch."""
TIME_CHARS = 20
"""The longest text a time placeholder becomes (``:iso``, ``2026-11-27T05:30:00Z``)."""
BYTES_PER_VALUE_CHAR = 36
"""The most bytes a value's character becomes in its computed request: percent-encoded (up to
9 bytes: a 3-byte UTF-8 character) in the path, the key and the URL, and twice more in an unsafe
item's refusal (the item, the segment)."""


def summary_bytes(each: str, batch: int) -> int:
    """The largest summary a child outputs: its key cut to ``KEY_CHARS`` characters, each of up
    to 3 bytes only where ``each`` itself writes them (the values are percent-encoded)."""
    wide = len(each.encode()) - len(each)
    return outcome_bytes("k" * (KEY_CHARS + wide), batch)


def batch_size(items: int, each: str, given: int | None = None, pages: int = 1) -> int:
    """The values a child runs: ``given``, else at least ``min_batch(pages)`` and enough that
    every child's summary fits the parent's state."""
    if given is not None:
        return given
    least = min_batch(pages)
    batch = least
    while True:  # the summary's size grows with the batch's digits: settle both
        needed = max(least, -(-items // (LIST_BYTES // summary_bytes(each, batch))))
        if needed <= batch:
            return batch
        batch = needed


def each_bytes(each: str) -> int:
    """``each``'s bytes as its computed requests hold it: each time placeholder at its longest
    text (``TIME_CHARS``) when that is longer."""
    for token in time_tokens(each):
        each = each.replace(token, "T" * max(len(token), TIME_CHARS))
    return len(each.encode())


def value_chars(batch: int, each: str, *, overrides: bool = False) -> int:
    """The longest value (its JSON text, in characters) a batch of ``batch`` has room for
    (with ``overrides``, besides the run's query values: ``QUERY_CHARS``)."""
    room = STATE_DATA_LIMIT_BYTES // batch - ITEM_ROOM_BYTES - REQUEST_ROOM_BYTES
    query = QUERY_CHARS if overrides else 0
    return (room - 4 * each_bytes(each)) // BYTES_PER_VALUE_CHAR - query


def default_items(each: str, given: int | None = None, pages: int = 1) -> int:
    """The items a run takes when ``max_items`` is not given: as many as batches of ``given``
    (else ``MIN_BATCH_ITEMS``, so that values keep the room of the smallest batch) hold."""
    batch = given if given is not None else min_batch(pages)
    return LIST_BYTES // summary_bytes(each, batch) * batch


def check(context: CheckContext, each: str, items: int, pages: int = 1) -> Iterator[Problem]:
    """What batches of ``items`` values cannot hold, with the arithmetic (``pages``: a page
    loop of up to that many pages a value)."""
    given = context.concurrency.requests_per_child
    batch = batch_size(items, each, given, pages)
    children = -(-items // batch)
    summary = summary_bytes(each, batch)
    if children * summary > LIST_BYTES:  # only a given batch can be too small
        smallest = -(-items // (LIST_BYTES // summary))
        yield Problem(
            "concurrency", f"requests_per_child={batch!r}",
            f"makes {children:,} child executions for {items:,} items; the Map's result keeps "
            f"one summary a child (up to {summary:,} bytes), and {children:,} x {summary:,} "
            f"bytes is more than the {LIST_BYTES // 1024:,} KiB the parent's state has for "
            "them (256 KiB a state).",
            f"use requests_per_child={smallest:,} or more, or omit it.",
        )  # fmt: skip
    overrides = bool(context.overridable_query)
    longest = value_chars(batch, each, overrides=overrides)
    if longest < 1:
        query = QUERY_CHARS if overrides else 0
        most = STATE_DATA_LIMIT_BYTES // (
            ITEM_ROOM_BYTES + REQUEST_ROOM_BYTES + 4 * each_bytes(each)
            + BYTES_PER_VALUE_CHAR * (1 + query)
        )  # fmt: skip
        queried = (
            f" + {BYTES_PER_VALUE_CHAR} x {QUERY_CHARS} for the run's query values" if query else ""
        )
        yield Problem(
            "fan_out.max_items", items,
            f"needs batches of {batch:,} values, and a child's state holds {batch:,} computed "
            f"requests of ({ITEM_ROOM_BYTES} + {REQUEST_ROOM_BYTES} + 4 x "
            f"{each_bytes(each)} bytes of each{queried} + {BYTES_PER_VALUE_CHAR} a value's "
            "character) each within 256 KiB: no room for even a one-character value.",
            f"use batches of at most {most:,} (requests_per_child), fewer items, or a shorter "
            "each.",
        )  # fmt: skip
    every = f"{batch:,} requests" if pages == 1 else f"{batch:,} values x {pages:,} pages"
    if context.concurrency.child_workflow_type == sfn.StateMachineType.STANDARD:
        # and ItemRefused, a Choice; with pages, each page's states
        each_events = (
            REQUEST_EVENTS + FLOW_STATE_EVENTS if pages == 1
            else 2 + FLOW_STATE_EVENTS + pages * PAGE_EVENTS
        )  # fmt: skip
        events = batch * (each_events + pages * RETRY_EVENTS) + RUN_OVERHEAD_EVENTS
        if events > HISTORY_EVENT_LIMIT:
            shape = f"{each_events}" if pages == 1 else f"4 + {pages:,} x {PAGE_EVENTS}"
            yield Problem(
                "concurrency", f"requests_per_child={batch!r}",
                f"makes a Standard child execution of {every} need {events:,} history events "
                f"({batch:,} x ({shape} + {pages * RETRY_EVENTS:,} for one retry a request) + "
                f"{RUN_OVERHEAD_EVENTS}), more than its {HISTORY_EVENT_LIMIT:,}.",
                "use Express children (the default), or a smaller requests_per_child"
                + (" or max_pages." if pages > 1 else "."),
            )  # fmt: skip
    else:
        seconds = batch * pages * REQUEST_SECONDS
        if seconds > EXPRESS_MAX_MINUTES * 60:
            yield Problem(
                "concurrency", f"requests_per_child={batch!r}",
                f"runs {every} one after another in each Express child execution: "
                f"{batch * pages:,} x {REQUEST_SECONDS:g} s = {seconds:,.0f} s, more than the "
                f"{EXPRESS_MAX_MINUTES} minutes an Express execution runs.",
                "use a smaller requests_per_child"
                + (" or max_pages" if pages > 1 else "")
                + ", or child_workflow_type=StateMachineType.STANDARD.",
            )  # fmt: skip
