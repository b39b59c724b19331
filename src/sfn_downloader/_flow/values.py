"""Checks of prop values that belong to no feature: every prop's type, the result selector,
the endpoint, the timeout and the downloader id.

The types come first (one table, prop → the type it must have): every other check calls
methods of these values. A result selector's value under a key without ``.$`` is a constant,
and one that looks like a path is a forgotten ``.$`` (``Constant`` keeps such a text).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from types import UnionType
from typing import Any
from urllib.parse import urlsplit

from aws_cdk import Duration, RemovalPolicy, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn

from .._checks import is_json_path
from .._contract import EXPRESS_MAX_MINUTES
from ..auth import AuthHeader
from ..concurrency import Concurrency
from ..constant import Constant, looks_like_a_path
from ..errors import Problem
from ..fanout import FanOut
from ..pagination import Pagination
from ..polite import RetryAfter, Store
from ..sinks.records import Records
from ..sinks.s3 import Archive
from ..starts import Starts
from ..timing import Incremental, Window
from ..transport import Transport
from ..transport.trim import Trim


def _is(kind: type | UnionType) -> Callable[[object], bool]:
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
    ("method", _is(str), "a str", "pass method='POST' (or 'GET', the default)."),
    ("body", _mapping, "a mapping (a JSON object)",
     "pass e.g. body={'query': QUERY, 'variables': {'first': 100}}."),
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
     "use Pagination.link_header(), next_url(), offset(), page_number(), page_count() or "
     "cursor(next_path=...)."),
    ("transport", _is(Transport), "a Transport",
     "use Transport.api_gateway() or Transport.http_task(connection)."),
    ("retention", _is(Duration), "a Duration", "use e.g. Duration.days(90)."),
    ("post_process", _has("start_state", "end_states"),
     "a Step Functions state or chain",
     "pass e.g. tasks.SnsPublish(...) or first_state.next(second_state)."),
    ("archive", _is(Archive), "an Archive",
     "use Archive.to_new_bucket() or Archive.to_bucket(bucket)."),
    ("starts", _is(Starts), "a Starts",
     "use Starts.scheduled(...), Starts.on_demand() or Starts.scheduled_and_on_demand(...)."),
    ("dashboard", _is(bool | cloudwatch.Dashboard), "True, False or a cloudwatch.Dashboard",
     "pass dashboard=True for a dashboard of its own, or a cloudwatch.Dashboard to share."),
    ("trim", _is(Trim), "a Trim", "use Trim.fields('name', ...) or Trim.template(vtl)."),
    ("on_status", _mapping, "a mapping of HTTP status to StatusAction",
     "pass e.g. on_status={404: StatusAction.SKIP}."),
    ("window", _is(Window), "a Window", "use Window.last(Duration.hours(1), lookback=...)."),
    ("incremental", _is(Incremental), "an Incremental",
     "use Incremental(cursor_path='$.ResponseBody[*].updated_at', param='since', "
     "initial='2026-01-01T00:00:00Z')."),
    ("backfill", _is(bool), "a bool", "pass backfill=True or False."),
    ("retry_after", _is(RetryAfter), "a RetryAfter",
     "use RetryAfter(max_wait=Duration.minutes(2))."),
    ("conditional", _is(bool), "a bool", "pass conditional=True or False."),
    ("store", _is(Store), "a Store", "use Store.every_answer() or Store.changes_only()."),
    ("respect_expires", _is(bool), "a bool", "pass respect_expires=True or False."),
    ("max_fresh", _is(Duration), "a Duration", "use e.g. max_fresh=Duration.minutes(10)."),
    ("records", _is(Records), "a Records",
     "use Records.merge(items=..., key=..., version=...) or Records.append(items=..., key=...)."),
)  # fmt: skip
"""Every prop, the type it must have, and how to pass one: checked first, as every other check
calls methods of these values."""


_RETENTION_DAYS = {
    1: "ONE_DAY", 3: "THREE_DAYS", 5: "FIVE_DAYS", 7: "ONE_WEEK", 14: "TWO_WEEKS",
    30: "ONE_MONTH", 60: "TWO_MONTHS", 90: "THREE_MONTHS", 120: "FOUR_MONTHS",
    150: "FIVE_MONTHS", 180: "SIX_MONTHS", 365: "ONE_YEAR", 731: "TWO_YEARS",
}  # fmt: skip
"""CloudWatch Logs retention periods in days, by ``RetentionDays`` member."""


def check_types(props: Any) -> Iterator[Problem]:
    """A problem for each prop (an attribute of ``props``) of the wrong type."""
    for name, accepts, expected, fix in _TYPES:
        value = getattr(props, name)
        if value is None or accepts(value):
            continue
        if name == "log_retention" and value in _RETENTION_DAYS:
            fix = f"use RetentionDays.{_RETENTION_DAYS[value]} ({value} days)."
        received = type(value).__name__
        article = "an" if received[0] in "aeiouAEIOU" else "a"
        yield Problem(name, value, f"is not {expected} (it is {article} {received}).", fix)


def check_result_selector(
    selector: Mapping[str, Any] | None, where: str = "result_selector"
) -> Iterator[Problem]:
    """``.$`` values are paths; other values are constants, and none may look like a path."""
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
        yield from check_result_selector(value, where)
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


def check_endpoint(endpoint: str, problems: list[Problem]) -> str:
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


def check_timeout(
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


def check_downloader_id(downloader_id: str | None) -> Iterator[Problem]:
    if downloader_id is None or Token.is_unresolved(downloader_id):
        return
    if not downloader_id.strip():
        yield Problem(
            "downloader_id",
            downloader_id,
            "is empty.",
            "pass a non-empty name, or omit it to use the construct path.",
        )
