"""Scenario building blocks shared by the tests: props, a synthesized stack wrapper."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from sfn_downloader import DownloaderPattern, ItemField

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

EVE_PROPS: dict[str, Any] = {
    "endpoint": "https://esi.evetech.net",
    "path": "/v2/status",
    "result_selector": {"players.$": "$.ResponseBody.players"},
    "item": {"count": ItemField.number("$.players")},
}


@dataclass
class Scenario:
    """A synthesized stack and the patterns in it."""

    stack: cdk.Stack
    template: Template
    patterns: dict[str, DownloaderPattern]

    @cached_property
    def json(self) -> dict[str, Any]:
        return self.template.to_json()  # type: ignore[no-any-return]

    def resolve(self, value: Any) -> Any:
        return self.stack.resolve(value)


def synth(build: Callable[[cdk.Stack], dict[str, DownloaderPattern]]) -> Scenario:
    app = cdk.App()
    stack = cdk.Stack(app, "TestStack")
    patterns = build(stack)
    return Scenario(stack=stack, template=Template.from_stack(stack), patterns=patterns)


PSEUDO = {
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::AccountId": "123456789012",
    "AWS::StackName": "TestStack",
}


def _literal(value: Any) -> str:
    """A stand-in string for an intrinsic, so a definition renders to plain JSON."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return PSEUDO.get(value["Ref"], value["Ref"])
    if "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"arn:aws:service:us-east-1:123456789012:{logical_id}/{attribute}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_literal(part) for part in parts)
    raise AssertionError(f"unexpected intrinsic {value}")


def state_machines(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Logical id → state machine resource."""
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::StepFunctions::StateMachine"
    }


def rendered_definition(
    template: dict[str, Any], logical_id: str | None = None, *, substitute: bool = True
) -> str:
    """The state machine's DefinitionString with its tokens (and, unless ``substitute`` is
    False, its DefinitionSubstitutions) filled in, as CloudFormation does: a literal JSON text."""
    machines = state_machines(template)
    resource = machines[logical_id] if logical_id else next(iter(machines.values()))
    text = _literal(resource["Properties"]["DefinitionString"])
    substitutions = resource["Properties"].get("DefinitionSubstitutions", {})
    for name, value in substitutions.items() if substitute else ():
        text = text.replace("${" + name + "}", _literal(value))
    return text


def definition(scenario: Scenario, key: str = "p") -> dict[str, Any]:
    """The parsed ASL definition of one pattern of a scenario."""
    logical_id = scenario.stack.get_logical_id(
        scenario.patterns[key].state_machine.node.default_child
    )  # type: ignore[arg-type]
    return json.loads(rendered_definition(scenario.json, logical_id))  # type: ignore[no-any-return]
