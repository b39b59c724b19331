"""The API Gateway transport: the article's way, ``apigateway:invoke`` through a proxy.

The proxy is a REST API, regional (``apigateway:invoke`` does not support edge-optimized APIs),
with one ``GET`` method on ``{proxy+}``, IAM authorization (not an open relay) and an HTTP_PROXY
integration to the endpoint. This module checks the transport's props, builds the proxy,
the download tasks, and grants the state machine what the tasks do not grant themselves.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from aws_cdk import Duration, Names, SecretValue, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._acknowledge import acknowledge
from .._checks import check_header_name
from .._contract import STAGE_NAME
from .._defaults import DOWNLOAD_TASK_TIMEOUT_SECONDS
from .._parts import CheckContext, Target
from ..auth import AuthHeader
from ..errors import Problem
from ._base import RETRYABLE_STATUSES, BoundTransport, Transport

AUTH_VALUE_SUBSTITUTION = "AuthHeaderValue"
"""Definition substitution holding the remapped credential: CloudFormation resolves its dynamic
reference as a whole property value, not spliced into the middle of the definition string."""

RETRYABLE_ERRORS = (
    *(f"ApiGateway.{status}" for status in RETRYABLE_STATUSES),
    "States.Timeout",
)
"""The proxy's retryable failures (apigateway:invoke names them ``ApiGateway.<status>``)."""

EXACT_GRANT_LIMIT = 20
"""Up to this many fan-out paths, the role may invoke exactly them; past it, any GET of the
proxy (IAM policies are limited in size, and the proxy only reaches the one endpoint anyway)."""


class ApiGatewayTransport(Transport):
    """``apigateway:invoke`` through an IAM-authorized REST API proxy
    (``Transport.api_gateway``)."""

    retryable_errors = RETRYABLE_ERRORS

    def __init__(self, *, logging: bool = False) -> None:
        self.logging = logging
        """Access logs and ERROR-level execution logs on the proxy stage."""

    @property
    def supports_query_overrides(self) -> bool:
        """An on-demand run may override query parameters (the task takes them as an object)."""
        return True

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
        yield from _check_auth_header(context.scope, auth)
        if not isinstance(self.logging, bool):
            yield Problem(
                "transport", self.logging, "logging is not a bool.",
                "use Transport.api_gateway(logging=True).",
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
    ) -> BoundTransport:
        """Build the proxy; return the ``apigateway:invoke`` task builder."""
        api = build_proxy(
            scope, endpoint=endpoint, auth_header=auth_header, logging=self.logging,
            log_retention=log_retention,
        )  # fmt: skip
        return ApiGatewayDownloads(
            api=api, endpoint=endpoint, headers=headers, auth_header=auth_header, retry=retry
        )


class ApiGatewayDownloads(BoundTransport):
    """The proxy's download tasks (``CallApiGatewayRestApiEndpoint``) and grants."""

    def __init__(
        self,
        *,
        api: apigw.RestApi,
        endpoint: str,
        headers: Mapping[str, str] | None,
        auth_header: AuthHeader | None,
        retry: sfn.RetryProps | None,
    ) -> None:
        super().__init__(
            endpoint=endpoint, headers=headers, retry=retry, retryable_errors=RETRYABLE_ERRORS
        )
        self._api = api
        self._auth_header = auth_header

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

    def listed(self, target: Target) -> dict[str, Any]:
        """Path as given; query values as lists (``apigateway:invoke`` takes lists)."""
        return {
            "path": target.path,
            "query": {name: list(items) for name, items in target.query.items()},
            "key": target.key,
        }

    def grant(self, state_machine: sfn.StateMachine, paths: Sequence[str]) -> None:
        """Let the role invoke the fan-out's paths on the proxy.

        aws-cdk-lib 2.275's CallApiGatewayRestApiEndpoint, given a JSONPath ``api_path``,
        grants ``.../prod/GET$.request.path``, an ARN that matches nothing: the real grant is
        added here.
        """
        if not paths:
            return
        api = self._api
        if len(paths) <= EXACT_GRANT_LIMIT:
            resources = sorted({api.arn_for_execute_api("GET", path, STAGE_NAME) for path in paths})
            for path in sorted({path for path in paths if "*" in path}):
                _acknowledge_computed_path(state_machine, api, path)
        else:
            resources = [api.arn_for_execute_api("GET", "/*", STAGE_NAME)]
            policy = state_machine.role.node.find_child("DefaultPolicy")
            logical_id = Stack.of(api).get_logical_id(api.node.default_child)  # type: ignore[arg-type]
            acknowledge(
                policy,
                "IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:"
                f"<AWS::AccountId>:<{logical_id}>/{STAGE_NAME}/GET/*]",
                f"The fan-out requests more than {EXACT_GRANT_LIMIT} paths: listing each would "
                "outgrow the role's policy size limit. The proxy has one method, GET /{proxy+}, "
                "to the one endpoint, so GET/* grants nothing more.",
            )
        state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["execute-api:Invoke"], resources=resources)
        )

    def _task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        path: str,
        query: Mapping[str, list[str]] | None,
        query_path: str | None,
        page_param: str | None,
        page_value: str | None,
        result_selector: dict[str, Any] | None,
        result_path: str | None,
        assign: dict[str, Any] | None = None,
    ) -> sfn.TaskStateBase:
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
            api=self._api,
            stage_name=STAGE_NAME,
            method=tasks.HttpMethod.GET,
            api_path=path,
            query_parameters=query_input,
            headers=self._headers(),
            auth_type=tasks.AuthType.IAM_ROLE,
            result_selector=result_selector,
            result_path=result_path,
            assign=assign,
            task_timeout=sfn.Timeout.duration(Duration.seconds(DOWNLOAD_TASK_TIMEOUT_SECONDS)),
        )

    def _headers(self) -> sfn.TaskInput | None:
        """Header values are lists in apigateway:invoke."""
        values: dict[str, list[str]] = {name: [v] for name, v in (self.headers or {}).items()}
        if self._auth_header is not None and self._auth_header.header_name is not None:
            values[self._auth_header.header_name] = [f"${{{AUTH_VALUE_SUBSTITUTION}}}"]
        return sfn.TaskInput.from_object(values) if values else None


def _acknowledge_computed_path(
    state_machine: sfn.StateMachine, api: apigw.RestApi, path: str
) -> None:
    """A path computed each run (time placeholders) is granted with a ``*`` a placeholder."""
    policy = state_machine.role.node.find_child("DefaultPolicy")
    logical_id = Stack.of(api).get_logical_id(api.node.default_child)  # type: ignore[arg-type]
    acknowledge(
        policy,
        "IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
        f"<{logical_id}>/{STAGE_NAME}/GET{path}]",
        "The path holds the run's time (a placeholder), so it cannot be listed: each "
        "placeholder is a '*'. GET only, on the proxy's one stage, whose one method reaches "
        "the one endpoint.",
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
        yield from check_header_name("auth_header", auth.header_name, what="the custom header")
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


def build_proxy(
    scope: Construct,
    *,
    endpoint: str,
    auth_header: AuthHeader | None,
    logging: bool,
    log_retention: logs.RetentionDays,
) -> apigw.RestApi:
    """Return the REST API proxying ``GET /{proxy+}`` to ``endpoint/{proxy}``.

    With ``logging``, the stage writes JSON access logs to its own log group and execution logs
    at level ERROR (never request data: it would hold the Authorization header). Both need the
    account's API Gateway CloudWatch role, a per-account singleton the user must set up.
    """
    access_logs = (
        logs.LogGroup(scope, "ProxyAccessLogs", retention=log_retention) if logging else None
    )
    api = apigw.RestApi(
        scope,
        "Proxy",
        # The default name is the construct id, "Proxy", for every downloader of an account.
        rest_api_name=f"{Names.unique_id(scope)}-proxy",
        description=f"Downloader proxy to {endpoint}",
        endpoint_types=[apigw.EndpointType.REGIONAL],
        # The account-wide API Gateway logging role is a singleton: a library must not make one.
        cloud_watch_role=False,
        deploy_options=apigw.StageOptions(
            stage_name=STAGE_NAME,
            tracing_enabled=True,
            access_log_destination=(
                apigw.LogGroupLogDestination(access_logs) if access_logs else None
            ),
            access_log_format=(
                apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                )
                if access_logs
                else None
            ),
            logging_level=apigw.MethodLoggingLevel.ERROR if logging else None,
            data_trace_enabled=False if logging else None,
        ),
    )
    # RestApi adds a CfnOutput with its URL; a library adds no outputs (the user decides).
    api.node.try_remove_child("Endpoint")
    _acknowledge_proxy_findings(api, logging=logging)
    method_parameters = {"method.request.path.proxy": True}
    integration_parameters = {"integration.request.path.proxy": "method.request.path.proxy"}
    if auth_header is not None and auth_header.header_name is not None:
        method_parameters[f"method.request.header.{auth_header.header_name}"] = True
        integration_parameters["integration.request.header.Authorization"] = (
            f"method.request.header.{auth_header.header_name}"
        )
    elif auth_header is not None and auth_header.secret is not None:
        secret_value = (
            auth_header.secret.secret_value_from_json(auth_header.json_field)
            if auth_header.json_field
            else auth_header.secret.secret_value
        )
        # A static mapping value is quoted; CloudFormation resolves the dynamic reference.
        integration_parameters["integration.request.header.Authorization"] = (
            f"'{auth_header.prefix}{secret_value.unsafe_unwrap()}'"
        )
    validator = api.add_request_validator(
        "Validator", validate_request_body=True, validate_request_parameters=True
    )
    resource = api.root.add_resource("{proxy+}")
    method = resource.add_method(
        "GET",
        apigw.HttpIntegration(
            f"{endpoint}/{{proxy}}",
            http_method="GET",
            proxy=True,
            options=apigw.IntegrationOptions(request_parameters=integration_parameters),
        ),
        authorization_type=apigw.AuthorizationType.IAM,
        request_parameters=method_parameters,
        request_validator=validator,
    )
    acknowledge(
        method,
        "COG4",
        "The proxy's only caller is the downloader's state machine, which signs with its IAM "
        "role (AuthType IAM_ROLE); AWS_IAM authorization, not a Cognito user pool, fits that.",
    )
    return api


def _acknowledge_proxy_findings(api: apigw.RestApi, *, logging: bool) -> None:
    stage = api.deployment_stage
    acknowledge(
        stage,
        "APIG3",
        "Every request must be SigV4-signed by the downloader's state machine role; a WAF web "
        "ACL would add a monthly charge without traffic to filter.",
    )
    if not logging:
        reason = (
            "API Gateway logging needs the account-level CloudWatch role, a singleton this "
            "library must not create; the state machine logs each call and its answer. Enable "
            "with Transport.api_gateway(logging=True) once the account has the role."
        )
        acknowledge(stage, "APIG1", reason)
        acknowledge(stage, "APIG6", reason)
