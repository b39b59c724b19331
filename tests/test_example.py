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
    # The player count and, composed with it, The Forge's market types and orders (trimmed at
    # the proxy, in full and summarized): one shared table.
    assert types.count("AWS::StepFunctions::StateMachine") == 4
    assert types.count("AWS::Scheduler::Schedule") == 4
    assert types.count("AWS::DynamoDB::Table") == 1
    assert "eve/player-count" in json.dumps(template)
    assert "eve/market-types/the-forge" in json.dumps(template)
    methods = [r["Properties"] for r in template["Resources"].values()
               if r["Type"] == "AWS::ApiGateway::Method"]  # fmt: skip
    assert sorted(m["Integration"]["Type"] for m in methods) == [
        "HTTP", "HTTP", "HTTP_PROXY", "HTTP_PROXY",
    ]  # fmt: skip
