"""The EVE example synthesizes with this library, also under the feature flags of cdk.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk

EXAMPLE = Path(__file__).parent.parent / "examples" / "eve_player_count" / "app.py"
CDK_JSON = EXAMPLE.with_name("cdk.json")


def synthesize(outdir: Path, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """``build_app``'s template; with ``context``, the app as ``cdk synth`` builds it with that
    context (the CLI passes cdk.json's to the app)."""
    spec = importlib.util.spec_from_file_location("eve_app", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if context is None:
        module.build_app(str(outdir)).synth()
    else:
        app = cdk.App(outdir=str(outdir), context=context)
        module.EvePlayerCountStack(app, "EvePlayerCount")
        app.synth()
    return json.loads((outdir / "EvePlayerCount.template.json").read_text())  # type: ignore[no-any-return]


def test_example_synthesizes(tmp_path: Path) -> None:
    template = synthesize(tmp_path)
    types = sorted(r["Type"] for r in template["Resources"].values())
    # The player count and, composed with it, The Forge's market types and orders (trimmed at
    # the proxy, in full and summarized): one shared table.
    assert types.count("AWS::StepFunctions::StateMachine") == 4
    assert types.count("AWS::Scheduler::Schedule") == 4
    assert types.count("AWS::DynamoDB::Table") == 1
    assert "eve/player-count" in json.dumps(template)
    assert "eve/market-types/the-forge" in json.dumps(template)
    # One dashboard for both, and the table's name as an output for sfn_downloader.read.
    assert types.count("AWS::CloudWatch::Dashboard") == 1
    [table] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert template["Outputs"]["PlayerCountTable"]["Value"] == {"Ref": table}
    methods = [r["Properties"] for r in template["Resources"].values()
               if r["Type"] == "AWS::ApiGateway::Method"]  # fmt: skip
    assert sorted(m["Integration"]["Type"] for m in methods) == [
        "HTTP", "HTTP", "HTTP_PROXY", "HTTP_PROXY",
    ]  # fmt: skip


def test_cdk_json_carries_the_feature_flags_cdk_init_writes() -> None:
    context = json.loads(CDK_JSON.read_text())["context"]
    # A sample of aws-cdk CLI 2.1148's `cdk init app --language python` (89 keys in all).
    assert len(context) >= 89
    assert context["@aws-cdk/aws-iam:minimizePolicies"] is True
    assert context["@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"] is True
    assert context["@aws-cdk/core:enableAdditionalMetadataCollection"] is True


def test_the_flags_only_merge_the_state_machine_roles_statements(tmp_path: Path) -> None:
    """`cdk synth` passes cdk.json's context to the app; of every flag, only
    @aws-cdk/aws-iam:minimizePolicies changes the template: it merges each role's log-delivery
    and X-Ray statements (both on `*`) into one. Same actions, same resources."""
    plain = synthesize(tmp_path / "plain")
    flagged = synthesize(tmp_path / "flagged", json.loads(CDK_JSON.read_text())["context"])

    assert plain["Outputs"] == flagged["Outputs"]
    changed = sorted(
        k for k in plain["Resources"] if plain["Resources"][k] != flagged["Resources"].get(k)
    )
    assert set(plain["Resources"]) == set(flagged["Resources"])
    machines = [
        r for r in plain["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    assert [flagged["Resources"][k]["Type"] for k in changed] == ["AWS::IAM::Policy"] * len(
        machines
    )
    for key in changed:
        before, after = (
            t["Resources"][key]["Properties"]["PolicyDocument"]["Statement"]
            for t in (plain, flagged)
        )
        assert len(after) == len(before) - 1

        def grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
            return {
                (action, json.dumps(s["Resource"], sort_keys=True))
                for s in statements
                for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            }

        assert grants(before) == grants(after)


def test_alerts_example_may_use_its_topic_key(tmp_path: Path) -> None:
    """The alerts topic is encrypted with a customer-managed key: publishing needs
    kms:GenerateDataKey* and kms:Decrypt on it (SNS developer guide, "Key management")."""
    spec = importlib.util.spec_from_file_location("eve_alerts", EXAMPLE.parent / "alerts.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.cdk.App(outdir=str(tmp_path))
    stack = module.EvePlayerCountAlertsStack(app, "EvePlayerCountAlerts")
    template = app.synth().get_stack_by_name("EvePlayerCountAlerts").template
    key_id = stack.get_logical_id(stack.topic.master_key.node.default_child)
    role_policies = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy"
        and logical_id.startswith("PlayerCountAlertsStateMachine")
    ]
    [statements] = role_policies
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
    } in statements
