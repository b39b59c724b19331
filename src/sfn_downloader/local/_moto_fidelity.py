"""Where moto 5.2.5's interpreter is more lenient than AWS: one isolated adapter, AWS's rules.

Each rule below comes from the Step Functions developer guide (page titles cited); moto 5.2.5
breaks each one, so a local run would succeed, or be caught, where AWS fails:

* "Handling errors in Step Functions workflows": ``States.ALL`` "can't catch the
  States.DataLimitExceeded terminal error or Runtime error types", and "A States.Runtime error
  isn't retriable, and will always cause the execution to fail". So a Retrier or Catcher whose
  ``ErrorEquals`` is ``States.ALL`` matches neither, one that names
  ``States.DataLimitExceeded`` matches it, and nothing matches ``States.Runtime``. moto matches
  both with ``States.ALL`` (and ``States.Runtime`` when named).
* "Intrinsic functions": ``States.ArrayRange`` "can't contain more than 1000 items". moto
  refuses too, but names the failure ``States.Runtime``; the Amazon States Language
  specification names a failed intrinsic ``States.IntrinsicFailure`` ("Within a Payload
  Template, the attempt to invoke an Intrinsic Function failed"), which the local run reports.
  (Whether AWS reports that name here is checked by ``scripts/verify_on_aws.py``.)
* "Step Functions service quotas" and "Avoid reaching the history quota": a Standard
  execution's history holds at most 25,000 events; when event 25,000 is not
  ``ExecutionSucceeded``, ``ExecutionFailed`` is logged instead and the execution fails. moto
  has no such limit. The guide names no error: the local run reports ``States.Runtime`` (its
  generic "exception that it couldn't process"), an open question checked by
  ``scripts/verify_on_aws.py``.

* "Map workflow state" and "Parallel workflow state": an iteration or branch that fails with
  an unhandled error fails the whole state with that error. moto 5.2.5 rebuilds the error name
  as a custom one, which refuses every ``States.*`` name, so any such failure became
  ``States.Runtime`` ("Custom Error Names MUST NOT begin with the prefix 'States.'"); here the
  error keeps its name (``States.DataLimitExceeded`` stays itself, and stays uncatchable by
  ``States.ALL``).
* "Using Map state in Distributed mode" / UpdateMapRun (API reference): a Map Run fails when
  its failed items exceed ``ToleratedFailureCount``/``ToleratedFailurePercentage`` (default 0),
  with ``States.ExceedToleratedFailureThreshold`` ("Handling errors in Step Functions
  workflows"). moto 5.2.5 counts a failed child execution and carries on, so the Map succeeded.

DELETE THIS MODULE (or the rule in question) once moto applies these rules itself; each patch
replaces one private method and is undone when the last runner closes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._express import express_integration_problems as express_integration_problems
from ._moto_context import with_text_start_time
from ._patch import Patch, constant, keeping

STATES_ALL = "States.ALL"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
RUNTIME = "States.Runtime"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
TOLERATED_FAILURE_EXCEEDED = "States.ExceedToleratedFailureThreshold"

ARRAY_RANGE_MAX_ITEMS = 1000
"""``States.ArrayRange`` may return at most this many items ("Intrinsic functions")."""

HISTORY_EVENT_LIMIT = 25_000
"""A Standard execution's history holds at most this many events ("Step Functions service
quotas"; a hard quota)."""

HISTORY_LIMIT_ERROR = RUNTIME
"""The error the local run reports when a Standard execution reaches ``HISTORY_EVENT_LIMIT``.
No AWS document names it: see docs/checked-on-aws.md."""

HISTORY_LIMIT_CAUSE = (
    "The execution reached the maximum number of history events ({limit}) of a Standard "
    "workflow (Step Functions service quotas). Emulated by sfn_downloader.local: AWS's exact "
    "error and cause are not documented."
)


_originals: dict[str, Any] = {}
_limits = {"history": HISTORY_EVENT_LIMIT}


# --- Retry and Catch: what States.ALL and a named error match ---------------------------------


def error_matches(error_equals: list[str], error: str | None) -> bool:
    """Whether a Retrier or Catcher with ``error_equals`` handles ``error``, as AWS documents.

    ``States.Runtime`` is never handled; ``States.DataLimitExceeded`` only when named;
    ``States.ALL`` handles every other error. ``States.TaskFailed`` is left to moto.
    """
    if error == RUNTIME:
        return False
    if error in error_equals:
        return True
    return STATES_ALL in error_equals and error != DATA_LIMIT_EXCEEDED


def _error_equals_eval_body(self: Any, env: Any) -> None:
    """Replacement for moto's ``ErrorEqualsDecl._eval_body`` (Retry and Catch matching)."""
    error_name = env.stack[-1]
    error = getattr(error_name, "error_name", None)
    if error in (RUNTIME, DATA_LIMIT_EXCEEDED):
        env.stack.pop()
        names = [str(name.error_name) for name in self.error_names]
        env.stack.append(error_matches(names, error))
        return
    # Every other error: moto's own matching (States.ALL, States.TaskFailed, exact names).
    _originals["error_equals"](self, env)


# --- Map iterations and Parallel branches: the failure keeps its error name --------------------


def _propagated_error_name(error_name: str | None) -> Any:
    """Stands in for ``CustomErrorName`` where moto re-raises an iteration's or a branch's
    error: a ``States.*`` name it knows stays a States error name (so ``States.ALL`` and
    ``States.TaskFailed`` match it as AWS does), any other ``States.*`` name
    (``States.Http.StatusCode.404``) is kept as it is, the rest is a custom name as before."""
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )

    if error_name is None or not error_name.startswith("States."):
        return CustomErrorName(error_name=error_name)
    try:
        return StatesErrorName.from_name(error_name)
    except ValueError:
        name = CustomErrorName.__new__(CustomErrorName)
        ErrorName.__init__(name, error_name=error_name)  # skip the prefix check
        return name


# --- Distributed Map: the Map Run fails past its tolerated failures ---------------------------


def map_run_exceeds_threshold(
    failed: int, total: int, tolerated_count: int, tolerated_percentage: float
) -> bool:
    """Whether a Map Run with ``failed`` of ``total`` items failed fails ("The maximum number
    of failed items before the Map Run fails", UpdateMapRun). Both thresholds default to 0:
    one failed item fails the Map Run. (Given both, AWS may fail on either; here both must be
    exceeded, so a threshold left at its default does not override the one that was set.)"""
    if failed == 0:
        return False
    return failed > tolerated_count and failed * 100.0 / max(total, 1) > tolerated_percentage


def _map_run_with_threshold(self: Any, env: Any, eval_input: Any) -> None:
    """Replacement for moto's ``DistributedIterationComponent._map_run``: after the child
    executions, fail with ``States.ExceedToleratedFailureThreshold`` past the threshold."""
    _originals["map_run"](self, env, eval_input)
    counter = eval_input.map_run_record.item_counter
    failed = counter.failed.get() + counter.timed_out.get() + counter.aborted.get()
    total = counter.total.get()
    if map_run_exceeds_threshold(
        failed, total, eval_input.tolerated_failure_count, eval_input.tolerated_failure_percentage
    ):
        env.stack.pop()  # the children's outputs
        raise _failure(
            env,
            TOLERATED_FAILURE_EXCEEDED,
            f"The specified tolerated failure threshold was exceeded: {failed} of {total} "
            f"items failed (tolerated: count {eval_input.tolerated_failure_count}, "
            f"percentage {eval_input.tolerated_failure_percentage}).",
        )


# --- States.ArrayRange: at most 1,000 items ---------------------------------------------------


def array_range_size(first: float, last: float, step: float) -> int:
    """How many items ``States.ArrayRange(first, last, step)`` produces (``step`` non-zero)."""
    first, last, step = round(first), round(last), round(step)
    if step == 0 or (step > 0 and last < first) or (step < 0 and last > first):
        return 0
    return (last - first) // step + 1


def _array_range_eval_body(self: Any, env: Any) -> None:
    """Replacement for moto's ``ArrayRange._eval_body`` (its checks and messages kept): over
    1,000 items fails with ``States.IntrinsicFailure``, and the oversized list is never built."""
    self.argument_list.eval(env=env)
    values = env.stack.pop()
    for value in values:
        if not isinstance(value, int | float):
            raise TypeError(
                f"Expected 3 integer arguments for function type '{type(self)}', "
                f"but got: '{values}'."
            )
    first, last, step = (round(value) for value in values)
    if step <= 0:
        raise ValueError(f"Expected step argument to be non negative, but got: '{step}'.")
    size = array_range_size(first, last, step)
    if size > ARRAY_RANGE_MAX_ITEMS:
        raise _failure(
            env,
            INTRINSIC_FAILURE,
            f"The function 'States.ArrayRange({values[0]}, {values[1]}, {values[2]})' would "
            f"return {size} items; an array it returns can't contain more than "
            f"{ARRAY_RANGE_MAX_ITEMS} items.",
        )
    env.stack.append(list(range(first, last + 1, step)))


def _failure(env: Any, error: str, cause: str) -> Exception:
    """A ``States.*`` failure of the state being evaluated (``error`` a name moto knows)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.from_name(error)),
            event_type=HistoryEventType.TaskFailed,
            # moto declares EventDetails total=True yet fills one key, as here.
            event_details=EventDetails(  # type: ignore[typeddict-item]
                taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)
            ),
        )
    )


# --- Standard executions: at most 25,000 history events ---------------------------------------


def _state_machine_details(self: Any) -> Any:
    """Replacement for moto's ``Execution.get_start_state_machine_details``: the interpreter
    learns the real workflow type (moto 5.2.5 hard-codes ``sm_type = "STANDARD"`` on its state
    machines and keeps the real one in ``type``)."""
    from moto.stepfunctions.parser.api import StateMachineType

    details = _originals["details"](self)
    actual = getattr(self.state_machine, "type", None)
    if actual in (StateMachineType.STANDARD.value, StateMachineType.EXPRESS.value):
        details.typ = StateMachineType(actual)
    return details


def _bounded_environment(self: Any) -> Any:
    """Replacement for moto's ``ExecutionWorker._get_evaluation_environment``: the context's
    ``StartTime`` as text (``_moto_context``), and a Standard
    execution's history is bounded (inline Map and Parallel iterations share it; Distributed
    Map child executions have histories of their own, as on AWS, and are not bounded here)."""
    env = with_text_start_time(_originals["environment"](self))
    if env.is_standard_workflow():
        env.event_manager = _bounded_event_manager(env)
    return env


_manager_classes: dict[str, Any] = {}


def _bounded_event_manager(env: Any) -> Any:
    if "manager" not in _manager_classes:
        from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

        class BoundedEventManager(EventManager):
            """Drops every event after the quota's last one but ``ExecutionFailed``, which it
            logs as event 25,000, and fails the execution there (the state being evaluated
            sees the execution is no longer running and stops)."""

            def __init__(self, environment: Any) -> None:
                super().__init__(
                    cloud_watch_logging_session=environment.cloud_watch_logging_session
                )
                self._environment = environment
                self._count = 0
                self._exhausted = False
                self._count_lock = threading.Lock()

            def add_event(self, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> Any:
                limit = _limits["history"]
                with self._count_lock:
                    if self._exhausted and event_type != HistoryEventType.ExecutionFailed:
                        return self._count
                    last = self._count == limit - 1
                    if last and event_type not in (
                        HistoryEventType.ExecutionSucceeded,
                        HistoryEventType.ExecutionFailed,
                    ):
                        self._exhausted = True
                        environment = self._environment
                        environment.set_error(
                            ExecutionFailedEventDetails(
                                error=HISTORY_LIMIT_ERROR,
                                cause=HISTORY_LIMIT_CAUSE.format(limit=limit),
                            )
                        )
                        # The state being evaluated stops half-way and may fail on what it
                        # lacks: keep the quota as the execution's error.
                        environment.set_error = _ignore
                        return self._count
                    if self._count >= limit:
                        return self._count
                    self._count += 1
                return super().add_event(context, event_type, *args, **kwargs)

        _manager_classes["manager"] = BoundedEventManager
    return _manager_classes["manager"](env)


def _ignore(*args: Any, **kwargs: Any) -> None:
    return None


@contextmanager
def history_event_limit(limit: int) -> Iterator[None]:
    """Run with a smaller history quota than AWS's 25,000 (for fast tests of the rule)."""
    previous = _limits["history"]
    _limits["history"] = limit
    try:
        yield
    finally:
        _limits["history"] = previous


_ASL = "moto.stepfunctions.parser.asl.component."
_BACKEND = "moto.stepfunctions.parser.backend."
_HANDLING_ERRORS = "'Handling errors in Step Functions workflows'"
PATCHES = (
    Patch(
        name="error-matching",
        targets={
            f"{_ASL}common.error_name.error_equals_decl:ErrorEqualsDecl._eval_body": keeping(
                _originals, "error_equals", _error_equals_eval_body
            ),
        },
        reason=(
            "moto's States.ALL catches and retries States.DataLimitExceeded and States.Runtime, "
            f"and a Retrier naming States.Runtime retries it; {_HANDLING_ERRORS}: neither is "
            "caught by States.ALL, and States.Runtime is never retried or caught."
        ),
        upstream="moto's ErrorEqualsDecl applying the terminal error rules",
    ),
    Patch(
        name="array-range",
        targets={
            f"{_ASL}intrinsic.function.statesfunction.array.array_range:ArrayRange._eval_body": (
                constant(_array_range_eval_body)
            ),
        },
        reason=(
            "moto names a States.ArrayRange of over 1,000 items States.Runtime; 'Intrinsic "
            "functions' limits it to 1,000 and the States Language names a failed intrinsic "
            "States.IntrinsicFailure."
        ),
        upstream="moto raising States.IntrinsicFailure for failed intrinsic functions",
    ),
    Patch(
        name="error-names",
        targets={
            f"{_ASL}state.exec.state_map.iteration.iteration_worker:CustomErrorName": constant(
                _propagated_error_name
            ),
            f"{_ASL}state.exec.state_parallel.branches_decl:CustomErrorName": constant(
                _propagated_error_name
            ),
        },
        reason=(
            "moto rebuilds a failed Map iteration's or Parallel branch's error as a custom name, "
            "which refuses States.* names, so every such failure became States.Runtime; 'Map "
            "workflow state', 'Parallel workflow state': the state fails with the error."
        ),
        upstream="moto propagating the iteration's or branch's error name",
    ),
    Patch(
        name="map-run-threshold",
        targets={
            f"{_ASL}state.exec.state_map.iteration.distributed_iteration_component:"
            "DistributedIterationComponent._map_run": keeping(
                _originals, "map_run", _map_run_with_threshold
            ),
        },
        reason=(
            "moto counts a failed child execution of a Distributed Map and carries on; a Map Run "
            "fails past ToleratedFailureCount/Percentage (default 0) with "
            "States.ExceedToleratedFailureThreshold ('Using Map state in Distributed mode', "
            "UpdateMapRun)."
        ),
        upstream="moto applying the tolerated failure threshold",
    ),
    Patch(
        name="workflow-type",
        targets={
            f"{_BACKEND}execution:Execution.get_start_state_machine_details": keeping(
                _originals, "details", _state_machine_details
            ),
        },
        reason=(
            "moto hard-codes sm_type STANDARD in the interpreter's state machine details, so an "
            "Express execution runs as a Standard one (the history quota below is Standard's)."
        ),
        upstream="moto passing the state machine's real type to the interpreter",
    ),
    Patch(
        name="environment",
        targets={
            f"{_BACKEND}execution_worker:ExecutionWorker._get_evaluation_environment": keeping(
                _originals, "environment", _bounded_environment
            ),
        },
        reason=(
            "moto puts a datetime in $$.Execution.StartTime ('Accessing execution data from the "
            "Context object': ISO 8601 text), and a Standard execution's history has no bound "
            "('Step Functions service quotas': 25,000 events). One patch owns the method for "
            "both (they were two, correct only by install order)."
        ),
        upstream=(
            "moto writing StartTime as text (the probe) and bounding a Standard history; drop "
            "each part as moto gains it"
        ),
    ),
)
