"""Small checks several features share: JSONPath strings, paths, header names.

Each returns or yields ``Problem``s; none raises. The features call them from their own
``check`` methods.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from urllib.parse import parse_qs

from aws_cdk import Token

from ._contract import (
    HISTORY_EVENT_LIMIT,
    PLACEHOLDER_NAMES,
    RECORD_EVENTS,
    RETRY_EVENTS,
    RUN_OVERHEAD_EVENTS,
)
from ._defaults import REQUEST_SECONDS
from .errors import Problem

HTTP_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
QUERY_NAME = re.compile(r"^[^\s&=#%\x00-\x1f\x7f]+$")
"""A query parameter's name as the construct takes it, decoded: any text but white space,
control characters and the query's own delimiters (``&``, ``=``, ``#``; ``%``: write the name
decoded). It is percent-encoded when sent (RFC 3986 section 3.4), so Stripe's ``created[gte]``
goes out as ``created%5Bgte%5D``."""
"""An RFC 9110 token: header names, query parameter names."""

# Headers Step Functions' apigateway:invoke refuses to send (Step Functions developer guide).
API_GATEWAY_FORBIDDEN_HEADERS = frozenset(
    {
        "authorization", "connection", "content-md5", "expect", "host", "max-forwards",
        "proxy-authenticate", "server", "te", "transfer-encoding", "trailer", "upgrade",
        "via", "www-authenticate",
    }
)  # fmt: skip
API_GATEWAY_FORBIDDEN_PREFIXES = ("x-forwarded", "x-amz")  # x-amz also covers x-amzn


CREDENTIAL_QUERY_NAMES = frozenset(
    {
        "key", "api_key", "apikey", "x_api_key", "app_key", "appkey", "app_secret", "api_secret",
        "apisecret", "access_key", "secret_key", "secret", "client_secret", "token",
        "access_token", "auth_token", "id_token", "refresh_token", "session_token",
        "private_token", "sig", "signature", "password", "passwd", "pwd", "auth", "credential",
        "credentials", "hapikey", "subscription_key", "appid",
    }
)  # fmt: skip
"""Query parameter names (lower case, ``-`` read as ``_``) that carry a credential in common
APIs: in ``path`` one would be plaintext in the template, the definition, every execution's
history and the logs. (Pagination cursors such as ``page_token`` are not among them.)"""


def _credential_fix(name: str) -> str:
    """How to send the credential ``name`` without it being plaintext anywhere."""
    return (
        f"have the proxy add it: auth_header=AuthHeader.from_secret(secret, "
        f"query_param={name!r}) (API Gateway transport; the secret stays in Secrets Manager "
        f"and the integration's configuration), or use Transport.http_task(connection) whose "
        f"events.Connection sends it (query_string_parameters={{{name!r}: "
        f"events.HttpParameter.from_secret(...)}}), or a header if the API accepts one "
        f"(AuthHeader.from_secret(secret) or AuthHeader.remap(name, SecretValue))."
    )


_HEADER_READ = re.compile(
    r"\.Headers(?:\.([!#$%&*+\-^_`|~0-9A-Za-z]+)|\[\s*(?:'([^']+)'|\"([^\"]+)\")\s*\])"
)


def headers_read(paths: Iterable[object]) -> tuple[str, ...]:
    """The response header names JSONPaths read (``$.Headers.ETag[0]``,
    ``$.Headers['X-Pages'][0]``, ``States.Format('{}', $.Headers.Date[0])``), in order."""
    found: dict[str, None] = {}
    for path in paths:
        if isinstance(path, str) and not Token.is_unresolved(path):
            for match in _HEADER_READ.finditer(path):
                found[next(group for group in match.groups() if group)] = None
    return tuple(found)


def is_json_path(value: str) -> bool:
    """True for the JSONPath forms Step Functions accepts in ``.$`` fields."""
    return value in ("$", "$$") or value.startswith(("$.", "$$.", "$[", "States."))


def is_given(value: object) -> bool:
    """False for an unresolved token: its value is only known at deploy time."""
    return not Token.is_unresolved(value)


def check_path(
    path: object, problems: list[Problem], prop: str = "path", *, template: bool = False
) -> tuple[str, dict[str, list[str]]]:
    """Return ``path``'s resource and query parameters, adding a problem for each defect."""
    if not isinstance(path, str):
        problems.append(Problem(prop, path, "must be a string.", "pass e.g. '/v2/status'."))
        return "", {}
    # A string holding a token holds its marker ("${Token[...]}"): asking the jsii kernel
    # only then keeps 100,000 listed paths from costing 100,000 round trips (~0.5 ms each).
    if "{Token[" in path and Token.is_unresolved(path):
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
                "pass fan_out=FanOut.path_values({'name': [...]}) for each '{name}', or a "
                "concrete path.",
            )
        )
    resource, _, query_string = path.partition("?")
    query = parse_qs(query_string, keep_blank_values=True) if query_string else {}
    for name in query:
        if name.lower().replace("-", "_") in CREDENTIAL_QUERY_NAMES:
            shown = f"{resource}?{name}=***"  # never echo the secret (CI logs keep errors)
            problems.append(Problem(prop, shown, f"carries a query parameter named like a "
                                    f"credential ({name!r}).", _credential_fix(name)))  # fmt: skip
    return resource, query


def check_header_name(
    prop: str,
    name: str,
    *,
    what: str,
    forbidden: frozenset[str] = API_GATEWAY_FORBIDDEN_HEADERS,
    forbidden_prefixes: tuple[str, ...] = API_GATEWAY_FORBIDDEN_PREFIXES,
    refused_by: str = "apigateway:invoke",
    authorization_fix: str = (
        "use auth_header=AuthHeader.remap('MyCustomAuth', value) or "
        "AuthHeader.from_secret(secret): the proxy then sets Authorization."
    ),
) -> Iterator[Problem]:
    """A header name must be a token, and not one the transport's task refuses to send.

    ``forbidden`` (lower-case names) and ``forbidden_prefixes`` are the transport's own lists;
    ``refused_by`` names the task in the message.
    """
    if not isinstance(name, str) or not HTTP_TOKEN.match(name):
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
            prop, name, "Step Functions refuses to send an Authorization header.",
            authorization_fix,
        )  # fmt: skip
    elif lower in forbidden or lower.startswith(forbidden_prefixes):
        yield Problem(
            prop,
            name,
            f"{what} is one Step Functions refuses to send ({refused_by}).",
            f"choose another header name (see the {refused_by} documentation).",
        )


def check_run_length(
    prop: str,
    value: object,
    *,
    requests: int,
    noun: str,
    events_each: int,
    history_counted: bool,
    rounds: int,
    sequence: str,
    timeout_seconds: float | None,
    history_fix: str,
    time_fix: str,
    records_events: int = 0,
) -> Iterator[Problem]:
    """A run of ``requests`` requests (``rounds`` of them one after another) that cannot finish:
    over a Standard execution's 25,000 history events, or longer than its timeout.

    ``events_each`` is one request's share of the history when nothing is retried; the bound
    keeps room for one retry of each. ``sequence`` says what the ``rounds`` are ("100 pages one
    after another"). ``history_counted`` is False where no history is kept
    (Express) or each request has its own (a Distributed Map's child executions).
    ``records_events``: what each answer's records add at least (``records``, with no record
    at all): each record adds ``RECORD_EVENTS`` more, which no count known at synth bounds.
    """
    if history_counted:
        each = events_each + records_events + RETRY_EVENTS
        total = requests * each + RUN_OVERHEAD_EVENTS
        if total > HISTORY_EVENT_LIMIT:
            most = (HISTORY_EVENT_LIMIT - RUN_OVERHEAD_EVENTS) // each
            records = f" + {records_events} for its records' states" if records_events else ""
            each_record = (
                f", fewer with records (each record adds {RECORD_EVENTS} events)"
                if records_events else ""
            )  # fmt: skip
            yield Problem(
                prop,
                value,
                f"would need {total:,} history events ({requests:,} {noun} x ({events_each} "
                f"events{records} + {RETRY_EVENTS} for one retry) + {RUN_OVERHEAD_EVENTS} for the "
                f"rest of the run), more than the {HISTORY_EVENT_LIMIT:,} a Standard execution "
                f"holds (Step Functions service quotas): the run would fail after about "
                f"{most:,}{each_record}.",
                history_fix.format(most=most),
            )
    if timeout_seconds is not None:
        seconds = rounds * REQUEST_SECONDS
        if seconds > timeout_seconds + 1e-9:  # 1,000 x 0.3 s fits 300 s despite float error
            most = int(timeout_seconds / REQUEST_SECONDS + 1e-9)
            yield Problem(
                prop,
                value,
                f"means {sequence}: at least {round(seconds, 1):,g} s at {REQUEST_SECONDS:g} s "
                f"a request (with its putItem), more than the run's timeout of "
                f"{timeout_seconds:,.0f} s.",
                time_fix.format(most=most),
            )


_SEGMENT = re.compile(
    r"\.([A-Za-z_][A-Za-z0-9_]*)|\['([^'`\\]+)'\]|\[\"([^\"`\\]+)\"\]|\[(-?\d+)\]"
)
"""A name (``.a``, ``['a-b']``) or an index (``[0]``; ``[-1]`` is the last item, as Stripe's
``starting_after`` needs its page's last id)."""


RAW_ANSWER_ROOTS = ("$.ResponseBody", "$.Headers")
"""Where a path into the raw answer can read: its body, or its headers (values are lists)."""


def answer_path_problems(prop: str, path: object, example: str) -> Iterator[Problem]:
    """``path`` must be a plain JSONPath into the raw answer: ``$.ResponseBody.next``,
    ``$.Headers['X-Total'][0]`` (names and indexes only, no filters or wildcards), under its
    body or its headers."""
    name = prop.rsplit(".", 1)[-1]
    if not isinstance(path, str) or not path.startswith("$") or _segments(path) is None:
        yield Problem(
            prop,
            path,
            "is not a plain JSONPath into the raw answer (names and indexes only).",
            f"pass e.g. {name}={example!r}.",
        )
    elif not in_raw_answer(path):
        yield Problem(
            prop,
            path,
            "is outside the raw answer, which holds only ResponseBody, Headers, StatusCode and "
            "StatusText: no answer would ever have a value there.",
            f"start it with $.ResponseBody or $.Headers, e.g. {name}={example!r}.",
        )


def in_raw_answer(path: str) -> bool:
    """True for a path at or under ``$.ResponseBody`` or ``$.Headers``."""
    return any(path == root or path.startswith((f"{root}.", f"{root}[")) for root in
               RAW_ANSWER_ROOTS)  # fmt: skip


def is_plain_path(path: object) -> bool:
    """True for a plain JSONPath (``$``, ``$.a.b``, ``$.a[0]``, ``$['x-y']``): names and indexes
    only, no filters or wildcards."""
    return isinstance(path, str) and path.startswith("$") and _segments(path) is not None


def _steps(path: str) -> list[str | int] | None:
    """The names (``str``) and indexes (``int``) of a plain JSONPath; None if it is not one."""
    rest, steps = path[1:], []
    while rest:
        match = _SEGMENT.match(rest)
        if match is None:
            return None
        name, quoted, double, index = match.groups()
        steps.append(int(index) if index is not None else name or quoted or double)
        rest = rest[match.end() :]
    return steps


def _segments(path: str) -> list[str] | None:
    steps = _steps(path)
    if steps is None:
        return None
    return [f"[{step}]" if isinstance(step, int) else f"`{step}`" for step in steps]


def jsonata_path(path: str, root: str = "$raw") -> str:
    """``$.ResponseBody.next`` as JSONata on ``root``: ``$raw.`ResponseBody`.`next```.

    A header (``$.Headers['X-Next-Cursor'][0]``) is found whatever the case of its name: HTTP
    header names are case-insensitive (RFC 9110, 5.1), and an HTTP_PROXY integration passes
    them on as the API wrote them (``x-next-cursor``)."""
    steps = _steps(path) or []
    text = root
    if len(steps) >= 2 and steps[0] == "Headers" and isinstance(steps[1], str):
        headers = f"{root}.`Headers`"
        name = json.dumps(steps[1].lower())
        text = (
            f"($lookup({headers}, $filter($keys({headers}), "
            f"function($k) {{ $lowercase($k) = {name} }})[0]))"
        )
        steps = steps[2:]
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else f".`{step}`"
    return text


def jsonata_values(path: str, root: str) -> str | None:
    """What the JSONPath ``path`` reads of ``root`` as a JSONPath ``Assign`` reads it, in
    JSONata: a plain path as ``jsonata_path`` gives it, or, for one wildcard
    (``$.ResponseBody[*].updated_at``), always a list: each member of the array (an object's
    values) read at the rest of the path, those without it left out, ``[]`` when nothing
    matches (as a JSONPath wildcard that matches nothing gives ``[]``). ``None`` for any other
    path (filters, several wildcards, the Context object)."""
    if not isinstance(path, str) or path.startswith("$$"):
        return None
    if is_plain_path(path):
        return jsonata_path(path, root)
    head, star, tail = path.partition("[*]")
    rest = "$" + tail
    if not star or not is_plain_path(head) or not is_plain_path(rest):
        return None
    each = jsonata_path(rest, "$e")
    return (
        f"($h := {jsonata_path(head, root)}; $append([], $type($h) = 'array' ? "
        f"$map($h, function($e) {{ {each} }}) : $type($h) = 'object' ? "
        f"$each($h, function($e) {{ {each} }}) : []))"
    )


_BRACED = re.compile(r"\{([^{}]*)\}")


def time_tokens(text: str) -> list[str]:
    """The time placeholders of ``text`` as written (``{scheduled_time:date}``), once each, in
    order; other braces (``{item}``, ``{region_id}``) are not time placeholders."""
    found = [m.group(0) for m in _BRACED.finditer(text)
             if m.group(1).partition(":")[0].strip() in PLACEHOLDER_NAMES]  # fmt: skip
    return list(dict.fromkeys(found))


def masked_times(text: str) -> str:
    """``text`` with each time placeholder replaced by ``x``: what the path checks read of a
    request whose time placeholders are filled each run."""
    for token in time_tokens(text):
        text = text.replace(token, "x")
    return text


def strings_in(value: object) -> Iterator[str]:
    """Every string value in a JSON-like value (a selector's paths and constants, a body's
    texts), depth first; mapping keys excluded."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for inner in value.values():
            yield from strings_in(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from strings_in(inner)


def through_selector(path: str, selector: Mapping[str, object] | None) -> str | None:
    """``path`` (a plain JSONPath into the selected result) as a path into the raw answer the
    ``selector`` (a ResultSelector) selects from: ``$.body.x`` through ``{"body.$":
    "$.ResponseBody"}`` is ``$.ResponseBody.x``. Without a selector, ``path`` itself.

    ``None`` when no plain path of the raw answer reads the same value: ``path`` is the whole
    selection (``$``), or it reaches a constant, an intrinsic function or a key the selector
    does not have. A Context object path (``$$``) is returned as it is."""
    if path.startswith("$$"):
        return path
    if selector is None:
        return path if is_plain_path(path) else None
    steps = _steps(path) if path.startswith("$") else None
    if not steps:
        return None
    level: Mapping[str, object] = selector
    for index, step in enumerate(steps):
        if not isinstance(step, str):
            return None
        selected = level.get(f"{step}.$")
        if isinstance(selected, str) and f"{step}.$" in level:
            if not is_plain_path(selected) or selected.startswith("$$"):
                return None
            rest = steps[index + 1 :]
            text = selected
            for inner in rest:
                if isinstance(inner, int):
                    text += f"[{inner}]"
                elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", inner):
                    text += f".{inner}"
                else:
                    text += f"['{inner}']"
            joined = [*(_steps(selected) or []), *rest]
            return text if is_plain_path(text) and _steps(text) == joined else None
        inner_level = level.get(step)
        if not isinstance(inner_level, Mapping):
            return None
        level = inner_level
    return None


def selection_text(selector: Mapping[str, object] | None) -> str | None:
    """A JSONPath intrinsic giving, from the raw answer, a JSON text that changes exactly when
    what ``selector`` selects changes: ``States.JsonToString(States.Array(<each path the
    selector reads>, ...))``, every digit kept (what ``Store.changes_only`` hashes when no
    state applies the selector). ``None`` when a selected value is not a plain path (an
    intrinsic function) or there is no selector."""
    if selector is None:
        return None
    paths: list[str] = []

    def walk(level: Mapping[str, object]) -> bool:
        for key, value in level.items():
            if key.endswith(".$"):
                if not isinstance(value, str) or value.startswith("$$") or not is_plain_path(value):
                    return False
                paths.append(value)
            elif isinstance(value, Mapping) and not walk(value):
                return False
        return True

    if not walk(selector) or not paths:
        return None
    return f"States.JsonToString(States.Array({', '.join(paths)}))"


def jsonata_value(value: object) -> str:
    """One JSONata expression of ``value`` as a JSONata state's ``Assign`` takes it (strings,
    lists and objects; a string that is one ``{% %}`` expression is that expression)."""
    if isinstance(value, str):
        if value.startswith("{%") and value.endswith("%}"):
            return "(" + value[2:-2].strip() + ")"
        return json.dumps(value)
    if isinstance(value, Mapping):
        members = ", ".join(f"{json.dumps(k)}: {jsonata_value(v)}" for k, v in value.items())
        return "{" + members + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(jsonata_value(v) for v in value) + "]"
    return json.dumps(value)
