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
QUERY_ATTRIBUTE = "query"
"""With ``overridable_query``: the values of the overridable query parameters the answer was
requested with (a map, name → string), also part of the key:
``sk = <scheduled time>#<name>=<value>[&<name>=<value>...]``."""

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
EXECUTION_START_TIME_PATH = "$$.Execution.StartTime"
"""When the execution started, ISO 8601 with milliseconds (``2019-03-26T20:14:13.192Z``,
"Accessing execution data from the Context object in Step Functions"). Only in task
parameters: moto 5.2.5 keeps it as a datetime, which breaks ``describe_execution`` when it is
in an execution's output (the local runner turns it into the documented text)."""

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
KEY_SUFFIX_PATH = "$.keySuffix"
"""With query overrides: the item key's suffix (``<name>=<value>&...``), set before the
download: ``sk = <scheduled time>#<suffix>``."""
QUERY_ATTRIBUTE_PATH = "$.queryAttribute"
"""With query overrides: the ``query`` attribute, as a DynamoDB map (``{"name": {"S": ...}}``)."""
RESPONSE_FIELD = "response"
"""Inside a Map iteration (and under ``first``/``current``): the selected answer."""
RESPONSE_PATH = f"$.{RESPONSE_FIELD}"
SELECTED_FIELD = "selected"
"""``page_count``'s checked first page with an archive and a selector: the selection, kept
beside the answer's ``Headers`` (which ``CountPages`` reads) by ``SelectFirstPage``."""
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
RAW_FIELD = "raw"
"""A page loop (``link_header``, ``next_url``, ``offset``, ``page_number``): the raw answer of
the page just downloaded, until ``NextRequest`` has read what the paginator needs from it."""
RAW_PATH = f"$.{RAW_FIELD}"
KEEP_FIELD = "keep"
"""A page loop with a ``result_selector``: the loop's state while the raw answer is selected."""
URL_FIELD = "url"
"""A page loop: the request being made, as ``/path?query`` (the query as the API wrote it)."""
REQUEST_FIELD = "request"
"""A page loop: the request being made, as the transport takes it (``path``, ``query``)."""
PAGING_FIELD = "paging"
"""A page loop: what the paginator carries from page to page (offset, page count, ...)."""
STORED_PATH = "$.stored"
"""A page loop: the number of the page ``PersistPage`` stores (``$.page`` is the next one)."""
MORE_PATH = "$.more"
"""A page loop: true when another page is to be fetched."""
PAGE_FAILURE_PATH = "$.pageFailure"
"""A page loop's failed download (after its retries), as its Catch keeps it (``Error``,
``Cause``): ``PageFailed`` fails the run with that error, the cause naming the page."""
PAGING_ERROR_PATH = "$.pagingError"
LIST_FAILURE_VARIABLE = "listFailure"
"""``FanOut.from_answer`` (not in batches): the list error ``CheckList``'s rule assigns for
``ListRefused`` (``{"name", "cause"}``), read from no state's output."""
PAGING_FAILURE_VARIABLE = "pagingFailure"
"""``page_count`` (one path): the paging error ``CountPages``'s rule assigns for
``PageCountNotFound`` (``{"name", "cause"}``), read from no state's output."""
"""A page loop: ``{"name", "cause"}`` when the answer breaks the paginator's contract (a next
URL off the endpoint's origin, items or total not found); the page is stored, then the run (or
the fan-out's request) fails with ``name``."""
FOUND_FIELD = "found"
"""``FanOut.from_answer``: the items its list request found (all pages of it)."""
KEY_PATH = "$.key"
"""A fan-out with pagination iteration: the request's key (the path as given)."""
EXPIRES_VARIABLE = "expiresAt"
"""With ``retention``: the run's expiry (epoch seconds), assigned by ``ComputeExpiry`` (or by a
single request's JSONata download, in its ``Assign``)."""

# --- Error names a run may end with ----------------------------------------------------------
REQUESTS_FAILED_ERROR = "Downloader.RequestsFailed"
"""Some requests of a fan-out (or some pages) failed; the others' items are stored."""
INVALID_INPUT_ERROR = "Downloader.InvalidInput"
"""An on-demand start without a valid ``scheduledTime``."""
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
"""Step Functions' error for a result over 256 KiB: ``States.ALL`` does not catch it."""

# --- Request headers a transport's task refuses to send -----------------------------------
HTTP_TASK_FORBIDDEN_HEADERS = frozenset(
    name.lower()
    for name in (
        "A-IM", "Accept-Charset", "Accept-Datetime", "Accept-Encoding", "Authorization",
        "Cache-Control", "Connection", "Content-Encoding", "Content-MD5", "Date", "Expect",
        "Forwarded", "From", "Host", "HTTP2-Settings", "If-Match", "If-Modified-Since",
        "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards", "Origin", "Pragma",
        "Proxy-Authorization", "Range", "Referer", "Server", "TE", "Trailer",
        "Transfer-Encoding", "Upgrade", "Via", "Warning",
    )
)  # fmt: skip
"""Headers an HTTP Task may not set (Step Functions developer guide, "Call HTTPS APIs in Step
Functions workflows", Headers), lower case: the task fails with ``States.Runtime`` instead of
sending them. ``Range`` is not on that list, but the page says Step Functions sets ``Range``
itself (``bytes=0-262144``): whether a task's own ``Range`` is refused or replaced is not
documented, so it is refused."""
HTTP_TASK_FORBIDDEN_HEADER_PREFIXES = ("x-forwarded", "x-amz", "x-amzn")
"""Header name prefixes an HTTP Task may not set (same page)."""

NEXT_URL_OFF_ORIGIN_ERROR = "Downloader.NextUrlOffOrigin"
"""A next-page URL (``Link`` header or body) points off the endpoint's origin (scheme, host and
port compared exactly): the run stops before any request leaves for it."""
UNMAPPED_QUERY_ERROR = "Downloader.UnmappedQueryName"
"""A next-page URL carries a query parameter the proxy does not pass on: with ``trim`` or
``retry_after`` it is a non-proxy integration, which maps only the names it declares
(``Pagination.link_header(query_names=...)``): the URL is not requested."""
NEXT_URL_MALFORMED_ERROR = "Downloader.NextUrlMalformed"
"""A next-page URL (``Link`` header or body) cannot be made into a request (a control
character, a ``%`` that starts no percent-encoded character the transport can decode): the page
that carried it is stored, then the run (in a fan-out, that path) fails; nothing is requested."""
UNSAFE_ITEM_ERROR = "Downloader.UnsafeItem"
"""``FanOut.from_answer``: an item would fill a path segment of ``each`` with ``.`` or ``..``
(a dot segment, which moves the request to another path): that request is not made and is
recorded as failed; the other requests go on."""
ITEMS_NOT_FOUND_ERROR = "Downloader.PageItemsNotFound"
"""``offset``/``page_number`` pagination: ``items_path`` is not a list in the page's answer."""
TOTAL_NOT_FOUND_ERROR = "Downloader.PageTotalNotFound"
"""``offset`` pagination: ``total_path`` is not a number in the page's answer."""
TOO_MANY_ITEMS_ERROR = "Downloader.TooManyItems"
"""``FanOut.from_answer``: the list holds more items than a run requests (``max_items``);
nothing is requested."""
ITEM_TOO_LARGE_ERROR = "Downloader.ItemTooLarge"
"""``FanOut.from_answer`` in batches (``Concurrency.distributed``): an item of the list is longer
than a child execution's batch has room for (``fanout/_batched.py``); nothing is requested."""
LIST_ITEMS_NOT_FOUND_ERROR = "Downloader.ListItemsNotFound"
"""``FanOut.from_answer``: ``items`` is not a list in the list request's answer."""
PAGE_COUNT_NOT_FOUND_ERROR = "Downloader.PageCountNotFound"
"""``page_count`` pagination in a fan-out: a path's first answer has no page count header."""
CURSOR_MISSING_ERROR = "Downloader.CursorMissing"
"""``Pagination.cursor(has_more_path=...)``: a page says there is more but holds no cursor (it
is stored; the run fails: asking for the same page again would loop)."""
ANSWER_ERRORS_ERROR = "Downloader.AnswerErrors"
"""A GraphQL downloader's answer holds ``errors`` (GraphQL answers errors with HTTP 200): it is
not stored, the run fails naming the page (the cause holds the errors)."""
COMPRESSED_ANSWER_ERROR = "Downloader.CompressedAnswer"
"""An answer came back with a ``Content-Encoding`` other than ``identity`` (any letter case)
although the proxy asks ``Accept-Encoding: identity``: API Gateway passes a compressed body on
as text ("Receive an API response with a compressed payload"), so it is not stored; the run (in
a fan-out, that path) fails naming the request. Checked where a state already follows the
download (the page loop's ``NextRequest``, ``from_answer``'s list), and by a JSONata
download's ``Assign`` where only storing follows (``Downloads.checked_task``): see
``_states.compressed_coding``."""
COMPRESSED_ANSWER_VARIABLE = "compressedAnswer"
"""The variable a page's ``NextRequest`` assigns when its answer is compressed (the cause), for
the failure that follows: the rule's own ``Assign`` is documented to apply when that rule
matches, whatever the state's ``Output`` does on that branch."""
ANSWER_CHECKED_VARIABLE = "answerChecked"
"""The variable a JSONata download assigns ``true`` to once its answer is checked (not
compressed): evaluating that ``Assign`` raises on a compressed answer, failing the task with
``States.QueryEvaluationError``, which its Catch turns into ``Downloader.CompressedAnswer``. No
state reads the variable."""
ITEM_CHECKED_VARIABLE = "itemChecked"
"""``ANSWER_CHECKED_VARIABLE`` of a Map iteration's download: another name, because a Map
iteration may not assign a variable its outer scope assigns (``page_count``'s first page is
checked at the run's level, its other pages in the Map: "Variable scope", moto's
``IllegalOuterScopeWrite``)."""
LOOP_VARIABLE = "loop"
"""A page loop whose download is a JSONata task (the checked loop, issue 28(a)): the loop's
state for the next page (``page``, ``url``, ``request``, ``stored``: the page being stored,
``more``, ``paging``, ``pagingError``), which ``DownloadPage``'s ``Assign`` computes from the
raw page and the state it was given. ``PersistPage`` reads the page's key from it and writes it
back as its output (``ResultSelector``, ``OutputPath``) for ``MorePages``: the raw page passes
from the download to Persist unevaluated, so no number of it goes through JSONata."""
PATH_LOOP_VARIABLE = "pathLoop"
"""``LOOP_VARIABLE`` of a fan-out path's page loop (a Map iteration): another name, because a
Map iteration may not assign a variable its outer scope assigns."""
ASKED_VARIABLE = "loopAsked"
"""The checked page loop with ``retry_after``: the state ``DownloadPage`` was entered with,
kept by its ``Assign`` (its output is the raw page alone), which a throttled page's
``ComputeRetryAfter`` goes on with (and counts its waits from) for the same page again."""
PATH_ASKED_VARIABLE = "pathLoopAsked"
"""``ASKED_VARIABLE`` of a fan-out path's page loop (a Map iteration's own name)."""
DOWNLOAD_ASKED_VARIABLE = "downloadAsked"
"""One request a run through the checked download with ``retry_after``: the state the download
was entered with, kept by its ``Assign`` (its output is the raw answer alone), which a throttled
answer's ``ComputeRetryAfter`` goes on with (and counts its waits from) to ask again."""
MAP_ITEM_VARIABLE = "mapItem"
"""In a fan-out's iteration whose download is a JSONata task (``checked_task``): the Map item
(the request, the scheduled time, the run's marks), assigned by the download (or its Catch),
since the download's output is the raw answer alone. Variables assigned in a Map iteration
belong to that iteration ("Variable scope": each iteration its own)."""
QUERY_EVALUATION_ERROR = "States.QueryEvaluationError"
"""A JSONata expression of a state failed ("Handling errors in Step Functions workflows")."""
GRAPHQL_ERRORS_PATH = "$.ResponseBody.errors"
"""Where a GraphQL answer lists its errors ("GraphQL over HTTP": the response's ``errors``)."""
RETRY_AFTER_TOO_LONG_ERROR = "Downloader.RetryAfterTooLong"
"""``retry_after``: the server asked for a wait longer than ``max_wait`` (or than what is left
of the run's timeout); the cause holds its status, its header and its body."""
RETRY_AFTER_EXHAUSTED_ERROR = "Downloader.RetryAfterExhausted"
"""``retry_after``: the server still throttled after ``max_waits`` waits; the cause holds its
last answer."""

# --- retry_after: how the proxy hands a throttled answer to the state machine ------------------
RETRY_AFTER_STATUSES = (429, 503)
"""The statuses whose wait the server may set (``Retry-After``, RFC 9110 section 10.2.3)."""
RETRY_AFTER_HEADER = "Retry-After"
"""Delta-seconds or an HTTP-date (IMF-fixdate)."""
THROTTLED_HEADER = "X-Downloader-Throttled"
"""With ``retry_after``, the proxy answers a ``429``/``503`` as a ``200`` carrying this header
(the real status as its value), the server's headers and its body: ``apigateway:invoke`` gives a
failed task only the body as cause ("Call API Gateway with Step Functions", Error handling), so
a failure could never show the state machine the ``Retry-After`` header."""
CONTENT_ENCODING_HEADER = "Content-Encoding"
"""What the checked downloads read to refuse a compressed answer; a non-proxy integration (``trim``,
``retry_after``'s proxy) maps it, by this spelling and in lower case, on the answers it hands
over as a ``200``."""
RETRY_AFTER_FIELD = "retryAfter"
"""With ``retry_after``: the state field ``ComputeRetryAfter`` writes (seconds, waits, cause)."""

# --- Step Functions limits the construct designs around ---------------------------------------
STATE_DATA_LIMIT_BYTES = 256 * 1024
"""A state's input or output, and a task's result, at most 256 KiB (service quotas)."""
INLINE_MAP_MAX_CONCURRENCY = 40
"""An inline Map runs at most 40 iterations at once."""
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
"""A Distributed Map runs at most 10,000 child executions at once."""
EXPRESS_MAX_MINUTES = 5
"""An Express workflow runs at most 5 minutes."""
HISTORY_EVENT_LIMIT = 25_000
"""A Standard execution's history holds at most 25,000 events, past which the execution fails
(service quotas). An Express execution keeps no history of its own: no such limit."""
ARRAY_RANGE_MAX_ITEMS = 1_000
"""``States.ArrayRange`` produces at most 1,000 items ("Intrinsic functions")."""
TASK_EVENTS = 5
"""History events of a Task that succeeds at once: TaskStateEntered, TaskScheduled, TaskStarted,
TaskSucceeded, TaskStateExited (Step Functions API reference, "HistoryEvent")."""
FLOW_STATE_EVENTS = 2
"""Of a Pass, Choice or Succeed state: <type>StateEntered and <type>StateExited."""
MAP_ITERATION_EVENTS = 2
"""Of an inline Map iteration, besides its states': MapIterationStarted, MapIterationSucceeded."""
RECORDS_ANSWER_EVENTS = 4 * FLOW_STATE_EVENTS
"""What ``records`` adds to each answer (or page) at least, with no record: ReadRecords and
RecordsValid (2 each), and the WriteRecords Map's own four (MapStateEntered, MapStateStarted,
MapStateSucceeded, MapStateExited)."""
RECORD_EVENTS = MAP_ITERATION_EVENTS + TASK_EVENTS
"""What each record adds: its WriteRecords iteration (2) and its PutRecord task (5)."""
RETRY_EVENTS = 3
"""What a retried attempt adds: TaskFailed, then TaskScheduled and TaskStarted again."""
RUN_OVERHEAD_EVENTS = 40
"""Room for a run's events besides its requests: ExecutionStarted/Succeeded, the input check, the
expiry, the query overrides, a paginated run's first page and counting states, a Map's own four
(MapStateEntered/Started/Succeeded/Exited) and its AnyFailed choice; page count, the largest,
needs 40."""
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"
"""The state machine's log group name starts so: Step Functions then does not add it to the
account's CloudWatch Logs resource policy, which is limited to 5,120 characters."""
LOG_GROUP_NAME_MAX = 180
"""The longest log group name the construct makes: a state machine's logging configuration takes
a log group ARN of at most 256 characters, ``arn:<partition>:logs:<region>:<account>:log-group:``
(up to ~60 characters) before the name and ``:*`` after it."""
STAGE_NAME = "prod"
"""The proxy's stage (API Gateway transport)."""

# --- API Gateway REST API limits a trimming proxy designs around (developer guide, "Quotas for
# configuring and running a REST API in API Gateway") -----------------------------------------
MAPPING_TEMPLATE_MAX_BYTES = 300_000
"""A mapping template is at most 300 KB (read as 300,000 bytes: the stricter of the two
readings of "KB")."""
FOREACH_MAX_ITERATIONS = 1_000
"""A ``#foreach ... #end`` loop of a mapping template runs at most 1,000 iterations."""
API_GATEWAY_PAYLOAD_MAX_BYTES = 10 * 1024 * 1024
"""A REST API's payload (request or response) is at most 10 MB."""
INTEGRATION_TIMEOUT_SECONDS = 29
"""A Regional REST API's integration times out after 29 seconds by default."""

# --- A downloader's memory and a run's identity (used by the features that need them) --------
STATE_SORT_KEY = "#state"
MARK_SORT_KEY_PREFIX = "#mark#"
MARK_KEY_VARIABLE = "markKey"
"""In a fan-out's iteration: the sort key of its path's mark item (``ReadMark`` assigns it,
``AdvanceMark`` writes there once the path's answer is stored and the state holds only the
iteration's outcome)."""
"""A fan-out's incremental marks, one item per request: ``sk = #mark#<the request's key>``
(beside the state item, below every time)."""
"""The downloader's state item (high-water mark, validators, hashes): ``pk = <downloader id>``,
``sk = "#state"``. ``#`` sorts before every digit, so a time-range ``Query`` of the items
(``sk BETWEEN <t1> AND <t2>``) never returns it, and the newest item is still the last one."""
RUN_ATTRIBUTE = "run"
"""On every item of a run of several answers: the execution's name, so that the items of one
delivery can be told from a re-delivery's."""
RUN_STARTED_ATTRIBUTE = "runStartedAt"
"""On every item of a run of several answers: when its execution started (ISO 8601), so that
the newest delivery's set of pages is the consistent one."""
DELIVERED_SORT_KEY_PREFIX = "#delivered#"
"""A run of several answers: each delivery that stored every answer writes one more item last,
``sk = #delivered#<scheduled time>#<execution name>`` (``run``, ``runStartedAt``), so that a
reader can tell a complete set of pages from an aborted or running delivery's
(``DownloaderTable.pages``). Below every time, beside the state item: never read as an answer."""
COMPUTE_REQUEST_STATE = "ComputeRequest"
"""The Pass computing a run's request from its scheduled time (``timing/request.py``), left
out where the single request's JSONata download computes it in its Arguments."""
COMPUTE_EXPIRY_STATE = "ComputeExpiry"
"""The Pass assigning ``$expiresAt`` (``retention``), left out where the single request's
JSONata download assigns it in its ``Assign``."""
DELIVERED_STATE = "MarkDelivered"
"""The state writing the delivery's completion item, right before the run succeeds."""
MAP_RUN_PATH = f"$.{RUN_ATTRIBUTE}"
"""Inside a Map iteration: the run's execution name, which its item carries (a Distributed
Map's child executions have names of their own)."""
ANSWER_SORT_KEY_FLOOR = "0"
"""Every stored answer's ``sk`` starts with its scheduled time's year, a digit; the downloader's
own items (``STATE_SORT_KEY``) start with ``#``, which sorts below ``"0"``. So a ``Query`` with
``sk >= "0"`` reads answers only (``sfn_downloader.read``)."""

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
OVERRIDE_QUERY_VARIABLE = "overrideQuery"
"""With query overrides, when the single request's download computes them in its Arguments
(``_parts.Computation``): the name its query is read by, replaced by the expression that
computes it (never assigned)."""
KEY_SUFFIX_VARIABLE = "keySuffix"
"""With query overrides computed by the single request's download: the item key's suffix
(``<name>=<value>&...``), assigned by the download, read by Persist."""
QUERY_ATTRIBUTE_VARIABLE = "queryAttribute"
"""With query overrides computed by the single request's download: the ``query`` attribute
(``{"name": {"S": ...}}``), assigned by the download, read by Persist."""
REQUEST_BODY_VARIABLE = "requestBody"
"""With time placeholders in a POST's body: the run's body, assigned by ``ComputeRequest``."""
REQUEST_MARK_VARIABLE = "requestMark"
"""With ``incremental``: the mark this run sends (the stored one, or ``initial``)."""
STATE_ITEM_VARIABLE = "stateItem"
"""The downloader's state item as ``ReadState`` got it: ``{"Item": {...}}``, or ``{}``."""
CURSOR_VALUES_VARIABLE = "cursorValues"
"""With ``incremental``: the values at ``cursor_path`` in the answer, assigned by Download."""
CURSOR_BEST_VARIABLE = "cursorBest"
"""With ``incremental`` over pages: the furthest usable cursor value of the pages stored so far
(the mark sent, before any), folded by each page's ``NextRequest``."""
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
DYNAMODB_RETRYABLE_SHAPES = (
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
)
"""PutItem's and UpdateItem's transient errors as botocore's DynamoDB model names them; their
other errors (a failed condition, a missing table) do not change on a retry."""
DYNAMODB_RETRYABLE_ERRORS = tuple(
    f"DynamoDB.{spelling}"
    for name in DYNAMODB_RETRYABLE_SHAPES
    for spelling in ((name,) if name.endswith("Exception") else (name, f"{name}Exception"))
)
"""``DynamoDB.<name>``, where no AWS page settles whether the name is the error code
(``InternalServerError``, as moto reports it) or the SDK's exception, which always ends in
``Exception`` ("Learning to use AWS service SDK integrations"): both, where they differ."""
"""A conditional write that did not apply (the mark is already as far, or further)."""

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

# --- Polite downloading: conditional requests, change-only storage, freshness (issue 16) ---
ETAG_ATTRIBUTE = "etag"
"""In the state item, with ``conditional``: the ``ETag`` of the last stored (or unchanged)
answer, sent back as ``If-None-Match`` (``""``: none)."""
LAST_MODIFIED_ATTRIBUTE = "lastModified"
"""In the state item, with ``conditional``: its ``Last-Modified``, sent back as
``If-Modified-Since`` (``""``: none)."""
RESULT_HASH_ATTRIBUTE = "resultHash"
"""In the state item, with ``Store.changes_only()``: SHA-256 (hex) of the last stored selected
result, as ``States.JsonToString`` writes it."""
FRESH_UNTIL_ATTRIBUTE = "freshUntil"
"""In the state item, with ``respect_expires``: until when (epoch milliseconds) the last answer
is fresh by its ``Cache-Control: max-age`` or ``Expires`` (``0``: not fresh at all)."""
REMEMBERED_FOR_ATTRIBUTE = "rememberedFor"
"""In the state item: the scheduled time of the run that last wrote the attributes above."""
REMEMBERED_ORDER_ATTRIBUTE = "rememberedOrder"
"""In the state item: that scheduled time in epoch milliseconds; the write's condition compares
it, so an older run (a late re-delivery) never overwrites a newer run's validators."""
REQUEST_HEADERS_VARIABLE = "requestHeaders"
"""With ``conditional``: the run's request headers (the static ones and the validators),
assigned by ``ReadState`` (a memory per request: ``ReadMemo``); the download reads them
(``Headers.$``)."""
ANSWER_HEADERS_VARIABLE = "answerHeaders"
"""The raw answer's headers (name → list of values), assigned by the download."""
ANSWER_HASH_VARIABLE = "answerHash"
"""With ``Store.changes_only()``: the selected result's hash, assigned by ``ReadAnswer``."""
ANSWER_TEXT_VARIABLE = "answerText"
"""With ``Store.changes_only()``: the selected result as JSON text (``States.JsonToString``,
every digit kept), assigned by ``AnswerText``."""
HASH_INPUT_LIMIT = 10_000
"""``States.Hash`` takes at most 10,000 characters ("Intrinsic functions")."""
HASH_CHUNK = 2_500
"""``ReadAnswer`` hashes the answer's text in pieces of this many characters, then the pieces'
hashes joined: every input to a hash stays under ``HASH_INPUT_LIMIT`` even counted in UTF-8
bytes (4 a character at most), and a 256 KiB state gives at most 105 pieces, 6,720 hex
characters."""
MEMORY_UPDATE_VARIABLE = "memoryUpdate"
"""What ``Remember`` writes (``etag``, ``lastModified``, ``freshUntil``, ``order``), assigned by
``ReadAnswer``."""
MEMO_SORT_KEY_PREFIX = "#memo#"
"""Polite memories per request (issue 23): a run of several requests (a fan-out's paths, a
page loop's pages) keeps one memory per distinct request URL, in its own item beside the state
item: ``sk = #memo#<the URL as requested>`` (a URL longer than ``MEMO_URL_LIMIT`` characters:
``#memo#sha256:<its hash>``, a sort key holds at most 1,024 bytes)."""
MEMO_URL_LIMIT = 250
"""The longest URL a memo's key holds as it is: 250 characters are at most 1,000 UTF-8 bytes."""
MEMO_VARIABLE = "memo"
"""In a run of several requests: the memo item of the request about to be made (its
attributes as GetItem gives them, ``{}`` before the first), assigned by ``ReadMemo``."""
MEMO_KEY_VARIABLE = "memoKey"
"""The sort key of that memo item (``ReadMemo`` assigns it, ``RememberMemo`` writes there)."""
MEMO_STORED_AT_VARIABLE = "memoStoredAt"
"""The sort key the request's answer is about to be stored under (``MemoAnswer`` assigns it
before the store, which may replace the state, e.g. a fan-out path's outcome)."""
MEMO_FOR_VARIABLE = "memoFor"
"""The scheduled time of the run remembering the request (``MemoAnswer`` assigns it)."""
NEXT_ATTRIBUTE = "next"
"""In a page's memo: the request the loop went on with after that page (JSON text: ``url``,
``request``, ``more``, ``paging``, ``pagingError``), so that a ``304`` (no ``Link``) or a
fresh page goes on from it."""
STORED_AT_ATTRIBUTE = "storedAt"
"""In a memo: the sort key of the item that last stored the request's answer (a ``304``, an
unchanged or a fresh answer leaves it: that item is the request's current answer)."""
CONDITIONAL_REQUEST_HEADERS = ("If-None-Match", "If-Modified-Since")
"""The request headers ``conditional`` sends."""
VALIDATOR_RESPONSE_HEADERS = ("ETag", "Last-Modified", "Cache-Control", "Expires", "Age")
"""The response headers the polite features read (a trimming proxy forwards them)."""
NOT_MODIFIED_STATUS = 304
"""``304 Not Modified``: with ``conditional``, a success that stores nothing. ``apigateway:
invoke`` fails every non-2xx answer (``ApiGateway.304``: "Call API Gateway with Step Functions",
Error handling), so the download catches that error."""
VOLATILE_RESPONSE_HEADERS = frozenset(
    name.lower()
    for name in (
        "Date", "Age", "Expires", "Cache-Control", "ETag", "Last-Modified", "Set-Cookie",
        "X-Request-Id", "X-Amzn-RequestId", "X-Amzn-Trace-Id", "X-Amz-Cf-Id", "X-Amz-Cf-Pop",
        "CF-Ray", "Via", "X-Cache", "Server-Timing", "X-ESI-Request-ID", "Retry-After",
        "RateLimit", "RateLimit-Remaining", "RateLimit-Reset", "X-RateLimit-Remaining",
        "X-RateLimit-Reset", "X-ESI-Error-Limit-Remain", "X-ESI-Error-Limit-Reset",
    )
)  # fmt: skip
"""Response headers that change from one answer to the next whatever the content (times,
request ids, counters): a result holding one is never "unchanged"."""
OUTCOME_KEY = "outcome"
"""A run that stored nothing on purpose ends with ``{"outcome": <why>, "reason": <text>,
"scheduledTime": <the run's>}`` (``freshUntil`` too, for ``fresh``)."""
REASON_KEY = "reason"
OUTCOME_NOT_MODIFIED = "notModified"
"""The API answered ``304 Not Modified`` to the conditional request: nothing written."""
OUTCOME_UNCHANGED = "unchanged"
"""The selected result equals the last stored one (``Store.changes_only()``): nothing written."""
OUTCOME_FRESH = "fresh"
"""The last answer is still fresh (``respect_expires``): no request, nothing written."""
FRESH_UNTIL_KEY = "freshUntil"
"""In a ``fresh`` run's output: until when the last answer is fresh (ISO 8601)."""

# --- Records (``records=Records.merge(...)`` / ``Records.append(...)``) ----------------------
RECORDS_PARTITION_SUFFIX = "#records"
"""The records of a downloader live in a partition of their own:
``pk = <downloader id>#records``, apart from its answers and its state item."""
RECORD_ATTRIBUTE = "record"
"""On a record item: the record as JSON text, exactly as the API wrote its values (numbers
keep every digit)."""
RECORD_VERSION_ORDER_ATTRIBUTE = "versionOrder"
"""On a merged record with a ``version``: the version's order (epoch milliseconds of an ISO
8601 time, or the number), which the conditional write compares."""
RECORD_SCHEDULED_TIME_ATTRIBUTE = "scheduledTime"
"""On a record item: the scheduled time of the run that wrote it."""
RECORDS_MAP_STATE = "WriteRecords"
"""The inline Map that writes one answer's (or page's) records, one putItem a record."""
BAD_RECORD_ERROR = "Downloader.BadRecord"
"""A record without its key (or version) field, or with one of the wrong type: the run fails
before any record of that answer is written."""
