"""Distributed Map states with Express child workflows, for moto 5.2.5's interpreter.

moto's States Language grammar accepts only ``"ExecutionType": "STANDARD"`` in a Distributed
Map's ``ProcessorConfig``: an Express one fails ``create_state_machine`` with
``ASLParserException ... expecting '"STANDARD"'``. moto never uses the type otherwise: it runs
every child in process, one iteration per item, whatever the type says.

So the runner hands moto the definition with ``EXPRESS`` children written as ``STANDARD``,
after checking what Step Functions checks of Express workflows and not of Standard ones
(Step Functions developer guide, "Choosing workflow type in Step Functions"): an Express
workflow supports no Job-run (``.sync``) or Callback (``.waitForTaskToken``) integration and no
activities, and CreateStateMachine refuses a definition that uses them. The other differences
do not show in a local run: Express children run at least once (moto runs each once) and for at
most five minutes (not enforced here).

DELETE THIS MODULE once moto's grammar accepts ``"ExecutionType": "EXPRESS"``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import LocalRunnerError

_EXPRESS_UNSUPPORTED_SUFFIXES = (".sync", ".sync:2", ".waitForTaskToken")


def standard_children(definition: str) -> str:
    """``definition`` with each Distributed Map's Express children declared Standard.

    Raises ``LocalRunnerError`` where an Express child workflow uses what Express workflows
    cannot (Step Functions refuses such a definition before anything runs).
    """
    document = json.loads(definition)
    changed = False
    for state_name, processor in _distributed_processors(document):
        config = processor.get("ProcessorConfig") or {}
        if str(config.get("ExecutionType", "STANDARD")).upper() != "EXPRESS":
            continue
        for inner_name, resource in _resources(processor):
            if resource.endswith(_EXPRESS_UNSUPPORTED_SUFFIXES) or ":activity:" in resource:
                raise LocalRunnerError(
                    f"Map state {state_name!r} runs EXPRESS child workflows, and its state "
                    f"{inner_name!r} uses {resource}: Express workflows support no .sync or "
                    ".waitForTaskToken integration and no activities (Step Functions developer "
                    "guide, 'Choosing workflow type'), so AWS refuses this definition. Fix: "
                    "make the children STANDARD or call the service without that pattern."
                )
        config["ExecutionType"] = "STANDARD"
        changed = True
    return json.dumps(document, separators=(",", ":")) if changed else definition


def _states(definition: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every state of ``definition``, nested ones (Parallel branches, Map processors) too."""
    for name, state in dict(definition.get("States") or {}).items():
        if not isinstance(state, Mapping):
            continue
        yield name, state
        for branch in state.get("Branches") or []:
            yield from _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), Mapping):
                yield from _states(state[key])


def _distributed_processors(definition: Any) -> Iterator[tuple[str, Any]]:
    for name, state in _distributed_processors_with_states(definition):
        yield name, state["ItemProcessor"]


def _distributed_processors_with_states(definition: Any) -> Iterator[tuple[str, Any]]:
    """Each Distributed Map state of ``definition`` (nested ones too), by name."""
    for name, state in _states(definition):
        processor = state.get("ItemProcessor")
        if isinstance(processor, dict):
            config = processor.get("ProcessorConfig") or {}
            if str(config.get("Mode", "")).upper() == "DISTRIBUTED":
                yield name, state


def _resources(definition: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for name, state in _states(definition):
        if state.get("Type") == "Task" and isinstance(state.get("Resource"), str):
            yield name, str(state["Resource"])
