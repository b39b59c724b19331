"""Download: the task that GETs one resource, through the chosen transport, with its retries.

``apigateway:invoke`` (the proxy) or ``http:invoke`` (the HTTP Task with an EventBridge
connection). The two name failures differently, so each gets a retry policy naming its own
errors: ``ApiGateway.<status>`` against ``States.Http.StatusCode.<status>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._proxy import STAGE_NAME
from .auth import AuthHeader
from .transport import Transport

AUTH_VALUE_SUBSTITUTION = "AuthHeaderValue"
"""Definition substitution holding the remapped credential: CloudFormation resolves its dynamic
reference as a whole property value, not spliced into the middle of the definition string."""

RETRYABLE_STATUSES = (429, 500, 502, 503, 504)
"""Throttling and server errors. Other 4xx answers will not change on a retry."""

RETRYABLE_DOWNLOAD_ERRORS = (
    *(f"ApiGateway.{status}" for status in RETRYABLE_STATUSES),
    "States.Timeout",
)
"""The proxy's retryable failures (apigateway:invoke names them ``ApiGateway.<status>``)."""

RETRYABLE_HTTP_TASK_ERRORS = (
    *(f"States.Http.StatusCode.{status}" for status in RETRYABLE_STATUSES),
    "States.Http.Socket",
    "States.Timeout",
)
"""The HTTP Task's retryable failures: ``States.Http.StatusCode.<status>``, and
``States.Http.Socket`` when the connection fails."""

DOWNLOAD_TASK_TIMEOUT_SECONDS = 35
"""API Gateway gives up on the integration after 29 s; this bounds a hung call (States.Timeout).
The HTTP Task's own limit is 60 s per request; 35 s bounds it the same way."""


def default_download_retry() -> sfn.RetryProps:
    """Three retries after 2, 4 and 8 s (full jitter): about 15 s at most, well inside a minute.

    A function, not a module constant: jsii objects are not built at import time.
    """
    return sfn.RetryProps(
        errors=list(RETRYABLE_DOWNLOAD_ERRORS),
        interval=Duration.seconds(2),
        max_attempts=3,
        backoff_rate=2,
        max_delay=Duration.seconds(30),
        jitter_strategy=sfn.JitterType.FULL,
    )


@dataclass(frozen=True)
class Downloads:
    """What every download task of one downloader shares: transport, headers, credentials."""

    transport: Transport
    api: apigw.IRestApi | None
    endpoint: str
    headers: Mapping[str, str] | None
    auth_header: AuthHeader | None
    retry: sfn.RetryProps | None

    def task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        path: str,
        query: Mapping[str, list[str]] | None = None,
        query_path: str | None = None,
        page_param: str | None = None,
        page_value: str | None = None,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
    ) -> sfn.TaskStateBase:
        """One GET of ``path`` (a literal or a JSONPath token), with the retry policy.

        The query is ``query`` (static lists) plus ``page_param=page_value`` (a JSONPath token),
        or, for a fan-out, the object at ``query_path`` in the state.
        """
        if self.transport.connection is not None:
            task: sfn.TaskStateBase = self._http_task(
                scope, construct_id, path=path, query=query, query_path=query_path,
                page_param=page_param, page_value=page_value,
                result_selector=result_selector, result_path=result_path,
            )  # fmt: skip
        else:
            task = self._api_gateway_task(
                scope, construct_id, path=path, query=query, query_path=query_path,
                page_param=page_param, page_value=page_value,
                result_selector=result_selector, result_path=result_path,
            )  # fmt: skip
        task.add_retry(**self.retry_kwargs())
        return task

    def path_of(self, path: str, query: Mapping[str, list[str]] | None = None) -> str:
        """A path as the transport takes it. The HTTP Task joins it to the root with '/', and
        takes the static query in the URL: its ``QueryParameters`` hold one string each, and
        its ``Transform`` encodes request bodies, not query strings, so a repeated parameter
        (``type=sell&type=buy``) can only be sent as written."""
        if not self.transport.is_http_task:
            return path
        return path.lstrip("/") + (f"?{urlencode(query, doseq=True)}" if query else "")

    def query_of(self, query: Mapping[str, list[str]]) -> dict[str, Any]:
        """Query parameters as the transport takes them: lists (apigateway:invoke), or none
        (http:invoke: they are in the URL, see ``path_of``)."""
        if self.transport.is_http_task:
            return {}
        return {name: list(items) for name, items in query.items()}

    def retry_kwargs(self) -> dict[str, Any]:
        """The user's policy replaces the default; without ``errors`` it keeps the retryable
        ones of the transport."""
        retryable = (
            RETRYABLE_HTTP_TASK_ERRORS if self.transport.is_http_task else RETRYABLE_DOWNLOAD_ERRORS
        )
        kwargs = retry_kwargs(self.retry or default_download_retry())
        if self.retry is None or not kwargs.get("errors"):
            kwargs["errors"] = list(retryable)
        return kwargs

    def _api_gateway_task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        path: str,
        query: Mapping[str, list[str]] | None,
        query_path: str | None,
        page_param: str | None,
        page_value: str | None,
        result_selector: Mapping[str, Any] | None,
        result_path: str | None,
    ) -> sfn.TaskStateBase:
        assert self.api is not None
        values: dict[str, Any] = dict(query or {})
        if page_param is not None and page_value is not None:
            values[page_param] = sfn.JsonPath.array(page_value)  # values are lists
        query_input = (
            sfn.TaskInput.from_json_path_at(query_path)
            if query_path
            else sfn.TaskInput.from_object(values)
            if values
            else None
        )
        return tasks.CallApiGatewayRestApiEndpoint(
            scope,
            construct_id,
            api=self.api,
            stage_name=STAGE_NAME,
            method=tasks.HttpMethod.GET,
            api_path=path,
            query_parameters=query_input,
            headers=self._api_gateway_headers(),
            auth_type=tasks.AuthType.IAM_ROLE,
            result_selector=dict(result_selector) if result_selector is not None else None,
            result_path=result_path,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )

    def _api_gateway_headers(self) -> sfn.TaskInput | None:
        """Header values are lists in apigateway:invoke."""
        values: dict[str, list[str]] = {name: [v] for name, v in (self.headers or {}).items()}
        if self.auth_header is not None and self.auth_header.header_name is not None:
            values[self.auth_header.header_name] = [f"${{{AUTH_VALUE_SUBSTITUTION}}}"]
        return sfn.TaskInput.from_object(values) if values else None

    def _http_task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        path: str,
        query: Mapping[str, list[str]] | None,
        query_path: str | None,
        page_param: str | None,
        page_value: str | None,
        result_selector: Mapping[str, Any] | None,
        result_path: str | None,
    ) -> sfn.TaskStateBase:
        assert self.transport.connection is not None
        # The static query is in the URL (path_of); a fan-out's paths carry theirs
        # (query_path is then unused). Only the page parameter is a QueryParameter.
        del query_path
        query_input = (
            sfn.TaskInput.from_object({page_param: page_value})
            if page_param is not None and page_value is not None
            else None
        )
        return tasks.HttpInvoke(
            scope,
            construct_id,
            connection=self.transport.connection,
            api_root=self.endpoint,
            # HttpInvoke joins api_root and api_endpoint with '/'.
            api_endpoint=(
                sfn.TaskInput.from_text(self.path_of(path, query))
                if not path.startswith("$")
                else sfn.TaskInput.from_json_path_at(path)
            ),
            method=sfn.TaskInput.from_text("GET"),
            headers=(sfn.TaskInput.from_object(dict(self.headers)) if self.headers else None),
            query_string_parameters=query_input,
            result_selector=dict(result_selector) if result_selector is not None else None,
            result_path=result_path,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )


def retry_kwargs(retry: sfn.RetryProps) -> dict[str, Any]:
    """``RetryProps`` as keyword arguments of ``add_retry`` (only the fields that are set)."""
    names = ("errors", "interval", "max_attempts", "backoff_rate", "max_delay", "jitter_strategy")
    return {name: getattr(retry, name) for name in names if getattr(retry, name) is not None}


def restrict_http_task(
    state_machine: sfn.StateMachine, transport: Transport, endpoint: str
) -> None:
    """Narrow the HTTP Task's ``states:InvokeHTTPEndpoint`` to ``GET <endpoint>/...``.

    aws-cdk-lib's HttpInvoke allows it on ``*`` with ``states:HTTPEndpoint`` like
    ``<endpoint>*`` (which also matches ``<endpoint>.attacker.example``) and no method
    condition. Explicit denies close both gaps without fighting the generated statement.
    """
    if not transport.is_http_task:
        return
    action = "states:InvokeHTTPEndpoint"
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=[action],
            resources=["*"],
            conditions={"StringNotLike": {"states:HTTPEndpoint": f"{endpoint}/*"}},
        )
    )
    state_machine.add_to_role_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            actions=[action],
            resources=["*"],
            conditions={"StringNotEquals": {"states:HTTPMethod": "GET"}},
        )
    )
