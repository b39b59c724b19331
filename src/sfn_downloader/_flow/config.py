"""Configure: check every prop at once, apply every default, return one frozen ``Config``.

The constructor and the builders read only the ``Config``. Each feature object (transport,
shape, concurrency, starts, sinks) checks itself against one ``CheckContext``; this module
checks what belongs to no feature (endpoint, path, selector, timeout, id, post-processing),
raises one ``DownloaderConfigError`` listing every problem, or returns the configuration.
Values that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import check_path, is_json_path
from .._contract import EXPRESS_MAX_MINUTES
from .._defaults import LOG_RETENTION, TIMEOUT_MINUTES
from .._parts import CheckContext, Request, RunShape
from ..auth import AuthHeader
from ..concurrency import Concurrency
from ..constant import Constant, looks_like_a_path
from ..errors import DownloaderConfigError, Problem
from ..fanout import FanOut
from ..pagination import Pagination
from ..sinks.dynamodb import ItemSink, ItemValue
from ..sinks.s3 import Archive
from ..starts import Starts
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

    @property
    def keeps_result(self) -> bool:
        """True when states follow a single answer's Persist (archive, post-processing)."""
        return self.archive is not None or self.post_process is not None


def _is(kind: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _has(*attributes: str) -> Callable[[object], bool]:
    """An aws-cdk-lib interface (``ITable``, ``IKey``, ...): jsii interfaces are not runtime
    checkable, so the object must have the interface's own attributes."""
    return lambda value: not isinstance(value, str) and all(hasattr(value, a) for a in attributes)


def _mapping(value: object) -> bool:
    return isinstance(value, Mapping)


_TYPES: tuple[tuple[str, Callable[[object], bool], str, str], ...] = (
    ("endpoint", _is(str), "a str", "pass the base URL, e.g. 'https://esi.evetech.net'."),
    ("path", _is(str), "a str", "pass e.g. path='/v2/status'."),
    ("item", _mapping, "a mapping of attribute name to ItemField",
     "pass e.g. item={'count': ItemField.number('$.players')}."),
    ("result_selector", _mapping, "a mapping",
     "pass e.g. {'players.$': '$.ResponseBody.players'}."),
    ("headers", _mapping, "a mapping of header name to value",
     "pass e.g. headers={'Accept': 'application/json'}."),
    ("auth_header", _is(AuthHeader), "an AuthHeader",
     "use AuthHeader.remap(...) or AuthHeader.from_secret(...)."),
    ("workflow_type", _is(sfn.StateMachineType), "an aws_stepfunctions.StateMachineType",
     "use StateMachineType.STANDARD or StateMachineType.EXPRESS."),
    ("timeout", _is(Duration), "a Duration", "use e.g. Duration.minutes(5)."),
    ("table", _has("table_name", "table_arn", "grant_write_data"), "a dynamodb.ITable",
     "pass a dynamodb.Table, or Table.from_table_name(self, 'Table', 'name')."),
    ("removal_policy", _is(RemovalPolicy), "a RemovalPolicy", "use e.g. RemovalPolicy.RETAIN."),
    ("encryption_key", _has("key_arn", "grant_encrypt_decrypt"), "a kms.IKey",
     "pass a kms.Key, or Key.from_key_arn(self, 'Key', arn)."),
    ("point_in_time_recovery", _is(bool), "a bool", "pass True or False."),
    ("downloader_id", _is(str), "a str", "pass e.g. downloader_id='eve/player-count'."),
    ("retry", _is(sfn.RetryProps), "an aws_stepfunctions.RetryProps",
     "pass e.g. sfn.RetryProps(max_attempts=5)."),
    ("alarm_topic", _has("topic_arn", "grant_publish"), "an sns.ITopic",
     "pass an sns.Topic, or Topic.from_topic_arn(self, 'Topic', arn)."),
    ("log_retention", _is(logs.RetentionDays), "an aws_logs.RetentionDays",
     "use e.g. RetentionDays.THREE_MONTHS."),
    ("fan_out", _is(FanOut), "a FanOut", "use FanOut.paths([...]) or FanOut.path_values({...})."),
    ("concurrency", _is(Concurrency), "a Concurrency",
     "use Concurrency.inline(10) or Concurrency.distributed(100)."),
    ("pagination", _is(Pagination), "a Pagination",
     "use Pagination.page_count(...) or Pagination.cursor(next_path=...)."),
    ("transport", _is(Transport), "a Transport",
     "use Transport.api_gateway() or Transport.http_task(connection)."),
    ("retention", _is(Duration), "a Duration", "use e.g. Duration.days(90)."),
    ("post_process", _has("start_state", "end_states"),
     "an aws_stepfunctions state or chain",
     "pass e.g. tasks.SnsPublish(...) or first_state.next(second_state)."),
    ("archive", _is(Archive), "an Archive",
     "use Archive.to_new_bucket() or Archive.to_bucket(bucket)."),
    ("starts", _is(Starts), "a Starts",
     "use Starts.scheduled(...), Starts.on_demand() or Starts.scheduled_and_on_demand(...)."),
)  # fmt: skip
"""Every prop, the type it must have, and how to pass one: checked first, as every other check
calls methods of these values."""


_RETENTION_DAYS = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS",
    30: "ONE_MONTH", 60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS",
    150: "FIVE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 731: "TWO_YEARS",
}  # fmt: skip
"""CloudWatch Logs retention periods in days, by ``RetentionDays`` member."""


def _check_types(props: Props) -> Iterator[Problem]:
    for name, accepts, expected, fix in _TYPES:
        value = getattr(props, name)
        if value is None or accepts(value):
            continue
        if name == "log_retention" and value in _RETENTION_DAYS:
            fix = f"use RetentionDays.{_RETENTION_DAYS[value]} ({value} days)."
        received = type(value).__name__
        article = "an" if received[0] in "aeiouAEIOU" else "a"
        yield Problem(name, value, f"is not {expected} (it is {article} {received}).", fix)


def configure(scope: Construct, construct_id: str, props: Props) -> Config:
    """Return the resolved configuration, or raise DownloaderConfigError naming every problem."""
    problems = list(_check_types(props))
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
            path, query = check_path(props.path, problems)
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
    context = CheckContext(
        scope=scope, path=props.path, query=query, headers=props.headers,
        auth_header=props.auth_header, downloader_id=downloader_id,
        workflow_type=props.workflow_type, several_requests=shape.several_requests,
        uses_map=shape.uses_map,
        keeps_result=props.archive is not None or props.post_process is not None,
        transport=transport, retry=props.retry,
    )  # fmt: skip
    for feature in (transport, props.fan_out, props.pagination, props.concurrency, starts,
                    items, props.archive):  # fmt: skip
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
        downloader_id=downloader_id, result_selector=unwrapped(props.result_selector),
        headers=unwrapped(props.headers), auth_header=props.auth_header, retry=props.retry,
        workflow_type=workflow_type,
        timeout=props.timeout or Duration.minutes(TIMEOUT_MINUTES),
        log_retention=props.log_retention or getattr(logs.RetentionDays, LOG_RETENTION),
        alarm_topic=props.alarm_topic, transport=transport, shape=shape,
        concurrency=concurrency, starts=starts, items=items, archive=props.archive,
        post_process=props.post_process,
    )  # fmt: skip


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
            if isinstance(value, Constant):
                yield Problem(
                    here, value, "a '.$' key takes a JSONPath, not a Constant.",
                    f"drop '.$' from the key ({key[:-2]!r}) to keep the text.",
                )  # fmt: skip
            elif not isinstance(value, str):
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
        else:
            yield from _check_constant(here, key, value)


def _check_constant(where: str, key: str, value: object) -> Iterator[Problem]:
    """A selector value under a key without ``.$`` is a constant: one that looks like a path is
    a forgotten ``.$`` (every run would store the path's text)."""
    if isinstance(value, Mapping):
        yield from _check_result_selector(value, where)
    elif isinstance(value, list | tuple):
        for index, element in enumerate(value):
            yield from _check_constant(f"{where}[{index}]", "", element)
    elif looks_like_a_path(value) and not Token.is_unresolved(value):
        select = (
            f"name the key {key + '.$'!r} to select the value"
            if key
            else "a list's elements are constants: select it with a '.$' key and States.Array(...)"
        )
        yield Problem(
            where,
            value,
            "looks like a JSONPath, but its key has no '.$', so every run would store this "
            "text as written.",
            f"{select}, or wrap the text in Constant({value!r}) if it is meant as written.",
        )


def unwrapped(value: Any) -> Any:
    """``value`` with every ``Constant`` replaced by its text, as aws-cdk-lib renders it."""
    if isinstance(value, Constant):
        return value.value
    if isinstance(value, Mapping):
        return {key: unwrapped(inner) for key, inner in value.items()}
    if isinstance(value, list | tuple):
        return [unwrapped(inner) for inner in value]
    return value


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
