"""DownloaderPattern: call a third-party API on a schedule and keep every answer in DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._contract import PARTITION_KEY, SORT_KEY
from ._encryption import encrypt_log_groups
from ._flow.assembly import build_definition
from ._flow.config import Props, configure
from ._flow.machines import build_backfill, build_run_state_machine, grant_run, no_backfill
from ._flow.observability import build_monitoring
from ._memory import StateItem
from ._parts import Built
from .auth import AuthHeader
from .concurrency import Concurrency
from .fanout import FanOut
from .pagination import Pagination
from .polite import RetryAfter, Store
from .sinks.dynamodb import ItemValue
from .sinks.records import Records
from .sinks.s3 import Archive
from .starts import Starts
from .status import StatusAction
from .timing import Incremental, Window
from .transport import Transport
from .transport.trim import Trim

if TYPE_CHECKING:
    from .cost import CostEstimate


class DownloaderPattern(Construct):
    """A scheduled, Lambda-free downloader: EventBridge Scheduler → Step Functions → DynamoDB.

    Each run calls ``GET endpoint + path`` (or ``POST`` with a ``body``) through an
    IAM-authorized API Gateway proxy (``apigateway:invoke``), trims the answer with
    ``result_selector``, and writes one item:
    ``pk`` = the downloader's id, ``sk`` = the run's scheduled time, plus the ``item`` attributes.

    :param endpoint: The third party's base URL, ``https://host[:port]`` (no path, no query).
    :param path: The resource to GET, starting with ``/``; may carry a query string
        (``/v2/status?datasource=tranquility``); a template with ``FanOut.path_values``.
        Default: none, and then ``fan_out=FanOut.paths([...])`` is required.
    :param method: ``"GET"`` or ``"POST"``. A ``POST`` may carry ``body``; the proxy then
        has a ``POST`` method (and no ``GET``), and the role may invoke that method only.
        Default: ``"GET"``.
    :param body: The JSON body of a ``POST`` (a mapping, sent as written): e.g. a GraphQL
        request ``{"query": QUERY, "variables": {...}}``. In its string values the time
        placeholders (``{scheduled_time}``, ``{window_start}``, ``{window_end}``, with their
        formats) are filled as in ``path``; any other brace text (GraphQL's ``{ number }``) is
        sent as written. A body with a ``query`` member is a GraphQL request: an answer holding
        ``errors`` is not stored, the run fails with ``Downloader.AnswerErrors`` (unless
        ``result_selector`` selects ``$.ResponseBody.errors`` itself). With
        ``Pagination.cursor(body_path=...)`` each next page's cursor is written into the body.
        Default: no body.
    :param item: Attribute name → ``ItemField`` (or aws-cdk-lib ``DynamoAttributeValue``, or a
        ``Constant`` string). Paths refer to the selected result, or to the raw response when
        there is no selector.
    :param result_selector: ASL ResultSelector applied to the API Gateway response
        (``Headers``, ``ResponseBody``, ``StatusCode``, ``StatusText``). Keys ending in ``.$``
        select; other values are constants, and one that looks like a path (``"$.x"``) is
        refused unless wrapped in ``Constant``. Default: the whole response.
    :param headers: Extra request headers (name → value, sent as written; a value that looks
        like a path needs ``Constant``). Default: none.
        ``Authorization`` cannot be sent this way: use ``auth_header``.
    :param auth_header: How the ``Authorization`` header reaches the third party.
        Default: no ``Authorization`` header.
    :param workflow_type: Default: ``StateMachineType.EXPRESS`` (``STANDARD`` with
        ``Concurrency.distributed``): about 35 times cheaper than Standard for a 300 ms run
        every minute (see ``estimate_monthly_cost``), and at-least-once delivery is harmless
        because a run's item is keyed by its scheduled time. Standard keeps a browsable
        execution history.
    :param timeout: Maximum duration of a run. Default: 5 minutes (the Express maximum).
    :param table: Bring your own table (partition key ``pk``, sort key ``sk``, both STRING).
        Default: a new table (see ``removal_policy``, ``encryption_key`` and
        ``point_in_time_recovery``).
    :param removal_policy: For the created table. Default: ``RemovalPolicy.RETAIN``.
    :param encryption_key: Customer-managed KMS key for everything created that holds data:
        the table, the log groups, the dead-letter queue and the archive bucket (the key
        policy gets the CloudWatch Logs statement; with a brought ``table``, everything but
        the table). Default: AWS-managed encryption.
    :param point_in_time_recovery: For the created table. Default: ``True``.
    :param downloader_id: The partition key value of this downloader's items.
        Default: the construct's path (e.g. ``EveStack/PlayerCount``).
    :param retry: Replaces the download step's retry policy. Without ``errors`` it applies to
        the retryable errors (429, 500, 502, 503, 504, timeout) as the transport names them.
        Default: 3 retries after 2, 4 and 8 s with full jitter, on those errors; other 4xx
        answers fail at once.
    :param alarm_topic: SNS topic notified when an alarm fires and recovers. With a
        customer-managed key created in the app, the key policy is extended to let CloudWatch
        (this account's alarms only) use it; an imported key gets a synth warning.
        Default: alarms without actions (see ``alarms``).
    :param log_retention: Retention of the construct's log groups.
        Default: ``RetentionDays.THREE_MONTHS``.
    :param fan_out: Fetch several paths each run: ``FanOut.paths([...])`` (instead of
        ``path``) or ``FanOut.path_values({...})`` (filling ``path``'s placeholders), each
        answer stored as its own item (``sk = <scheduled time>#<path>``). A failed path does not
        lose the others' items; the run then fails with ``Downloader.RequestsFailed`` listing
        the failed ones. Default: one request (``path``).
    :param concurrency: Requests in flight at once in a fan-out or over pages:
        ``Concurrency.inline(n)`` (an inline Map, up to 40) or ``Concurrency.distributed(n)``
        (a Distributed Map, up to 10,000; needs a Standard workflow).
        Default: ``Concurrency.inline(10)``.
    :param pagination: Fetch every page of ``path``: ``Pagination.page_count(header="X-Pages")``
        or ``Pagination.cursor(next_path=...)``; each page is its own item
        (``sk = <scheduled time>#<page>``). Default: one request, no pagination.
    :param transport: ``Transport.api_gateway()`` (the proxy) or
        ``Transport.http_task(connection)`` (the Step Functions HTTP Task with an EventBridge
        connection's credentials; no API Gateway). Default: ``Transport.api_gateway()``.
    :param retention: Keep each item this long after its scheduled time: the item gets
        ``expiresAt`` (epoch seconds) and the created table time to live on it (a brought table
        must have it on ``expiresAt``). Adds one state, ``ComputeExpiry``, to a run, except one
        request whose JSONata download assigns the expiry itself.
        Default: items are kept forever.
    :param post_process: States to run after the answer is stored: any
        ``aws_stepfunctions`` state or chain, e.g. ``tasks.SqsSendMessage``, ``tasks.SnsPublish``,
        ``tasks.EventBridgePutEvents``, ``tasks.StepFunctionsStartExecution``,
        ``tasks.LambdaInvoke``; they grant their own permissions. Their input:
        ``{"scheduledTime": ..., "result": <selected result>, "key": {"pk": ..., "sk": ...}}``,
        plus ``"object": {"bucket": ..., "key": ...}`` with ``archive``. With ``fan_out`` or
        ``pagination``: once after the whole run, with its summary
        (``{"scheduledTime", "keyPrefix", "stored", "failed"}``), before a run with failed
        requests fails with ``Downloader.RequestsFailed``.
        Default: none, the run ends after Persist.
    :param archive: Also store each answer (the selected result, or the whole response without
        ``result_selector``) as an S3 object ``<downloader_id>/<scheduled time>.json`` (with
        ``incremental``, ``<scheduled time>#<execution name>.json``, as its item), with
        ``aws-sdk:s3:putObject`` and ``s3:PutObject`` on that prefix only; with several
        requests a run each stored answer as ``<downloader_id>/<its item's sort key>.json``:
        ``Archive.to_new_bucket(retention=..., removal_policy=...)`` or
        ``Archive.to_bucket(bucket)``. Default: no archive.
    :param starts: What starts a run: ``Starts.scheduled(schedule, dead_letter_queue=...)``,
        ``Starts.on_demand(overridable_query=[...])`` (StartExecution only, see
        ``grant_start_execution``) or ``Starts.scheduled_and_on_demand(...)``. An on-demand
        run's input is ``{"scheduledTime": "2026-11-27T05:30:00Z"}`` (UTC, upper-case T and Z,
        whole seconds, as the schedule sends it), checked first (``CheckInput``,
        ``Downloader.InvalidInput``). Default: ``Starts.scheduled()``, every
        minute, with a new dead-letter queue.
    :param dashboard: ``True`` adds a CloudWatch dashboard of this downloader (``dashboard``):
        runs succeeded, failed and timed out, run duration p50/p99, the alarms, the proxy's
        4xx/5xx and latency (API Gateway transport), the table's write throttles, the
        dead-letter queue's depth (with a schedule), and requests per run (fan-out or
        pagination, API Gateway transport). A ``cloudwatch.Dashboard`` gets the same widgets
        as one more section, so several downloaders share one dashboard.
        Default: no dashboard (the metrics are still there: ``metric_failed()``, ...).
    :param trim: Trim each success answer at the API Gateway proxy, before Step Functions sees
        it (which refuses a result over 256 KiB before ``result_selector`` runs):
        ``Trim.fields("type_id", "price", items_path="$")`` keeps those fields of each object
        of a list, ``Trim.template(vtl)`` applies your own mapping template. The proxy's method
        becomes a non-proxy HTTP integration that still passes on the exact status (every
        status from 200 to 599), the response headers the downloader reads (plus ``ETag``,
        ``Link``, ``Expires``, ``X-Pages``, rate-limit headers), and every query parameter and
        header it sends. API Gateway transport only. Default: answers pass through untrimmed
        (HTTP_PROXY).
    :param on_status: What to do with answers of given statuses:
        ``{404: StatusAction.SKIP, 204: StatusAction.END}``. ``SKIP`` stores nothing for that
        request and goes on (a one-request run succeeds; a fan-out's other paths go on; a page
        loop ends there); ``END`` ends a page loop successfully (pagination only). A non-2xx
        status is caught by the transport's error name; a 204 is recognised before anything
        reads the body. Statuses the retry policy retries, and 2xx other than 204, are refused.
        Default: none, every non-2xx answer fails the request (after its retries).
    :param window: The time range a run asks for, ending at its scheduled time:
        ``Window.last(Duration.hours(1), lookback=Duration.minutes(5))`` fills
        ``{window_start}`` and ``{window_end}`` in ``path`` (``[scheduled - 1 h - 5 min,
        scheduled)``). ``path`` may also hold ``{scheduled_time}``; each takes a format,
        ``:iso`` (``2026-11-27T05:30:00Z``), ``:date``, ``:epoch`` or ``:epoch_ms``.
        Default: no window (``{scheduled_time}`` needs none).
    :param incremental: A high-water mark kept between runs:
        ``Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
        initial="2026-01-01T00:00:00Z")`` sends ``since=<mark>`` and, once the answer is
        stored, moves the mark forward to the largest value at ``cursor_path`` (in the
        downloader's state item, ``sk = "#state"``). Default: no mark.
    :param backfill: Also create ``backfill_state_machine``, which runs this downloader once
        for every scheduled time of a past range (input ``{"from": ..., "to": ...}``), under
        the same keys as scheduled runs. Needs a path that follows the time. Default: ``False``.
    :param retry_after: Wait as long as the server asks: ``RetryAfter(max_wait=
        Duration.minutes(2))``. A ``429`` or ``503`` with ``Retry-After`` (seconds or an
        HTTP-date), or the ``reset_header`` (epoch seconds), waits that long in a ``Wait``
        state and asks again (at most ``max_waits`` times); without either, the retry policy's
        backoff. A wait over ``max_wait`` (or what is left of the run) fails the run with
        ``Downloader.RetryAfterTooLong``, the server's answer as cause. The proxy becomes a
        non-proxy HTTP integration, as with ``trim``. API Gateway transport, one request a
        run. Default: none, a ``429``/``503`` is retried by the retry policy (2, 4, 8 s).
    :param conditional: Send the ``ETag`` / ``Last-Modified`` of the last remembered answer
        back as ``If-None-Match`` / ``If-Modified-Since``; a ``304 Not Modified`` ends the run
        successfully with nothing written (output ``{"outcome": "notModified"}``). The
        validators live in the downloader's state item. API Gateway transport, one request a
        run. Default: ``False``.
    :param store: Which answers become items: ``Store.every_answer()``, or
        ``Store.changes_only()`` (an answer whose selected result equals the last stored one
        writes nothing; output ``{"outcome": "unchanged"}``; needs a ``result_selector`` that
        reads no volatile header). Default: ``Store.every_answer()``.
    :param respect_expires: Skip the request entirely while the last answer is still fresh by
        its ``Cache-Control: max-age`` or ``Expires`` (compared with the run's scheduled time;
        output ``{"outcome": "fresh"}``). Reads the state item every run. Default: ``False``.
    :param max_fresh: With ``respect_expires``: an answer stays fresh at most this long after
        its run's scheduled time, whatever ``max-age`` or ``Expires`` say. Default: two
        intervals of a rate schedule; an hour with a cron or on demand only.
    :param records: Also store each record of an answer (or page) as its own item, keyed by
        its own key, in the downloader's records partition (``pk = <downloader id>#records``):
        ``Records.merge(items="$.ResponseBody", key="id", version="updated_at")`` keeps one item
        per key, never overwriting a newer version; ``Records.append(items=..., key="id")``
        keeps every version (``sk = <key>#<scheduled time>``). A record without its key (or of
        the wrong type) fails the run naming it, before that answer's records are written;
        inside a fan-out's path (or a page of ``page_count``'s Map) it fails that path only
        (``Downloader.RequestsFailed``). Read them with ``DownloaderTable.records()``. Every
        shape: one path, its pages, a fan-out, its paths' pages, ``page_count``.
        Default: no records, one item an answer.
    """

    PARTITION_KEY = PARTITION_KEY
    """Name of the partition key attribute (the downloader's id)."""
    SORT_KEY = SORT_KEY
    """Name of the sort key attribute (the run's scheduled time, ISO 8601 UTC)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: str,
        path: str | None = None,
        method: str | None = None,
        body: Mapping[str, Any] | None = None,
        item: Mapping[str, ItemValue],
        result_selector: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth_header: AuthHeader | None = None,
        workflow_type: sfn.StateMachineType | None = None,
        timeout: Duration | None = None,
        table: dynamodb.ITable | None = None,
        removal_policy: RemovalPolicy | None = None,
        encryption_key: kms.IKey | None = None,
        point_in_time_recovery: bool | None = None,
        downloader_id: str | None = None,
        retry: sfn.RetryProps | None = None,
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays | None = None,
        fan_out: FanOut | None = None,
        concurrency: Concurrency | None = None,
        pagination: Pagination | None = None,
        transport: Transport | None = None,
        retention: Duration | None = None,
        post_process: sfn.IChainable | None = None,
        archive: Archive | None = None,
        starts: Starts | None = None,
        dashboard: bool | cloudwatch.Dashboard | None = None,
        trim: Trim | None = None,
        on_status: Mapping[int, StatusAction] | None = None,
        window: Window | None = None,
        incremental: Incremental | None = None,
        backfill: bool | None = None,
        retry_after: RetryAfter | None = None,
        conditional: bool | None = None,
        store: Store | None = None,
        respect_expires: bool | None = None,
        max_fresh: Duration | None = None,
        records: Records | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # Every keyword argument is a prop (Props declares them; a test keeps the two equal).
        config = configure(self, construct_id, Props.of(locals()))
        self._config = config
        self._downloader_id = config.downloader_id
        self._table = config.items.build(self)
        key = config.items.encryption_key
        self._bucket = config.archive.build(self, key) if config.archive is not None else None
        downloads = config.transport.bind(
            self, endpoint=config.request.endpoint, headers=config.headers,
            auth_header=config.auth_header, retry=config.retry,
            log_retention=config.log_retention, trim=config.trim, exchange=config.exchange,
            method=config.request.method,
        )  # fmt: skip
        self._api = downloads.api
        built = Built(
            downloads=downloads,
            persists=config.items.bind(self._table, config.downloader_id, self),
            memory=StateItem(self._table, config.downloader_id),
            downloader_id=config.downloader_id, request=config.request, bucket=self._bucket,
            timeout_seconds=config.timeout_seconds, table=self._table,
            max_concurrency=config.concurrency.max_concurrency,
        )  # fmt: skip
        definition = build_definition(self, config, built)
        self._state_machine, self._log_group = build_run_state_machine(
            self, construct_id, config, definition=definition, downloads=downloads
        )
        grant_run(self._state_machine, config, built=built, downloads=downloads, table=self._table)
        self._schedule, self._dead_letter_queue = config.starts.build(
            self, state_machine=self._state_machine,
            description=f"Starts downloader {config.downloader_id}: "
            f"{config.request.method} {config.shape.describe(config.request)}",
            encryption_key=key,
        )  # fmt: skip
        self._backfill = build_backfill(self, config, downloader=self._state_machine)
        if key is not None:
            encrypt_log_groups(self, key)
        self._metrics, self._alarms, self._dashboard = build_monitoring(
            self, config, state_machine=self._state_machine, table=self._table,
            dead_letter_queue=self._dead_letter_queue, schedule=self._schedule,
            downloads=downloads,
        )  # fmt: skip

    @property
    def table(self) -> dynamodb.ITable:
        """The table the items land in (the user's, or the one created)."""
        return self._table

    @property
    def state_machine(self) -> sfn.StateMachine:
        """The state machine that downloads and persists one answer a run."""
        return self._state_machine

    @property
    def api(self) -> apigw.RestApi | None:
        """The IAM-authorized API Gateway proxy to the third party; ``None`` with
        ``Transport.http_task`` (no API Gateway)."""
        return self._api

    @property
    def schedule(self) -> scheduler.Schedule | None:
        """The EventBridge Scheduler schedule that starts each run; ``None`` with
        ``Starts.on_demand()`` (started on demand only)."""
        return self._schedule

    @property
    def bucket(self) -> s3.IBucket | None:
        """The bucket each answer is archived in (the user's, or the one created); ``None``
        without ``archive``."""
        return self._bucket

    @property
    def backfill_state_machine(self) -> sfn.StateMachine | None:
        """The Standard state machine that runs this downloader once for every scheduled time
        from ``from`` to ``to`` (input ``{"from": "<ISO 8601>", "to": "<ISO 8601>"}``, both
        inclusive, at most 1,000 times); ``None`` without ``backfill=True``."""
        return self._backfill

    def grant_start_backfill(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start a backfill (``states:StartExecution`` on
        ``backfill_state_machine``). Raises ``DownloaderConfigError`` without ``backfill=True``.
        """
        if self._backfill is None:
            raise no_backfill(self.node.id)
        return self._backfill.grant_start_execution(grantee)

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start a run on demand (``states:StartExecution`` on this state
        machine). The input it must pass: ``{"scheduledTime": "<ISO 8601 UTC>"}``."""
        return Starts.grant_start_execution(self._state_machine, grantee)

    @property
    def log_group(self) -> logs.LogGroup:
        """The state machine's log group."""
        return self._log_group

    @property
    def dead_letter_queue(self) -> sqs.IQueue | None:
        """The queue holding schedule starts that could not be delivered; ``None`` without a
        schedule."""
        return self._dead_letter_queue

    @property
    def alarms(self) -> Mapping[str, cloudwatch.Alarm]:
        """Alarms by name: ``failed``, ``timed_out``, ``throttled`` (Standard: throttled state
        transitions; Express: throttled scheduled starts, so none when started on demand only),
        ``dead_letter_queue`` (only with a schedule)."""
        return self._alarms

    @property
    def dashboard(self) -> cloudwatch.Dashboard | None:
        """The dashboard this downloader's widgets are on (created with ``dashboard=True``, or
        the one passed); ``None`` without ``dashboard``."""
        return self._dashboard

    def metric_failed(self, **props: Any) -> cloudwatch.Metric:
        """Runs that failed: ``AWS/States ExecutionsFailed`` by ``StateMachineArn``, Sum over
        5 minutes. The ``failed`` alarm watches it.

        :param props: ``cloudwatch.MetricOptions`` to override (``period``, ``statistic``,
            ``label``, ``color``, ...). Default: Sum over 5 minutes.
        """
        return self._metrics.failed(**props)

    def metric_succeeded(self, **props: Any) -> cloudwatch.Metric:
        """Runs that succeeded: ``AWS/States ExecutionsSucceeded``, Sum over 5 minutes.

        :param props: ``cloudwatch.MetricOptions`` to override. Default: Sum over 5 minutes.
        """
        return self._metrics.succeeded(**props)

    def metric_timed_out(self, **props: Any) -> cloudwatch.Metric:
        """Runs that exceeded ``timeout``: ``AWS/States ExecutionsTimedOut``, Sum over
        5 minutes. The ``timed_out`` alarm watches it.

        :param props: ``cloudwatch.MetricOptions`` to override. Default: Sum over 5 minutes.
        """
        return self._metrics.timed_out(**props)

    def metric_duration(self, **props: Any) -> cloudwatch.Metric:
        """How long runs take, in milliseconds: ``AWS/States ExecutionTime``, Average over
        5 minutes (``statistic="p99"`` for the slow ones).

        :param props: ``cloudwatch.MetricOptions`` to override. Default: Average over 5 minutes.
        """
        return self._metrics.duration(**props)

    def metric_throttled(self, **props: Any) -> cloudwatch.Metric:
        """State transitions Step Functions throttled: ``AWS/States ExecutionThrottled``, Sum
        over 5 minutes. The ``throttled`` alarm watches it.

        :param props: ``cloudwatch.MetricOptions`` to override. Default: Sum over 5 minutes.
        """
        return self._metrics.throttled(**props)

    def estimate_monthly_cost(self, **options: Any) -> CostEstimate:
        """This downloader's monthly cost, read from its synthesized schedule and definition.

        Options as ``sfn_downloader.estimate_monthly_cost`` (region, duration, memory, ...).
        """
        from .cost import estimate_monthly_cost  # the cost model loads only when used

        return estimate_monthly_cost(self, **options)

    def estimate_backfill_cost(self, scheduled_times: int, **options: Any) -> CostEstimate:
        """What one backfill of ``scheduled_times`` times costs: a run a time, plus the
        backfill's own transitions. Options as ``sfn_downloader.estimate_backfill_cost``."""
        from .cost import estimate_backfill_cost

        return estimate_backfill_cost(self, scheduled_times=scheduled_times, **options)

    @property
    def downloader_id(self) -> str:
        """The partition key value of this downloader's items."""
        return self._downloader_id

    @property
    def listed_requests(self) -> int | None:
        """The requests a run makes when they are listed at synth (``FanOut.paths``,
        ``FanOut.path_values``; without pagination, one a path); ``None`` otherwise. The cost
        estimate counts a fan-out read from S3 by it."""
        shape = self._config.shape
        if not isinstance(shape, FanOut) or shape.answer is not None:
            return None
        return len(shape.targets(self._config.request.given, []))


__all__ = ["DownloaderPattern"]
