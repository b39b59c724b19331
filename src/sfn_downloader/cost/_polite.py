"""What the polite features save and cost: the paths of runs that store nothing on purpose.

A run whose answer is unchanged ends at ``NotModified`` (``conditional``: after the request, no
write) or at ``Unchanged`` (``Store.changes_only()``: after the request, the state item's
update but no item); a run whose last answer is still fresh ends at ``Fresh``
(``respect_expires``: no request, no write). Each exit is a final JSONata ``Pass`` whose
``Output`` has ``outcome`` (``_contract``); its path is the successful path's, turned off
towards it at the Choice or Catch that leads there.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .._contract import OUTCOME_FRESH, OUTCOME_KEY, OUTCOME_NOT_MODIFIED, OUTCOME_UNCHANGED
from ._definition import _choice_next, _resource
from ._errors import CostModelError


@dataclass(frozen=True)
class PathCounts:
    """What one path of a run enters and calls."""

    transitions: int
    requests: int
    item_writes: int
    state_updates: int
    state_reads: int


def counts(path: list[Mapping[str, Any]]) -> PathCounts:
    """The transitions and service calls of ``path``."""
    resources = [_resource(state) for state in path]
    return PathCounts(
        transitions=len(path),
        requests=sum(1 for r in resources if r.endswith((":apigateway:invoke", ":http:invoke"))),
        item_writes=sum(1 for r in resources if r.endswith(":dynamodb:putItem")),
        state_updates=sum(1 for r in resources if r.endswith(":dynamodb:updateItem")),
        state_reads=sum(1 for r in resources if r.endswith(":dynamodb:getItem")),
    )


def exits(definition: Mapping[str, Any]) -> dict[str, str]:
    """Outcome → the name of the final state a run taking it ends in (top level)."""
    found = {}
    for name, state in definition.get("States", {}).items():
        output = state.get("Output")
        if state.get("End") and isinstance(output, Mapping):
            outcome = output.get(OUTCOME_KEY)
            if outcome in (OUTCOME_NOT_MODIFIED, OUTCOME_UNCHANGED, OUTCOME_FRESH):
                found[outcome] = name
    return found


def path_to(definition: Mapping[str, Any], goal: str) -> list[Mapping[str, Any]]:
    """The states a run ending in ``goal`` enters, from ``StartAt``."""
    states: Mapping[str, Any] = definition["States"]
    return [states[name] for name in _names_to(states, definition["StartAt"], goal)]


def _names_to(states: Mapping[str, Any], start: str, goal: str) -> Iterator[str]:
    name: Any = start
    seen: set[str] = set()
    while isinstance(name, str) and name in states and name not in seen:
        seen.add(name)
        yield name
        if name == goal:
            return
        state = states[name]
        following = state.get("Next")
        if following is not None and _leads(states, following, goal):
            # A run that succeeds goes on by Next: a Catch on the way (RememberUnchanged's
            # MemoryKeptUnchanged) is a failure's detour, not a state the run enters.
            name = following
            continue
        targets = [c.get("Next") for c in [*state.get("Catch", []), *state.get("Choices", [])]]
        turn = [target for target in targets if _leads(states, target, goal)]
        if turn:
            name = turn[0]
        elif state.get("Type") == "Choice":
            name = _choice_next(states, state)
        else:
            name = state.get("Next")
    raise CostModelError(f"no path from StartAt reaches {goal!r}.")


def _leads(states: Mapping[str, Any], start: object, goal: str) -> bool:
    current, steps = start, 0
    while isinstance(current, str) and current in states and steps < 50:
        if current == goal:
            return True
        current, steps = states[current].get("Next"), steps + 1
    return False


def check_ratio(name: str, value: object) -> float:
    """A share of runs: a number from 0 to 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise CostModelError(
            f"{name} must be a number from 0 to 1 (a share of runs), not {value!r}."
        )
    return float(value)
