"""Reading a synthesized definition: its JSON, and the states a successful run enters."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from ._errors import CostModelError


def render_definition(value: Any) -> dict[str, Any]:
    """Parse a resolved ``DefinitionString``: a JSON string, or an ``Fn::Join`` of one.

    References inside the join (``Ref``, ``Fn::GetAtt``) become ``0``, valid both inside a
    JSON string and as a JSON number; counting states needs none of their values.
    """
    if isinstance(value, Mapping) and set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        value = separator.join(part if isinstance(part, str) else "0" for part in parts)
    if not isinstance(value, str):
        raise CostModelError(f"cannot read the state machine definition from {value!r}.")
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise CostModelError(f"the state machine definition is not JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise CostModelError("the state machine definition is not a JSON object.")
    return parsed


def successful_path(definition: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The states a successful run enters, in order, from ``StartAt`` to the end.

    Parallel branches are included; a Choice follows its ``Default``. A Map, a loop, or a
    Choice without ``Default`` raises ``CostModelError`` (pass ``transitions_per_run``).
    """
    return list(_walk(definition, "definition"))


def _walk(machine: Mapping[str, Any], where: str) -> Iterator[Mapping[str, Any]]:
    states: Mapping[str, Any] = machine.get("States", {})
    name = machine.get("StartAt")
    seen: set[str] = set()
    while True:
        if not isinstance(name, str) or name not in states:
            raise CostModelError(f"{where}: state {name!r} is not defined.")
        if name in seen:
            raise CostModelError(
                f"{where}: the path loops back to {name!r}; pass transitions_per_run."
            )
        seen.add(name)
        state: Mapping[str, Any] = states[name]
        kind = state.get("Type")
        yield state
        if kind == "Parallel":
            for index, branch in enumerate(state.get("Branches", [])):
                yield from _walk(branch, f"{where}/{name}/branch {index}")
        elif kind == "Map":
            raise CostModelError(
                f"{where}: Map state {name!r} runs an unknown number of iterations; "
                "pass transitions_per_run."
            )
        if kind in ("Succeed", "Fail") or state.get("End") is True:
            return
        following = _choice_next(states, state) if kind == "Choice" else state.get("Next")
        if following is None:
            raise CostModelError(
                f"{where}: state {name!r} has no "
                + ("Default; pass transitions_per_run." if kind == "Choice" else "Next or End.")
            )
        name = following


def _choice_next(states: Mapping[str, Any], choice: Mapping[str, Any]) -> Any:
    """A successful run leaves a Choice by its ``Default``, unless the Default fails the run
    (an input check such as ``CheckInput``): then by its first rule."""
    default = choice.get("Default")
    if isinstance(default, str) and states.get(default, {}).get("Type") == "Fail":
        rules = choice.get("Choices") or [{}]
        return rules[0].get("Next")
    return default


def _all_states(machine: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for state in machine.get("States", {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from _all_states(branch)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                yield from _all_states(state[key])


def _resource(state: Mapping[str, Any]) -> str:
    resource = state.get("Resource", "")
    return re.sub(r"\.(sync|sync:2|waitForTaskToken)$", "", resource) if resource else ""


def _is_dynamodb_write(resource: str) -> bool:
    return resource.endswith((":dynamodb:putItem", ":dynamodb:updateItem"))
