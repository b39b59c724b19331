"""Synthesize the EVE example and print what it deploys: resources, states, schedule, IAM."""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "eve_player_count"


def _literal(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return "${" + str(value["Ref"]) + "}"
    if "Fn::GetAtt" in value:
        return "${" + ".".join(value["Fn::GetAtt"]) + "}"
    if "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_literal(part) for part in parts)
    return json.dumps(value)


def main() -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    sys.path.insert(0, str(EXAMPLE))
    from app import build_app  # the example app, unchanged

    outdir = EXAMPLE / "cdk.out"
    started = time.perf_counter()
    build_app(str(outdir)).synth()
    elapsed = time.perf_counter() - started
    template = json.loads((outdir / "EvePlayerCount.template.json").read_text())
    resources = template["Resources"]
    print(f"Synthesized examples/eve_player_count in {elapsed:.1f} s -> {outdir}")
    print(f"\n{len(resources)} resources:")
    for kind, count in sorted(Counter(r["Type"] for r in resources.values()).items()):
        print(f"  {count} x {kind}")
    for resource in resources.values():
        props = resource["Properties"]
        if resource["Type"] == "AWS::StepFunctions::StateMachine":
            definition = json.loads(_literal(props["DefinitionString"]))
            print(
                f"\nState machine ({props['StateMachineType']}), start at {definition['StartAt']}:"
            )
            for name, state in definition["States"].items():
                retry = state.get("Retry", [{}])[0]
                print(
                    f"  {name}: {state['Resource'].split(':::')[-1]}"
                    f"  (retries {retry.get('MaxAttempts', 0)}x"
                    f" on {len(retry.get('ErrorEquals', []))} errors)"
                )
                print(f"    {json.dumps(state['Parameters'])}")
        elif resource["Type"] == "AWS::Scheduler::Schedule":
            print(
                f"\nSchedule: {props['ScheduleExpression']}"
                f" ({props['ScheduleExpressionTimezone']}),"
                f" input {props['Target']['Input']}"
            )
        elif resource["Type"] == "AWS::ApiGateway::Method":
            print(
                f"\nProxy: {props['HttpMethod']} /{{proxy+}} -> {props['Integration']['Uri']}"
                f" (authorization {props['AuthorizationType']})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
