"""cfn-lint on every synthesized template, with the state machine definition as a literal.

cfn-lint does not look inside a definition that is an Fn::Join (how CDK emits it), so the
definition is rendered to a JSON string first: then E3601 checks its states.
"""

from __future__ import annotations

import copy
import functools
import json
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.decode.decode import decode_str
from cfnlint.runner import Runner

from scenarios import Scenario, rendered_definition, state_machines

pytestmark = pytest.mark.slow  # cfn-lint over every scenario

# W3005 ("dependency already enforced by a GetAtt") comes from aws-cdk-lib's StateMachine,
# which adds DependsOn on its role's policy; it is harmless and not ours to change.
IGNORED = ["W3005"]
SCENARIOS = [
    "default", "full", "from_secret", "shared_table", "fanout", "distributed", "pages", "cursor",
    "http_task", "retained", "composed", "own_bucket", "on_demand", "dashboards", "keyed",
    "trimmed", "paginators", "paginators_http", "status_actions", "status_actions_http",
    "from_answer", "from_answer_http", "timed", "retry_after", "polite",
]  # fmt: skip


def with_literal_definitions(template: dict[str, Any]) -> dict[str, Any]:
    rendered = copy.deepcopy(template)
    for logical_id in state_machines(template):
        properties = rendered["Resources"][logical_id]["Properties"]
        # Substitutions stay separate, as in the template: cfn-lint checks them on their own.
        properties["DefinitionString"] = rendered_definition(template, logical_id, substitute=False)
    return rendered


@functools.cache
def _runner() -> Runner:
    """One cfn-lint runner for every template: loading its rules takes ~0.5 s, and cfn-lint's
    own command line reuses them across templates the same way."""
    return Runner(ConfigMixIn(regions=["us-east-1"], ignore_checks=IGNORED))


def lint_template(template: dict[str, Any]) -> list[str]:
    """What ``cfnlint.api.lint`` does, with the rules loaded once."""
    decoded, errors = decode_str(json.dumps(template))
    matches = errors or list(_runner().validate_template(decoded))
    return [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_errors_or_warnings(name: str, request: pytest.FixtureRequest) -> None:
    scenario: Scenario = request.getfixturevalue(name)
    assert lint_template(with_literal_definitions(scenario.json)) == []


def test_the_rendered_definition_is_really_checked(default: Scenario) -> None:
    broken = with_literal_definitions(default.json)
    for logical_id in state_machines(broken):
        properties = broken["Resources"][logical_id]["Properties"]
        properties["DefinitionString"] = properties["DefinitionString"].replace(
            '"Type":"Task"', '"Type":"Taskk"', 1
        )
    assert any(finding.startswith("E3601") for finding in lint_template(broken))
