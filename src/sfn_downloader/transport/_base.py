"""The transport protocol: how requests leave Step Functions.

A ``Transport`` checks itself, then ``bind`` builds what it needs (the API Gateway proxy, or
nothing for the HTTP Task) and returns a ``BoundTransport``: the task builder the run's shape
uses (``Downloads``), the transport's grants, and what the state machine must know of it.
"""

from __future__ import annotations

import copy
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from aws_cdk import Duration, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import check_header_name, is_plain_path, jsonata_path, jsonata_value
from .._contract import REQUEST_HEADERS_VARIABLE
from .._defaults import DOWNLOAD_RETRY_BACKOFF_RATE, DOWNLOAD_RETRY_INTERVAL_SECONDS
from .._parts import CheckContext, Exchange, Target
from .._request import HttpRequest, RequestForm
from .._states import retry_kwargs
from ..auth import AuthHeader
from ..constant import Constant, looks_like_a_path
from ..errors import Problem
from ._url import url_problem

if TYPE_CHECKING:
    from aws_cdk import aws_events as events

RETRYABLE_STATUSES = (429, 500, 502, 503, 504)
"""Throttling and server errors. Other 4xx answers will not change on a retry."""


def _check_header_value(prop: str, value: object) -> Iterator[Problem]:
    text = value.value if isinstance(value, Constant) else value
    if not isinstance(text, str):
        yield Problem(prop, value, "is not a string.", "pass the header value as a string.")
        return
    if Token.is_unresolved(text):
        return
    if "\r" in text or "\n" in text:
        yield Problem(prop, text, "contains a line break (CR or LF), which no HTTP header value "
                      "may hold: the request would fail on every run.",
                      "remove the line breaks.")  # fmt: skip
    elif not isinstance(value, Constant) and looks_like_a_path(text):
        yield Problem(prop, text, "looks like a JSONPath, but header values are sent as written "
                      "(they are not read from the answer or the input).",
                      f"wrap it in Constant({text!r}) if it is meant as written.")  # fmt: skip


def default_download_retry(errors: Sequence[str]) -> sfn.RetryProps:
    """Three retries after 2, 4 and 8 s (full jitter): about 15 s at most, well inside a minute.

    A function, not a module constant: jsii objects are not built at import time.
    """
    return sfn.RetryProps(
        errors=list(errors),
        interval=Duration.seconds(DOWNLOAD_RETRY_INTERVAL_SECONDS),
        max_attempts=3,
        backoff_rate=DOWNLOAD_RETRY_BACKOFF_RATE,
        max_delay=Duration.seconds(30),
        jitter_strategy=sfn.JitterType.FULL,
    )


_KINDS: dict[str, Callable[..., Transport]] = {}
"""The registry: each transport's class by its ``kind`` (``register`` fills it as the package's
``__init__`` imports each transport's module), so this module imports none of them back."""

T = TypeVar("T", bound="Transport")


def register(kind: type[T]) -> type[T]:
    """Class decorator: ``kind`` is made by the factory named ``kind.kind``."""
    _KINDS[kind.kind] = kind
    return kind


class Transport(ABC):
    """The way requests leave Step Functions. Use the static methods to create one."""

    kind: str = ""
    """The static method that makes it (``"api_gateway"``, ``"http_task"``)."""

    retryable_errors: tuple[str, ...] = ()
    """The error names of this transport's retryable failures (429, 5xx, timeouts)."""
    error_names: str = ""
    """How this transport's task names a failure (``ApiGateway.<status>``)."""
    foreign_error_prefixes: tuple[str, ...] = ()
    """Prefixes of other transports' error names, which this transport's task never raises."""
    relays_throttled_answers: bool = False
    """True when a throttled answer's headers can reach the state machine (``retry_after``)."""
    request_form: RequestForm = RequestForm()
    """How this transport's task reads a request computed each run (time placeholders, an
    incremental mark, query overrides): what ``ComputeRequest`` and the overrides assign."""

    @staticmethod
    def api_gateway(
        *, logging: bool = False, rate_limit: float | None = None, burst: int | None = None
    ) -> Transport:
        """``apigateway:invoke`` through an IAM-authorized REST API proxy (the default).

        Credentials: ``auth_header`` (the proxy sets ``Authorization``).
        Failures are named ``ApiGateway.<status>``.

        :param logging: Access logs (JSON) and ERROR-level execution logs for the proxy stage.
            Needs the account's API Gateway CloudWatch role. Default: ``False``.
        :param rate_limit: The proxy stage's steady rate, requests per second: more is answered
            429 by API Gateway (retried, never sent on), so on-demand starts cannot turn into
            a burst at the third party. Default: ``ceil(n / 0.3)``, ``n`` the requests a run
            sends at once (1, or the Map's ``max_concurrency``; 0.3 s the shortest request).
        :param burst: The stage's burst, at least ``n``. Default: ``2 * n`` (a re-delivered
            run too).
        """
        return _KINDS["api_gateway"](logging=logging, rate_limit=rate_limit, burst=burst)

    @staticmethod
    def http_task(connection: events.IConnection) -> Transport:
        """The HTTP Task (``arn:aws:states:::http:invoke``) with ``connection``'s credentials.

        The connection (``aws_events.Connection`` with ``Authorization.api_key``, ``.basic`` or
        ``.oauth``) applies the credential to every request; its secret stays in Secrets
        Manager, never in the template or the state data. Failures are named
        ``States.Http.StatusCode.<status>``. Each request may take at most 60 s. A request
        computed each run (time placeholders, a window, an incremental mark, query overrides)
        reaches the task as ``ApiEndpoint.$`` and ``QueryParameters.$`` (one string a name: a
        computed query may not repeat a name).
        """
        return _KINDS["http_task"](connection=connection)

    @property
    def supports_query_overrides(self) -> bool:
        """True when an on-demand run may override query parameters through this transport."""
        return False

    @abstractmethod
    def status_error(self, status: int) -> str:
        """The error name a download fails with when the API answers ``status`` (non-2xx)."""

    @property
    def supports_computed_requests(self) -> bool:
        """True when a run's path and query may be computed each run through this transport."""
        return False

    def check_computed_query(
        self,
        prop: str,
        shown: object,
        query: Mapping[str, Sequence[str]],
        *,
        paged: bool = False,
    ) -> Iterator[Problem]:
        """``query`` (every parameter of a request computed each run, or of one whose query an
        on-demand run may override) against this transport's ``request_form``: nothing to
        refuse by default.

        :param paged: True when a paginator's pages follow the computed first request (the
            page loop carries each request as the transport lists it). Default: one request.
        """
        del prop, shown, query, paged
        yield from ()

    def refuses_header(self, name: str) -> bool:
        """True when this transport's task refuses to send the request header ``name``."""
        return any(self._check_header_name("headers", name))

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The request headers this transport can send, and the errors ``retry`` names."""
        seen: dict[str, str] = {}
        for name, value in (context.headers or {}).items():
            prop = f"headers[{name!r}]"
            yield from self._check_header_name(prop, name)
            if isinstance(name, str) and name.lower() in seen:
                yield Problem(prop, name,
                              f"differs from header {seen[name.lower()]!r} only in case: HTTP "
                              "header names are case-insensitive, so one would replace the "
                              "other.", "keep one of them.")  # fmt: skip
            elif isinstance(name, str):
                seen[name.lower()] = name
            yield from _check_header_value(prop, value)
        yield from self._check_retry(context.retry)

    def _check_header_name(self, prop: str, name: str) -> Iterator[Problem]:
        """The name against this transport's refused headers (API Gateway's by default)."""
        yield from check_header_name(prop, name, what="the header name")

    def _check_retry(self, retry: sfn.RetryProps | None) -> Iterator[Problem]:
        """``retry`` must name this transport's errors: another transport's never happen."""
        if retry is None or Token.is_unresolved(retry.errors) or not retry.errors:
            return
        for error in retry.errors:
            if isinstance(error, str) and error.startswith(self.foreign_error_prefixes):
                yield Problem(
                    "retry.errors", error,
                    "is another transport's error: this transport names its failures "
                    f"{self.error_names}, so this rule would never retry.",
                    f"name this transport's errors, e.g. {list(self.retryable_errors[:2])}, or "
                    "leave `errors` out to retry the retryable ones.",
                )  # fmt: skip

    @abstractmethod
    def bind(
        self,
        scope: Construct,
        *,
        endpoint: str,
        headers: Mapping[str, str] | None,
        auth_header: AuthHeader | None,
        retry: sfn.RetryProps | None,
        log_retention: logs.RetentionDays,
        trim: object | None = None,
        exchange: Exchange | None = None,
        method: str = "GET",
    ) -> BoundTransport:
        """Build what this transport needs in ``scope``; return its task builder.

        :param trim: The ``trim`` prop (checked by ``check``), for a transport that trims
            answers on the way. Default: no trimming.
        :param exchange: What requests carry and states read, by name (what a trimming proxy
            must map). Default: nothing beyond the path.
        :param method: The downloader's one method (the proxy's method, the role's grant).
            Default: ``"GET"``.
        """


@dataclass(frozen=True)
class JsonataRequest:
    """An ``HttpRequest`` as a JSONata task's Arguments take it: each part a literal or one
    ``{% %}`` expression of where the JSONPath request reads it (``$.request.path`` is
    ``$states.input.request.path``, ``$requestQuery`` the variable)."""

    method: str
    path: str
    """A literal path (``/v1/...``) or an expression."""
    path_source: str
    """The ``HttpRequest``'s path as given (a literal, or a JSONPath token)."""
    path_computed: bool
    query: Mapping[str, list[str]] | str | None
    """Literal lists, or an expression of the whole query object."""
    params: Mapping[str, str]
    """Query parameters whose one value is read from the state: an expression each."""
    query_computed: bool
    """True when ``query`` is a query computed each run in the transport's ``RequestForm``."""
    body: Mapping[str, Any] | str | None
    static_headers: bool
    headers: str | None = None
    """The headers a run computes (``$requestHeaders``, conditional's validators), as the
    expression that computes them when the task computes them itself; ``None``: read the
    variable (or the static headers)."""


def jsonata_request(
    scope: Construct, request: HttpRequest, computed: Mapping[str, Any] | None = None
) -> JsonataRequest | None:
    """``request`` for a JSONata task; ``None`` when a part is read in a way this translation
    does not say (a body value read from the state, an intrinsic function other than a value
    as text, the Context object).

    :param computed: Variables the request reads whose values the task computes itself
        (name → the value as a JSONata state's ``Assign`` takes it: a ``{% %}`` string, or an
        object or list holding them): the path, query or body that reads one is its value.
        Default: every variable is read as a variable.
    """
    given = computed or {}
    if request.body is not None and not _literal(request.body, marked=True):
        return None
    path = request.path
    if Token.is_unresolved(path) or path.startswith("$"):
        name = _variable(scope, path) or ""
        path_expression = (
            "{% " + jsonata_value(given[name]) + " %}" if name in given
            else _expression(scope, path)
        )  # fmt: skip
        if path_expression is None:
            return None
        path = path_expression
    elif not _literal(path):
        return None
    query: Mapping[str, list[str]] | str | None = request.query
    params: dict[str, str] = {}
    if request.query_at is not None:
        name = _variable(scope, request.query_at) or ""
        query = (
            "{% " + jsonata_value(given[name]) + " %}" if name in given
            else _expression(scope, request.query_at)
        )  # fmt: skip
        if query is None or request.params:
            return None
    elif request.query is not None and not _literal(dict(request.query)):
        return None
    if request.params:  # one value each, read from the state: an expression each
        values = {name: _expression(scope, value) for name, value in request.params.items()}
        if any(value is None for value in values.values()):
            return None
        params = {name: str(value) for name, value in values.items()}
    # a literal body's text holding "{%" is sent as written, as the JSONPath task sends it
    body: Mapping[str, Any] | str | None = sent_as_written(request.body)
    if request.body_at is not None:
        name = _variable(scope, request.body_at) or ""
        body = given[name] if name in given else _expression(scope, request.body_at)
        if body is None:
            return None
    return JsonataRequest(
        method=request.method, path=path, path_source=request.path,
        path_computed=path.startswith("{%"), query=query,
        params=params, query_computed=request.query_at is not None and request.query_computed,
        body=body, static_headers=request.static_headers,
        headers=(
            "{% " + jsonata_value(given[REQUEST_HEADERS_VARIABLE]) + " %}"
            if REQUEST_HEADERS_VARIABLE in given and not request.static_headers else None
        ),
    )  # fmt: skip


def _literal(value: object, *, marked: bool = False) -> bool:
    """True when ``value`` holds no JSONPath token, path or ``.$`` key, nor text a JSONata
    state would evaluate (``{% ... %}``: sent as written by a JSONPath task, so a JSONata one
    must not take it), unless ``marked``: the task writes such text with ``sent_as_written``
    (a body, the headers)."""
    text = json.dumps(value) if not isinstance(value, str) else value
    if Token.is_unresolved(text) or (JSONATA_MARK in text and not marked):
        return False
    if isinstance(value, str):
        return not value.startswith("$")
    return ".$" not in text and '"$' not in text


JSONATA_MARK = "{%"
"""What starts a JSONata expression in a JSONata state's field ("Transforming data with JSONata
in Step Functions": a string ``{% ... %}`` is evaluated)."""


def sent_as_written(value: Any) -> Any:
    """``value`` (a header value, a body) for a JSONata task's Arguments, sent as a JSONPath
    task sends it: each string holding ``{%`` or ``%}`` becomes an expression whose value is
    that string, a JSONata string literal (JSON's escapes: "String literals" in the JSONata
    documentation) with every ``%`` written ``\\u0025``, so the field holds no delimiter but
    its own (which text AWS evaluates, a whole field or a part, then never matters). Other
    values are unchanged."""
    if isinstance(value, str):
        if JSONATA_MARK in value or "%}" in value:
            return "{% " + json.dumps(value).replace("%", "\\u0025") + " %}"
        return value
    if isinstance(value, Mapping):
        return {key: sent_as_written(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [sent_as_written(item) for item in value]
    return value


def _variable(scope: Construct, value: str) -> str | None:
    """The name of the workflow variable the JSONPath ``value`` (or a token of one) reads
    whole; ``None`` for anything else."""
    text = Stack.of(scope).resolve(value) if Token.is_unresolved(value) else value
    if isinstance(text, str) and re.fullmatch(r"\$[A-Za-z_][A-Za-z0-9_]*", text):
        return text[1:]
    return None


def _expression(scope: Construct, value: str) -> str | None:
    """``{% <JSONata> %}`` reading what the JSONPath ``value`` (a path, a variable, or a token
    of one) reads; ``None`` for anything else (an intrinsic function, the Context object)."""
    text = Stack.of(scope).resolve(value) if Token.is_unresolved(value) else value
    if not isinstance(text, str):
        return None
    formatted = re.fullmatch(r"States\.Format\('\{\}', (\$\.[^()']+)\)", text)
    if formatted is not None and is_plain_path(formatted.group(1)):  # a value as text
        return "{% $string(" + jsonata_path(formatted.group(1), "$states.input") + ") %}"
    if _variable(scope, text) is not None:
        return "{% " + text + " %}"  # a workflow variable
    if text.startswith("$.") and is_plain_path(text):
        return "{% " + jsonata_path(text, "$states.input") + " %}"
    return None


class BoundTransport(ABC):
    """A transport built into a downloader: the ``Downloads`` of its run's shape."""

    request_form: RequestForm = RequestForm()
    """How this transport's tasks read a request computed each run (its ``Transport``'s)."""
    relays_throttled_answers: bool = False
    """True when a throttled answer reaches the state machine with its headers (its
    ``Transport``'s)."""

    def __init__(
        self,
        *,
        endpoint: str,
        headers: Mapping[str, str] | None,
        retry: sfn.RetryProps | None,
        retryable_errors: Sequence[str],
        status_error: Callable[[int], str],
    ) -> None:
        self.endpoint = endpoint
        self.headers = headers
        self._retry = retry
        self._retryable_errors = tuple(retryable_errors)
        self._status_error = status_error
        self._first_retry: dict[str, Any] | None = None

    @property
    def api(self) -> apigw.RestApi | None:
        """The API Gateway proxy, if this transport has one."""
        return None

    @property
    def credential_in_state(self) -> bool:
        """True when a credential passes through the state data (then not logged)."""
        return False

    @property
    def passed_query_names(self) -> tuple[str, ...] | None:
        """The only query parameters a request reaches the API with, when the transport passes
        on names it maps (``None``: every name it is given)."""
        return None

    def definition_substitutions(self) -> dict[str, str] | None:
        """Values CloudFormation substitutes into the definition on deploy."""
        return None

    def metric_requests(self, **props: Any) -> cloudwatch.Metric | None:
        """The requests this downloader sent (retries included), counted by the service that
        carried them; ``None`` when no metric counts this downloader's requests alone."""
        del props
        return None

    def widgets(self) -> list[cloudwatch.IWidget]:
        """Dashboard widgets for what this transport built (e.g. the proxy's errors and
        latency); none by default."""
        return []

    def grant(self, state_machine: sfn.StateMachine, paths: Sequence[str]) -> None:
        """Permissions the tasks do not grant themselves; ``paths`` are the ones a fan-out
        requests through a JSONPath."""
        del state_machine, paths

    def task(
        self,
        scope: Construct,
        construct_id: str,
        request: HttpRequest,
        *,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        assign: Mapping[str, Any] | None = None,
    ) -> sfn.TaskStateBase:
        """The task that makes ``request``, with the retry policy."""
        task = self._task(
            scope, construct_id, request,
            result_selector=dict(result_selector) if result_selector is not None else None,
            result_path=result_path, assign=dict(assign) if assign else None,
        )  # fmt: skip
        return self._retrying(task)

    def _retrying(self, task: sfn.TaskStateBase) -> sfn.TaskStateBase:
        """``task`` with the retry policy (after the first rule, if any)."""
        if self._first_retry is not None:
            task.add_retry(**self._first_retry)
        task.add_retry(**self.retry_kwargs())
        return task

    def checked_task(
        self, scope: Construct, construct_id: str, request: HttpRequest, *,
        assign: Mapping[str, str], computed: Mapping[str, Any] | None = None,
    ) -> sfn.TaskStateBase | None:  # fmt: skip
        """A JSONata task that makes ``request`` with the retry policy, whose ``Assign``
        (``assign``: JSONata reading ``$states.result``, the answer as the service returned it)
        may raise, and whose output is the answer, never evaluated (no ``Output``: "the
        state's output is ``$states.result``"). ``computed``: variables the request reads
        whose values its Arguments compute (``jsonata_request``). ``None`` when a part of
        ``request`` is read in a way ``jsonata_request`` does not translate (then only the
        JSONPath task renders it)."""
        parts = jsonata_request(scope, request, computed)
        if parts is None:
            return None
        task = self._checked(scope, construct_id, parts, assign=dict(assign))
        return self._retrying(task) if task is not None else None

    @abstractmethod
    def _checked(
        self, scope: Construct, construct_id: str, request: JsonataRequest, *,
        assign: dict[str, str],
    ) -> sfn.TaskStateBase | None:  # fmt: skip
        """``checked_task``'s task, of ``request``'s literals and JSONata expressions; ``None``
        where this transport cannot make it."""

    def retrying_first(self, rule: Mapping[str, Any]) -> BoundTransport:
        """A copy of these downloads whose tasks try ``rule`` (``add_retry`` keyword
        arguments) before the retry policy: a Retry's rules are tried in order, the first
        whose ``ErrorEquals`` matches applies ("Handling errors in Step Functions
        workflows", Retrying after an error)."""
        copied = copy.copy(self)
        copied._first_retry = dict(rule)
        return copied

    def retry_kwargs(self) -> dict[str, Any]:
        """The user's policy replaces the default; without ``errors`` it keeps the retryable
        ones of the transport."""
        kwargs = retry_kwargs(self._retry or default_download_retry(self._retryable_errors))
        if self._retry is None or not kwargs.get("errors"):
            kwargs["errors"] = list(self._retryable_errors)
        return kwargs

    def status_error(self, status: int) -> str:
        """The error name a download fails with when the API answers ``status`` (non-2xx)."""
        return self._status_error(status)

    def static_headers(self) -> dict[str, list[str]]:
        """The headers every request carries (values are lists)."""
        return {name: [value] for name, value in (self.headers or {}).items()}

    @abstractmethod
    def listed(self, target: Target) -> dict[str, Any]:
        """A fan-out request as a Map item holds it."""

    @abstractmethod
    def request_from_url(self, url: str) -> str:
        """A JSONata expression of the request for ``url`` (a same-origin ``/path?query``)."""

    def url_problem(self, url: str) -> str:
        """A JSONata expression: ``""`` when ``request_from_url`` can make a request of ``url``
        (a next link), else why not (a clause after "the link"): a control character, or a
        ``%`` not followed by two hex digits (RFC 3986, 2.1)."""
        return url_problem(url, utf8=False)

    @abstractmethod
    def _task(
        self,
        scope: Construct,
        construct_id: str,
        request: HttpRequest,
        *,
        result_selector: dict[str, Any] | None,
        result_path: str | None,
        assign: dict[str, Any] | None = None,
    ) -> sfn.TaskStateBase: ...
