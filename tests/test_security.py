"""Secret hygiene: wherever a credential goes, the cloud assembly holds only a reference."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager

from local_helpers import Answer, running_upstream
from sfn_downloader import (
    AuthHeader,
    DownloaderConfigError,
    DownloaderPattern,
    ItemField,
    Pagination,
    Trim,
)
from sfn_downloader.local import LocalRunner

from scenarios import (
    EVE_PROPS,
    Scenario,
    build_from_secret,
    build_full,
    rendered_definition,
    state_machines,
)


def test_cloud_assembly_holds_only_dynamic_references(tmp_path: Path) -> None:
    app = cdk.App(outdir=str(tmp_path))
    build_full(cdk.Stack(app, "Full"))
    build_from_secret(cdk.Stack(app, "FromSecret"))
    app.synth()
    full = json.loads((tmp_path / "Full.template.json").read_text())
    from_secret = json.loads((tmp_path / "FromSecret.template.json").read_text())

    (machine,) = [r for r in full["Resources"].values()
                  if r["Type"] == "AWS::StepFunctions::StateMachine"]  # fmt: skip
    assert machine["Properties"]["DefinitionSubstitutions"] == {
        "AuthHeaderValue": "{{resolve:secretsmanager:example/api-token:SecretString:::}}"
    }
    assert '"MyCustomAuth":["${AuthHeaderValue}"]' in json.dumps(
        machine["Properties"]["DefinitionString"]
    ).replace("\\", "")

    (method,) = [r for r in from_secret["Resources"].values()
                 if r["Type"] == "AWS::ApiGateway::Method"]  # fmt: skip
    injected = method["Properties"]["Integration"]["RequestParameters"][
        "integration.request.header.Authorization"
    ]
    assert "{{resolve:secretsmanager:" in json.dumps(injected)

    # Every template of the assembly: a header that carries a credential holds a reference.
    for path in tmp_path.glob("*.template.json"):
        text = path.read_text()
        for header_value in re.findall(r'MyCustomAuth\\?"\s*:\s*\[\\?"([^"\\]*)', text):
            assert header_value == "${AuthHeaderValue}", path
        for resource in json.loads(text)["Resources"].values():
            if resource["Type"] == "AWS::ApiGateway::Method":
                mapped = resource["Properties"]["Integration"]["RequestParameters"].get(
                    "integration.request.header.Authorization", "method.request.header."
                )
                assert "method.request.header." in json.dumps(mapped) or (
                    "{{resolve:secretsmanager:" in json.dumps(mapped)
                ), path


def test_an_ssm_secure_remapped_value_is_refused() -> None:
    """CloudFormation, "Get a secure string value from Systems Manager Parameter Store":
    ssm-secure resolves only in the resource properties it lists, which a state machine's
    DefinitionSubstitutions is not."""
    stack = cdk.Stack(cdk.App(), "TestStack")
    with pytest.raises(
        DownloaderConfigError,
        match=r"auth_header='<ssm-secure SecretValue>': is an SSM SecureString reference.*"
        r"Fix: store the credential in Secrets Manager",
    ):
        DownloaderPattern(
            stack, "P", **EVE_PROPS,
            auth_header=AuthHeader.remap("MyCustomAuth", cdk.SecretValue.ssm_secure("eve/token")),
        )  # fmt: skip


def test_a_from_secret_prefix_a_header_cannot_carry_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    secret = secretsmanager.Secret(stack, "Token")
    with pytest.raises(DownloaderConfigError, match=r"prefix holds a character a header value"):
        DownloaderPattern(
            stack, "P", **EVE_PROPS,
            auth_header=AuthHeader.from_secret(secret, prefix="Bearer\r\nX-Injected: 1\r\n"),
        )  # fmt: skip


def substituted(template: dict[str, Any], credential: str) -> str:
    """The definition as CloudFormation deploys it: ``${AuthHeaderValue}`` replaced by the
    secret's text, unescaped (DefinitionSubstitutions is a plain text substitution)."""
    return rendered_definition(template, substitute=False).replace("${AuthHeaderValue}", credential)


def test_remap_splices_the_credential_unescaped_into_the_definition(full: Scenario) -> None:
    """Why the docs (security.md) refuse '"' and '\\' in a remapped credential: they break the
    definition (CreateStateMachine refuses it) or silently change the credential sent."""
    sent = json.loads(substituted(full.json, "tok-3n_X.y~Z+/="))["States"]["Download"]
    assert sent["Arguments"]["Headers"]["MyCustomAuth"] == ["tok-3n_X.y~Z+/="]
    with pytest.raises(json.JSONDecodeError):
        json.loads(substituted(full.json, 'to"ken'))
    changed = json.loads(substituted(full.json, r"to\\ken\u0041"))["States"]["Download"]
    assert changed["Arguments"]["Headers"]["MyCustomAuth"] == ["to\\kenA"]


def test_remap_in_a_jsonata_download_would_evaluate_a_credential_written_as_an_expression(
    full: Scenario,
) -> None:
    """Why security.md also refuses a remapped credential written ``{% ... %}``: the checked
    download is a JSONata task (issue 25 item 14), whose Arguments evaluate such a string
    ("Transforming data with JSONata in Step Functions") instead of sending it."""
    sent = json.loads(substituted(full.json, "{% $states.input %}"))["States"]["Download"]
    assert sent["QueryLanguage"] == "JSONata"
    assert sent["Arguments"]["Headers"]["MyCustomAuth"] == ["{% $states.input %}"]


# --- a secret query parameter through the proxy (issue 26, round 3) ----------------------------

APPID_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:openweather/appid-AbCdEf"
"""An imported secret by its complete ARN: the ARN is a literal in the template, so where it
appears can be checked."""
APPID = "b6907d289e10d714a6e88b30761fae22"


def build_weather(stack: cdk.Stack) -> None:
    """OpenWeatherMap: the key only in the query (``appid``), through the HTTP_PROXY
    integration and through the trimming (non-proxy) one, which maps only what it declares."""
    secret = secretsmanager.Secret.from_secret_complete_arn(stack, "AppId", APPID_ARN)
    common: dict[str, Any] = {
        "endpoint": "https://api.openweathermap.org", "path": "/data/2.5/weather?q=London",
        "auth_header": AuthHeader.from_secret(secret, query_param="appid"),
    }  # fmt: skip
    DownloaderPattern(stack, "Weather", item={"temp": ItemField.number("$.ResponseBody.temp")},
                      **common)  # fmt: skip
    DownloaderPattern(
        stack, "Trimmed", trim=Trim.fields("temp", items_path="$.list"),
        item={"list": ItemField.json("$.ResponseBody.list")}, **common,
    )  # fmt: skip


@pytest.fixture(scope="module")
def weather() -> cdk.App:
    app = cdk.App()
    build_weather(cdk.Stack(app, "Weather"))
    return app


def test_a_secret_query_parameter_is_a_static_mapping_of_a_dynamic_reference(
    weather: cdk.App,
) -> None:
    """ "Parameter mapping for REST APIs in API Gateway": a static value (single-quoted) may be
    mapped to an integration request's query string, proxy or non-proxy. The secret's ARN
    appears in the template only inside that dynamic reference: not in the definition, not in
    any policy (CloudFormation resolves it; the state machine never reads the secret)."""
    template = weather.synth().get_stack_by_name("Weather").template
    text = json.dumps(template)
    reference = "'{{resolve:secretsmanager:" + APPID_ARN + ":SecretString:::}}'"
    methods = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"]
    assert len(methods) == 2
    for method in methods:
        mapping = method["Properties"]["Integration"]["RequestParameters"]
        assert mapping["integration.request.querystring.appid"] == reference
        assert "integration.request.header.Authorization" not in mapping
        assert "method.request.querystring.appid" not in method["Properties"]["RequestParameters"]
    assert text.count(APPID_ARN) == 2 == text.count("{{resolve:secretsmanager:" + APPID_ARN)
    for logical_id in state_machines(template):
        rendered = rendered_definition(template, logical_id)
        assert "appid" not in rendered and "secretsmanager" not in rendered


def test_the_stand_in_receives_the_secret_in_the_query_and_no_execution_holds_it(
    weather: cdk.App,
) -> None:
    """A local run: the proxy adds ``appid=<secret>`` to the request (both integrations); the
    execution's input, history and output never hold it."""
    import boto3

    with running_upstream() as upstream:
        upstream.respond(lambda seen: Answer(200, {"temp": 281.5, "list": [{"temp": 1, "x": 2}]}))
        for pattern in ("Weather/Weather", "Weather/Trimmed"):
            with LocalRunner(weather, upstream=upstream.url, pattern=pattern,
                             secrets={APPID_ARN: APPID}) as runner:  # fmt: skip
                execution = runner.run("2026-11-27T05:30:00Z")
                assert execution.status == "SUCCEEDED", execution.cause
                sfn = boto3.client("stepfunctions", region_name="us-east-1")
                (machine,) = sfn.list_state_machines()["stateMachines"]
                (listed,) = sfn.list_executions(stateMachineArn=machine["stateMachineArn"])[
                    "executions"
                ]
                history = sfn.get_execution_history(executionArn=listed["executionArn"])
                described = sfn.describe_execution(executionArn=listed["executionArn"])
                definition = sfn.describe_state_machine(stateMachineArn=machine["stateMachineArn"])[
                    "definition"
                ]
                for seen_by_aws in (json.dumps(history["events"], default=str),
                                    json.dumps(described, default=str), definition):  # fmt: skip
                    assert APPID not in seen_by_aws and "appid" not in seen_by_aws
        assert [(s.path, s.query) for s in upstream.requests] == [
            ("/data/2.5/weather", {"q": ["London"], "appid": [APPID]}),
        ] * 2


@pytest.mark.parametrize(
    ("query_param", "extra", "match"),
    [
        ("app id", {}, r"auth_header='app id': query_param is not a name API Gateway can map"),
        ("q", {}, r"auth_header='q': query_param is also a query parameter the run sends"),
        ("page", {"pagination": "page_number"},
         r"auth_header='page': query_param is also a query parameter the run sends"),
        ("appid", {"prefix": "x'"}, r"prefix contains a single quote"),
    ],
)  # fmt: skip
def test_a_query_param_api_gateway_cannot_send_as_the_secret_is_refused(
    query_param: str, extra: dict[str, Any], match: str
) -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    secret = secretsmanager.Secret(stack, "AppId")
    paging = (
        {"pagination": Pagination.page_number(param="page", items_path="$.ResponseBody")}
        if extra.get("pagination") else {}
    )  # fmt: skip
    with pytest.raises(DownloaderConfigError, match=match):
        DownloaderPattern(
            stack, "P", endpoint="https://api.openweathermap.org",
            path="/data/2.5/weather?q=London", item={"t": ItemField.number("$.ResponseBody.t")},
            auth_header=AuthHeader.from_secret(
                secret, query_param=query_param, prefix=extra.get("prefix", "")
            ), **paging,
        )  # fmt: skip


def test_a_query_param_takes_no_scheme_space() -> None:
    """A prefix like ``Key`` is an Authorization scheme only in a header: in a query parameter
    it is the value's own text (``appid=Key...`` is what was asked)."""
    stack = cdk.Stack(cdk.App(), "TestStack")
    secret = secretsmanager.Secret(stack, "AppId")
    DownloaderPattern(
        stack, "P", endpoint="https://api.example.com", path="/v1/x",
        item={"t": ItemField.number("$.ResponseBody.t")},
        auth_header=AuthHeader.from_secret(secret, query_param="key", prefix="Key"),
    )  # fmt: skip
