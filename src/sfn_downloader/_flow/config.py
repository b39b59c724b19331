"""Configure: check every prop at once, apply every default, return one frozen ``Config``.

The constructor and the builders read only the ``Config``. Every prop's type is checked
first (``values.py``); each feature object (transport, shape, concurrency, starts, sinks) then
checks itself against one ``CheckContext``; this module checks what belongs to no feature
(endpoint, path, selector, timeout, id, post-processing), raises one ``DownloaderConfigError``
listing every problem, or returns the configuration.
Values that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import check_path, headers_read
from .._contract import EXPRESS_MAX_MINUTES, RETRY_AFTER_STATUSES
from .._defaults import LOG_RETENTION, SCHEDULE_MINUTES, TIMEOUT_MINUTES
from .._parts import CheckContext, Exchange, Request, RunShape
from ..auth import AuthHeader
from ..concurrency import Concurrency
from ..errors import DownloaderConfigError, Problem
from ..fanout import FanOut
from ..item import ItemField
from ..pagination import Pagination
from ..polite import RetryAfter, Store
from ..polite._run import PoliteRun
from ..sinks.dynamodb import ItemSink, ItemValue
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
from .paged_fan_out import PagedFanOut
from .single import SingleRequest
from .values import check_result_selector, check_types, unwrapped


@dataclass(frozen=True)
class Props:
    """Everything the user passed, as passed (``None`` = not given)."""

    endpoint: str
    path: str | None
    item: Mapping[str, ItemValue]
    result_selector: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    auth_header: AuthHeader | None
    workflow_type: sfn.StateMachineType | None
    timeout: Duration | None
    table: dynamodb.ITable | None
    removal_policy: RemovalPolicy | None
    encryption_key: kms.IKey | None
    point_in_time_recovery: bool | None
    downloader_id: str | None
    retry: sfn.RetryProps | None
    alarm_topic: sns.ITopic | None
    log_retention: logs.RetentionDays | None
    fan_out: FanOut | None
    concurrency: Concurrency | None
    pagination: Pagination | None
    transport: Transport | None
    retention: Duration | None
    post_process: sfn.IChainable | None
    archive: Archive | None
    starts: Starts | None
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

    @property
    def keeps_result(self) -> bool:
        """True when states follow a single answer's Persist (archive, post-processing)."""
        return self.archive is not None or self.post_process is not None


def configure(scope: Construct, construct_id: str, props: Props) -> Config:
    """Return the resolved configuration, or raise DownloaderConfigError naming every problem."""
    problems = list(check_types(props))
    if problems:  # the checks below call methods of these objects
        raise DownloaderConfigError(construct_id, problems)
    endpoint = _check_endpoint(props.endpoint, problems)
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
    request = Request(endpoint=endpoint, path=path, query=query, given=props.path)
    timing = TimedRequest(path=props.path, window=props.window, incremental=props.incremental,
                          fan_out=props.fan_out is not None)  # fmt: skip
    expression, time_zone = _schedule_of(starts)
    polite = PoliteRun(
        conditional=props.conditional, store=props.store,
        respect_expires=props.respect_expires, result_selector=props.result_selector,
        on_status=props.on_status, computes_request=timing.active,
        max_fresh=props.max_fresh, rate_seconds=_rate_seconds(expression),
    )  # fmt: skip
    exchange = _exchange(props, shape, request, polite)
    if shape.uses_map and isinstance(concurrency.max_concurrency, int):
        exchange = replace(exchange, in_flight=max(1, concurrency.max_concurrency))
    backfill = Backfill(enabled=props.backfill, timing=timing,
                        distributed=concurrency.is_distributed)  # fmt: skip
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
        schedule_expression=expression, schedule_time_zone=time_zone,
        query_overrides=bool(starts.overrides), backfill=backfill.is_enabled,
    )  # fmt: skip
    on_status = OnStatus(props.on_status) if props.on_status is not None else None
    for feature in (transport, props.fan_out, props.pagination, props.concurrency, starts,
                    items, props.archive, on_status, timing, backfill, polite,
                    props.retry_after):  # fmt: skip
        if feature is not None:
            problems += feature.check(context)
    problems += check_result_selector(props.result_selector)
    problems += _check_timeout(props.timeout, workflow_type)
    problems += _check_downloader_id(props.downloader_id)
    problems += _check_dashboard(props.dashboard)
    problems += post_process.check(scope, props.post_process, context)
    problems += check_alarm_topic(props.alarm_topic)
    if problems:
        raise DownloaderConfigError(construct_id, problems)
    return Config(
        request=request,
        downloader_id=downloader_id, result_selector=unwrapped(props.result_selector),
        headers=unwrapped(props.headers), auth_header=props.auth_header, retry=props.retry,
        workflow_type=workflow_type, timeout=timeout,
        log_retention=props.log_retention or getattr(logs.RetentionDays, LOG_RETENTION),
        alarm_topic=props.alarm_topic, transport=transport, shape=shape,
        concurrency=concurrency, starts=starts, items=items, archive=props.archive,
        post_process=props.post_process,
        dashboard=props.dashboard if props.dashboard is not None else False,
        trim=props.trim, exchange=exchange,
        on_status=on_status, timing=timing, backfill=backfill, retry_after=props.retry_after,
        polite=polite,
    )  # fmt: skip


def _rate_seconds(expression: str | None) -> int | None:
    """A ``rate(...)`` schedule's interval in seconds; ``None`` for a cron or no schedule."""
    step = step_of(expression) if expression and expression.startswith("rate(") else None
    return step.seconds if step is not None else None


def _check_dashboard(dashboard: object) -> Iterator[Problem]:
    if dashboard is None or isinstance(dashboard, bool | cloudwatch.Dashboard):
        return
    yield Problem(
        "dashboard",
        dashboard,
        "is not True, False or a cloudwatch.Dashboard.",
        "pass dashboard=True for a dashboard of its own, or a cloudwatch.Dashboard to share.",
    )


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
        paths = list(_strings(props.result_selector))
    else:
        item = props.item if isinstance(props.item, Mapping) else {}
        paths = [value.path for value in item.values() if isinstance(value, ItemField)]
    read = headers_read(paths)
    waits = props.retry_after
    if isinstance(waits, RetryAfter):  # the proxy hands a 429/503 over with these headers
        read = (*read, *waits.response_headers)
    queried = own.query_names
    mark = props.incremental
    if isinstance(mark, Incremental) and isinstance(mark.param, str):
        # Sent each run (``since=<mark>``): a non-proxy integration passes only mapped names.
        queried = tuple(dict.fromkeys([*queried, mark.param]))
    return Exchange(
        query_names=queried,
        response_headers=tuple(
            dict.fromkeys([*own.response_headers, *read, *polite.response_headers])
        ),
        throttled_statuses=RETRY_AFTER_STATUSES if isinstance(waits, RetryAfter) else (),
        computed_headers=polite.request_headers,
        query_chosen_by_api=own.query_chosen_by_api,
    )


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _strings(inner)


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
        problems += paged.check(props.path)
        return paged
    return props.fan_out or props.pagination or SingleRequest()


def _check_endpoint(endpoint: str, problems: list[Problem]) -> str:
    fix = "pass the base URL only, e.g. 'https://esi.evetech.net' or 'https://host:8443'."
    if not isinstance(endpoint, str):
        problems.append(Problem("endpoint", endpoint, "must be a string.", fix))
        return ""
    if Token.is_unresolved(endpoint):
        return endpoint
    parsed = urlsplit(endpoint)
    try:
        parsed.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        problems.append(Problem("endpoint", endpoint, "has an invalid port.", fix))
    if parsed.scheme != "https":
        problems.append(Problem("endpoint", endpoint, "is not an https URL.", fix))
    if not parsed.hostname:
        problems.append(Problem("endpoint", endpoint, "has no host name.", fix))
    if parsed.username is not None or parsed.password is not None:
        problems.append(
            Problem(
                "endpoint",
                endpoint,
                "carries credentials in the URL.",
                "remove them and use auth_header=AuthHeader.from_secret(...).",
            )
        )
    if parsed.path not in ("", "/"):
        problems.append(
            Problem(
                "endpoint",
                endpoint,
                f"carries a path ({parsed.path!r}).",
                "move the path into the `path` prop.",
            )
        )
    if parsed.query or parsed.fragment or endpoint.endswith(("?", "#")):
        problems.append(
            Problem(
                "endpoint",
                endpoint,
                "carries a query or fragment.",
                "move query parameters into the `path` prop ('/v2/status?x=1').",
            )
        )
    return endpoint.rstrip("/")


def _check_timeout(
    timeout: Duration | None, workflow_type: sfn.StateMachineType
) -> Iterator[Problem]:
    if timeout is None or Token.is_unresolved(timeout.to_seconds()):
        return
    seconds = timeout.to_seconds()
    if workflow_type == sfn.StateMachineType.EXPRESS and seconds > EXPRESS_MAX_MINUTES * 60:
        yield Problem(
            "timeout",
            timeout.to_human_string(),
            "exceeds 5 minutes, the longest an Express workflow can run.",
            "use a timeout of at most Duration.minutes(5), or "
            "workflow_type=StateMachineType.STANDARD.",
        )
    if seconds <= 0:
        yield Problem("timeout", timeout.to_human_string(), "is not positive.",
                      "use e.g. Duration.minutes(1).")  # fmt: skip


def _check_downloader_id(downloader_id: str | None) -> Iterator[Problem]:
    if downloader_id is None or Token.is_unresolved(downloader_id):
        return
    if not downloader_id.strip():
        yield Problem(
            "downloader_id",
            downloader_id,
            "is empty.",
            "pass a non-empty name, or omit it to use the construct path.",
        )
