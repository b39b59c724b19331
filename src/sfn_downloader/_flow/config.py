"""Configure: check every prop at once, apply every default, return one frozen ``Config``.

The constructor and the builders read only the ``Config``. Each feature object (transport,
shape, concurrency, starts, sinks) checks itself against one ``CheckContext``; this module
checks what belongs to no feature (endpoint, path, selector, timeout, id, post-processing),
raises one ``DownloaderConfigError`` listing every problem, or returns the configuration.
Values that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import check_path, is_json_path
from .._contract import EXPRESS_MAX_MINUTES
from .._defaults import LOG_RETENTION, SCHEDULE_MINUTES, TIMEOUT_MINUTES
from .._parts import CheckContext, Request, RunShape
from ..auth import AuthHeader
from ..concurrency import Concurrency
from ..errors import DownloaderConfigError, Problem
from ..fanout import FanOut
from ..pagination import Pagination
from ..sinks.dynamodb import ItemSink, ItemValue
from ..sinks.s3 import Archive
from ..starts import Starts
from ..timing import Incremental, Window
from ..timing.backfill import Backfill
from ..timing.request import TimedRequest
from ..transport import Transport
from .single import SingleRequest


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
    window: Window | None = None
    incremental: Incremental | None = None
    backfill: bool | None = None


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

    @property
    def keeps_result(self) -> bool:
        """True when states follow a single answer's Persist (archive, post-processing)."""
        return self.archive is not None or self.post_process is not None


_KINDS: tuple[tuple[str, type, str], ...] = (
    ("transport", Transport, "use Transport.api_gateway() or Transport.http_task(connection)."),
    ("fan_out", FanOut, "use FanOut.paths([...]) or FanOut.path_values({...})."),
    ("pagination", Pagination,
     "use Pagination.page_count(...) or Pagination.cursor(next_path=...)."),
    ("concurrency", Concurrency, "use Concurrency.inline(10) or Concurrency.distributed(100)."),
    ("starts", Starts,
     "use Starts.scheduled(...), Starts.on_demand() or Starts.scheduled_and_on_demand(...)."),
    ("archive", Archive, "use Archive.to_new_bucket() or Archive.to_bucket(bucket)."),
    ("window", Window, "use Window.last(Duration.hours(1), lookback=...)."),
    ("incremental", Incremental,
     "use Incremental(cursor_path='$.ResponseBody[*].updated_at', param='since', "
     "initial='2026-01-01T00:00:00Z')."),
)  # fmt: skip


def configure(scope: Construct, construct_id: str, props: Props) -> Config:
    """Return the resolved configuration, or raise DownloaderConfigError naming every problem."""
    problems: list[Problem] = []
    for name, kind, fix in _KINDS:
        value = getattr(props, name)
        if value is not None and not isinstance(value, kind):
            article = "an" if kind.__name__[0] in "AEIOU" else "a"
            problems.append(Problem(name, value, f"is not {article} {kind.__name__}.", fix))
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
    )  # fmt: skip
    timing = TimedRequest(path=props.path, window=props.window, incremental=props.incremental,
                          fan_out=props.fan_out is not None)  # fmt: skip
    backfill = Backfill(enabled=props.backfill, timing=timing,
                        distributed=concurrency.is_distributed)  # fmt: skip
    expression, time_zone = _schedule_of(starts)
    context = CheckContext(
        scope=scope, path=props.path, query=query, headers=props.headers,
        auth_header=props.auth_header, downloader_id=downloader_id,
        workflow_type=props.workflow_type, several_requests=shape.several_requests,
        uses_map=shape.uses_map,
        keeps_result=props.archive is not None or props.post_process is not None,
        transport=transport, schedule_expression=expression, schedule_time_zone=time_zone,
        query_overrides=bool(starts.overrides), backfill=backfill.is_enabled,
    )  # fmt: skip
    for feature in (transport, props.fan_out, props.pagination, props.concurrency, starts,
                    items, props.archive, timing, backfill):  # fmt: skip
        if feature is not None:
            problems += feature.check(context)
    problems += _check_result_selector(props.result_selector)
    workflow_type = props.workflow_type or concurrency.default_workflow_type
    problems += _check_timeout(props.timeout, workflow_type)
    problems += _check_downloader_id(props.downloader_id)
    problems += _check_post_process(scope, props.post_process, context)
    if problems:
        raise DownloaderConfigError(construct_id, problems)
    return Config(
        request=Request(endpoint=endpoint, path=path, query=query, given=props.path),
        downloader_id=downloader_id, result_selector=props.result_selector,
        headers=props.headers, auth_header=props.auth_header, retry=props.retry,
        workflow_type=workflow_type,
        timeout=props.timeout or Duration.minutes(TIMEOUT_MINUTES),
        log_retention=props.log_retention or getattr(logs.RetentionDays, LOG_RETENTION),
        alarm_topic=props.alarm_topic, transport=transport, shape=shape,
        concurrency=concurrency, starts=starts, items=items, archive=props.archive,
        post_process=props.post_process, timing=timing, backfill=backfill,
    )  # fmt: skip


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
    """The run's shape, decided once: a fan-out, the pages of one path, or one request."""
    if props.fan_out is not None and props.pagination is not None:
        problems.append(
            Problem(
                "pagination",
                props.pagination.kind,
                "is not supported together with fan_out yet.",
                "use one paginated downloader per path (they may share a table), or drop "
                "pagination.",
            )
        )
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


def _check_result_selector(
    selector: Mapping[str, Any] | None, where: str = "result_selector"
) -> Iterator[Problem]:
    if selector is None:
        return
    if not isinstance(selector, Mapping):
        yield Problem(
            where, selector, "is not a mapping.",
            "pass e.g. {'players.$': '$.ResponseBody.players'}.",
        )  # fmt: skip
        return
    if where == "result_selector" and not selector:
        yield Problem(
            where,
            selector,
            "is empty: the next step would receive {}.",
            "select at least one field, or omit result_selector.",
        )
    for key, value in selector.items():
        here = f"{where}[{key!r}]"
        if key.endswith(".$"):
            if not isinstance(value, str):
                yield Problem(
                    here,
                    value,
                    "a '.$' key needs a JSONPath string.",
                    "use e.g. '$.ResponseBody.players', or drop '.$' for a constant.",
                )
            elif not Token.is_unresolved(value) and not is_json_path(value):
                yield Problem(
                    here,
                    value,
                    "is not a JSONPath or intrinsic function.",
                    "start it with '$.' (e.g. '$.ResponseBody.players').",
                )
        elif isinstance(value, Mapping):
            yield from _check_result_selector(value, here)


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


def _check_post_process(
    scope: Construct, chainable: object, context: CheckContext
) -> Iterator[Problem]:
    """A state or chain of this stack, after one answer. (Name clashes with the downloader's
    own states are found on the built definition: see ``assembly.check_state_names``.)"""
    if chainable is None:
        return
    if not (hasattr(chainable, "start_state") and hasattr(chainable, "end_states")):
        yield Problem(
            "post_process",
            chainable,
            "is not a Step Functions state or chain.",
            "pass e.g. tasks.SnsPublish(...) or first_state.next(second_state).",
        )
        return
    start = chainable.start_state
    if Stack.of(start) is not Stack.of(scope):
        yield Problem(
            "post_process",
            start.node.path,
            "is defined in another stack; a state machine's states must be in its stack.",
            "create the states in the downloader's stack.",
        )
    if context.several_requests:
        yield Problem(
            "post_process",
            "given",
            "is not supported with several requests a run (fan_out or pagination) yet.",
            "use one path per downloader, or drop it.",
        )
