"""DownloaderPattern: call a third-party API on a schedule and keep every answer in DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
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

from ._alarms import build_alarms
from ._definition import Afterwards, Persists, build_definition
from ._download import AUTH_VALUE_SUBSTITUTION, Downloads, restrict_http_task
from ._fanout import grant_fanout_paths
from ._map import acknowledge_distributed_map
from ._post_process import already_used
from ._props import DEFAULT_TIMEOUT_MINUTES, PARTITION_KEY, SORT_KEY, ItemValue, Props, Request
from ._proxy import build_proxy
from ._schedule import build_dead_letter_queue, build_schedule
from ._sink_s3 import build_bucket, grant_archive
from ._starts import grant_start_execution
from ._state_machine import DEFAULT_LOG_RETENTION, build_state_machine
from ._table import build_table
from ._validation import validate
from .auth import AuthHeader
from .errors import DownloaderConfigError, Problem
from .pagination import Pagination
from .transport import Transport

if TYPE_CHECKING:
    from .cost import CostEstimate


class DownloaderPattern(Construct):
    """A scheduled, Lambda-free downloader: EventBridge Scheduler → Step Functions → DynamoDB.

    Each run calls ``GET endpoint + path`` through an IAM-authorized API Gateway proxy
    (``apigateway:invoke``), trims the answer with ``result_selector``, and writes one item:
    ``pk`` = the downloader's id, ``sk`` = the run's scheduled time, plus the ``item`` attributes.

    :param endpoint: The third party's base URL, ``https://host[:port]`` (no path, no query).
    :param path: The resource to GET, starting with ``/``; may carry a query string
        (``/v2/status?datasource=tranquility``). Default: none, and then ``paths`` is required.
    :param item: Attribute name → ``ItemField`` (or aws-cdk-lib ``DynamoAttributeValue``).
        Paths refer to the selected result, or to the raw response when there is no selector.
    :param result_selector: ASL ResultSelector applied to the API Gateway response
        (``Headers``, ``ResponseBody``, ``StatusCode``, ``StatusText``).
        Default: the whole response.
    :param headers: Extra request headers (name → value). Default: none.
        ``Authorization`` cannot be sent this way: use ``auth_header``.
    :param auth_header: How the ``Authorization`` header reaches the third party.
        Default: no ``Authorization`` header.
    :param workflow_type: Default: ``StateMachineType.EXPRESS``: about 35 times cheaper than
        Standard for a 300 ms run every minute (see ``estimate_monthly_cost``), and
        at-least-once delivery is harmless because a run's item is keyed by its scheduled time.
        Standard keeps a browsable execution history.
    :param schedule: When to run. Default: ``ScheduleExpression.rate(Duration.minutes(1))``.
    :param timeout: Maximum duration of a run. Default: 5 minutes (the Express maximum).
    :param table: Bring your own table (partition key ``pk``, sort key ``sk``, both STRING).
        Default: a new table (see ``removal_policy``, ``encryption_key`` and
        ``point_in_time_recovery``).
    :param removal_policy: For the created table. Default: ``RemovalPolicy.RETAIN``.
    :param encryption_key: Customer-managed KMS key for the created table.
        Default: AWS-managed encryption.
    :param point_in_time_recovery: For the created table. Default: ``True``.
    :param downloader_id: The partition key value of this downloader's items.
        Default: the construct's path (e.g. ``EveStack/PlayerCount``).
    :param dead_letter_queue: Where the schedule puts a start it could not deliver within
        5 minutes of retries. Default: a new SQS-encrypted, TLS-only queue (14 days retention).
    :param alarm_topic: SNS topic notified when an alarm fires and recovers.
        Default: alarms without actions (see ``alarms``).
    :param log_retention: Retention of the construct's log groups.
        Default: ``RetentionDays.THREE_MONTHS``.
    :param api_logging: Access logs (JSON) and ERROR-level execution logs for the proxy stage.
        Needs the account's API Gateway CloudWatch role. Default: ``False``.
    :param retry: Replaces the download step's retry policy. Without ``errors`` it applies to
        the retryable errors (429, 500, 502, 503, 504, timeout) as the transport names them.
        Default: 3 retries after 2, 4 and 8 s with full jitter, on those errors; other 4xx
        answers fail at once.
    :param paths: Fetch several paths each run (instead of ``path``), each answer stored as its
        own item (``sk = <scheduled time>#<path>``). A failed path does not lose the others'
        items; the run then fails with ``Downloader.RequestsFailed`` listing the failed ones.
        Default: one path (``path``).
    :param path_values: Values of the ``{name}`` placeholders of ``path``
        (``path="/v1/markets/{region_id}/orders/"``, ``path_values={"region_id": [...]}``):
        one request for each combination. Default: ``path`` is a concrete path.
    :param max_concurrency: Requests in flight at once in a fan-out or over pages, 1 to 10,000.
        Up to 40 runs an inline Map; more runs a Distributed Map. Default: 10.
    :param distributed_map: Force (``True``) or forbid (``False``) the Distributed Map.
        Default: a Distributed Map exactly when ``max_concurrency`` exceeds 40. A Distributed
        Map needs a Standard workflow, which then becomes the default ``workflow_type``.
    :param child_workflow_type: The Distributed Map's child executions.
        Default: ``StateMachineType.EXPRESS`` (billed per request, not per transition).
    :param pagination: Fetch every page of ``path``: ``Pagination.page_count(header="X-Pages")``
        or ``Pagination.cursor(next_path=...)``; each page is its own item
        (``sk = <scheduled time>#<page>``). Default: one request, no pagination.
    :param transport: ``Transport.api_gateway()`` (the proxy) or
        ``Transport.http_task(connection)`` (the Step Functions HTTP Task with an EventBridge
        connection's credentials; no API Gateway). Default: ``Transport.api_gateway()``.
    :param retention: Keep each item this long after its scheduled time: the item gets
        ``expiresAt`` (epoch seconds) and the created table time to live on it (a brought table
        must have it on ``expiresAt``). Adds one state, ``ComputeExpiry``, to a run.
        Default: items are kept forever.
    :param post_process: States to run after the answer is stored (one path only): any
        ``aws_stepfunctions`` state or chain, e.g. ``tasks.SqsSendMessage``, ``tasks.SnsPublish``,
        ``tasks.EventBridgePutEvents``, ``tasks.StepFunctionsStartExecution``,
        ``tasks.LambdaInvoke``; they grant their own permissions. Their input:
        ``{"scheduledTime": ..., "result": <selected result>, "key": {"pk": ..., "sk": ...}}``,
        plus ``"object": {"bucket": ..., "key": ...}`` with ``archive``.
        Default: none, the run ends after Persist.
    :param archive: Also store each answer (the selected result, or the whole response without
        ``result_selector``) as an S3 object ``<downloader_id>/<scheduled time>.json``, with
        ``aws-sdk:s3:putObject`` and ``s3:PutObject`` on that prefix only. One path only.
        Default: ``True`` when ``bucket`` is given, else ``False``.
    :param bucket: Bring your own archive bucket. Default: with ``archive``, a new bucket
        (SSE-S3, TLS only, public access blocked, no ACLs, versioned, previous versions kept 30
        days, ``removal_policy``; see ``archive_retention``).
    :param archive_retention: Objects of the created bucket expire after this many days.
        Default: kept forever.
    :param scheduled: ``False``: no schedule (and no dead-letter queue); runs start on demand
        only (needs ``on_demand=True``). Default: ``True``, runs start on ``schedule``.
    :param on_demand: Runs may also be started with StartExecution (see
        ``grant_start_execution``), with input ``{"scheduledTime": "<ISO 8601 UTC>"}``; a run
        first checks it (``CheckInput``) and fails with ``Downloader.InvalidInput`` without it.
        Default: ``False``: only the schedule starts runs, and no input check is added.
    :param overridable_query: Names of ``path``'s query parameters an on-demand run may
        change: its input's ``"query": {"<name>": "<value>"}`` replaces their defaults; other
        names are ignored and the path never changes (needs ``on_demand=True``; adds three
        Pass states and a Choice). Default: a run's input changes nothing of the request.
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
        item: Mapping[str, ItemValue],
        result_selector: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        auth_header: AuthHeader | None = None,
        workflow_type: sfn.StateMachineType | None = None,
        schedule: scheduler.ScheduleExpression | None = None,
        timeout: Duration | None = None,
        table: dynamodb.ITable | None = None,
        removal_policy: RemovalPolicy | None = None,
        encryption_key: kms.IKey | None = None,
        point_in_time_recovery: bool | None = None,
        downloader_id: str | None = None,
        retry: sfn.RetryProps | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        alarm_topic: sns.ITopic | None = None,
        log_retention: logs.RetentionDays | None = None,
        api_logging: bool | None = None,
        paths: Sequence[str] | None = None,
        path_values: Mapping[str, Sequence[str | int]] | None = None,
        max_concurrency: int | None = None,
        distributed_map: bool | None = None,
        child_workflow_type: sfn.StateMachineType | None = None,
        pagination: Pagination | None = None,
        transport: Transport | None = None,
        retention: Duration | None = None,
        post_process: sfn.IChainable | None = None,
        archive: bool | None = None,
        bucket: s3.IBucket | None = None,
        archive_retention: Duration | None = None,
        scheduled: bool | None = None,
        on_demand: bool | None = None,
        overridable_query: Sequence[str] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        props = Props(
            endpoint=endpoint, path=path, item=item, result_selector=result_selector,
            headers=headers, auth_header=auth_header, workflow_type=workflow_type,
            schedule=schedule, timeout=timeout, table=table, removal_policy=removal_policy,
            encryption_key=encryption_key, point_in_time_recovery=point_in_time_recovery,
            downloader_id=downloader_id, paths=paths, path_values=path_values,
            max_concurrency=max_concurrency, distributed_map=distributed_map,
            child_workflow_type=child_workflow_type, pagination=pagination, transport=transport,
            retention=retention, post_process=post_process, archive=archive, bucket=bucket,
            archive_retention=archive_retention, scheduled=scheduled, on_demand=on_demand,
            dead_letter_queue=dead_letter_queue, overridable_query=overridable_query,
        )  # fmt: skip
        request = validate(self, construct_id, props)
        transport = transport or Transport.api_gateway()
        self._downloader_id = downloader_id or self.node.path
        self._table = build_table(self, props)
        self._bucket = build_bucket(self, props)
        log_days = log_retention or DEFAULT_LOG_RETENTION
        self._api = (
            None
            if transport.is_http_task
            else build_proxy(
                self, endpoint=request.endpoint, auth_header=auth_header,
                logging=bool(api_logging), log_retention=log_days,
            )
        )  # fmt: skip
        definition = build_definition(
            self,
            downloads=Downloads(
                transport=transport, api=self._api, endpoint=request.endpoint, headers=headers,
                auth_header=auth_header, retry=retry,
            ),
            persists=Persists(
                table=self._table, downloader_id=self._downloader_id, item=item,
                retention_seconds=int(retention.to_seconds()) if retention else None,
            ),
            request=request,
            result_selector=result_selector,
            pagination=pagination,
            afterwards=Afterwards(
                bucket=self._bucket, downloader_id=self._downloader_id,
                post_process=post_process, on_demand=bool(on_demand),
                overridable_query=tuple(overridable_query or ()),
            ),
        )  # fmt: skip
        self._state_machine, self._log_group = self._build_state_machine(
            construct_id,
            post_process,
            definition=definition,
            workflow_type=request.workflow_type,
            timeout=timeout or Duration.minutes(DEFAULT_TIMEOUT_MINUTES),
            table=self._table,
            include_execution_data=auth_header is None or not auth_header.credential_in_state,
            definition_substitutions=_auth_substitution(auth_header),
            log_retention=log_days,
        )
        grant_fanout_paths(self._state_machine, self._api, request)
        acknowledge_distributed_map(self._state_machine, request)
        restrict_http_task(self._state_machine, transport, request.endpoint)
        if self._bucket is not None:
            grant_archive(self._state_machine, self._bucket, self._downloader_id)
        self._dead_letter_queue: sqs.IQueue | None = None
        self._schedule: scheduler.Schedule | None = None
        if scheduled is not False:
            self._dead_letter_queue = build_dead_letter_queue(self, dead_letter_queue)
            self._schedule = build_schedule(
                self, state_machine=self._state_machine, expression=schedule,
                dead_letter_queue=self._dead_letter_queue,
                description=f"Starts downloader {self._downloader_id}: GET {_described(request)}",
            )  # fmt: skip
        self._alarms = MappingProxyType(build_alarms(
            self, state_machine=self._state_machine, dead_letter_queue=self._dead_letter_queue,
            topic=alarm_topic,
        ))  # fmt: skip

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
        ``scheduled=False`` (started on demand only)."""
        return self._schedule

    @property
    def bucket(self) -> s3.IBucket | None:
        """The bucket each answer is archived in (the user's, or the one created); ``None``
        without ``archive``/``bucket``."""
        return self._bucket

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` start a run on demand (``states:StartExecution`` on this state
        machine). The input it must pass: ``{"scheduledTime": "<ISO 8601 UTC>"}``."""
        return grant_start_execution(self._state_machine, grantee)

    @property
    def log_group(self) -> logs.LogGroup:
        """The state machine's log group."""
        return self._log_group

    @property
    def dead_letter_queue(self) -> sqs.IQueue | None:
        """The queue holding schedule starts that could not be delivered; ``None`` with
        ``scheduled=False``."""
        return self._dead_letter_queue

    @property
    def alarms(self) -> Mapping[str, cloudwatch.Alarm]:
        """Alarms by name: ``failed``, ``timed_out``, ``throttled``, ``dead_letter_queue``
        (the last one only with a schedule)."""
        return self._alarms

    def estimate_monthly_cost(self, **options: Any) -> CostEstimate:
        """This downloader's monthly cost, read from its synthesized schedule and definition.

        Options as ``sfn_downloader.estimate_monthly_cost`` (region, duration, memory, ...).
        """
        from .cost import estimate_monthly_cost  # the cost model loads only when used

        return estimate_monthly_cost(self, **options)

    @property
    def downloader_id(self) -> str:
        """The partition key value of this downloader's items."""
        return self._downloader_id

    def _build_state_machine(
        self, construct_id: str, post_process: sfn.IChainable | None, **kwargs: Any
    ) -> tuple[sfn.StateMachine, logs.LogGroup]:
        try:
            return build_state_machine(self, **kwargs)
        except RuntimeError as error:  # jsii wraps aws-cdk-lib's errors
            if post_process is None or not already_used(error):
                raise
            start = post_process.start_state
            raise DownloaderConfigError(
                construct_id,
                [
                    Problem(
                        "post_process",
                        start.node.path,
                        "already belongs to another state machine's definition.",
                        "build new states for each downloader (e.g. a function returning them).",
                    )
                ],
            ) from None


def _described(request: Request) -> str:
    if not request.targets:
        return request.path
    more = len(request.targets) - 1
    return request.targets[0].key + (f" and {more} more" if more else "")


def _auth_substitution(auth_header: AuthHeader | None) -> dict[str, str] | None:
    """The remapped credential's dynamic reference, substituted into the definition on deploy."""
    if auth_header is None or auth_header.value is None:
        return None
    return {AUTH_VALUE_SUBSTITUTION: auth_header.value.unsafe_unwrap()}
