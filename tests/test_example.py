"""The EVE example app synthesizes with this library."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

EXAMPLE = Path(__file__).parent.parent / "examples" / "eve_player_count" / "app.py"


def test_example_synthesizes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("eve_app", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_app(str(tmp_path)).synth()
    template = json.loads((tmp_path / "EvePlayerCount.template.json").read_text())
    types = sorted(r["Type"] for r in template["Resources"].values())
    # The player count and, composed with it, The Forge's market types (one shared table).
    assert types.count("AWS::StepFunctions::StateMachine") == 2
    assert types.count("AWS::Scheduler::Schedule") == 2
    assert types.count("AWS::DynamoDB::Table") == 1
    assert "eve/player-count" in json.dumps(template)
    assert "eve/market-types/the-forge" in json.dumps(template)


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
