"""Express workflows: no ``.sync``, no ``.waitForTaskToken`` (a rule moto 5.2.5 lacks, checked
before a definition is created, as CreateStateMachine refuses it on AWS)."""

from __future__ import annotations

import re
from typing import Any

_CALLBACK_OR_JOB = re.compile(r"\.(sync(:\d+)?|waitForTaskToken)$")


def express_integration_problems(definition: Any, state_machine_type: str) -> list[str]:
    """The states an Express workflow may not hold: ``.sync`` (Run a Job) and
    ``.waitForTaskToken`` (Wait for Callback) integrations ("Choosing workflow type in Step
    Functions"; "Discover service integration patterns"). Distributed Map children run as
    the workflow type their ``ProcessorConfig.ExecutionType`` names.

    :returns: ``"<state path>: <resource>"`` for each offending Task state.
    """
    problems: list[str] = []

    def visit(states: Any, express: bool, prefix: str) -> None:
        if not isinstance(states, dict):
            return
        for name, state in states.items():
            if not isinstance(state, dict):
                continue
            path = f"{prefix}/{name}"
            resource = str(state.get("Resource", ""))
            if express and state.get("Type") == "Task" and _callback_or_job(resource):
                problems.append(f"{path}: {resource}")
            for index, branch in enumerate(state.get("Branches") or []):
                if isinstance(branch, dict):
                    visit(branch.get("States"), express, f"{path}/Branches[{index}]")
            for key in ("Iterator", "ItemProcessor"):
                processor = state.get(key)
                if not isinstance(processor, dict):
                    continue
                config = processor.get("ProcessorConfig") or {}
                child = express
                if config.get("Mode") == "DISTRIBUTED":
                    child = str(config.get("ExecutionType", "STANDARD")).upper() == "EXPRESS"
                visit(processor.get("States"), child, f"{path}/{key}")

    if isinstance(definition, dict):
        visit(definition.get("States"), state_machine_type.upper() == "EXPRESS", "/States")
    return problems


def _callback_or_job(resource: str) -> bool:
    """``...:startExecution.sync``, ``...:startExecution.sync:2``, ``....waitForTaskToken``."""
    return _CALLBACK_OR_JOB.search(resource) is not None
