"""The API Gateway transport: the article's way, ``apigateway:invoke`` through a proxy.

The proxy is a REST API, regional (``apigateway:invoke`` does not support edge-optimized APIs),
with one method on ``{proxy+}`` (the downloader's: ``GET`` or ``POST``), IAM authorization (not
an open relay) and an HTTP_PROXY integration to the endpoint. This module checks the
transport's props, builds the proxy, the download tasks, and grants the state machine what the
tasks do not grant themselves.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._acknowledge import acknowledge, arn_prefix
from .._contract import REQUEST_HEADERS_VARIABLE, STAGE_NAME
from .._defaults import DOWNLOAD_TASK_TIMEOUT_SECONDS, REQUEST_SECONDS
from .._parts import ANY_PATH, CheckContext, Exchange, Target
from .._request import HttpRequest
from ..auth import AuthHeader
from ..errors import Problem
from ._auth_check import check_auth_header, query_param_clashes
from ._base import (
    RETRYABLE_STATUSES,
    BoundTransport,
    JsonataRequest,
    Transport,
    register,
    sent_as_written,
)
from ._proxy import build_proxy
from ._url import url_problem
from .trim import PARAMETER_NAME, Trim, check_mappable

AUTH_VALUE_SUBSTITUTION = "AuthHeaderValue"
"""Definition substitution holding the remapped credential: CloudFormation resolves its dynamic
reference as a whole property value, not spliced into the middle of the definition string."""


def status_error(status: int) -> str:
    """``apigateway:invoke`` fails a non-2xx answer with ``ApiGateway.<status>``."""
    return f"ApiGateway.{status}"


RETRYABLE_ERRORS = (
    *(status_error(status) for status in RETRYABLE_STATUSES),
    "States.Timeout",
)
"""The proxy's retryable failures (apigateway:invoke names them ``ApiGateway.<status>``)."""

# JSONata: "/path?a=1&a=2&b" -> {"path": "/path", "query": {"a": ["1", "2"], "b": [""]}}.
# The path is decoded once but for the octets that would change its shape once decoded: "/"
# (a segment's end), "\\" (one to some servers), "?", "#" and "%" itself stay encoded, so that
# "t%2F0" (an item) stays one segment whether apigateway:invoke sends Path as written or
# encodes it (AWS documents neither: docs/checked-on-aws.md, invoke-path-encoding).
_PROXY_REQUEST = """(
  $u := <URL>;
  $q := $contains($u, "?") ? $substringAfter($u, "?") : "";
  $pairs := $filter($split($q, "&"), function($s) { $s != "" });
  $dec := function($s) { $decodeUrlComponent($replace($s, "+", " ")) };
  {
    "path": $decodeUrlComponent($replace($substringBefore($u, "?"), /%(25|2F|3F|23|5C)/i, "%25$1")),
    "query": $count($pairs) = 0 ? {} : $reduce($pairs, function($acc, $s) { (
      $k := $dec($substringBefore($s, "="));
      $v := $contains($s, "=") ? $dec($substringAfter($s, "=")) : "";
      $merge([$acc, {$k: $append($exists($lookup($acc, $k)) ? $lookup($acc, $k) : [], [$v])}])
    ) }, {})
  }
)"""

EXACT_GRANT_LIMIT = 20
"""Up to this many fan-out paths, the role may invoke exactly them; past it, any path of the
proxy with the downloader's method (IAM policies are limited in size, and the proxy only
reaches the one endpoint anyway)."""


@register
class ApiGatewayTransport(Transport):
    """``apigateway:invoke`` through an IAM-authorized REST API proxy
    (``Transport.api_gateway``)."""

    kind = "api_gateway"
    retryable_errors = RETRYABLE_ERRORS
    error_names = "ApiGateway.<status>"
    foreign_error_prefixes = ("States.Http.",)
    # The proxy hands a 429/503 over as a marked 200 with its headers (trim.py).
    relays_throttled_answers = True

    def __init__(
        self, *, logging: bool = False, rate_limit: float | None = None, burst: int | None = None
    ) -> None:
        self.logging = logging
        """Access logs and ERROR-level execution logs on the proxy stage."""
        self.rate_limit = rate_limit
        """The stage's steady rate (``None``: from the requests a run sends at once)."""
        self.burst = burst
        """The stage's burst (``None``: twice the requests a run sends at once)."""

    def throttling(self, in_flight: int) -> tuple[float, int]:
        """The stage's ``(rate_limit, burst)`` for a run sending ``in_flight`` requests at once."""
        rate = self.rate_limit
        if rate is None:
            rate = float(math.ceil(in_flight / REQUEST_SECONDS))
        return rate, self.burst if self.burst is not None else 2 * in_flight

    @property
    def supports_query_overrides(self) -> bool:
        """An on-demand run may override query parameters (the task takes them as an object)."""
        return True

    def status_error(self, status: int) -> str:
        """``apigateway:invoke`` names a non-2xx answer ``ApiGateway.<status>``."""
        return status_error(status)

    @property
    def supports_computed_requests(self) -> bool:
        """The task takes its path and query from variables (``Path.$``, ``QueryParameters.$``)."""
        return True

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Headers, and the auth header the proxy maps onto ``Authorization``."""
        yield from super().check(context)
        auth = context.auth_header
        for name in context.headers or {}:
            if (
                isinstance(auth, AuthHeader)
                and auth.header_name
                and name.lower() == auth.header_name.lower()
            ):
                yield Problem(
                    f"headers[{name!r}]",
                    name,
                    "is also auth_header's header.",
                    "remove it from headers: auth_header sets it.",
                )
        yield from check_auth_header(context.scope, auth)
        yield from query_param_clashes(auth, [*context.query, *context.exchange.query_names])
        if isinstance(context.trim, Trim):
            yield from context.trim.check(context)
        if isinstance(context.trim, Trim):
            for name in context.headers or {}:
                if isinstance(name, str) and not PARAMETER_NAME.match(name):
                    yield Problem(
                        f"headers[{name!r}]", name,
                        "cannot be mapped by the trimming proxy: API Gateway parameter names "
                        "must match ^[a-zA-Z0-9._$-]+$.",
                        "rename the header, or drop trim.",
                    )  # fmt: skip
        elif context.exchange.throttled_statuses:
            yield from check_mappable(context)
        if not isinstance(self.logging, bool):
            yield Problem(
                "transport", self.logging, "logging is not a bool.",
                "use Transport.api_gateway(logging=True).",
            )  # fmt: skip
        yield from _check_throttling(self.rate_limit, self.burst, context.exchange.in_flight)

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
        """Build the proxy (trimming with ``trim``); return the ``apigateway:invoke`` task
        builder."""
        api = build_proxy(
            scope, endpoint=endpoint, auth_header=auth_header, logging=self.logging,
            throttling=self.throttling((exchange or Exchange()).in_flight),
            log_retention=log_retention, trim=trim if isinstance(trim, Trim) else None,
            request_headers=(*(headers or {}), *(exchange or Exchange()).computed_headers),
            exchange=exchange or Exchange(), method=method,
        )  # fmt: skip
        exchange = exchange or Exchange()
        mapped = isinstance(trim, Trim) or bool(exchange.throttled_statuses)
        return ApiGatewayDownloads(
            api=api, endpoint=endpoint, headers=headers, auth_header=auth_header, retry=retry,
            computed_headers=bool(exchange.computed_headers), method=method,
            passed_query_names=exchange.query_names if mapped else None,
        )  # fmt: skip


def _check_throttling(rate: object, burst: object, in_flight: int) -> Iterator[Problem]:
    """A positive rate; a whole burst no smaller than what a run sends at once."""
    if rate is not None and (
        isinstance(rate, bool) or not isinstance(rate, int | float) or not rate > 0
    ):
        yield Problem("transport", rate, "rate_limit is not a positive number of requests a "
                      "second.", "use e.g. Transport.api_gateway(rate_limit=2).")  # fmt: skip
    if burst is None:
        return
    if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
        yield Problem("transport", burst, "burst is not a positive whole number.",
                      "use e.g. Transport.api_gateway(burst=4).")  # fmt: skip
    elif burst < in_flight:
        yield Problem("transport", burst, f"burst is below the {in_flight} requests a run sends "
                      "at once: the proxy would refuse (429) the downloader's own requests.",
                      f"use burst={in_flight} or more, or lower the concurrency.")  # fmt: skip


class ApiGatewayDownloads(BoundTransport):
    """The proxy's download tasks (``CallApiGatewayRestApiEndpoint``) and grants."""

    relays_throttled_answers = True
    """Its proxy answers a throttled request as a marked ``200`` with the headers."""

    def __init__(
        self,
        *,
        api: apigw.RestApi,
        endpoint: str,
        headers: Mapping[str, str] | None,
        auth_header: AuthHeader | None,
        retry: sfn.RetryProps | None,
        computed_headers: bool = False,
        method: str = "GET",
        passed_query_names: tuple[str, ...] | None = None,
    ) -> None:
        super().__init__(
            endpoint=endpoint, headers=headers, retry=retry, retryable_errors=RETRYABLE_ERRORS,
            status_error=status_error,
        )  # fmt: skip
        self._api = api
        self._auth_header = auth_header
        self._computed_headers = computed_headers
        self._method = method
        self._passed_query_names = passed_query_names

    @property
    def passed_query_names(self) -> tuple[str, ...] | None:
        """With ``trim`` or ``retry_after`` (a non-proxy integration), the names it maps."""
        return self._passed_query_names

    @property
    def api(self) -> apigw.RestApi:
        """The proxy."""
        return self._api

    @property
    def credential_in_state(self) -> bool:
        """True with ``AuthHeader.remap``: the credential is in the task's headers."""
        return self._auth_header is not None and self._auth_header.credential_in_state

    def definition_substitutions(self) -> dict[str, str] | None:
        """The remapped credential's dynamic reference, substituted on deploy."""
        if self._auth_header is None or self._auth_header.value is None:
            return None
        return {AUTH_VALUE_SUBSTITUTION: self._auth_header.value.unsafe_unwrap()}

    def metric_requests(self, **props: Any) -> cloudwatch.Metric:
        """The proxy's requests (API Gateway ``Count``): one per attempt, retries included."""
        return self._api.metric_count(**{"statistic": cloudwatch.Stats.SUM, **props})

    def widgets(self) -> list[cloudwatch.IWidget]:
        """The proxy's 4xx and 5xx answers (the third party's pass through it) and latency."""
        api = self._api
        return [
            cloudwatch.GraphWidget(
                title="Proxy errors (4xx, 5xx)", width=8,
                left=[api.metric_client_error(label="4xx"), api.metric_server_error(label="5xx")],
                left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
            ),
            cloudwatch.GraphWidget(
                title="Proxy latency (ms)", width=8,
                left=[api.metric_latency(statistic="p50", label="p50"),
                      api.metric_latency(statistic="p99", label="p99"),
                      api.metric_integration_latency(statistic="p99",
                                                     label="third party p99")],
                left_y_axis=cloudwatch.YAxisProps(min=0, show_units=False),
            ),
        ]  # fmt: skip

    def listed(self, target: Target) -> dict[str, Any]:
        """Path as given; query values as lists (``apigateway:invoke`` takes lists)."""
        return {
            "path": target.path,
            "query": {name: list(items) for name, items in target.query.items()},
            "key": target.key,
        }

    def request_from_url(self, url: str) -> str:
        """``Path`` and ``QueryParameters`` decoded once (``+`` in the query is a space), so
        that the encoding ``apigateway:invoke`` applies when it builds the URL gives the API
        its own bytes back; repeated parameters become lists."""
        return _PROXY_REQUEST.replace("<URL>", url)

    def url_problem(self, url: str) -> str:
        """Also a ``%`` that does not start a percent-encoded UTF-8 character: the link is
        decoded once (``$decodeUrlComponent``, which throws on it)."""
        return url_problem(url, utf8=True)

    def grant(self, state_machine: sfn.StateMachine, paths: Sequence[str]) -> None:
        """Let the role invoke the fan-out's paths on the proxy.

        aws-cdk-lib 2.275's CallApiGatewayRestApiEndpoint, given a JSONPath ``api_path``,
        grants ``.../prod/GET$.request.path``, an ARN that matches nothing: the real grant is
        added here.
        """
        if not paths:
            return
        api, method = self._api, self._method
        if len(paths) <= EXACT_GRANT_LIMIT and ANY_PATH not in paths:
            resources = sorted(
                {api.arn_for_execute_api(method, path, STAGE_NAME) for path in paths}
            )
            for path in sorted({path for path in paths if "*" in path}):
                _acknowledge_computed_path(state_machine, api, path, method)
        else:
            resources = [api.arn_for_execute_api(method, ANY_PATH, STAGE_NAME)]
            policy = state_machine.role.node.find_child("DefaultPolicy")
            logical_id = Stack.of(api).get_logical_id(api.node.default_child)  # type: ignore[arg-type]
            why = (
                "Next-page links choose their own paths on the endpoint (GitHub's point to "
                f"/repositories/<id>/...). The proxy has one method, {method} /{{proxy+}}, to the "
                f"one endpoint, so {method}/* of its stage grants nothing more."
                if ANY_PATH in paths
                else f"The fan-out requests more than {EXACT_GRANT_LIMIT} paths: listing each "
                f"would outgrow the role's policy size limit. The proxy has one method, {method} "
                f"/{{proxy+}}, to the one endpoint, so {method}/* grants nothing more."
            )
            acknowledge(
                policy,
                f"IAM5[Resource::{arn_prefix(policy, 'execute-api')}<{logical_id}>/"
                f"{STAGE_NAME}/{method}/*]",
                why,
            )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["execute-api:Invoke"], resources=resources)
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
        # A query read whole from the state cannot take more parameters in JSONPath.
        assert not (request.query_at and request.params), "query_at with params"
        values: dict[str, Any] = dict(request.query or {})
        for name, value in request.params.items():
            values[name] = sfn.JsonPath.array(value)  # values are lists
        query_input = (
            sfn.TaskInput.from_json_path_at(request.query_at)
            if request.query_at
            else sfn.TaskInput.from_object(values)
            if values
            else None
        )
        return tasks.CallApiGatewayRestApiEndpoint(
            scope,
            construct_id,
            api=self._api,
            stage_name=STAGE_NAME,
            method=tasks.HttpMethod(request.method),
            api_path=request.path,
            query_parameters=query_input,
            headers=self._headers(static=request.static_headers),
            request_body=_body(request),
            auth_type=tasks.AuthType.IAM_ROLE,
            result_selector=result_selector,
            result_path=result_path,
            assign=assign,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )

    def _checked(
        self, scope: Construct, construct_id: str, request: JsonataRequest, *,
        assign: dict[str, str],
    ) -> sfn.TaskStateBase | None:  # fmt: skip
        """The JSONata ``apigateway:invoke`` task: the JSONPath one's Parameters as Arguments
        (a path or query read from the state is one expression). A path read from the state
        goes through ``_ComputedPathInvoke``: given a JSONata ``api_path``, aws-cdk-lib 2.275
        grants ``execute-api:Invoke`` on every path of the stage. Header and body values
        holding ``{%`` are sent as written (``sent_as_written``)."""
        headers = sent_as_written(self.static_headers())
        query, body = request.query, request.body
        if request.params:  # a literal query (jsonata_request refuses params with another)
            assert not isinstance(query, str)
            query = {**dict(query or {}), **{n: [v] for n, v in request.params.items()}}
        computed = request.path_computed
        build: Callable[..., sfn.TaskStateBase] = (
            functools.partial(_ComputedPathInvoke, path_expression=request.path) if computed
            else tasks.CallApiGatewayRestApiEndpoint.jsonata
        )  # fmt: skip
        return build(
            scope,
            construct_id,
            api=self._api,
            stage_name=STAGE_NAME,
            method=tasks.HttpMethod(request.method),
            api_path=request.path_source if computed else request.path,
            query_parameters=(
                sfn.TaskInput.from_text(query) if isinstance(query, str)
                else sfn.TaskInput.from_object({n: list(v) for n, v in query.items()})
                if query else None
            ),
            headers=(
                # conditional's validators with the static headers (ReadState)
                sfn.TaskInput.from_text(
                    request.headers or "{% $" + REQUEST_HEADERS_VARIABLE + " %}"
                )
                if self._computed_headers and not request.static_headers
                else sfn.TaskInput.from_object(headers) if headers else None
            ),
            request_body=(
                sfn.TaskInput.from_text(body) if isinstance(body, str)
                else sfn.TaskInput.from_object(dict(body)) if body is not None else None
            ),
            auth_type=tasks.AuthType.IAM_ROLE,
            assign=assign,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )  # fmt: skip

    def static_headers(self) -> dict[str, list[str]]:
        """Header values are lists in apigateway:invoke; a remapped credential is the
        definition substitution holding it."""
        values: dict[str, list[str]] = {name: [v] for name, v in (self.headers or {}).items()}
        if self._auth_header is not None and self._auth_header.header_name is not None:
            values[self._auth_header.header_name] = [f"${{{AUTH_VALUE_SUBSTITUTION}}}"]
        return values

    def _headers(self, *, static: bool = False) -> sfn.TaskInput | None:
        """The static headers; with headers computed each run, ``$requestHeaders`` (unless
        the request takes the ``static`` ones only)."""
        if self._computed_headers and not static:
            return sfn.TaskInput.from_json_path_at(f"${REQUEST_HEADERS_VARIABLE}")
        values = self.static_headers()
        return sfn.TaskInput.from_object(values) if values else None


class _ComputedPathInvoke(tasks.CallApiGatewayRestApiEndpoint):
    """A JSONata ``apigateway:invoke`` task whose ``Path`` is an expression, granted as the
    JSONPath task is. aws-cdk-lib 2.275 builds the task's grant in its constructor from
    ``api_path``: a JSONata expression there (``/^{%(.*)%}$/``) grants every path of the stage
    (``<stage>/<METHOD>/*``), and the generated grant cannot be changed afterwards. So the
    task is built with the JSONPath token the JSONPath task takes (whose generated grant
    matches no request; ``ApiGatewayDownloads.grant`` grants the exact paths), and only the
    rendered ``Path`` is the expression."""

    def __init__(self, scope: Construct, construct_id: str, *, path_expression: str,
                 **props: Any) -> None:  # fmt: skip
        super().__init__(scope, construct_id, query_language=sfn.QueryLanguage.JSONATA, **props)
        self._path_expression = path_expression

    def to_state_json(
        self, state_machine_query_language: sfn.QueryLanguage | None = None
    ) -> dict[str, Any]:
        """The task as aws-cdk-lib renders it, its ``Path`` the expression."""
        rendered = dict(super().to_state_json(state_machine_query_language))
        rendered["Arguments"] = {**rendered["Arguments"], "Path": self._path_expression}
        return rendered


def _body(request: HttpRequest) -> sfn.TaskInput | None:
    """The request's JSON body: read whole from the state, or as written (with its tokens)."""
    if request.body_at is not None:
        return sfn.TaskInput.from_json_path_at(request.body_at)
    return sfn.TaskInput.from_object(dict(request.body)) if request.body is not None else None


def _acknowledge_computed_path(
    state_machine: sfn.StateMachine, api: apigw.RestApi, path: str, method: str = "GET"
) -> None:
    """A path computed each run (time placeholders) is granted with a ``*`` a placeholder."""
    policy = state_machine.role.node.find_child("DefaultPolicy")
    logical_id = Stack.of(api).get_logical_id(api.node.default_child)  # type: ignore[arg-type]
    acknowledge(
        policy,
        f"IAM5[Resource::{arn_prefix(policy, 'execute-api')}<{logical_id}>/{STAGE_NAME}/"
        f"{method}{path}]",
        "The path holds the run's time (a placeholder), so it cannot be listed: each "
        f"placeholder is a '*'. {method} only, on the proxy's one stage, whose one method reaches "
        "the one endpoint.",
    )
