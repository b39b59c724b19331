"""Proxy: the API Gateway REST API through which the state machine reaches the third party.

Regional (``apigateway:invoke`` does not support edge-optimized APIs), one ``GET`` method on
``{proxy+}`` with IAM authorization (not an open relay), HTTP_PROXY integration to the endpoint.
"""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from .auth import AuthHeader

STAGE_NAME = "prod"


def build_proxy(
    scope: Construct, *, endpoint: str, auth_header: AuthHeader | None
) -> apigw.RestApi:
    """Return the REST API proxying ``GET /{proxy+}`` to ``endpoint/{proxy}``."""
    api = apigw.RestApi(
        scope,
        "Proxy",
        description=f"Downloader proxy to {endpoint}",
        endpoint_types=[apigw.EndpointType.REGIONAL],
        # The account-wide API Gateway logging role is a singleton: a library must not make one.
        cloud_watch_role=False,
        deploy_options=apigw.StageOptions(stage_name=STAGE_NAME),
    )
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
    resource = api.root.add_resource("{proxy+}")
    resource.add_method(
        "GET",
        apigw.HttpIntegration(
            f"{endpoint}/{{proxy}}",
            http_method="GET",
            proxy=True,
            options=apigw.IntegrationOptions(request_parameters=integration_parameters),
        ),
        authorization_type=apigw.AuthorizationType.IAM,
        request_parameters=method_parameters,
        request_validator_options=apigw.RequestValidatorOptions(validate_request_parameters=True),
    )
    return api
