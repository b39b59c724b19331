"""Map states whose local cost is linear in their items, and as long as AWS allows.

Two things of moto's (5.2.5, 5.2.6) Map iteration workers, LocalStack's design:

* **The Map's input is deep-copied for every item.** ``InlineItemProcessorWorker._eval_input``
  (the Distributed worker inherits it) evaluates the ``ItemSelector`` against the Map state's
  input: it first ``reset``\\ s the item's state data to a deep copy of that whole input (the
  list of N items included), and leaves the input on the item's evaluation stack, which every
  Task deep-copies again (``ExecutionState._evaluate_with_timeout``). N items x N-item input:
  CPU grew as 6.3 ms x N + 9.5 us x N^2 (54 % of a 1,000-path run went to ``copy.deepcopy``).
  Here the ``ItemSelector`` reads the Map's input where it is, without a copy: nothing mutates
  it there (moto's JSONPath bindings deep-copy every value they extract, ``StringJsonPath``;
  JSONata bindings are serialized), and the selector's output is deep-copied into the item's
  state data as before, so an item still sees no other item's or state's data, as on AWS
  (every state's input and output is a JSON text of its own there). The Map's input is then
  taken off the item's stack: no state reads below its own entries.
* **One level of recursion per item.** ``IterationWorker._eval_pool`` (and the Distributed
  worker's) calls itself for a worker's next item, so ``MaxConcurrency: 1`` over ~970 items
  hits Python's recursion limit (``RecursionError``: the run fails) where AWS runs any number
  ("Map state": an inline Map's items are bounded by the 256 KiB input and the execution's
  history, a Distributed Map's by its item source). Here the worker loops.

DELETE THIS MODULE once moto evaluates the ``ItemSelector`` without copying the Map's input
and iterates instead of recursing (LocalStack's ``iteration_worker.py`` has the same shape).
"""

from __future__ import annotations

from typing import Any

from ._patch import Patch, constant


def _eval_input(self: Any, env_frame: Any) -> None:
    """Replacement for ``InlineItemProcessorWorker._eval_input``: the ``ItemSelector`` (or
    ``Parameters``) evaluated against the Map's input without copying it; the item's state data
    is a deep copy of the selector's output, as moto makes it."""
    if not self._parameters and not self._item_selector:
        return
    map_state_input = self._env.stack[-1]
    states = env_frame.states
    # What States.reset does, without its deep copy: read-only here, and replaced below.
    states._states_data["input"] = map_state_input
    states._states_data["result"] = None
    states._states_data["errorOutput"] = None
    env_frame.stack.append(map_state_input)
    if self._item_selector:
        self._item_selector.eval(env_frame)
    else:
        self._parameters.eval(env_frame)
    output_value = env_frame.stack.pop()
    if env_frame.stack and env_frame.stack[-1] is map_state_input:
        env_frame.stack.pop()
    env_frame.stack.append(output_value)
    states.reset(input_value=output_value)


def _inline_eval_pool(self: Any, job: Any, worker_frame: Any) -> None:
    """Replacement for ``IterationWorker._eval_pool``: the same steps, as a loop."""
    while True:
        if job is None:
            self._env.close_frame(worker_frame)
            return
        job_frame = worker_frame.open_inner_frame()
        self._eval_job(env=job_frame, job=job)
        worker_frame.close_frame(job_frame)
        if isinstance(job.job_output, Exception) or self.stopped():
            self._env.close_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        next_job = self._job_pool.next_job()
        if next_job is None:
            # Non-faulty terminal iteration events are the source of the following states.
            worker_frame.event_history_context.source_event_id = (
                job_frame.event_history_context.last_published_event_id
            )
            self._env.close_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        self._job_pool.close_job(job)
        job = next_job


def _distributed_eval_pool(self: Any, job: Any, worker_frame: Any) -> None:
    """Replacement for ``DistributedItemProcessorWorker._eval_pool``: the same steps, as a
    loop."""
    while True:
        if job is None:
            self._env.delete_frame(worker_frame)
            return
        job_frame = worker_frame.open_inner_frame()
        self._eval_job(env=job_frame, job=job)
        worker_frame.delete_frame(job_frame)
        if isinstance(job.job_output, Exception) or self.stopped():
            self._env.delete_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        next_job = self._job_pool.next_job()
        if next_job is None:
            self._env.delete_frame(worker_frame)
            self._job_pool.close_job(job)
            return
        self._job_pool.close_job(job)
        job = next_job


_ITERATION = "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration."
_PROCESSOR = f"{_ITERATION}itemprocessor."
PATCHES = (
    Patch(
        name="map-input-copies",
        targets={
            f"{_PROCESSOR}inline_item_processor_worker:InlineItemProcessorWorker._eval_input": (
                constant(_eval_input)
            ),
        },
        reason=(
            "moto deep-copies the Map state's whole input for every item (and leaves it on the "
            "item's stack, which every Task copies again): a run's cost grew with the square of "
            "its items. The ItemSelector reads it in place; each item's data is still a copy of "
            "its own ('Map state', ItemSelector: each item's input is the selector's output)."
        ),
        upstream=(
            "moto evaluating the ItemSelector against the Map input without a deep copy (its "
            "StringJsonPath already copies what it extracts)"
        ),
    ),
    Patch(
        name="map-iterations",
        targets={
            f"{_ITERATION}iteration_worker:IterationWorker._eval_pool": constant(_inline_eval_pool),
            f"{_PROCESSOR}distributed_item_processor_worker:DistributedItemProcessorWorker."
            "_eval_pool": constant(_distributed_eval_pool),
        },
        reason=(
            "moto's Map worker recurses once per item: MaxConcurrency 1 over ~970 items fails "
            "with RecursionError where AWS runs them ('Map state': items are bounded by the "
            "state's 256 KiB and the history, not by a depth)."
        ),
        upstream="moto's IterationWorker looping over its jobs instead of recursing",
    ),
)
