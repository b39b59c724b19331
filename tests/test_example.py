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


RATES = Path(__file__).parent.parent / "examples" / "exchange_rates" / "app.py"


def test_exchange_rates_example_synthesizes_with_its_backfill(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("rates_app", RATES)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_app(str(tmp_path)).synth()
    template = json.loads((tmp_path / "ExchangeRates.template.json").read_text())
    machines = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]  # fmt: skip
    assert sorted(m.get("StateMachineType", "STANDARD") for m in machines) == [
        "EXPRESS", "STANDARD"
    ]  # fmt: skip
    schedule = next(
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    )  # fmt: skip
    assert schedule["ScheduleExpression"] == "cron(0 1 * * ? *)"
    assert "rates/eur" in json.dumps(template)
