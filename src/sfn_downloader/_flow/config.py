"""Configure: check every prop at once, apply every default, return one frozen ``Config``.

The constructor and the builders read only the ``Config``. Every prop's type is checked
first (``values.py``); each feature object (transport, shape, concurrency, starts, sinks) then
checks itself against one ``CheckContext``; this module checks what belongs to no feature
(endpoint, path, selector, timeout, id, post-processing), raises one ``DownloaderConfigError``
listing every problem, or returns the configuration.
Values that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import check_path, headers_read, strings_in
from .._defaults import LOG_RETENTION, SCHEDULE_MINUTES, TIMEOUT_MINUTES
from .._parts import CheckContext, Exchange, Request, RunFeature, RunShape
from .._request import check_body, check_method
from ..auth import AuthHeader
from ..concurrency import Concurrency
from ..errors import DownloaderConfigError, Problem
from ..fanout import FanOut
from ..item import ItemField
from ..pagination import Pagination
from ..polite import RetryAfter, Store
from ..polite._run import PoliteRun
from ..sinks.dynamodb import ItemSink, ItemValue
from ..sinks.records import Records
from ..sinks.s3 import Archive
from ..starts import Starts
from ..status import OnStatus, StatusAction
from ..timing import Incremental, Window
from ..timing._schedule import step_of
from ..timing.backfill import Backfill
from ..timing.request import TimedRequest
from ..transport import Transport
from ..transport.trim import Trim
from . import post_process
from .alarms import check_alarm_topic
from .features import run_features
from .paged_fan_out import PagedFanOut
from .request import answer_errors, check_graphql, sent_headers
from .single import SingleRequest
from .values import (
    check_downloader_id,
    check_endpoint,
    check_result_selector,
    check_timeout,
    check_types,
    unwrapped,
)


@dataclass(frozen=True, kw_only=True)
class Props:
    """Everything the user passed, as passed (``None`` = not given)."""

    endpoint: str
    path: str | None = None
    method: str | None = None
    body: Mapping[str, Any] | None = None
    item: Mapping[str, ItemValue]
    result_selector: Mapping[str, Any] | None = None
    headers: Mapping[str, str] | None = None
    auth_header: AuthHeader | None = None
    workflow_type: sfn.StateMachineType | None = None
    timeout: Duration | None = None
    table: dynamodb.ITable | None = None
    removal_policy: RemovalPolicy | None = None
    encryption_key: kms.IKey | None = None
    point_in_time_recovery: bool | None = None
    downloader_id: str | None = None
    retry: sfn.RetryProps | None = None
    alarm_topic: sns.ITopic | None = None
    log_retention: logs.RetentionDays | None = None
    fan_out: FanOut | None = None
    concurrency: Concurrency | None = None
    pagination: Pagination | None = None
    transport: Transport | None = None
    retention: Duration | None = None
    post_process: sfn.IChainable | None = None
    archive: Archive | None = None
    starts: Starts | None = None
    dashboard: bool | cloudwatch.Dashboard | None = None
    trim: Trim | None = None
    on_status: Mapping[int, StatusAction] | None = None
    window: Window | None = None
    incremental: Incremental | None = None
    backfill: bool | None = None
    retry_after: RetryAfter | None = None
    conditional: bool | None = None
    store: Store | None = None
    respect_expires: bool | None = None
    max_fresh: Duration | None = None
    records: Records | None = None

    @classmethod
    def of(cls, arguments: Mapping[str, Any]) -> Props:
        """The props among ``arguments`` (the constructor's ``locals()``)."""
        return cls(**{f.name: arguments[f.name] for f in fields(cls)})


@dataclass(frozen=True)
class Config:
    """The resolved configuration: every default applied, every feature chosen."""

    request: Request
    downloader_id: str
    result_selector: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    auth_header: AuthHeader | None
    retry: sfn.RetryProps | None
    workflow_type: sfn.StateMachineType
    timeout: Duration
    log_retention: logs.RetentionDays
    alarm_topic: sns.ITopic | None
    transport: Transport
    shape: RunShape
    concurrency: Concurrency
    starts: Starts
    items: ItemSink
    archive: Archive | None
    post_process: sfn.IChainable | None
    timing: TimedRequest
    backfill: Backfill
    dashboard: cloudwatch.Dashboard | bool = False
    """``True``: a new dashboard; a ``Dashboard``: add to it; ``False``: none."""
    trim: Trim | None = None
    exchange: Exchange = field(default_factory=Exchange)
    on_status: OnStatus | None = None
    retry_after: RetryAfter | None = None
    polite: PoliteRun = field(
        default_factory=lambda: PoliteRun(
            conditional=None,
            store=None,
            respect_expires=None,
            result_selector=None,
            on_status=None,
            computes_request=False,
        )
    )
    """``conditional``, ``store``, ``respect_expires``."""
    answer_errors: str | None = None
    """A GraphQL downloader: where its answers list errors (checked before storing)."""
    records: Records | None = None
    features: tuple[RunFeature, ...] = ()
    """The run's optional features, in the order a run meets them (``features.py``)."""

    @property
    def timeout_seconds(self) -> float | None:
        """A run's timeout in seconds (``None``: a token, known at deploy time)."""
        seconds = self.timeout.to_seconds()
        return None if Token.is_unresolved(seconds) else float(seconds)

    @property
    def keeps_result(self) -> bool:
        """True when states follow a single answer's Persist (archive, post-processing)."""
        return self.archive is not None or self.post_process is not None


def configure(scope: Construct, construct_id: str, props: Props) -> Config:
    """Return the resolved configuration, or raise DownloaderConfigError naming every problem."""
    problems = list(check_types(props))
    if problems:  # the checks below call methods of these objects
        raise DownloaderConfigError(construct_id, problems)
    endpoint = check_endpoint(props.endpoint, problems)
    shape = _shape(props, problems)
    if props.fan_out is None:
        if props.path is None:
            problems.append(Problem("path", None, "is missing.",
                                    "pass path='/v2/status' (or fan_out=FanOut.paths([...])).",
                                    ))  # fmt: skip
            path, query = "", dict[str, list[str]]()
        else:
            # Braces are time placeholders here, checked by the timing feature.
            path, query = check_path(props.path, problems, template=True)
    else:
        path, query = "", {}
    transport = props.transport or Transport.api_gateway()
    concurrency = props.concurrency or Concurrency.inline()
    starts = props.starts or Starts.scheduled()
    downloader_id = props.downloader_id or scope.node.path
    items = ItemSink(
        item=props.item, result_selector=props.result_selector, table=props.table,
        removal_policy=props.removal_policy, encryption_key=props.encryption_key,
        point_in_time_recovery=props.point_in_time_recovery, retention=props.retention,
        marks_run=shape.several_requests, added_attributes=tuple(starts.item_attributes()),
    )  # fmt: skip
    workflow_type = props.workflow_type or concurrency.default_workflow_type
    timeout = props.timeout or Duration.minutes(TIMEOUT_MINUTES)
    problems += check_method(props.method)
    problems += check_body(props.body, props.method)
    request = Request(
        endpoint=endpoint, path=path, query=query, given=props.path,
        method=props.method or "GET", body=unwrapped(props.body),
    )  # fmt: skip
    timing = TimedRequest(path=props.path, window=props.window, incremental=props.incremental,
                          fan_out=props.fan_out is not None,
                          pages=props.pagination is not None and props.fan_out is None,
                          body=props.body if isinstance(props.body, Mapping) else None,
                          templates=props.fan_out.templates(props.path)
                          if isinstance(props.fan_out, FanOut) else ())  # fmt: skip
    expression, time_zone = _schedule_of(starts)
    polite = PoliteRun(
        conditional=props.conditional, store=props.store,
        respect_expires=props.respect_expires, result_selector=props.result_selector,
        on_status=props.on_status, computes_request=timing.active,
        several_requests=shape.several_requests, query_overrides=bool(starts.overrides),
        backfill=props.backfill is True,
        max_fresh=props.max_fresh, rate_seconds=_rate_seconds(expression),
    )  # fmt: skip
    exchange = _exchange(props, shape, request, polite)
    if shape.uses_map and isinstance(concurrency.max_concurrency, int):
        exchange = replace(exchange, in_flight=max(1, concurrency.max_concurrency))
    backfill = Backfill(enabled=props.backfill, timing=timing)
    context = CheckContext(
        scope=scope, path=props.path, query=query, headers=props.headers,
        auth_header=props.auth_header, downloader_id=downloader_id,
        workflow_type=props.workflow_type, several_requests=shape.several_requests,
        uses_map=shape.uses_map,
        keeps_result=props.archive is not None or props.post_process is not None,
        transport=transport, concurrency=concurrency, run_workflow_type=workflow_type,
        timeout_seconds=_seconds(timeout),
        retry=props.retry,
        trim=props.trim, exchange=exchange,
        paginated=props.pagination is not None,
        max_pages=props.pagination.valid_max_pages if props.pagination is not None else None,
        schedule_expression=expression, schedule_time_zone=time_zone,
        query_overrides=bool(starts.overrides), backfill=backfill.is_enabled,
        overridable_query=starts.overrides, fan_out=props.fan_out is not None,
        post_process=props.post_process is not None,
        body=props.body,
        remembers_answers=polite.active,
        records_events=props.records.answer_events if props.records is not None else 0,
    )  # fmt: skip
    on_status = OnStatus(props.on_status) if props.on_status is not None else None
    for feature in (transport, props.fan_out, props.pagination, props.concurrency, starts,
                    items, props.archive, on_status, timing, backfill, polite,
                    props.retry_after, props.records):  # fmt: skip
        if feature is not None:
            problems += feature.check(context)
    if isinstance(shape, PagedFanOut):  # every page of every path, within the run
        problems += shape.check_run_length(context)
    problems += check_graphql(props.body, props.result_selector, shape)
    problems += check_result_selector(props.result_selector)
    problems += check_timeout(props.timeout, workflow_type)
    problems += check_downloader_id(props.downloader_id)
    problems += post_process.check(scope, props.post_process, context)
    problems += check_alarm_topic(props.alarm_topic)
    if problems:
        raise DownloaderConfigError(construct_id, problems)
    errors_path = answer_errors(props.body, props.result_selector)
    features = run_features(
        input_check=starts.input_check(), polite=polite, timing=timing, items=items,
        starts=starts.for_fan_out() if props.fan_out is not None else starts,
        on_status=on_status, retry_after=props.retry_after, archive=props.archive,
        post_process=props.post_process, answer_errors=errors_path, records=props.records,
        several_requests=shape.several_requests,
    )  # fmt: skip
    return Config(
        request=request,
        downloader_id=downloader_id, result_selector=unwrapped(props.result_selector),
        headers=sent_headers(props.headers, props.body), auth_header=props.auth_header,
        retry=props.retry,
        workflow_type=workflow_type, timeout=timeout,
        log_retention=props.log_retention or getattr(logs.RetentionDays, LOG_RETENTION),
        alarm_topic=props.alarm_topic, transport=transport, shape=shape,
        concurrency=concurrency, starts=starts, items=items, archive=props.archive,
        post_process=props.post_process,
        dashboard=props.dashboard if props.dashboard is not None else False,
        trim=props.trim, exchange=exchange,
        on_status=on_status, timing=timing, backfill=backfill, retry_after=props.retry_after,
        polite=polite, answer_errors=errors_path, features=features, records=props.records,
    )  # fmt: skip


def _rate_seconds(expression: str | None) -> int | None:
    """A ``rate(...)`` schedule's interval in seconds; ``None`` for a cron or no schedule."""
    step = step_of(expression) if expression and expression.startswith("rate(") else None
    return step.seconds if step is not None else None


def _seconds(timeout: object) -> float | None:
    """A valid timeout's seconds; ``None`` for a token or a bad value (checked elsewhere)."""
    if not isinstance(timeout, Duration) or Token.is_unresolved(timeout.to_seconds()):
        return None
    seconds = float(timeout.to_seconds())
    return seconds if seconds > 0 else None


def _exchange(props: Props, shape: RunShape, request: Request, polite: PoliteRun) -> Exchange:
    """What requests carry and states read, by name: the shape's own, the headers the
    selector (or, without one, the item) reads of the raw answer, and the polite features'."""
    own = shape.exchange(request)
    if props.result_selector is not None:
        paths = list(strings_in(props.result_selector))
    else:
        item = props.item if isinstance(props.item, Mapping) else {}
        paths = [value.path for value in item.values() if isinstance(value, ItemField)]
    read = headers_read(paths)
    waits = props.retry_after
    if isinstance(waits, RetryAfter):  # the proxy hands a 429/503 over with these headers
        read = (*read, *waits.response_headers)
    queried = own.query_names
    mark = props.incremental
    header = mark.header_read() if isinstance(mark, Incremental) else None
    if header is not None:  # the mark follows a header: a non-proxy integration must map it
        read = (*read, header[0])
    if isinstance(mark, Incremental) and isinstance(mark.param, str):
        # Sent each run (``since=<mark>``): a non-proxy integration passes only mapped names.
        queried = tuple(dict.fromkeys([*queried, mark.param]))
    return Exchange(
        query_names=queried,
        response_headers=tuple(
            dict.fromkeys([*own.response_headers, *read, *polite.response_headers])
        ),
        throttled_statuses=waits.statuses if isinstance(waits, RetryAfter) else (),
        computed_headers=polite.request_headers,
    )


def _schedule_of(starts: Starts) -> tuple[str | None, str | None]:
    """The schedule's expression and time zone, when runs start on a known one."""
    if not starts.is_scheduled:
        return None, None
    expression = starts.expression
    if expression is None:
        return f"rate({SCHEDULE_MINUTES} minute{'s' if SCHEDULE_MINUTES != 1 else ''})", None
    if not isinstance(expression, scheduler.ScheduleExpression):
        return None, None  # Starts.check reports it
    text = expression.expression_string
    zone = expression.time_zone
    return (None if Token.is_unresolved(text) else text), (
        zone.timezone_name if zone is not None else None
    )


def _shape(props: Props, problems: list[Problem]) -> RunShape:
    """The run's shape, decided once: a fan-out (of paginated paths), the pages of one path,
    or one request."""
    if props.fan_out is not None and props.pagination is not None:
        paged = PagedFanOut(props.fan_out, props.pagination)
        concurrency = props.concurrency
        from_s3 = concurrency is not None and concurrency.items_from_s3
        problems += paged.check(props.path, from_s3=from_s3 is True)
        return paged
    return props.fan_out or props.pagination or SingleRequest()
