"""Where a JSONPath state's ``Assign`` reads ``$`` (issue 25, item 9): on every scenario's
definition, only in a state whose raw result, effective result and output are one value.

What ``$`` means in the Assign of a JSONPath Task with a ``ResultSelector`` or a ``ResultPath``
(the raw result, the selected one, or the state's output) no AWS document settles:
``scripts/verify_on_aws.py`` asks. Until it is answered, nothing depends on it: a state that
keeps part of an answer in a variable is a Pass with only ``Assign`` (its input passes on), a
Task with neither field (its result is its output), or a JSONata state (``$states.result``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scenarios import Scenario, definition

SCENARIOS = [
    "default", "full", "fanout", "distributed", "pages", "cursor", "http_task", "composed",
    "keyed", "trimmed", "paginators", "status_actions", "from_answer", "timed", "timed_http",
    "retry_after", "polite", "graphql", "records", "composed_requests",
]  # fmt: skip
# Fields after which a JSONPath state's result and its output may differ.
SHAPING = ("ResultSelector", "ResultPath", "OutputPath", "InputPath", "Parameters", "Result")


def states(asl: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in asl["States"].items():
        yield where + name, state
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from states(state[key], f"{where}{name}/")
        for branch in state.get("Branches", []):
            yield from states(branch, f"{where}{name}/")


def reads_state(value: Any) -> bool:
    """True for a JSONPath value that reads ``$`` (a path or an intrinsic over one)."""
    if isinstance(value, dict):
        return any(reads_state(inner) for inner in value.values())
    return isinstance(value, str) and ("$." in value or "$[" in value or value == "$")


def ambiguous(asl: dict[str, Any]) -> list[str]:
    found = []
    for name, state in states(asl):
        if state.get("QueryLanguage") == "JSONata" or "Assign" not in state:
            continue
        reading = {k: v for k, v in state["Assign"].items() if k.endswith(".$") and reads_state(v)}
        shaped = [field for field in SHAPING if field in state]
        if state["Type"] == "Task":  # Parameters and InputPath shape the request, not $
            shaped = [field for field in shaped if field not in ("Parameters", "InputPath")]
        if reading and shaped:
            found.append(f"{name} ({', '.join(shaped)}): {reading}")
    return found


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_jsonpath_assign_depends_on_an_undocumented_order(
    name: str, request: pytest.FixtureRequest
) -> None:
    scenario: Scenario = request.getfixturevalue(name)
    for key in scenario.patterns:
        assert ambiguous(definition(scenario, key)) == [], key


def test_the_check_finds_a_state_item_read_with_result_path_null() -> None:
    asl = {
        "States": {
            "ReadState": {
                "Type": "Task", "ResultPath": None, "Assign": {"stateItem.$": "$"},
            },
            "Download": {
                "Type": "Task", "ResultSelector": {"body.$": "$.ResponseBody"},
                "Assign": {"answerHeaders.$": "$.Headers"},
            },
            "Plain": {"Type": "Task", "Assign": {"answerHeaders.$": "$.Headers"}},
            "ReadDownload": {"Type": "Pass", "Assign": {"answerHeaders.$": "$.result.Headers"}},
        }
    }  # fmt: skip
    assert [line.split(" ")[0] for line in ambiguous(asl)] == ["ReadState", "Download"]
