"""Reading a synthesized definition: its JSON, and the states a successful run enters."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._contract import (
    DELIVERED_SORT_KEY_PREFIX,
    RECORDS_MAP_STATE,
    SORT_KEY,
    THROTTLED_HEADER,
)
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


@dataclass
class ChildRuns:
    """What a run's Distributed Maps start: child executions by workflow type, the states they
    enter, and their item reader's S3 calls ("Transitions", Step Functions developer guide:
    one state transition for each child workflow execution a Distributed Map starts, none for
    an inline Map's iterations)."""

    started: dict[str, int] = field(default_factory=lambda: {"EXPRESS": 0, "STANDARD": 0})
    """Child executions started, by ``ExecutionType``."""
    states: dict[str, int] = field(default_factory=lambda: {"EXPRESS": 0, "STANDARD": 0})
    """States entered inside those children, by ``ExecutionType``."""
    s3_gets: int = 0
    """``ItemReader`` GetObject calls (one a JSON or CSV object read)."""
    s3_lists: int = 0
    """``ItemReader`` ListObjectsV2 calls (one a page of 1,000 objects)."""

    @property
    def child_states(self) -> int:
        """States entered in child executions, either type."""
        return sum(self.states.values())


def billed_path(
    definition: Mapping[str, Any],
    *,
    pages: int | None = None,
    requests: int | None = None,
    records: int | None = None,
) -> tuple[list[Mapping[str, Any]], ChildRuns]:
    """``successful_path``, and what its Distributed Maps start (``ChildRuns``): the path holds
    the children's states too (their service calls are the run's), the caller bills them by
    the children's workflow type."""
    children = ChildRuns()
    return list(_walk(definition, "definition", pages, requests, records, children)), children


def successful_path(
    definition: Mapping[str, Any],
    *,
    pages: int | None = None,
    requests: int | None = None,
    records: int | None = None,
) -> list[Mapping[str, Any]]:
    """The states a successful run enters, in order (repeats included), from ``StartAt`` to
    the end.

    Parallel branches are included; a Choice follows its ``Default`` (or, in a page loop, goes
    round ``pages`` times); a Map runs its iterations: as many as its static request list
    holds, ``pages - 1`` for the pages after the first (``X-Pages``), or ``requests``; the Map
    writing an answer's records (``WriteRecords``) runs ``records`` iterations. A loop or
    Map whose count is unknown raises ``CostModelError`` (pass ``pages_per_run`` /
    ``requests_per_run`` / ``records_per_answer``, or ``transitions_per_run``).
    """
    return list(_walk(definition, "definition", pages, requests, records))


def _walk(
    machine: Mapping[str, Any],
    where: str,
    pages: int | None,
    requests: int | None,
    records: int | None = None,
    children: ChildRuns | None = None,
) -> Iterator[Mapping[str, Any]]:
    states: Mapping[str, Any] = machine.get("States", {})
    name = machine.get("StartAt")
    seen: set[str] = set()
    laps: dict[str, int] = {}
    while True:
        if not isinstance(name, str) or name not in states:
            raise CostModelError(f"{where}: state {name!r} is not defined.")
        if name in seen and not laps:
            raise CostModelError(
                f"{where}: the path loops back to {name!r}; pass transitions_per_run."
            )
        seen.add(name)
        state: Mapping[str, Any] = states[name]
        kind = state.get("Type")
        yield state
        if kind == "Parallel":
            for index, branch in enumerate(state.get("Branches", [])):
                yield from _walk(
                    branch, f"{where}/{name}/branch {index}", pages, requests, records, children
                )
        elif kind == "Map":
            writes_records = name.endswith(RECORDS_MAP_STATE)  # FirstPageWriteRecords too
            count = records if writes_records else _iterations(states, state, pages, requests)
            if count is None:
                raise CostModelError(
                    f"{where}: Map state {name!r} runs an unknown number of iterations; pass "
                    + ("records_per_answer" if writes_records else "requests_per_run")
                    + " (or transitions_per_run)."
                )
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            config = processor.get("ProcessorConfig") or {}
            runs, each = count, requests
            batch = (state.get("ItemBatcher") or {}).get("MaxItemsPerBatch")
            distributed = str(config.get("Mode", "")).upper() == "DISTRIBUTED"
            if distributed and isinstance(batch, int) and batch > 0 and count:
                # A child a batch; its own Map goes over the batch's items.
                runs, each = math.ceil(count / batch), min(batch, count)
            inner = (
                list(_walk(processor, f"{where}/{name}", pages, each, records, children))
                if runs else []
            )  # fmt: skip
            if distributed and children is not None:
                kind = str(config.get("ExecutionType", "STANDARD")).upper()
                children.started[kind] = children.started.get(kind, 0) + runs
                children.states[kind] = children.states.get(kind, 0) + runs * len(inner)
                _count_reads(state.get("ItemReader"), count, children)
            for _ in range(runs):
                yield from inner
        if kind in ("Succeed", "Fail") or state.get("End") is True:
            return
        if kind == "Choice":
            following = _loop_next(states, name, state, pages, laps, where)
            if following is None:
                following = _choice_next(states, state, pages)
        else:
            following = state.get("Next")
        if following is None:
            raise CostModelError(
                f"{where}: state {name!r} has no "
                + ("Default; pass transitions_per_run." if kind == "Choice" else "Next or End.")
            )
        name = following


def _count_reads(reader: Any, items: int, children: ChildRuns) -> None:
    """A Distributed Map's ``ItemReader`` calls S3 once for an object's items (GetObject), or
    once a page of 1,000 keys (ListObjectsV2, the S3 API's page size)."""
    resource = str((reader or {}).get("Resource", "")) if isinstance(reader, Mapping) else ""
    if resource.endswith(":s3:getObject"):
        children.s3_gets += 1
    elif resource.endswith(":s3:listObjectsV2"):
        children.s3_lists += max(1, math.ceil(items / 1000))


def _reaches(states: Mapping[str, Any], start: object, goal: str) -> bool:
    """True when ``goal`` can be reached from ``start`` (by Next, Default, Choices, Catch)."""
    todo, found = [start], set()
    while todo:
        current = todo.pop()
        if not isinstance(current, str) or current in found or current not in states:
            continue
        if current == goal:
            return True
        found.add(current)
        state = states[current]
        todo += [state.get("Next"), state.get("Default")]
        todo += [rule.get("Next") for rule in state.get("Choices", [])]
    return False


def _loop_next(
    states: Mapping[str, Any],
    name: str,
    choice: Mapping[str, Any],
    pages: int | None,
    laps: dict[str, int],
    where: str,
) -> str | None:
    """At a Choice closing a page loop: go round again until ``pages`` pages, then leave by the
    way that does not fail. ``None`` when this Choice closes no loop."""
    rules = choice.get("Choices", [])
    if rules and all(str(rule.get("Variable", "")).endswith(".StatusCode") for rule in rules):
        return None  # a status guard (on_status): a successful page takes its Default
    if rules and any(
        THROTTLED_HEADER in str(rule.get("Variable", "")) + str(rule.get("Condition", ""))
        for rule in rules
    ):  # a fan-out path's JSONata DownloadThrottled refuses a compressed answer first
        return None  # retry_after: an answer not throttled takes its Default
    targets = [rule.get("Next") for rule in rules] + [choice.get("Default")]
    around = [t for t in targets if isinstance(t, str) and _reaches(states, t, name)]
    if not around or choice.get("Default") in around:
        # A guard inside the loop (RecordsValid, AnswerHasErrors): a successful page goes on
        # by its Default; only a Choice whose Default leaves the loop closes it.
        return None
    if pages is None:
        raise CostModelError(
            f"{where}: the path loops back through {name!r} (pages); pass pages_per_run "
            "(or transitions_per_run)."
        )
    laps[name] = laps.get(name, 0) + 1
    if laps[name] < pages:
        return str(around[0])
    out = [t for t in targets if t not in around and states.get(t, {}).get("Type") != "Fail"]
    return str(out[-1]) if out else None


def _iterations(
    states: Mapping[str, Any], map_state: Mapping[str, Any], pages: int | None,
    requests: int | None,
) -> int | None:  # fmt: skip
    """A Map's iterations: the length of the list it holds (a JSONata Map's ``Items`` array)
    or of a static list a Pass put at its ItemsPath, the pages after the first for
    ``States.ArrayRange(2, ...)`` (or ``CountPages``'s ``[2..N]``), else ``requests``."""
    held = map_state.get("Items")
    if isinstance(held, list):
        return len(held)
    key = str(map_state.get("ItemsPath", "$"))[2:]
    for state in states.values():
        result = state.get("Result")
        if state.get("Type") == "Pass" and isinstance(result, Mapping) and key in result:
            return len(result[key])
        parameters = state.get("Parameters") or {}
        if "States.ArrayRange(2," in str(parameters.get(f"{key}.$", "")) or (
            f"'{key}': $c.pages > 1 ? [2.." in str(state.get("Output", ""))
        ):  # (page_count's CountPages: JSONPath ListPages before, a JSONata Choice now)
            return None if pages is None else max(0, pages - 1)
    return requests


def _choice_next(
    states: Mapping[str, Any], choice: Mapping[str, Any], pages: int | None = None
) -> Any:
    """A successful run leaves a Choice by its ``Default``, unless the Default fails the run
    (an input check such as ``CheckInput``): then by its first rule. With several pages, a
    Choice whose rule leads to a Map of the other pages (``X-Pages``) takes the nearest such
    rule."""
    default = choice.get("Default")
    rules = choice.get("Choices") or [{}]
    if pages is not None and pages > 1:
        to_map = [r.get("Next") for r in rules if _reaches_map(states, r.get("Next"))]
        if to_map and not _reaches_map(states, default):
            return min(to_map, key=lambda n: _distance_to_map(states, n))
    if isinstance(default, str) and states.get(default, {}).get("Type") == "Fail":
        return rules[0].get("Next")
    return default


def _distance_to_map(states: Mapping[str, Any], start: object) -> int:
    steps, current = 0, start
    while isinstance(current, str) and current in states:
        if states[current].get("Type") == "Map":
            return steps
        current, steps = states[current].get("Next"), steps + 1
    return 10**6


def _reaches_map(states: Mapping[str, Any], start: object) -> bool:
    return _distance_to_map(states, start) < 10**6


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


def _is_delivery_mark(state: Mapping[str, Any]) -> bool:
    """``MarkDelivered``: the putItem whose sort key is a delivery's completion item."""
    item = (state.get("Parameters") or {}).get("Item") or {}
    return _is_dynamodb_write(_resource(state)) and DELIVERED_SORT_KEY_PREFIX in json.dumps(
        item.get(SORT_KEY)
    )
