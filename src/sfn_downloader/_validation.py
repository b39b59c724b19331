"""Validate: check every prop at once and raise one DownloaderConfigError listing all problems.

Values that are unresolved CDK tokens are skipped: they are only known at deploy time.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aws_cdk import Duration, SecretValue, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._props import (
    DEFAULT_MAX_CONCURRENCY,
    DISTRIBUTED_MAP_MAX_CONCURRENCY,
    EXPRESS_MAX_TIMEOUT_MINUTES,
    INLINE_MAP_MAX_CONCURRENCY,
    PARTITION_KEY,
    SORT_KEY,
    TTL_ATTRIBUTE,
    Props,
    Request,
    Target,
)
from .auth import AuthHeader
from .errors import DownloaderConfigError, Problem
from .item import ItemField
from .pagination import Pagination, PaginationKind
from .transport import Transport

# Headers Step Functions' apigateway:invoke refuses to send (Step Functions developer guide).
FORBIDDEN_HEADERS = frozenset(
    {
        "authorization", "connection", "content-md5", "expect", "host", "max-forwards",
        "proxy-authenticate", "server", "te", "transfer-encoding", "trailer", "upgrade",
        "via", "www-authenticate",
    }
)  # fmt: skip
FORBIDDEN_HEADER_PREFIXES = ("x-forwarded", "x-amz")  # x-amz also covers x-amzn
_HTTP_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-zA-Z]+)\s*\)$")
_FIRST_SEGMENT = re.compile(r"^\$(?:\.([^.\[\]]+)|\['([^']+)'\])")
RAW_RESPONSE_FIELDS = ("Headers", "ResponseBody", "StatusCode", "StatusText")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_TARGETS_BYTES = 200 * 1024
"""The fan-out's request list travels in the state data (256 KiB at most): keep room."""


def validate(scope: Construct, construct_id: str, props: Props) -> Request:
    """Return the normalized request, or raise DownloaderConfigError naming every problem."""
    problems: list[Problem] = []
    endpoint = _check_endpoint(props.endpoint, problems)
    path, query, targets = _check_paths(props, problems)
    problems += _check_headers(props.headers, props.auth_header)
    problems += _check_auth_header(scope, props.auth_header)
    problems += _check_result_selector(props.result_selector)
    problems += _check_item(props)
    problems += _check_table(props)
    problems += _check_retention(props)
    problems += _check_schedule(props.schedule)
    max_concurrency, distributed = _check_map(props, targets, problems)
    problems += _check_workflow(props, distributed=distributed)
    problems += _check_downloader_id(props.downloader_id)
    problems += _check_pagination(props)
    problems += _check_transport(props)
    problems += _check_afterwards(scope, props)
    problems += _check_starts(props)
    problems += _check_overrides(props, query)
    if problems:
        raise DownloaderConfigError(construct_id, problems)
    return Request(
        endpoint=endpoint, path=path, query=query, targets=targets,
        max_concurrency=max_concurrency, distributed=distributed,
        child_workflow_type=(props.child_workflow_type or sfn.StateMachineType.EXPRESS)
        if distributed
        else None,
        workflow_type=props.workflow_type
        or (sfn.StateMachineType.STANDARD if distributed else sfn.StateMachineType.EXPRESS),
    )  # fmt: skip


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


def is_json_path(value: str) -> bool:
    """True for the JSONPath forms Step Functions accepts in ``.$`` fields."""
    return value in ("$", "$$") or value.startswith(("$.", "$$.", "$[", "States."))


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


def _check_path(
    path: str, problems: list[Problem], prop: str = "path", *, template: bool = False
) -> tuple[str, dict[str, list[str]]]:
    if not isinstance(path, str):
        problems.append(Problem(prop, path, "must be a string.", "pass e.g. '/v2/status'."))
        return "", {}
    if Token.is_unresolved(path):
        return path, {}
    if not path.startswith("/"):
        problems.append(Problem(prop, path, "does not start with '/'.", f"use '/{path}'."))
    if "#" in path:
        problems.append(
            Problem(
                prop,
                path,
                "carries a fragment ('#').",
                "remove it: fragments are never sent to a server.",
            )
        )
    if any(ch.isspace() for ch in path):
        problems.append(Problem(prop, path, "contains white space.", "percent-encode it ('%20')."))
    if not template and ("{" in path or "}" in path):
        problems.append(
            Problem(
                prop,
                path,
                "contains '{' or '}', a path template without values.",
                "pass path_values={'name': [...]} for each '{name}', or a concrete path.",
            )
        )
    resource, _, query_string = path.partition("?")
    query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
    return resource, query


def _check_header_name(prop: str, name: str, *, what: str) -> Iterator[Problem]:
    if not _HTTP_TOKEN.match(name):
        yield Problem(
            prop,
            name,
            f"{what} is not a valid HTTP header name (RFC 9110 token).",
            "use letters, digits and '-', e.g. 'MyCustomAuth'.",
        )
        return
    lower = name.lower()
    if lower == "authorization":
        yield Problem(
            prop,
            name,
            "Step Functions refuses to send an Authorization header.",
            "use auth_header=AuthHeader.remap('MyCustomAuth', value) or "
            "AuthHeader.from_secret(secret): the proxy then sets Authorization.",
        )
    elif lower in FORBIDDEN_HEADERS or lower.startswith(FORBIDDEN_HEADER_PREFIXES):
        yield Problem(
            prop,
            name,
            f"{what} is one Step Functions refuses to send.",
            "choose another header name (see the apigateway:invoke docs).",
        )


def _check_headers(headers: Mapping[str, str] | None, auth: AuthHeader | None) -> Iterator[Problem]:
    if headers is None:
        return
    for name, value in headers.items():
        prop = f"headers[{name!r}]"
        yield from _check_header_name(prop, name, what="the header name")
        if not isinstance(value, str):
            yield Problem(prop, value, "is not a string.", "pass the header value as a string.")
        if auth is not None and auth.header_name and name.lower() == auth.header_name.lower():
            yield Problem(
                prop,
                name,
                "is also auth_header's header.",
                "remove it from headers: auth_header sets it.",
            )


def _check_auth_header(scope: Construct, auth: AuthHeader | None) -> Iterator[Problem]:
    if auth is None:
        return
    if not isinstance(auth, AuthHeader):
        yield Problem(
            "auth_header",
            auth,
            "is not an AuthHeader.",
            "use AuthHeader.remap(...) or AuthHeader.from_secret(...).",
        )
        return
    if auth.header_name is not None:
        yield from _check_header_name("auth_header", auth.header_name, what="the custom header")
        if not isinstance(auth.value, SecretValue):
            yield Problem(
                "auth_header",
                auth.value,
                "the remapped value is not a SecretValue.",
                "pass SecretValue.secrets_manager('name') or secret.secret_value.",
            )
        elif _is_plaintext(scope, auth.value):
            yield Problem(
                "auth_header",
                "<plaintext SecretValue>",
                "the credential would appear in plaintext in the template.",
                "store it in Secrets Manager and pass SecretValue.secrets_manager(...).",
            )
    if auth.secret is not None and "'" in auth.prefix:
        yield Problem(
            "auth_header",
            auth.prefix,
            "the prefix contains a single quote, which ends API Gateway's static header value.",
            "remove the quote.",
        )


def _is_plaintext(scope: Construct, value: SecretValue) -> bool:
    resolved = Stack.of(scope).resolve(value)
    return isinstance(resolved, str) and "{{resolve:" not in resolved


def _check_result_selector(
    selector: Mapping[str, Any] | None, where: str = "result_selector"
) -> Iterator[Problem]:
    if selector is None:
        return
    if not isinstance(selector, Mapping):
        yield Problem(
            where,
            selector,
            "is not a mapping.",
            "pass e.g. {'players.$': '$.ResponseBody.players'}.",
        )
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
            if not isinstance(value, str) or Token.is_unresolved(value):
                if not isinstance(value, str):
                    yield Problem(
                        here,
                        value,
                        "a '.$' key needs a JSONPath string.",
                        "use e.g. '$.ResponseBody.players', or drop '.$' for a constant.",
                    )
            elif not is_json_path(value):
                yield Problem(
                    here,
                    value,
                    "is not a JSONPath or intrinsic function.",
                    "start it with '$.' (e.g. '$.ResponseBody.players').",
                )
        elif isinstance(value, Mapping):
            yield from _check_result_selector(value, here)


def _selected_fields(selector: Mapping[str, Any] | None) -> tuple[str, ...]:
    if selector is None:
        return RAW_RESPONSE_FIELDS
    return tuple(key[:-2] if key.endswith(".$") else key for key in selector)


def _check_item(props: Props) -> Iterator[Problem]:
    item = props.item
    if not isinstance(item, Mapping) or not item:
        yield Problem(
            "item",
            item,
            "is empty: nothing of the answer would be stored.",
            "map at least one attribute, e.g. {'count': ItemField.number('$.players')}.",
        )
        return
    fields = _selected_fields(
        props.result_selector if isinstance(props.result_selector, Mapping) else None
    )
    source = "result_selector" if props.result_selector is not None else "the raw response"
    for name, value in item.items():
        prop = f"item[{name!r}]"
        if not isinstance(name, str) or not name:
            yield Problem("item", name, "has an empty attribute name.", "name every attribute.")
        elif name in (PARTITION_KEY, SORT_KEY):
            yield Problem(
                prop,
                name,
                f"collides with the table's key attribute {name!r} "
                "(downloader id and scheduled time).",
                "rename the attribute.",
            )
        if isinstance(value, ItemField):
            yield from _check_item_path(prop, value.path, fields, source)
        elif isinstance(value, tasks.DynamoAttributeValue) and (
            props.paths is not None or props.path_values is not None or props.pagination
        ):
            yield Problem(
                prop,
                "DynamoAttributeValue",
                "cannot be used with several requests a run (paths, path_values or "
                "pagination): each answer sits elsewhere in the state, so its paths are "
                "rewritten, which only an ItemField allows.",
                "use ItemField.string/number/boolean/json(...).",
            )
        elif isinstance(value, tasks.DynamoAttributeValue) and _keeps_result(props):
            yield Problem(
                prop,
                "DynamoAttributeValue",
                "cannot be used with post_process, archive or bucket: the answer then sits "
                "under $.result, so its paths are rewritten, which only an ItemField allows.",
                "use ItemField.string/number/boolean/json(...).",
            )
        elif not isinstance(value, tasks.DynamoAttributeValue):
            yield Problem(
                prop,
                value,
                "is neither an ItemField nor a DynamoAttributeValue.",
                "use e.g. ItemField.number('$.players').",
            )


def _check_item_path(
    prop: str, path: str, fields: tuple[str, ...], source: str
) -> Iterator[Problem]:
    if not isinstance(path, str) or not is_json_path(path) or path.startswith("States."):
        yield Problem(prop, path, "is not a JSONPath.", "use e.g. '$.players'.")
        return
    if path.startswith("$$"):
        return  # the context object (e.g. $$.Execution.Input) is always there
    match = _FIRST_SEGMENT.match(path)
    if match:
        first = match.group(1) or match.group(2)
        if first not in fields:
            yield Problem(
                prop,
                path,
                f"reads {first!r}, which {source} does not produce "
                f"(it produces {', '.join(fields)}).",
                "fix the path, or add the field to result_selector.",
            )


def _check_table(props: Props) -> Iterator[Problem]:
    if props.table is None:
        return
    settings = {
        "removal_policy": props.removal_policy,
        "encryption_key": props.encryption_key,
        "point_in_time_recovery": props.point_in_time_recovery,
    }
    given = [name for name, value in settings.items() if value is not None]
    if given:
        yield Problem(
            "table",
            props.table.node.path,
            f"is given together with table settings "
            f"({', '.join(given)}), which only apply to a table the construct creates.",
            "configure your own table directly, or drop `table`.",
        )
    if isinstance(props.table, dynamodb.Table):  # an imported ITable's keys are unknown here
        schema = props.table.schema_v2()
        for key_name, attributes in (
            (PARTITION_KEY, schema.partition_keys),
            (SORT_KEY, schema.sort_keys),
        ):
            if [(a.name, a.type) for a in attributes] != [
                (key_name, dynamodb.AttributeType.STRING)
            ]:
                got = ", ".join(f"{a.name} ({a.type.name})" for a in attributes) or "none"
                yield Problem(
                    "table",
                    props.table.node.path,
                    f"needs key {key_name!r} of type STRING, has {got}.",
                    f"create the table with partition key {PARTITION_KEY!r} and sort "
                    f"key {SORT_KEY!r} (both STRING), or let the construct create it.",
                )


def _check_schedule(schedule: scheduler.ScheduleExpression | None) -> Iterator[Problem]:
    if schedule is None:
        return
    if not isinstance(schedule, scheduler.ScheduleExpression):
        yield Problem(
            "schedule",
            schedule,
            "is not an aws_scheduler.ScheduleExpression.",
            "use ScheduleExpression.rate(Duration.minutes(5)) or .cron(...).",
        )
        return
    expression = schedule.expression_string
    if Token.is_unresolved(expression):
        return
    match = _RATE.match(expression)
    if match and (match.group(2).lower().startswith("second") or int(match.group(1)) == 0):
        yield Problem(
            "schedule",
            expression,
            "is more frequent than once a minute, the most EventBridge Scheduler runs a target.",
            "use ScheduleExpression.rate(Duration.minutes(1)) or longer.",
        )


def _check_workflow(props: Props, *, distributed: bool) -> Iterator[Problem]:
    express = props.workflow_type == sfn.StateMachineType.EXPRESS or (
        props.workflow_type is None and not distributed
    )
    if props.timeout is not None and not Token.is_unresolved(props.timeout.to_seconds()):
        seconds = props.timeout.to_seconds()
        if express and seconds > EXPRESS_MAX_TIMEOUT_MINUTES * 60:
            yield Problem(
                "timeout",
                props.timeout.to_human_string(),
                "exceeds 5 minutes, the longest an Express workflow can run.",
                "use a timeout of at most Duration.minutes(5), or "
                "workflow_type=StateMachineType.STANDARD.",
            )
        if seconds <= 0:
            yield Problem(
                "timeout",
                props.timeout.to_human_string(),
                "is not positive.",
                "use e.g. Duration.minutes(1).",
            )


def _check_paths(
    props: Props, problems: list[Problem]
) -> tuple[str, dict[str, list[str]], tuple[Target, ...]]:
    """The single path, or the fan-out's targets (``paths``, or ``path`` with ``path_values``)."""
    if props.paths is not None:
        if props.path is not None:
            problems.append(
                Problem(
                    "paths",
                    list(props.paths) if not isinstance(props.paths, str) else props.paths,
                    "is given together with `path`.",
                    "pass either path='/one' or paths=['/a', '/b'], not both.",
                )
            )
        if props.path_values is not None:
            problems.append(
                Problem(
                    "path_values",
                    dict(props.path_values),
                    "only fills the placeholders of `path`, not `paths`.",
                    "list concrete paths in `paths`, or use path='/x/{name}' with path_values.",
                )
            )
        return "", {}, _targets_of_paths(props.paths, problems)
    if props.path is None:
        problems.append(
            Problem("path", None, "is missing.", "pass path='/v2/status' (or paths=['/a', '/b']).")
        )
        return "", {}, ()
    if props.path_values is None:
        path, query = _check_path(props.path, problems)
        return path, query, ()
    _check_path(props.path, problems, template=True)
    return "", {}, _targets_of_template(props.path, props.path_values, problems)


def _targets_of_paths(paths: Sequence[str], problems: list[Problem]) -> tuple[Target, ...]:
    if isinstance(paths, str) or not isinstance(paths, Sequence) or not paths:
        problems.append(
            Problem(
                "paths",
                paths,
                "is not a non-empty list of paths.",
                "pass e.g. paths=['/v1/a', '/v1/b'], or path='/v1/a' for one.",
            )
        )
        return ()
    targets = []
    for index, path in enumerate(paths):
        resource, query = _check_path(path, problems, f"paths[{index}]")
        targets.append(Target(resource, query, str(path)))
    seen: set[str] = set()
    for target in targets:
        if target.key in seen:
            problems.append(
                Problem(
                    "paths",
                    target.key,
                    "is listed twice: both answers would be stored under one key.",
                    "remove the duplicate.",
                )
            )
        seen.add(target.key)
    return _checked_size("paths", tuple(targets), problems)


def _targets_of_template(
    path: str, values: Mapping[str, Sequence[str | int]], problems: list[Problem]
) -> tuple[Target, ...]:
    if not isinstance(values, Mapping) or not values:
        problems.append(
            Problem(
                "path_values",
                values,
                "is not a non-empty mapping of placeholder name to values.",
                "pass e.g. path_values={'region_id': [10000002, 10000043]}.",
            )
        )
        return ()
    names = _PLACEHOLDER.findall(path)
    before = len(problems)
    for name in names:
        if not _PLACEHOLDER_NAME.match(name):
            problems.append(
                Problem(
                    "path",
                    path,
                    f"has a placeholder {{{name}}} that is not a name.",
                    "use letters, digits and '_', e.g. '/v1/markets/{region_id}/orders/'.",
                )
            )
        elif name not in values:
            problems.append(
                Problem(
                    "path",
                    path,
                    f"has the placeholder {{{name}}} but path_values has no {name!r}.",
                    f"add path_values[{name!r}] = [...], or write the value into the path.",
                )
            )
    for name, options in values.items():
        prop = f"path_values[{name!r}]"
        if name not in names:
            problems.append(
                Problem(
                    prop,
                    list(options) if isinstance(options, Sequence) else options,
                    f"fills no placeholder: path {path!r} has no {{{name}}}.",
                    f"add {{{name}}} to the path, or remove {name!r} from path_values.",
                )
            )
        if isinstance(options, str) or not isinstance(options, Sequence) or not options:
            problems.append(
                Problem(
                    prop, options, "is not a non-empty list of values.", "pass e.g. [10000002]."
                )
            )
            continue
        for option in options:
            text = str(option)
            if (
                not isinstance(option, str | int)
                or isinstance(option, bool)
                or not text
                or any(ch in text for ch in "/?#{} ")
            ):
                problems.append(
                    Problem(
                        prop,
                        option,
                        "is not a path segment (a non-empty string or int without '/', '?', "
                        "'#', braces or spaces).",
                        "pass plain segment values, e.g. 10000002 or 'buy'.",
                    )
                )
    if len(problems) > before:
        return ()
    targets = []
    for combination in itertools.product(*(values[name] for name in values)):
        chosen = dict(zip(values, combination, strict=True))
        concrete = path
        for name, value in chosen.items():
            concrete = concrete.replace("{" + name + "}", str(value))
        resource, query = _check_path(concrete, problems)
        targets.append(Target(resource, query, concrete))
    return _checked_size("path_values", tuple(targets), problems)


def _checked_size(
    prop: str, targets: tuple[Target, ...], problems: list[Problem]
) -> tuple[Target, ...]:
    size = len(json.dumps([[t.path, t.query, t.key] for t in targets]))
    if size > MAX_TARGETS_BYTES:
        problems.append(
            Problem(
                prop,
                f"<{len(targets)} paths, {size // 1024} KiB>",
                f"the list of requests exceeds {MAX_TARGETS_BYTES // 1024} KiB; it travels in "
                "the state data, which Step Functions limits to 256 KiB.",
                "split the paths over several downloaders.",
            )
        )
    return targets


def _check_map(
    props: Props, targets: tuple[Target, ...], problems: list[Problem]
) -> tuple[int, bool]:
    """``max_concurrency``, whether the Map is distributed, and their constraints."""
    maps = bool(targets) or (
        isinstance(props.pagination, Pagination)
        and props.pagination.kind is PaginationKind.PAGE_COUNT
    )
    given = {
        name: value
        for name, value in (
            ("max_concurrency", props.max_concurrency),
            ("distributed_map", props.distributed_map),
            ("child_workflow_type", props.child_workflow_type),
        )
        if value is not None
    }
    if not maps:
        for name, value in given.items():
            problems.append(
                Problem(
                    name,
                    value.name if isinstance(value, sfn.StateMachineType) else value,
                    "only applies to a run of several requests.",
                    "pass paths=[...], path_values={...} or "
                    "pagination=Pagination.page_count(...), or drop it.",
                )
            )
        return DEFAULT_MAX_CONCURRENCY, False
    concurrency = props.max_concurrency
    if concurrency is None:
        concurrency = DEFAULT_MAX_CONCURRENCY
    elif (
        not isinstance(concurrency, int)
        or isinstance(concurrency, bool)
        or not 1 <= concurrency <= DISTRIBUTED_MAP_MAX_CONCURRENCY
    ):
        problems.append(
            Problem(
                "max_concurrency",
                concurrency,
                f"is not an integer from 1 to {DISTRIBUTED_MAP_MAX_CONCURRENCY:,}.",
                "pass e.g. max_concurrency=10; up to 40 runs an inline Map, more a Distributed "
                "Map.",
            )
        )
        return DEFAULT_MAX_CONCURRENCY, False
    distributed = (
        props.distributed_map
        if props.distributed_map is not None
        else concurrency > INLINE_MAP_MAX_CONCURRENCY
    )
    if not distributed and concurrency > INLINE_MAP_MAX_CONCURRENCY:
        problems.append(
            Problem(
                "max_concurrency",
                concurrency,
                f"exceeds {INLINE_MAP_MAX_CONCURRENCY}, the most an inline Map runs at once, "
                "with distributed_map=False.",
                f"lower it to {INLINE_MAP_MAX_CONCURRENCY}, or drop distributed_map=False.",
            )
        )
    if distributed and props.workflow_type == sfn.StateMachineType.EXPRESS:
        problems.append(
            Problem(
                "workflow_type",
                "EXPRESS",
                "cannot run a Distributed Map (max_concurrency over "
                f"{INLINE_MAP_MAX_CONCURRENCY} or distributed_map=True); only Standard "
                "workflows can.",
                "use workflow_type=StateMachineType.STANDARD (or omit it: a Distributed Map "
                "makes Standard the default), or max_concurrency <= 40.",
            )
        )
    if props.child_workflow_type is not None and not distributed:
        problems.append(
            Problem(
                "child_workflow_type",
                props.child_workflow_type.name,
                "only applies to a Distributed Map's child executions.",
                "drop it, or pass distributed_map=True.",
            )
        )
    return concurrency, distributed


def _check_pagination(props: Props) -> Iterator[Problem]:
    pagination = props.pagination
    if pagination is None:
        return
    if not isinstance(pagination, Pagination):
        yield Problem(
            "pagination",
            pagination,
            "is not a Pagination.",
            "use Pagination.page_count(...) or Pagination.cursor(next_path=...).",
        )
        return
    if props.paths is not None or props.path_values is not None:
        yield Problem(
            "pagination",
            pagination.kind.value,
            "is not supported together with paths or path_values (a fan-out).",
            "use one paginated downloader per path (they may share a table), or drop pagination.",
        )
    if (
        not isinstance(pagination.max_pages, int)
        or isinstance(pagination.max_pages, bool)
        or not 1 <= pagination.max_pages <= DISTRIBUTED_MAP_MAX_CONCURRENCY
    ):
        yield Problem(
            "pagination.max_pages",
            pagination.max_pages,
            f"is not an integer from 1 to {DISTRIBUTED_MAP_MAX_CONCURRENCY:,}.",
            "pass e.g. max_pages=100.",
        )
    if not isinstance(pagination.param, str) or not _HTTP_TOKEN.match(pagination.param):
        yield Problem(
            "pagination.param",
            pagination.param,
            "is not a query parameter name.",
            "pass e.g. param='page'.",
        )
    elif isinstance(props.path, str) and pagination.param in (
        parse_qs(props.path.partition("?")[2], keep_blank_values=True)
    ):
        yield Problem(
            "pagination.param",
            pagination.param,
            f"is already in the path's query string ({props.path!r}).",
            "remove it from the path: pagination sets it for every page.",
        )
    if pagination.kind is PaginationKind.PAGE_COUNT:
        if not isinstance(pagination.header, str) or not _HTTP_TOKEN.match(pagination.header):
            yield Problem(
                "pagination.header",
                pagination.header,
                "is not a header name.",
                "pass e.g. header='X-Pages'.",
            )
    elif not isinstance(pagination.next_path, str) or not pagination.next_path.startswith("$."):
        yield Problem(
            "pagination.next_path",
            pagination.next_path,
            "is not a JSONPath into the raw response.",
            "pass e.g. next_path='$.ResponseBody.next_cursor'.",
        )


def _check_transport(props: Props) -> Iterator[Problem]:
    transport = props.transport
    if transport is None:
        return
    if not isinstance(transport, Transport):
        yield Problem(
            "transport",
            transport,
            "is not a Transport.",
            "use Transport.api_gateway() or Transport.http_task(connection).",
        )
        return
    if transport.is_http_task and props.auth_header is not None:
        yield Problem(
            "auth_header",
            "AuthHeader",
            "conflicts with transport=Transport.http_task(...): the HTTP Task's connection "
            "sets the credential.",
            "put the credential in the connection (events.Authorization.api_key/basic/oauth) "
            "and drop auth_header.",
        )


def _check_retention(props: Props) -> Iterator[Problem]:
    retention = props.retention
    if retention is None:
        return
    if not isinstance(retention, Duration):
        yield Problem("retention", retention, "is not a Duration.", "use e.g. Duration.days(90).")
        return
    if Token.is_unresolved(retention.to_seconds()):
        return
    if retention.to_seconds() < 1:
        yield Problem("retention", retention.to_human_string(), "is not positive.",
                      "use e.g. Duration.days(90), or omit it to keep items forever.")  # fmt: skip
    if TTL_ATTRIBUTE in (props.item if isinstance(props.item, Mapping) else {}):
        yield Problem(f"item[{TTL_ATTRIBUTE!r}]", TTL_ATTRIBUTE,
                      "collides with the expiry attribute that retention writes.",
                      "rename the attribute.")  # fmt: skip
    if isinstance(props.table, dynamodb.Table):
        ttl = props.table.node.default_child.time_to_live_specification  # type: ignore[union-attr]
        resolved = Stack.of(props.table).resolve(ttl) if ttl is not None else None
        if (
            not resolved
            or resolved.get("attributeName", resolved.get("AttributeName")) != TTL_ATTRIBUTE
        ):
            yield Problem("table", props.table.node.path,
                          f"has no time to live on {TTL_ATTRIBUTE!r}, so retention would not "
                          "delete anything.",
                          f"create it with time_to_live_attribute={TTL_ATTRIBUTE!r}, or drop "
                          "retention.")  # fmt: skip


def _keeps_result(props: Props) -> bool:
    """True when the run keeps its result for later states (S3 archive, post-processing)."""
    return props.post_process is not None or bool(props.archive) or props.bucket is not None


_INTRINSIC_UNSAFE = re.compile(r"['{}\\]")


def _check_afterwards(scope: Construct, props: Props) -> Iterator[Problem]:
    from ._post_process import check_post_process

    if props.post_process is not None:
        yield from check_post_process(scope, props.post_process)
    archived = bool(props.archive) or (props.archive is None and props.bucket is not None)
    several = [
        name
        for name, value in (
            ("paths", props.paths), ("path_values", props.path_values),
            ("pagination", props.pagination),
        )
        if value is not None
    ]  # fmt: skip
    for name, wanted in (("post_process", props.post_process is not None), ("archive", archived)):
        if wanted and several:
            yield Problem(
                name,
                "given",
                f"is not supported with several requests a run ({', '.join(several)}) yet.",
                "use one path per downloader, or drop it.",
            )
    if props.archive is False and props.bucket is not None:
        yield Problem(
            "bucket",
            props.bucket.node.path,
            "is given together with archive=False.",
            "drop `bucket`, or drop archive=False (a bucket means archive).",
        )
    if props.archive_retention is not None:
        if not archived:
            yield Problem(
                "archive_retention",
                props.archive_retention.to_human_string(),
                "is given, but nothing is archived.",
                "add archive=True, or drop archive_retention.",
            )
        elif props.bucket is not None:
            yield Problem(
                "bucket",
                props.bucket.node.path,
                "is given together with bucket settings (archive_retention), which only apply "
                "to a bucket the construct creates.",
                "configure your own bucket's lifecycle rules directly, or drop `bucket`.",
            )
        elif not Token.is_unresolved(props.archive_retention.to_seconds()):
            seconds = props.archive_retention.to_seconds()
            if seconds <= 0 or seconds % 86400:
                yield Problem(
                    "archive_retention",
                    props.archive_retention.to_human_string(),
                    "is not a positive whole number of days (S3 lifecycle rules count days).",
                    "use e.g. Duration.days(365).",
                )
    downloader_id = props.downloader_id or scope.node.path
    if (
        archived
        and not Token.is_unresolved(downloader_id)
        and _INTRINSIC_UNSAFE.search(downloader_id)
    ):
        yield Problem(
            "downloader_id",
            downloader_id,
            "contains a quote, brace or backslash, which cannot be part of the archive's object "
            "key (States.Format).",
            "use letters, digits, '/', '-', '_' or '.'.",
        )


def _check_starts(props: Props) -> Iterator[Problem]:
    if props.scheduled is not False:
        return
    given: list[tuple[str, object]] = []
    if props.schedule is not None:
        given.append(("schedule", props.schedule.expression_string))
    if props.dead_letter_queue is not None:
        given.append(("dead_letter_queue", props.dead_letter_queue.node.path))
    for name, shown in given:
        yield Problem(
            name,
            shown,
            "is given together with scheduled=False (no schedule).",
            f"drop `{name}`, or drop scheduled=False.",
        )
    if not props.on_demand:
        yield Problem(
            "scheduled",
            False,
            "leaves no way to start a run: no schedule, and on_demand is not set.",
            "add on_demand=True (and grant_start_execution(role)), or drop scheduled=False.",
        )


def _check_overrides(props: Props, query: Mapping[str, list[str]]) -> Iterator[Problem]:
    names = props.overridable_query
    if not names:
        return
    if isinstance(names, str):
        yield Problem("overridable_query", names, "is a string, not a list of names.",
                      f"use overridable_query=[{names!r}].")  # fmt: skip
        return
    if not props.on_demand:
        yield Problem("overridable_query", list(names),
                      "has no effect: only an on-demand run's input can override parameters.",
                      "add on_demand=True, or drop overridable_query.")  # fmt: skip
    several = props.paths is not None or props.path_values is not None or props.pagination
    if several:
        yield Problem("overridable_query", list(names),
                      "is not supported with paths, path_values or pagination yet.",
                      "use one path, or drop overridable_query.")  # fmt: skip
    if props.transport is not None and props.transport.is_http_task:
        yield Problem("overridable_query", list(names),
                      "is not supported with the HTTP Task transport yet.",
                      "use the API Gateway transport, or drop overridable_query.")  # fmt: skip
    if props.path is None or Token.is_unresolved(props.path) or several:
        return
    for name in names:
        values = query.get(name)
        if values is None:
            yield Problem(f"overridable_query[{name!r}]", name,
                          f"is not a query parameter of path {props.path!r}, so it has no "
                          "default.",
                          f"add it to the path with a default ('?{name}=...'), or drop it.",
                          )  # fmt: skip
        elif len(values) != 1:
            yield Problem(f"overridable_query[{name!r}]", name,
                          f"has {len(values)} values in path {props.path!r}; an override "
                          "replaces exactly one.",
                          "give it one default value, or drop it.")  # fmt: skip
