"""A downloader's backfill state machine, run locally: found in the template, created in moto.

The backfill state machine (``backfill=True``) is the one whose definition starts the
downloader's state machine (``states:startExecution.sync:2``). moto 5.2.5's interpreter runs that
integration itself (it polls the child with ``DescribeExecution``); the only change here is
that poll's interval, 0.5 s in moto, made 10 ms while a backfill runs so 48 times take a
second, not half a minute. Every child is a real execution of the downloader, found afterwards
with ``ListExecutions``.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._contract import BACKFILL_FROM_KEY, BACKFILL_TO_KEY, SCHEDULED_TIME_KEY
from ._template import LOCAL_ACCOUNT, PARTITION, DownloaderSpec, _task_states
from .errors import LocalRunnerError

if TYPE_CHECKING:
    from ._execution import LocalExecution


_SYNC_POLL_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_callback"
)
_SYNC_POLL_SECONDS = 0.01
_POLL_MAX_SECONDS = 0.02


@dataclass(frozen=True)
class BackfillSpec:
    """The backfill state machine of one downloader, tokens resolved."""

    logical_id: str
    name: str
    """Its local name (the last part of its ARN)."""
    definition: str


def find_backfill(spec: DownloaderSpec) -> BackfillSpec | None:
    """The state machine of ``spec``'s stack that starts ``spec``'s one, if any."""
    resolver = spec.resolver
    for logical_id, resource in spec.stack.template.get("Resources", {}).items():
        if resource.get("Type") != "AWS::StepFunctions::StateMachine":
            continue
        props = resource.get("Properties", {})
        if "DefinitionString" not in props:
            continue
        definition = str(resolver.resolve(props["DefinitionString"]))
        for state in _task_states(json.loads(definition)):
            starts_ours = (
                str(state.get("Resource", ""))
                .split(":states:::", 1)[-1]
                .startswith("states:startExecution.sync")
                and state.get("Parameters", {}).get("StateMachineArn") == spec.state_machine_arn
            )
            if starts_ours:
                name = resolver.ref(logical_id).rsplit(":", 1)[-1]
                return BackfillSpec(logical_id, name, definition)
    return None


def create(backfill: BackfillSpec, sfn: Any) -> str:
    """Create the backfill state machine in moto; return its ARN."""
    response = sfn.create_state_machine(
        name=backfill.name,
        definition=backfill.definition,
        roleArn=f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT}:role/{backfill.name}-role",
        type="STANDARD",
    )
    return str(response["stateMachineArn"])


@contextlib.contextmanager
def fast_sync_polls() -> Iterator[None]:
    """moto polls a ``.sync`` child every 0.5 s: every 10 ms while a backfill runs."""
    import importlib

    module = importlib.import_module(_SYNC_POLL_MODULE)
    name = "_DELAY_SECONDS_SYNC_CONDITION_CHECK"
    previous = getattr(module, name)
    setattr(module, name, _SYNC_POLL_SECONDS)
    try:
        yield
    finally:
        setattr(module, name, previous)


@dataclass(frozen=True)
class LocalBackfill:
    """The outcome of one local backfill: its own execution, and the runs it started."""

    execution: LocalExecution
    """The backfill's execution: ``SUCCEEDED``, or ``FAILED`` with ``Downloader.InvalidInput``
    (a bad range) or ``Downloader.RequestsFailed`` (its cause lists the failed times)."""
    runs: tuple[LocalExecution, ...]
    """One execution of the downloader a scheduled time, in time order."""

    @property
    def succeeded(self) -> bool:
        """True when the backfill and every run succeeded."""
        return self.execution.succeeded and all(run.succeeded for run in self.runs)

    @property
    def failed_times(self) -> list[str]:
        """The scheduled times whose run failed."""
        return [run.scheduled_time for run in self.runs if not run.succeeded]


def run(
    sfn: Any,
    *,
    backfill_arn: str,
    downloader_arn: str,
    name: str,
    start: str,
    end: str,
    execution: Callable[[dict[str, Any]], LocalExecution],
) -> LocalBackfill:
    """Start the backfill for ``start``..``end``, wait; return its outcome and its runs.

    ``execution(fields)`` builds the runner's ``LocalExecution`` from ``fields_of``.
    """
    before = set(_executions(sfn, downloader_arn))
    text = json.dumps({BACKFILL_FROM_KEY: start, BACKFILL_TO_KEY: end})
    with fast_sync_polls():
        arn = sfn.start_execution(stateMachineArn=backfill_arn, name=name, input=text)[
            "executionArn"
        ]
        outcome = wait(sfn, arn)
    runs = [
        execution(fields_of(wait(sfn, child), child.rsplit(":", 1)[-1]))
        for child in set(_executions(sfn, downloader_arn)) - before
    ]
    runs.sort(key=lambda run: run.scheduled_time)
    return LocalBackfill(execution(fields_of(outcome, name)), tuple(runs))


def fields_of(described: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A ``LocalExecution``'s fields from ``DescribeExecution``."""
    given = json.loads(described.get("input") or "null")
    output = described.get("output")
    when = given.get(SCHEDULED_TIME_KEY, "") if isinstance(given, dict) else ""
    return {
        "name": name,
        "scheduled_time": when,
        "input": given,
        "status": described["status"],
        "output": json.loads(output) if output is not None else None,
        "error": described.get("error"),
        "cause": described.get("cause"),
    }


def wait(sfn: Any, arn: str) -> Mapping[str, Any]:
    """``DescribeExecution`` of ``arn`` once it is no longer running."""
    pause = 0.001
    while True:
        described: Mapping[str, Any] = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(pause)
        pause = min(pause * 2, _POLL_MAX_SECONDS)


def _executions(sfn: Any, state_machine_arn: str) -> list[str]:
    arns = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=state_machine_arn):
        arns += [entry["executionArn"] for entry in page["executions"]]
    return arns


def missing(path: str) -> LocalRunnerError:
    """The error of ``backfill()`` on a downloader without ``backfill=True``."""
    return LocalRunnerError(
        f"{path} has no backfill state machine: pass backfill=True to the DownloaderPattern."
    )
