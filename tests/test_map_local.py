"""Map states in the local runner: as many items as AWS runs, each item's data its own, and a
cost that grows with the items, not with their square (``local/_moto_map.py``, issue 28).

Hand-built definitions run in the runner's moto setup; the probes of the same behaviours on
unpatched moto are in ``tests/test_moto_patches.py``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from local_helpers import DefinitionRunner
from sfn_downloader.local import _moto_copies
from sfn_downloader.local._moto import REGISTRY, local_aws

MODES = ["INLINE", "DISTRIBUTED"]


@pytest.fixture(scope="module")
def machines() -> Iterator[DefinitionRunner]:
    with local_aws():
        yield DefinitionRunner()


def _map(mode: str, iteration: dict[str, Any], *, max_concurrency: int = 1) -> dict[str, Any]:
    config: dict[str, Any] = {"Mode": mode}
    if mode == "DISTRIBUTED":
        config["ExecutionType"] = "STANDARD"
    return {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": max_concurrency,
                "ItemSelector": {"shared.$": "$.shared", "item.$": "$$.Map.Item.Value"},
                "ItemProcessor": {"ProcessorConfig": config, **iteration},
                "ResultPath": "$.results",
                "End": True,
            }
        },
    }


# Each item marks the object it was given; the next item (one at a time) must not see the mark.
_MARKING = {
    "StartAt": "Seen",
    "States": {
        "Seen": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.shared.mark", "IsPresent": True, "Next": "Leaked"}],
            "Default": "Mark",
        },
        "Leaked": {"Type": "Fail", "Error": "Leaked", "CausePath": "States.JsonToString($)"},
        "Mark": {"Type": "Pass", "Result": "x", "ResultPath": "$.shared.mark", "End": True},
    },
}


@pytest.mark.parametrize("mode", MODES)
def test_an_item_never_sees_another_items_changes_nor_the_map_its_own(
    machines: DefinitionRunner, mode: str
) -> None:
    """'Map state': each item's input is the ItemSelector's output, a value of its own (on AWS
    every state's input is JSON text). The Map's input is shared without copies locally, so a
    write into an item's data must not reach the Map's input or the next item."""
    described = machines.run(_map(mode, _MARKING), input={"shared": {"n": 1}, "items": [1, 2, 3]})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert output["shared"] == {"n": 1}
    assert [r["shared"] for r in output["results"]] == [{"n": 1, "mark": "x"}] * 3
    assert [r["item"] for r in output["results"]] == [1, 2, 3]


def _copies_of_the_map_input(machines: DefinitionRunner, mode: str, items: int) -> int:
    """How often an item run deep-copies the Map's input (the object holding ``big``)."""
    deepcopy, copy_value = copy.deepcopy, _moto_copies.copy_value
    copied: list[int] = []

    def counting(value: Any, *args: Any) -> Any:
        if isinstance(value, dict) and "big" in value:
            copied.append(1)
        return deepcopy(value, *args)

    def counting_value(value: Any) -> Any:
        if isinstance(value, dict) and "big" in value:
            copied.append(1)
        return copy_value(value)

    task = {
        "StartAt": "Wait0",
        "States": {"Wait0": {"Type": "Wait", "Seconds": 0, "End": True}},
    }
    definition = _map(mode, task, max_concurrency=4)
    with (
        mock.patch.object(copy, "deepcopy", counting),
        mock.patch.object(_moto_copies, "copy_value", counting_value),
    ):
        described = machines.run(
            definition,
            input={"shared": 1, "big": list(range(500)), "items": list(range(items))},
        )
    assert described["status"] == "SUCCEEDED", described.get("cause")
    return len(copied)


@pytest.mark.parametrize("mode", MODES)
def test_the_map_input_is_not_copied_once_an_item(machines: DefinitionRunner, mode: str) -> None:
    """A run's cost grows with its items, not with items x the Map's input: the copies of the
    Map's input do not depend on the number of items."""
    assert _copies_of_the_map_input(machines, mode, 40) == _copies_of_the_map_input(
        machines, mode, 4
    )


class _Pool:
    """A job pool of ``n`` jobs that do nothing (for the worker's loop alone)."""

    def __init__(self, n: int) -> None:
        self.jobs = [SimpleNamespace(job_output=None, job_index=i) for i in range(n)]
        self.closed = 0

    def next_job(self) -> Any:
        return self.jobs.pop() if self.jobs else None

    def close_job(self, job: Any) -> None:
        self.closed += 1


def _frame() -> Any:
    frame = mock.MagicMock()
    frame.open_inner_frame.return_value = frame
    return frame


@pytest.mark.parametrize(
    "worker_module",
    [
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration."
        "itemprocessor.inline_item_processor_worker:InlineItemProcessorWorker",
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration."
        "itemprocessor.distributed_item_processor_worker:DistributedItemProcessorWorker",
    ],
)
def test_a_worker_runs_any_number_of_items_one_after_another(worker_module: str) -> None:
    """'Map state' bounds an inline Map by its 256 KiB input and the history, not by a depth:
    ``MaxConcurrency: 1`` over 5,000 items is one worker running 5,000 jobs (moto recursed
    once a job and failed after ~970)."""
    import importlib

    module, _, name = worker_module.partition(":")
    worker_class = getattr(importlib.import_module(module), name)
    pool = _Pool(5_000)
    worker = worker_class.__new__(worker_class)
    worker._job_pool = pool
    worker._env = _frame()
    worker._stop_signal_received = False
    worker._eval_job = lambda env, job: None
    with REGISTRY.installed():
        worker.eval()
    assert pool.closed == 5_000
