"""The contract: every name a run's states, its input, its items and its errors agree on.

One home for the table's attribute names, the execution input's keys, the layout of a run's
state data and the construct's own error names, so that the construct, ``sfn_downloader.local``
and ``sfn_downloader.cost`` cannot drift apart. No aws-cdk-lib import: plain strings and numbers.
"""

from __future__ import annotations

# --- The table -------------------------------------------------------------------------------
PARTITION_KEY = "pk"
"""Partition key attribute: the downloader's id, so several downloaders share one table."""
SORT_KEY = "sk"
"""Sort key attribute: the run's scheduled time (ISO 8601, UTC), so a time range is one Query."""
KEY_SEPARATOR = "#"
"""With several answers a run, ``sk = <scheduled time>#<path or page>``."""
TTL_ATTRIBUTE = "expiresAt"
"""With ``retention``: the item's expiry, epoch seconds, the table's time-to-live attribute."""

RAW_RESPONSE_FIELDS = ("Headers", "ResponseBody", "StatusCode", "StatusText")
"""What a download's raw answer holds (``apigateway:invoke`` and the HTTP Task alike)."""

# --- The execution input ---------------------------------------------------------------------
SCHEDULED_TIME_KEY = "scheduledTime"
"""The execution input's key holding the run's scheduled time (the schedule sets it)."""
QUERY_KEY = "query"
"""The on-demand input's key holding query parameter overrides."""
SCHEDULED_TIME_PATH = f"$$.Execution.Input.{SCHEDULED_TIME_KEY}"
"""Where every state finds the run's scheduled time."""
EXECUTION_NAME_PATH = "$$.Execution.Name"
"""The execution's name: one delivery of a scheduled run (a re-delivery has another)."""
INPUT_QUERY_PATH = f"$$.Execution.Input.{QUERY_KEY}"
"""Where an on-demand run's query overrides are."""

# --- A run's state data ----------------------------------------------------------------------
RESULT_FIELD = "result"
"""With post-processing or an S3 archive: where the selected result sits in the state."""
KEY_FIELD = "key"
"""With post-processing or an S3 archive: where the stored item's key sits in the state."""
OBJECT_FIELD = "object"
"""With an S3 archive: where the stored object's location (``bucket``, ``key``) sits."""
QUERY_PATH = f"$.{QUERY_KEY}"
"""With query overrides: where the download finds its query parameters."""
QUERY_DEFAULTS_PATH = "$.queryDefaults"
QUERY_MERGED_PATH = "$.queryMerged"
RESPONSE_FIELD = "response"
"""Inside a Map iteration (and under ``first``/``current``): the selected answer."""
RESPONSE_PATH = f"$.{RESPONSE_FIELD}"
REQUEST_PATH = "$.request"
"""A fan-out iteration's request: ``{"path", "query", "key"}``."""
REQUESTS_PATH = "$.requests"
"""The fan-out's list of requests (``ListRequests``)."""
MAP_SCHEDULED_TIME_PATH = f"$.{SCHEDULED_TIME_KEY}"
"""Inside a Map iteration: the scheduled time its item carries."""
PAGE_PATH = "$.page"
"""A page's number (the Map item, or the cursor loop's counter)."""
PAGES_PATH = "$.pages"
"""Page count pagination: the pages to fetch."""
FIRST_PATH = "$.first"
"""Page count pagination: the first page (``response``, ``pages``)."""
CURRENT_PATH = "$.current"
"""Cursor pagination: the page being stored (``response``, ``next``)."""
FAILURE_PATH = "$.failure"
"""Inside a Map iteration: the caught error of a failed request."""
EXPIRES_VARIABLE = "expiresAt"
"""With ``retention``: the run's expiry (epoch seconds), assigned by ``ComputeExpiry``."""

# --- Error names a run may end with ----------------------------------------------------------
REQUESTS_FAILED_ERROR = "Downloader.RequestsFailed"
"""Some requests of a fan-out (or some pages) failed; the others' items are stored."""
INVALID_INPUT_ERROR = "Downloader.InvalidInput"
"""An on-demand start without a valid ``scheduledTime``."""

# --- Step Functions limits the construct designs around ---------------------------------------
STATE_DATA_LIMIT_BYTES = 256 * 1024
"""A state's input or output, and a task's result, at most 256 KiB (service quotas)."""
INLINE_MAP_MAX_CONCURRENCY = 40
"""An inline Map runs at most 40 iterations at once."""
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
"""A Distributed Map runs at most 10,000 child executions at once."""
EXPRESS_MAX_MINUTES = 5
"""An Express workflow runs at most 5 minutes."""
STAGE_NAME = "prod"
"""The proxy's stage (API Gateway transport)."""

# --- A downloader's memory and a run's identity (used by the features that need them) --------
STATE_SORT_KEY = "#state"
"""The downloader's state item (high-water mark, validators, hashes): ``pk = <downloader id>``,
``sk = "#state"``. ``#`` sorts before every digit, so a time-range ``Query`` of the items
(``sk BETWEEN <t1> AND <t2>``) never returns it, and the newest item is still the last one."""
RUN_ATTRIBUTE = "run"
"""On every item of a run of several answers: the execution's name, so that the items of one
delivery can be told from a re-delivery's."""
RUN_STARTED_ATTRIBUTE = "runStartedAt"
"""On every item of a run of several answers: when its execution started (ISO 8601), so that
the newest delivery's set of pages is the consistent one."""

# --- Time: requests computed each run (placeholders, a window, an incremental mark) ---------
PLACEHOLDER_NAMES = ("scheduled_time", "window_start", "window_end")
"""Placeholders of ``path`` filled from the run's scheduled time (reserved: not fan-out names)."""
PLACEHOLDER_FORMATS = ("iso", "date", "epoch", "epoch_ms")
"""``{name:format}``; ``iso`` (the default) is ``2026-11-27T05:30:00Z``: UTC, whole seconds."""
ISO_PICTURE = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z"
"""JSONata ``$fromMillis`` picture of ``:iso`` (its default adds milliseconds: ``.000Z``)."""
DATE_PICTURE = "[Y0001]-[M01]-[D01]"
"""JSONata ``$fromMillis`` picture of ``:date``."""
REQUEST_PATH_VARIABLE = "requestPath"
"""With placeholders in the path: the run's path, assigned by ``ComputeRequest``."""
REQUEST_QUERY_VARIABLE = "requestQuery"
"""With placeholders in the query or an incremental mark: the run's query parameters (values
are lists, as ``apigateway:invoke`` takes them), assigned by ``ComputeRequest``."""
REQUEST_MARK_VARIABLE = "requestMark"
"""With ``incremental``: the mark this run sends (the stored one, or ``initial``)."""
STATE_ITEM_VARIABLE = "stateItem"
"""The downloader's state item as ``ReadState`` got it: ``{"Item": {...}}``, or ``{}``."""
CURSOR_VALUES_VARIABLE = "cursorValues"
"""With ``incremental``: the values at ``cursor_path`` in the answer, assigned by Download."""
MARK_UPDATE_VARIABLE = "markUpdate"
"""With ``incremental``: ``{"mark", "order"}`` the run writes, assigned by ``ComputeMark``."""
MARK_ATTRIBUTE = "mark"
"""In the state item: the incremental mark as the next run sends it (a string)."""
MARK_ORDER_ATTRIBUTE = "markOrder"
"""In the state item: the mark's order (epoch milliseconds of an ISO time, or the number): the
conditional write compares it, so the mark only moves forward."""
MARK_SET_BY_ATTRIBUTE = "markSetBy"
"""In the state item: the scheduled time of the run that last moved the mark."""
CONDITIONAL_CHECK_FAILED_ERROR = "DynamoDB.ConditionalCheckFailedException"
"""A conditional write that did not apply (the mark is already as far, or further)."""
DYNAMODB_RETRYABLE_ERRORS = (
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
)
"""DynamoDB throttling and its transient server errors, as a task names them."""

# --- Backfill --------------------------------------------------------------------------------
BACKFILL_FROM_KEY = "from"
"""The backfill input's first scheduled time (inclusive)."""
BACKFILL_TO_KEY = "to"
"""The backfill input's last scheduled time (inclusive)."""
BACKFILL_MAX_TIMES = 1_000
"""Scheduled times one backfill execution runs at most (``States.ArrayRange``'s limit, and well
inside a Standard execution's 25,000 history events at about 10 events a time)."""
BACKFILL_TIMES_PATH = "$.times"
"""The backfill's list of scheduled times (``ListTimes``)."""
