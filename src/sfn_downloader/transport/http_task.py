"""The HTTP Task transport: ``http:invoke`` with an EventBridge connection, no API Gateway.

The connection holds the credential (API key, Basic or OAuth, in Secrets Manager); the task
sends the static query in the URL; the role may invoke ``<method> <endpoint>/...`` only (the
downloader's one method).

A request computed each run (time placeholders, a window, an incremental mark, query overrides)
reaches the task as the HTTP Task's own fields ("Call HTTPS APIs in Step Functions workflows"):
``ApiEndpoint.$`` is ``States.Format('<endpoint>/{}', $requestPath)`` (a reference path, which
the page allows), and the whole query is ``QueryParameters.$`` (one string a name, encoded and
appended by the task, as the page says of that field). Nothing of a computed query is written
into ``ApiEndpoint``: how the task treats a query string there is not documented.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from aws_cdk import Duration, Token
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._checks import check_header_name
from .._contract import HTTP_TASK_FORBIDDEN_HEADER_PREFIXES, HTTP_TASK_FORBIDDEN_HEADERS
from .._defaults import DOWNLOAD_TASK_TIMEOUT_SECONDS
from .._parts import CheckContext, Exchange, Target
from .._request import HttpRequest, RequestForm
from ..auth import AuthHeader
from ..errors import Problem
from ._base import (
    RETRYABLE_STATUSES,
    BoundTransport,
    JsonataRequest,
    Transport,
    register,
    sent_as_written,
)


def status_error(status: int) -> str:
    """The HTTP Task fails a non-2xx answer with ``States.Http.StatusCode.<status>``."""
    return f"States.Http.StatusCode.{status}"


RETRYABLE_ERRORS = (
    *(status_error(status) for status in RETRYABLE_STATUSES),
    "States.Http.Socket",
    "States.Timeout",
)
"""The HTTP Task's retryable failures: ``States.Http.StatusCode.<status>``, and
``States.Http.Socket`` when the connection fails."""


@register
class HttpTaskTransport(Transport):
    """The Step Functions HTTP Task with an EventBridge connection (``Transport.http_task``)."""

    kind = "http_task"
    retryable_errors = RETRYABLE_ERRORS
    error_names = "States.Http.StatusCode.<status> (States.Http.Socket when no answer came)"
    foreign_error_prefixes = ("ApiGateway.",)
    request_form = RequestForm(path_slash=False, query_lists=False)
    """``ApiEndpoint`` joins the endpoint and the path with ``/`` (aws-cdk-lib's HttpInvoke);
    ``QueryParameters`` take one string a name."""

    def __init__(self, *, connection: events.IConnection) -> None:
        self.connection = connection
        """The EventBridge connection whose credential every request carries."""

    def status_error(self, status: int) -> str:
        """The HTTP Task names a non-2xx answer ``States.Http.StatusCode.<status>``."""
        return status_error(status)

    @property
    def supports_computed_requests(self) -> bool:
        """The task reads its path (``ApiEndpoint.$``) and query (``QueryParameters.$``) from
        the variables ``ComputeRequest`` assigns."""
        return True

    @property
    def supports_query_overrides(self) -> bool:
        """An on-demand run may override query parameters: the task reads its query from the
        state (``QueryParameters.$``), one string a name."""
        return True

    def check_computed_query(
        self,
        prop: str,
        shown: object,
        query: Mapping[str, Sequence[str]],
        *,
        paged: bool = False,
    ) -> Iterator[Problem]:
        """A computed query is sent as ``QueryParameters``, one string a name: a parameter
        given several values is refused (how the task would send a list there is not
        documented: ``Transform``'s array encodings are for request bodies). Pages after a
        computed request are refused: a page loop carries each request as the task's URL
        (``listed``, ``request_from_url``), and a computed query never goes into the URL."""
        if paged:
            yield Problem(
                prop, shown,
                "computes the request each run, and a page loop carries each page's request as "
                "the HTTP Task's URL (ApiEndpoint, with its query): through the HTTP Task a "
                "computed path and query are sent as ApiEndpoint.$ and QueryParameters on one "
                "request a run only, since no document says how the task encodes a query "
                "written into ApiEndpoint (\"Call HTTPS APIs in Step Functions workflows\").",
                "use transport=Transport.api_gateway() (the default) for the pages, or one "
                "request a run.",
            )  # fmt: skip
        for name, values in query.items():
            if not isinstance(values, str) and len(values) > 1:
                yield Problem(
                    prop, shown,
                    f"sends query parameter {name!r} {len(values)} times, but the query of a "
                    "request computed each run (or overridden) reaches the HTTP Task as "
                    "QueryParameters, one string a name (\"Call HTTPS APIs in Step Functions "
                    "workflows\"; a list there is not documented).",
                    f"send {name!r} once (e.g. comma-separated, if the API reads that), or use "
                    "transport=Transport.api_gateway() (the default).",
                )  # fmt: skip

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Headers; the credential belongs in the connection, not in ``auth_header``; no
        ``trim`` (there is no proxy to trim in)."""
        yield from super().check(context)
        if context.trim is not None:
            yield Problem(
                "trim",
                context.trim,
                "conflicts with transport=Transport.http_task(...): answers are trimmed by the "
                "API Gateway proxy, and the HTTP Task calls the third party without one.",
                "use transport=Transport.api_gateway() (the default) with trim, or drop trim "
                "and keep each answer under 256 KiB (pagination, fan-out).",
            )
        if context.auth_header is not None:
            yield Problem(
                "auth_header",
                "AuthHeader",
                "conflicts with transport=Transport.http_task(...): the HTTP Task's connection "
                "sets the credential.",
                "put the credential in the connection (events.Authorization.api_key/basic/"
                "oauth) and drop auth_header.",
            )

    def _check_header_name(self, prop: str, name: str) -> Iterator[Problem]:
        """The headers the HTTP Task refuses ("Call HTTPS APIs in Step Functions workflows")."""
        yield from check_header_name(
            prop, name, what="the header name", forbidden=HTTP_TASK_FORBIDDEN_HEADERS,
            forbidden_prefixes=HTTP_TASK_FORBIDDEN_HEADER_PREFIXES, refused_by="http:invoke",
            authorization_fix="put the credential in the connection (events.Authorization."
            "api_key/basic/oauth): it sets the header on every request.",
        )  # fmt: skip

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
        """Nothing to build: the task calls the endpoint itself."""
        del scope, auth_header, log_retention, trim, exchange
        return HttpTaskDownloads(
            connection=self.connection, endpoint=endpoint, headers=headers, retry=retry,
            method=method,
        )  # fmt: skip


class HttpTaskDownloads(BoundTransport):
    """The HTTP Task's download tasks (``HttpInvoke``) and the narrowing of their grant."""

    request_form = HttpTaskTransport.request_form

    def __init__(
        self,
        *,
        connection: events.IConnection,
        endpoint: str,
        headers: Mapping[str, str] | None,
        retry: sfn.RetryProps | None,
        method: str = "GET",
    ) -> None:
        super().__init__(
            endpoint=endpoint, headers=headers, retry=retry, retryable_errors=RETRYABLE_ERRORS,
            status_error=status_error,
        )  # fmt: skip
        self._connection = connection
        self._method = method

    def listed(self, target: Target) -> dict[str, Any]:
        """The path with its query in the URL, no query object (see ``_path_of``)."""
        return {"path": _path_of(target.path, target.query), "query": {}, "key": target.key}

    def request_from_url(self, url: str) -> str:
        """The path and query as the API wrote them, in the task's URL (``ApiEndpoint`` is the
        endpoint, ``/`` and this path)."""
        return '{"path": $substring(' + url + ', 1), "query": {}}'

    def grant(self, state_machine: sfn.StateMachine, paths: Sequence[str]) -> None:
        """Narrow ``states:InvokeHTTPEndpoint`` to ``<method> <endpoint>/...``.

        aws-cdk-lib's HttpInvoke allows it on ``*`` with ``states:HTTPEndpoint`` like
        ``<endpoint>*`` (which also matches ``<endpoint>.attacker.example``) and no method
        condition. Explicit denies close both gaps without fighting the generated statement.
        """
        del paths
        action = "states:InvokeHTTPEndpoint"
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=[action],
                resources=["*"],
                conditions={"StringNotLike": {"states:HTTPEndpoint": f"{self.endpoint}/*"}},
            )
        )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=[action],
                resources=["*"],
                conditions={"StringNotEquals": {"states:HTTPMethod": self._method}},
            )
        )

    def _task(
        self,
        scope: Construct,
        construct_id: str,
        request: HttpRequest,
        *,
        result_selector: dict[str, Any] | None,
        result_path: str | None,
        assign: dict[str, Any] | None = None,
    ) -> sfn.TaskStateBase:
        path = request.path
        computed = request.query_at is not None and request.query_computed
        assert not (computed and request.params), "a computed query takes no more parameters"
        # HttpInvoke joins api_root and api_endpoint with '/' (States.Format('{}/{}', ...)), so
        # ApiEndpoint always starts with '<endpoint>/': what the role's deny requires.
        endpoint: sfn.TaskInput
        query_input: sfn.TaskInput | None
        if Token.is_unresolved(path) or path.startswith("$"):
            # A path read from the state (a fan-out's, a page link's, ComputeRequest's) takes
            # no literal query after it: the literal one (one value a name: check_computed_query
            # refused others) and the parameters read from the state are QueryParameters.
            endpoint = sfn.TaskInput.from_json_path_at(path)
            literal = dict(request.query or {})
            assert all(len(values) == 1 for values in literal.values()), "one value a name"
            values: dict[str, Any] = {name: items[0] for name, items in literal.items()}
            values.update(request.params)
            query_input = sfn.TaskInput.from_object(values) if values else None
        else:
            # A static query is in the URL (_path_of); only the parameters read from the
            # state (a page number, a cursor) are QueryParameters (one string each).
            endpoint = sfn.TaskInput.from_text(_path_of(path, request.query))
            query_input = (
                sfn.TaskInput.from_object(dict(request.params)) if request.params else None
            )
        if computed:
            # ComputeRequest's (or the overrides') whole query, one string a name.
            query_input = sfn.TaskInput.from_json_path_at(str(request.query_at))
        body = (
            sfn.TaskInput.from_json_path_at(request.body_at)
            if request.body_at is not None
            else sfn.TaskInput.from_object(dict(request.body))
            if request.body is not None
            else None
        )
        return tasks.HttpInvoke(
            scope,
            construct_id,
            **self._invoking(request.method),
            api_endpoint=endpoint,
            query_string_parameters=query_input,
            body=body,
            result_selector=result_selector,
            result_path=result_path,
            assign=assign,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )

    def _invoking(self, method: str) -> dict[str, Any]:
        """What both of the HTTP Task's forms take alike: the connection, the endpoint, the
        method and the static headers."""
        return {
            "connection": self._connection,
            "api_root": self.endpoint,
            "method": sfn.TaskInput.from_text(method),
            "headers": sfn.TaskInput.from_object(dict(self.headers)) if self.headers else None,
        }

    def _checked(
        self, scope: Construct, construct_id: str, request: JsonataRequest, *,
        assign: dict[str, str],
    ) -> sfn.TaskStateBase:  # fmt: skip
        """The JSONata HTTP Task: the JSONPath one's request as Arguments. A literal path
        takes its static query in the URL (``_path_of``); a path read from the state (a
        listed request's: its query is in it) takes a computed query as ``QueryParameters``."""
        query, body = request.query, request.body
        if request.path_computed:
            endpoint = sfn.TaskInput.from_text(request.path)
            literal = query if isinstance(query, Mapping) else {}
            assert all(len(values) == 1 for values in literal.values()), "one value a name"
            values: dict[str, str] = {n: v[0] for n, v in literal.items()}
            values.update(request.params)
            parameters: sfn.TaskInput | None = sfn.TaskInput.from_object(values) if values else None
        else:
            endpoint = sfn.TaskInput.from_text(
                _path_of(request.path, query if isinstance(query, Mapping) else None)
            )
            parameters = sfn.TaskInput.from_object(dict(request.params)) if request.params else None
        if request.query_computed:
            assert isinstance(query, str)
            parameters = sfn.TaskInput.from_text(query)
        invoking = self._invoking(request.method)
        if self.headers:  # header values holding "{%" sent as written
            invoking["headers"] = sfn.TaskInput.from_object(sent_as_written(dict(self.headers)))
        return tasks.HttpInvoke.jsonata(
            scope,
            construct_id,
            **invoking,
            api_endpoint=endpoint,
            query_string_parameters=parameters,
            body=(
                sfn.TaskInput.from_text(body) if isinstance(body, str)
                else sfn.TaskInput.from_object(dict(body)) if body is not None else None
            ),
            assign=assign,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )  # fmt: skip


def _path_of(path: str, query: Mapping[str, list[str]] | None = None) -> str:
    """A path as the HTTP Task takes it. It joins it to the root with '/', and takes the static
    query in the URL: its ``QueryParameters`` hold one string each, and its ``Transform``
    encodes request bodies, not query strings, so a repeated parameter (``type=sell&type=buy``)
    can only be sent as written."""
    return path.lstrip("/") + (f"?{urlencode(query, doseq=True)}" if query else "")
