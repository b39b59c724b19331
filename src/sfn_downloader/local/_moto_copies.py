"""Copies of state data made for JSON values: the same copies moto makes, at a third of the cost.

moto's interpreter (5.2.5, 5.2.6) keeps states apart as AWS does (every state's input and
output is a JSON text of its own there) by deep-copying: the state data on each reset and
result, each JSONPath extraction, each Task's evaluation stack, each history event's details.
``copy.deepcopy`` is general (a memo of every object, ``__deepcopy__``/``__reduce__`` lookups):
for the dicts, lists, strings and numbers of state data it costs 20 us where a copy that knows
those types takes 8 us, and a local fan-out made ~45 copies a request (about a fifth of its CPU).

Here the moto modules that copy state data see a ``copy`` whose ``deepcopy`` is ``copy_value``:
dicts and lists are rebuilt, strings, numbers, booleans and ``None`` are kept (immutable), and
anything else (a history event's ``datetime``, moto's program-state objects) goes to
``copy.deepcopy`` as before. Each copy is still a value of its own: no state sees another's
mutations. The one difference is none a JSON value can show: an object reached twice within one
value is copied twice (``copy.deepcopy`` keeps such sharing; a JSON text has none).
"""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

from ._patch import Patch, constant

_IMMUTABLE = (str, int, float, bool, type(None))


def copy_value(value: Any) -> Any:
    """A deep copy of ``value``: JSON-shaped parts rebuilt, anything else ``copy.deepcopy``."""
    kind = type(value)
    if kind is dict:
        return {
            key: item if type(item) in _IMMUTABLE else copy_value(item)
            for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _IMMUTABLE else copy_value(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)


def _deepcopy(value: Any, memo: Any = None) -> Any:
    # Looked up at each call, so that a test can count the copies (tests/test_map_local.py).
    return copy_value(value)


def _program_state(self: Any) -> Any:
    """Replacement for ``Environment.program_state``: a copy of the program's state (moto
    deep-copies it at every state and Task); a running or ended one is made anew from its two
    names, any other copied as before."""
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramRunning

    state = self._program_state
    if type(state) is ProgramRunning:
        copied = ProgramRunning()  # type: ignore[no-untyped-call]
        copied._next_state_name = state._next_state_name
        copied._next_field_name = state._next_field_name
        return copied
    if type(state) is ProgramEnded:
        return ProgramEnded()
    return copy.deepcopy(state)


_COPY = SimpleNamespace(deepcopy=_deepcopy)
"""What the patched modules see as ``copy`` (they use ``copy.deepcopy`` and nothing else)."""

_PARSER = "moto.stepfunctions.parser.asl."
COPYING_MODULES = (
    f"{_PARSER}eval.states",
    f"{_PARSER}eval.environment",
    f"{_PARSER}eval.event.event_manager",
    f"{_PARSER}component.common.string.string_expression",
    f"{_PARSER}component.common.path.result_path",
    f"{_PARSER}component.state.exec.execute_state",
    f"{_PARSER}component.state.exec.state_map.state_map",
    f"{_PARSER}component.state.exec.state_task.service.state_task_service",
)
"""The interpreter's modules that deep-copy state data on every state or request."""

PATCHES = (
    Patch(
        name="json-copies",
        targets={
            **{f"{module}:copy": constant(_COPY) for module in COPYING_MODULES},
            f"{_PARSER}eval.environment:Environment.program_state": constant(_program_state),
        },
        reason=(
            "moto deep-copies state data with copy.deepcopy ~45 times a request (each state's "
            "input, result, JSONPath extraction, Task stack, history event): about a fifth of "
            "a local fan-out's CPU. The same copies made for JSON values cost a third; every "
            "state still gets a value of its own ('Input and output processing': each state's "
            "input and output is JSON text)."
        ),
        upstream="stays: a speed-up of the runner's (moto copying JSON faster would delete it)",
        kind="feature",
    ),
)
