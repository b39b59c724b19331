"""Bad input: one DownloaderConfigError at construction naming the prop, the value and the fix."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from sfn_downloader import AuthHeader, DownloaderConfigError, DownloaderPattern, ItemField, Starts

from scenarios import EVE_PROPS


def build(**overrides: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(stack, "P", **{**EVE_PROPS, **overrides})


def problems_of(**overrides: Any) -> str:
    with pytest.raises(DownloaderConfigError) as raised:
        build(**overrides)
    return str(raised.value)


def test_error_is_a_value_error_listing_every_problem_at_once() -> None:
    with pytest.raises(ValueError, match=r"'P' has 3 configuration problems") as raised:
        build(endpoint="http://x.example", path="v2/status", item={})
    assert isinstance(raised.value, DownloaderConfigError)
    assert [p.prop for p in raised.value.problems] == ["endpoint", "path", "item"]


@pytest.mark.parametrize(
    ("endpoint", "match"),
    [
        ("http://esi.evetech.net", r"endpoint='http://esi.evetech.net': is not an https URL"),
        ("esi.evetech.net", r"is not an https URL.*Fix: pass the base URL only"),
        ("https://esi.evetech.net/v2", r"carries a path \('/v2'\).*into the `path` prop"),
        ("https://esi.evetech.net?x=1", r"carries a query or fragment"),
        ("https://esi.evetech.net#top", r"carries a query or fragment"),
        ("https://user:pw@esi.evetech.net", r"carries credentials in the URL.*AuthHeader"),
        ("https://esi.evetech.net:99999", r"has an invalid port"),
        ("https://", r"has no host name"),
    ],
)
def test_endpoint_must_be_an_https_base_url(endpoint: str, match: str) -> None:
    assert problems_of(endpoint=endpoint)
    with pytest.raises(DownloaderConfigError, match=match):
        build(endpoint=endpoint)


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("v2/status", r"path='v2/status': does not start with '/'.*Fix: use '/v2/status'"),
        ("/v2/status#x", r"carries a fragment"),
        ("/v2/my status", r"contains white space.*%20"),
        # Braces are time placeholders; any other name points to FanOut.path_values.
        (
            "/v1/markets/{region_id}/orders",
            r"placeholder \{region_id\}, which is not a time placeholder.*FanOut.path_values",
        ),
    ],
)
def test_path_must_be_absolute_and_concrete(path: str, match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(path=path)


@pytest.mark.parametrize(
    "path",
    [
        "/data/2.5/weather?q=London&appid=b6907d289e10d714",  # OpenWeatherMap
        "/maps/api/geocode/json?address=x&key=AIzaSyA-secret",  # Google Maps web services
        "/fred/series?series_id=GDP&api_key=abcd",  # FRED, NASA, data.gov
        "/query?function=TIME_SERIES&APIKEY=demo",  # Alpha Vantage, any case
        "/v1/x?Access-Token=t0ps3cr3t",
        "/v1/x?sig=s1gs3cr3t&client_secret=cl13nts3cr3t",
    ],
)
def test_a_credential_in_the_query_is_refused_and_never_echoed(path: str) -> None:
    """Issue 26, 7: a credential in path would be plaintext in the template, the definition,
    every execution's history and the logs. The error names the parameter, not its value."""
    with pytest.raises(DownloaderConfigError) as raised:
        build(path=path)
    text = str(raised.value)
    name = re.findall(r"[?&]([^=&]+)=", path)[-1 if "sig=" not in path else 0]
    assert f"carries a query parameter named like a credential ({name!r})" in text
    assert f"AuthHeader.from_secret(secret, query_param={name!r})" in text
    assert "HttpParameter.from_secret" in text
    secret = path.rsplit("=", 1)[1]
    assert secret not in text


def test_a_cursor_named_like_a_token_is_not_a_credential() -> None:
    build(path="/v1/items?page_token=abc&sort_key=updated&limit=10")


def test_authorization_header_points_to_auth_header() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"headers\['Authorization'\]='Authorization'.*auth_header=AuthHeader",
    ):
        build(headers={"Authorization": "Bearer abc"})


@pytest.mark.parametrize("name", ["Host", "X-Amz-Date", "X-Forwarded-For", "Connection"])
def test_headers_step_functions_refuses_are_rejected(name: str) -> None:
    with pytest.raises(DownloaderConfigError, match=rf"headers\['{name}'\].*refuses to send"):
        build(headers={name: "x"})


def test_header_name_must_be_an_http_token() -> None:
    with pytest.raises(DownloaderConfigError, match=r"not a valid HTTP header name"):
        build(headers={"Bad Header": "x"})


SECRET = cdk.SecretValue.secrets_manager("api-token")


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("Authorization", r"auth_header='Authorization': Step Functions refuses"),
        ("My Auth", r"auth_header='My Auth': the custom header is not a valid HTTP header name"),
        ("X-Amz-Token", r"the custom header is one Step Functions refuses to send"),
    ],
)
def test_remapped_header_name_is_checked(name: str, match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(auth_header=AuthHeader.remap(name, SECRET))


def test_remapped_value_must_not_be_plaintext() -> None:
    plain = cdk.SecretValue.unsafe_plain_text("s3cr3t")
    message = problems_of(auth_header=AuthHeader.remap("MyCustomAuth", plain))
    assert "would appear in plaintext" in message
    assert "s3cr3t" not in message


def test_remapped_value_must_be_a_secret_value() -> None:
    with pytest.raises(DownloaderConfigError, match=r"the remapped value is not a SecretValue"):
        build(auth_header=AuthHeader.remap("MyCustomAuth", "s3cr3t"))  # type: ignore[arg-type]


def test_header_also_set_by_auth_header_is_rejected() -> None:
    with pytest.raises(DownloaderConfigError, match=r"is also auth_header's header"):
        build(headers={"MyCustomAuth": "x"}, auth_header=AuthHeader.remap("MyCustomAuth", SECRET))


@pytest.mark.parametrize(
    ("selector", "match"),
    [
        ({"players.$": "ResponseBody.players"}, r"is not a JSONPath.*start it with '\$\.'"),
        ({"players.$": 3}, r"a '\.\$' key needs a JSONPath string"),
        ({"nested": {"players.$": "players"}}, r"result_selector\['nested'\]\['players\.\$'\]"),
        ({}, r"result_selector=\{\}: is empty"),
    ],
)
def test_malformed_result_selector(selector: dict[str, Any], match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(result_selector=selector, item={"count": ItemField.number("$.players")})


def test_result_selector_intrinsics_are_accepted() -> None:
    build(result_selector={"players.$": "States.Format('{}', $.ResponseBody.players)"})


def test_empty_item() -> None:
    with pytest.raises(DownloaderConfigError, match=r"item=\{\}: is empty.*ItemField\.number"):
        build(item={})


@pytest.mark.parametrize("key", ["pk", "sk"])
def test_item_attribute_colliding_with_a_key(key: str) -> None:
    with pytest.raises(DownloaderConfigError, match=rf"collides with the table's key .*'{key}'"):
        build(item={key: ItemField.number("$.players")})


def test_item_path_must_read_a_selected_field() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"item\['count'\]='\$\.player': reads 'player', which "
        r"result_selector does not produce \(it produces players\)",
    ):
        build(item={"count": ItemField.number("$.player")})


def test_item_path_without_selector_reads_the_raw_response() -> None:
    build(result_selector=None, item={"date": ItemField.string("$.Headers.Date[0]")})
    with pytest.raises(DownloaderConfigError, match=r"reads 'players', which the raw response"):
        build(result_selector=None, item={"count": ItemField.number("$.players")})


def test_item_path_must_be_a_json_path() -> None:
    with pytest.raises(
        DownloaderConfigError, match=r"item\['count'\]='players': is not a JSONPath"
    ):
        build(item={"count": ItemField.number("players")})


def test_item_value_of_the_wrong_type() -> None:
    with pytest.raises(DownloaderConfigError, match=r"neither an ItemField nor a DynamoAttribute"):
        build(item={"count": "$.players"})


def test_dynamo_attribute_value_is_accepted_as_is() -> None:
    build(item={"source": tasks.DynamoAttributeValue.from_string("esi")})


def test_table_together_with_table_settings() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    table = dynamodb.Table(
        stack,
        "T",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
    )
    with pytest.raises(
        DownloaderConfigError,
        match=r"table='S/T': is given together with table settings "
        r"\(removal_policy, point_in_time_recovery\)",
    ):
        DownloaderPattern(
            stack,
            "P",
            **EVE_PROPS,
            table=table,
            removal_policy=cdk.RemovalPolicy.DESTROY,
            point_in_time_recovery=True,
        )


def test_table_with_other_keys() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    table = dynamodb.Table(
        stack, "T", partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING)
    )
    with pytest.raises(DownloaderConfigError, match=r"needs key 'pk' of type STRING, has id"):
        DownloaderPattern(stack, "P", **EVE_PROPS, table=table)


def test_express_timeout_over_five_minutes() -> None:
    with pytest.raises(
        DownloaderConfigError, match=r"timeout='6 minutes': exceeds 5 minutes.*STANDARD"
    ):
        build(timeout=cdk.Duration.minutes(6))
    build(timeout=cdk.Duration.minutes(6), workflow_type=sfn.StateMachineType.STANDARD)


@pytest.mark.parametrize("expression", ["rate(30 seconds)", "rate(1 second)", "rate(0 minutes)"])
def test_schedule_more_frequent_than_a_minute(expression: str) -> None:
    with pytest.raises(
        DownloaderConfigError, match=rf"starts='{re.escape(expression)}'.*more frequent than once"
    ):
        build(starts=Starts.scheduled(scheduler.ScheduleExpression.expression(expression)))


def test_schedule_of_the_wrong_type() -> None:
    with pytest.raises(DownloaderConfigError, match=r"not an aws_scheduler.ScheduleExpression"):
        build(starts=Starts.scheduled(events.Schedule.rate(cdk.Duration.minutes(1))))


def test_unresolved_tokens_are_skipped() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    host = cdk.CfnParameter(stack, "Host").value_as_string
    path = cdk.CfnParameter(stack, "Path").value_as_string
    DownloaderPattern(stack, "P", **{**EVE_PROPS, "endpoint": f"https://{host}", "path": path})


def test_empty_downloader_id() -> None:
    with pytest.raises(DownloaderConfigError, match=r"downloader_id='  ': is empty"):
        build(downloader_id="  ")


def test_from_secret_prefix_with_a_quote() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    from aws_cdk import aws_secretsmanager as secretsmanager

    secret = secretsmanager.Secret(stack, "Secret")
    with pytest.raises(DownloaderConfigError, match=r"prefix contains a single quote"):
        DownloaderPattern(
            stack, "P", **EVE_PROPS, auth_header=AuthHeader.from_secret(secret, prefix="it's ")
        )
