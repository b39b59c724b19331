"""Defaults, apart from the builders that use them (as aws-solutions-constructs keeps them).

Plain numbers only: jsii objects are not built at import time. The resolved configuration
(``_flow.config``) turns each into its aws-cdk-lib value, once.
"""

from __future__ import annotations

TIMEOUT_MINUTES = 5
"""A run's timeout: the Express maximum."""
SCHEDULE_MINUTES = 1
"""A run a minute, the article's schedule."""
MAX_CONCURRENCY = 10
"""Requests in flight at once in a fan-out or a page Map: polite to the third party."""
MAX_PAGES = 100
"""A run fetches at most this many pages unless ``max_pages`` says otherwise."""
NEXT_LINK_QUERY_NAMES = (
    "page", "per_page", "page_size", "pageSize", "size", "limit", "offset", "start", "count",
    "cursor", "after", "before", "starting_after", "ending_before", "page_token", "pageToken",
    "next_token", "nextToken", "continuation", "since", "until", "since_id", "max_id",
)  # fmt: skip
"""The query parameters a next link may carry through a non-proxy proxy (``trim``,
``retry_after``) unless the paginator's ``query_names`` says otherwise: what GitHub, GitLab,
Shopify, Django REST framework, Stripe-like, Google-like and Twitter-like APIs write into
their next links. A link with another name fails the run, naming it
(``Downloader.UnmappedQueryName``)."""
LOG_RETENTION = "THREE_MONTHS"
"""``logs.RetentionDays`` member of the construct's log groups."""
DEAD_LETTER_RETENTION_DAYS = 14
MAX_DELIVERY_AGE_MINUTES = 5
"""How long the scheduler keeps retrying a start. The API answers with its state *now*, so an
answer fetched long after the scheduled time would be stored under the wrong time."""
INPUT_TIME_SKEW_SECONDS = 60
"""How much later than its execution's start a run's ``scheduledTime`` may be (clocks of
Scheduler, Step Functions and callers differ by far less); later is ``Downloader.InvalidInput``.
An incremental mark moves at most this far past the run's scheduled time."""
NONCURRENT_VERSION_DAYS = 30
"""An archived object rewritten by a re-delivered run keeps its previous version this long."""
ALARM_PERIOD_MINUTES = 5
REQUEST_SECONDS = 0.3
"""The time a request and its putItem take at the least, to bound the requests a run can make one
after another within its timeout: a fast third party, as in the cost model's 300 ms run."""
DOWNLOAD_RETRY_INTERVAL_SECONDS = 2
"""The download retry policy's first wait (then 4 and 8 s: ``DOWNLOAD_RETRY_BACKOFF_RATE``)."""
DOWNLOAD_RETRY_BACKOFF_RATE = 2
"""The download retry policy's backoff rate."""
DOWNLOAD_TASK_TIMEOUT_SECONDS = 35
"""API Gateway gives up on the integration after 29 s; this bounds a hung call (States.Timeout).
The HTTP Task's own limit is 60 s per request; 35 s bounds it the same way."""
