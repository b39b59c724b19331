"""DownloaderPattern: call a third-party API on a schedule and keep every answer in DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._alarms import build_alarms
from ._definition import Persists, build_definition
from ._download import AUTH_VALUE_SUBSTITUTION, Downloads, restrict_http_task
from ._fanout import grant_fanout_paths
from ._map import acknowledge_distributed_map
from ._props import DEFAULT_TIMEOUT_MINUTES, PARTITION_KEY, SORT_KEY, ItemValue, Props, Request
from ._proxy import build_proxy
from ._schedule import build_dead_letter_queue, build_schedule
from ._state_machine import DEFAULT_LOG_RETENTION, build_state_machine
from ._table import build_table
from ._validation import validate
from .auth import AuthHeader
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
            retention=retention,
        )  # fmt: skip
        request = validate(self, construct_id, props)
        transport = transport or Transport.api_gateway()
        self._downloader_id = downloader_id or self.node.path
        self._table = build_table(self, props)
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
        )  # fmt: skip
        self._state_machine, self._log_group = build_state_machine(
            self,
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
    def schedule(self) -> scheduler.Schedule:
        """The EventBridge Scheduler schedule that starts each run."""
        return self._schedule

    @property
    def log_group(self) -> logs.LogGroup:
        """The state machine's log group."""
        return self._log_group

    @property
    def dead_letter_queue(self) -> sqs.IQueue:
        """The queue holding schedule starts that could not be delivered."""
        return self._dead_letter_queue

    @property
    def alarms(self) -> Mapping[str, cloudwatch.Alarm]:
        """Alarms by name: ``failed``, ``timed_out``, ``throttled``, ``dead_letter_queue``."""
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
