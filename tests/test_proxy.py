"""Proxy: a regional, IAM-authorized GET on {proxy+}, and the Authorization mappings."""

from __future__ import annotations

from typing import Any

from scenarios import Scenario


def method(scenario: Scenario) -> dict[str, Any]:
    methods = scenario.template.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == 1, "only GET /{proxy+}: no method on / and no other verb"
    return next(iter(methods.values()))["Properties"]  # type: ignore[no-any-return]


def test_api_is_regional(default: Scenario) -> None:
    default.template.has_resource_properties("AWS::ApiGateway::RestApi", {
        "EndpointConfiguration": {"Types": ["REGIONAL"]},
    })  # fmt: skip


def test_no_account_wide_cloudwatch_role(default: Scenario) -> None:
    default.template.resource_count_is("AWS::ApiGateway::Account", 0)


def test_only_get_on_proxy_with_iam_authorization(default: Scenario) -> None:
    props = method(default)
    assert props["HttpMethod"] == "GET"
    assert props["AuthorizationType"] == "AWS_IAM"
    default.template.has_resource_properties("AWS::ApiGateway::Resource", {"PathPart": "{proxy+}"})
    assert props["Integration"] == {
        "Type": "HTTP_PROXY",
        "IntegrationHttpMethod": "GET",
        "Uri": "https://esi.evetech.net/{proxy}",
        "RequestParameters": {
            "integration.request.path.proxy": "method.request.path.proxy",
            # Asked uncompressed: API Gateway would pass a gzip answer on as text.
            "integration.request.header.Accept-Encoding": "'identity'",
        },
    }


def test_request_parameters_are_validated(default: Scenario) -> None:
    default.template.has_resource_properties("AWS::ApiGateway::RequestValidator", {
        "ValidateRequestParameters": True,
    })  # fmt: skip
    assert "RequestValidatorId" in method(default)


def test_stage_is_prod(default: Scenario) -> None:
    default.template.has_resource_properties("AWS::ApiGateway::Stage", {"StageName": "prod"})


def test_remap_requires_the_custom_header_and_maps_it_to_authorization(full: Scenario) -> None:
    props = method(full)
    assert props["RequestParameters"] == {
        "method.request.path.proxy": True,
        "method.request.header.MyCustomAuth": True,
    }
    assert props["Integration"]["RequestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy",
        "integration.request.header.Authorization": "method.request.header.MyCustomAuth",
        # Passed through by HTTP_PROXY otherwise: the credential would leave twice.
        "integration.request.header.MyCustomAuth": "''",
        "integration.request.header.Accept-Encoding": "'identity'",
    }


def test_endpoint_trailing_slash_and_port(full: Scenario) -> None:
    assert method(full)["Integration"]["Uri"] == "https://api.example.com:8443/{proxy}"


def test_from_secret_injects_a_dynamic_reference_not_the_value(from_secret: Scenario) -> None:
    mapping = method(from_secret)["Integration"]["RequestParameters"]
    authorization = mapping["integration.request.header.Authorization"]
    separator, parts = authorization["Fn::Join"]
    assert separator == ""
    assert parts[0] == "'Bearer {{resolve:secretsmanager:"
    assert parts[1]["Ref"].startswith("ApiToken")
    assert parts[2] == ":SecretString:token::}}'"
    assert "method.request.header.Authorization" not in str(method(from_secret))


def stage(scenario: Scenario) -> dict[str, Any]:
    (found,) = scenario.template.find_resources("AWS::ApiGateway::Stage").values()
    return found["Properties"]  # type: ignore[no-any-return]


def test_stage_is_traced_and_logs_nothing_by_default(default: Scenario) -> None:
    props = stage(default)
    assert props["TracingEnabled"] is True
    assert "AccessLogSetting" not in props
    # Only the rate budget (issue 26): no logging level, no data trace.
    assert props["MethodSettings"] == [
        {"DataTraceEnabled": False, "HttpMethod": "*", "ResourcePath": "/*",
         "ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 4}
    ]  # fmt: skip


def test_api_logging_writes_access_and_error_logs_without_request_data(full: Scenario) -> None:
    props = stage(full)
    assert props["AccessLogSetting"]["DestinationArn"]["Fn::GetAtt"][0].startswith(
        "OrdersProxyAccessLogs"
    )
    assert '"status":"$context.status"' in props["AccessLogSetting"]["Format"]
    assert props["MethodSettings"] == [
        {"DataTraceEnabled": False, "HttpMethod": "*", "LoggingLevel": "ERROR",
         "ResourcePath": "/*", "ThrottlingBurstLimit": 2, "ThrottlingRateLimit": 4}
    ]  # fmt: skip
    full.template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 365})


def test_an_accept_encoding_the_user_sends_is_not_overridden() -> None:
    """``headers={"accept-encoding": ...}`` (any case) is the user's choice: no static value."""
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from sfn_downloader import DownloaderPattern, ItemField

    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "D", endpoint="https://api.example.com", path="/v1/x",
        headers={"accept-encoding": "gzip"}, item={"body": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    [props] = [
        r["Properties"]
        for r in Template.from_stack(stack).find_resources("AWS::ApiGateway::Method").values()
    ]
    assert "integration.request.header.Accept-Encoding" not in props["Integration"].get(
        "RequestParameters", {}
    )
