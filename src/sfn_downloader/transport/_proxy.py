"""The API Gateway transport's proxy: the REST API the state machine calls.

Regional (``apigateway:invoke`` does not support edge-optimized APIs), one method on
``{proxy+}`` (the downloader's: ``GET``, or ``POST`` for one that posts), IAM authorization
(not an open relay), an HTTP_PROXY integration to the endpoint
(or, with ``trim``, a non-proxy HTTP integration that trims each answer: ``trim.py``).
"""

from __future__ import annotations

from aws_cdk import Names
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from .._acknowledge import acknowledge
from .._contract import STAGE_NAME
from .._parts import Exchange
from ..auth import AuthHeader
from .trim import Trim, trimming_integration


def build_proxy(
    scope: Construct,
    *,
    endpoint: str,
    auth_header: AuthHeader | None,
    logging: bool,
    log_retention: logs.RetentionDays,
    throttling: tuple[float, int] | None = None,
    trim: Trim | None = None,
    request_headers: tuple[str, ...] = (),
    exchange: Exchange | None = None,
    method: str = "GET",
) -> apigw.RestApi:
    """Return the REST API proxying ``<method> /{proxy+}`` to ``endpoint/{proxy}``: one
    method, the downloader's (``GET``, or ``POST`` for a downloader that posts).

    With ``trim`` (or throttled statuses in ``exchange``: ``retry_after``), a non-proxy HTTP
    integration instead, mapping by name what ``exchange`` and ``request_headers`` list, and
    trimming each success answer (see ``trim.py``).

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
            # The rate budget: what exceeds it is answered 429 here, never sent on.
            throttling_rate_limit=throttling[0] if throttling else None,
            throttling_burst_limit=throttling[1] if throttling else None,
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
    # retry_after needs a non-proxy integration too: it hands a 429/503 over as a marked 200.
    mapped = trim is not None or bool(exchange is not None and exchange.throttled_statuses)
    method_parameters = {"method.request.path.proxy": True}
    integration_parameters = {"integration.request.path.proxy": "method.request.path.proxy"}
    if auth_header is not None and auth_header.header_name is not None:
        method_parameters[f"method.request.header.{auth_header.header_name}"] = True
        integration_parameters["integration.request.header.Authorization"] = (
            f"method.request.header.{auth_header.header_name}"
        )
        # An HTTP_PROXY integration passes the request's headers through ("HTTP integrations
        # for REST APIs in API Gateway"): a static mapping overrides the custom header, so the
        # credential leaves in Authorization only.
        # (A trimming, non-proxy integration passes nothing it does not map: nothing to undo.)
        if not mapped:
            integration_parameters[f"integration.request.header.{auth_header.header_name}"] = "''"
    elif auth_header is not None and auth_header.secret is not None:
        secret_value = (
            auth_header.secret.secret_value_from_json(auth_header.json_field)
            if auth_header.json_field
            else auth_header.secret.secret_value
        )
        # A static mapping value is quoted; CloudFormation resolves the dynamic reference.
        # "Parameter mapping for REST APIs in API Gateway": a static value may be mapped to
        # any integration request parameter (header or query string), proxy or not.
        target = (
            f"integration.request.querystring.{auth_header.query_param}"
            if auth_header.query_param is not None
            else "integration.request.header.Authorization"
        )
        integration_parameters[target] = f"'{auth_header.prefix}{secret_value.unsafe_unwrap()}'"
    if "accept-encoding" not in {name.lower() for name in request_headers}:
        # Ask for the answer uncompressed: API Gateway passes a compressed integration response
        # on as it is and, without binary media types, as UTF-8 text ("Receive an API response
        # with a compressed payload"; "Content type conversions in API Gateway"), so a gzip
        # body would reach the state machine as bytes read as text. A static mapping sets the
        # header whatever the caller sent ("Parameter mapping for REST APIs in API Gateway").
        integration_parameters["integration.request.header.Accept-Encoding"] = "'identity'"
    validator = api.add_request_validator(
        "Validator", validate_request_body=True, validate_request_parameters=True
    )
    resource = api.root.add_resource("{proxy+}")
    integration = apigw.HttpIntegration(
        f"{endpoint}/{{proxy}}",
        http_method=method,
        proxy=True,
        options=apigw.IntegrationOptions(request_parameters=integration_parameters),
    )
    method_responses = None
    if mapped:
        integration, method_parameters, method_responses = trimming_integration(
            endpoint, trim, method_parameters=method_parameters,
            integration_parameters=integration_parameters, request_headers=request_headers,
            exchange=exchange or Exchange(), method=method,
        )  # fmt: skip
    proxy_method = resource.add_method(
        method,
        integration,
        authorization_type=apigw.AuthorizationType.IAM,
        request_parameters=method_parameters,
        request_validator=validator,
        method_responses=method_responses,
    )
    acknowledge(
        proxy_method,
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
