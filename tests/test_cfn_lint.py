"""cfn-lint on every synthesized template, with the state machine definition as a literal;
and asl-validator 4.0.0 (npm, default options) on every state machine definition.

cfn-lint does not look inside a definition that is an Fn::Join (how CDK emits it), so the
definition is rendered to a JSON string first: then E3601 checks its states. asl-validator gets
the same literal definitions (``Ref``/``Fn::GetAtt`` as placeholder ARNs); ``make venv`` installs
it in ``.venv/node_modules``. All definitions go through it in one Node run
(``tests/asl_validator.js``: asl-validator's own validator and CLI output, its schemas compiled
once instead of once a definition: 1.5 s instead of 17 s). AWS's amazon-states-language-service
1.16.1 (the AWS Toolkit's ASL editor, also installed by ``make venv``) checks them too, in one
Node run (``tests/asl_language_service.js``): no diagnostic of any severity.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from aws_cdk import aws_stepfunctions as sfn

from scenarios import Scenario, rendered_definition, state_machines

if TYPE_CHECKING:
    from cfnlint.runner import Runner

pytestmark = pytest.mark.slow  # cfn-lint over every scenario

# W3005 ("dependency already enforced by a GetAtt") comes from aws-cdk-lib's StateMachine,
# which adds DependsOn on its role's policy; it is harmless and not ours to change.
IGNORED = ["W3005"]
SCENARIOS = [
    "default", "full", "from_secret", "shared_table", "fanout", "distributed", "from_s3", "pages",
    "cursor", "http_task", "retained", "composed", "own_bucket", "on_demand", "dashboards", "keyed",
    "trimmed", "paginators", "paginators_http", "status_actions", "status_actions_http",
    "from_answer", "from_answer_http", "timed", "timed_http", "retry_after", "polite", "graphql",
    "graphql_http", "records", "composed_requests",
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
    own command line reuses them across templates the same way. cfn-lint is imported here, not
    at collection (0.6 s on each worker, most of which never lints)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=["us-east-1"], ignore_checks=IGNORED))


def lint_template(template: dict[str, Any]) -> list[str]:
    """What ``cfnlint.api.lint`` does, with the rules loaded once."""
    from cfnlint.decode.decode import decode_str

    decoded, errors = decode_str(json.dumps(template))
    matches = errors or list(_runner().validate_template(decoded))
    return [f"{m.rule.id} {m.message} ({'/'.join(map(str, m.path))})" for m in matches]


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_errors_or_warnings(name: str, request: pytest.FixtureRequest) -> None:
    scenario: Scenario = request.getfixturevalue(name)
    assert lint_template(with_literal_definitions(scenario.json)) == []


OAUTH_EXAMPLE = Path(__file__).parent.parent / "examples" / "oauth_window" / "app.py"


def test_the_oauth_window_example_has_no_errors_or_warnings(tmp_path: Path) -> None:
    """The HTTP Task example (an OAuth connection, a window computed each run)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("oauth_window_app", OAUTH_EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_app(str(tmp_path)).synth()
    template = json.loads((tmp_path / "OAuthWindow.template.json").read_text())
    assert lint_template(with_literal_definitions(template)) == []


def test_the_rendered_definition_is_really_checked(default: Scenario) -> None:
    broken = with_literal_definitions(default.json)
    for logical_id in state_machines(broken):
        properties = broken["Resources"][logical_id]["Properties"]
        properties["DefinitionString"] = properties["DefinitionString"].replace(
            '"Type":"Task"', '"Type":"Taskk"', 1
        )
    assert any(finding.startswith("E3601") for finding in lint_template(broken))


NODE_MODULES = Path(sys.prefix) / "node_modules"
ASL_VALIDATOR = NODE_MODULES / "asl-validator" / "package.json"
BATCH = Path(__file__).resolve().parent / "asl_validator.js"


def asl_validator(definitions: dict[str, str], directory: Path) -> dict[str, str]:
    """asl-validator 4.0.0 with its default options over ``definitions`` (name → JSON text):
    the report of each invalid one."""
    assert ASL_VALIDATOR.exists(), f"{ASL_VALIDATOR} missing: run make venv"
    assert json.loads(ASL_VALIDATOR.read_text())["version"] == "4.0.0"
    node = shutil.which("node")
    assert node is not None, "node missing"
    paths = {}
    for name, text in definitions.items():
        paths[name] = directory / f"{name}.json"
        paths[name].write_text(text)
    done = subprocess.run(
        [node, str(BATCH), str(NODE_MODULES), *map(str, paths.values())],
        capture_output=True,
        text=True,
        check=False,
    )
    report = done.stdout + done.stderr
    invalid = {name for name, path in paths.items() if f'"{path}" is invalid' in report}
    assert done.returncode == (1 if invalid else 0), report
    return {name: report for name in invalid}


def test_asl_validator_accepts_every_definition(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Issue 25, point 7: asl-validator 4 checks JSONata strings with ``^\\{% .+ %\\}$`` (no
    dotAll): the construct renders each JSONata expression on one line."""
    definitions = {}
    for name in SCENARIOS:
        template = request.getfixturevalue(name).json
        for logical_id in state_machines(template):
            definitions[f"{name}-{logical_id}"] = rendered_definition(template, logical_id)
    assert len(definitions) >= len(SCENARIOS)
    assert asl_validator(definitions, tmp_path) == {}


def test_asl_validator_really_checks_jsonata_strings(tmp_path: Path) -> None:
    """The check that multi-line JSONata strings failed (so the test above can fail)."""
    one = '{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",'
    definitions = {
        "one-line": one + '"Output":"{% 1 + 2 %}","End":true}}}',
        "two-lines": one + '"Output":"{% 1 +\\n 2 %}","End":true}}}',
    }
    assert set(asl_validator(definitions, tmp_path)) == {"two-lines"}


def test_the_one_run_reports_what_the_cli_reports(default: Scenario, tmp_path: Path) -> None:
    """``asl_validator.js`` (schemas compiled once) against the ``asl-validator`` command (a new
    Ajv per definition) over valid and broken definitions, one after the other: the same
    output, line for line, and the same exit code."""
    template = default.json
    [logical_id] = state_machines(template)
    valid = rendered_definition(template, logical_id)
    # A format the one run added only for the first definition, then a valid one again.
    texts = [valid, valid.replace('"Type":"Task"', '"Type":"Task","ResultPath":"$.a[?("', 1), valid]
    assert texts[1] != valid
    paths = []
    for number, text in enumerate(texts):
        paths.append(tmp_path / f"{number}.json")
        paths[-1].write_text(text)
    cli = subprocess.run(
        [str(NODE_MODULES / ".bin" / "asl-validator")]
        + [argument for path in paths for argument in ("--json-path", str(path))],
        capture_output=True,
        text=True,
        check=False,
    )
    one_run = subprocess.run(
        [str(shutil.which("node")), str(BATCH), str(NODE_MODULES), *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.stdout.count('" is valid') == 2 and cli.stderr.count('" is invalid:') == 1, cli
    assert (one_run.returncode, one_run.stdout, one_run.stderr) == (
        cli.returncode,
        cli.stdout,
        cli.stderr,
    )


ASL_SERVICE_MODULES = NODE_MODULES
ASL_SERVICE_VERSION = "1.16.1"
SERVICE_BATCH = Path(__file__).resolve().parent / "asl_language_service.js"


def asl_language_service(definitions: dict[str, str], directory: Path) -> dict[str, list[Any]]:
    """AWS's ``amazon-states-language-service`` (the AWS Toolkit's ASL editor) over
    ``definitions`` (name → JSON text), in one Node run: each one's diagnostics, only the
    definitions that have some."""
    package = ASL_SERVICE_MODULES / "amazon-states-language-service" / "package.json"
    assert package.exists(), f"{package} missing: run make venv"
    assert json.loads(package.read_text())["version"] == ASL_SERVICE_VERSION
    node = shutil.which("node")
    assert node is not None, "node missing"
    paths = {}
    for name, text in definitions.items():
        paths[name] = directory / f"{name}.json"
        paths[name].write_text(text)
    done = subprocess.run(
        [node, str(SERVICE_BATCH), str(ASL_SERVICE_MODULES), *map(str, paths.values())],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    return {name: report[str(path)] for name, path in paths.items() if report[str(path)]}


def test_the_asl_language_service_finds_nothing_in_any_definition(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    """Issue 25, item 7: AWS's own ASL language service (schema, state names, Next targets,
    JSONata and JSONPath strings) reports no diagnostic, of any severity, on any definition."""
    definitions = {}
    for name in SCENARIOS:
        template = request.getfixturevalue(name).json
        for logical_id in state_machines(template):
            definitions[f"{name}-{logical_id}"] = rendered_definition(template, logical_id)
    assert len(definitions) >= len(SCENARIOS)
    assert asl_language_service(definitions, tmp_path) == {}


def test_the_asl_language_service_really_reports(default: Scenario, tmp_path: Path) -> None:
    """The test above can fail: the same service flags a Next to no state (and the state it no
    longer reaches) and a field ASL does not have, in a definition of ours. (It is lenient
    elsewhere: an unknown state ``Type`` and a JSONata syntax error pass it; asl-validator and
    cfn-lint's E3601 catch the first, the local runner's jsonata 2.0.6 the second.)"""
    template = default.json
    [logical_id] = state_machines(template)
    valid = rendered_definition(template, logical_id)
    definitions = {
        "valid": valid,
        "next": valid.replace('"Next":"Persist"', '"Next":"Persisted"', 1),
        "field": valid.replace('"Type":"Task"', '"Type":"Task","Bogus":1', 1),
    }
    assert valid not in (definitions["next"], definitions["field"])
    found = asl_language_service(definitions, tmp_path)
    assert set(found) == {"next", "field"}
    assert [d["message"] for d in found["next"]] == [
        'The value of "Next" property must be the name of an existing state.',
        "The state cannot be reached. It must be referenced by at least one other state.",
    ]
    assert [d["message"] for d in found["field"]] == ["Field is not supported."]


def _normalized(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("{%"):
        return re.sub(r"\s+", " ", value)
    if isinstance(value, list):
        return [_normalized(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalized(item) for key, item in value.items()}
    return value


def test_only_whitespace_in_jsonata_strings_changed(request: pytest.FixtureRequest) -> None:
    """Each definition as its states render it, against the synthesized one: the same JSON but
    for the JSONata strings, which lost their line breaks and nothing else."""
    changed = 0
    for name in SCENARIOS:
        scenario: Scenario = request.getfixturevalue(name)
        for cfn in scenario.stack.node.find_all():
            if not isinstance(cfn, sfn.CfnStateMachine):
                continue
            logical_id = scenario.stack.get_logical_id(cfn)
            source = {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
                "DefinitionString": scenario.resolve(cfn.definition_string)}}  # fmt: skip
            as_rendered = rendered_definition(
                {"Resources": {logical_id: source}}, logical_id, substitute=False
            )
            synthesized = rendered_definition(scenario.json, logical_id, substitute=False)
            assert _normalized(json.loads(synthesized)) == _normalized(json.loads(as_rendered))
            changed += synthesized != as_rendered
    assert changed > 0  # some definitions had multi-line JSONata in the source
