"""Secret hygiene: wherever a credential goes, the cloud assembly holds only a reference."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager

from sfn_downloader import AuthHeader, DownloaderConfigError, DownloaderPattern

from scenarios import EVE_PROPS, Scenario, build_from_secret, build_full, rendered_definition


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
    assert sent["Parameters"]["Headers"]["MyCustomAuth"] == ["tok-3n_X.y~Z+/="]
    with pytest.raises(json.JSONDecodeError):
        json.loads(substituted(full.json, 'to"ken'))
    changed = json.loads(substituted(full.json, r"to\\ken\u0041"))["States"]["Download"]
    assert changed["Parameters"]["Headers"]["MyCustomAuth"] == ["to\\kenA"]
