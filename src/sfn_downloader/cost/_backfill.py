"""The cost of a backfill: per scheduled time, one run of the downloader and one transition of
the backfill's Map, plus the backfill's own few states once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._definition import _choice_next, render_definition, successful_path
from ._errors import CostModelError
from ._model import ON_DEMAND, CostEstimate, LineItem, estimate_cost
from ._prices import Prices, _prices_for

if TYPE_CHECKING:
    from ..pattern import DownloaderPattern


def estimate_backfill_cost(
    pattern: DownloaderPattern,
    *,
    scheduled_times: int,
    region: str = "us-east-1",
    prices: Prices | None = None,
    duration_ms: float = 300.0,
    memory_mb: int = 64,
    item_size_bytes: int = 1024,
) -> CostEstimate:
    """What one backfill of ``scheduled_times`` times costs (once, not a month).

    Each time is one run of the downloader, priced as a scheduled run without the Scheduler's
    invocation (Express requests and duration, or Standard transitions; the API request; the
    writes), plus the backfill's Standard transitions: one a time (``RunOne``), and its own
    states once (``CheckRange``, ``ListTimes``, ``CheckTimes``, ``RunAll``, ``AnyFailed``,
    ``Done``). Free tiers are ignored in ``total``, as everywhere.

    :param pattern: A downloader with ``backfill=True``.
    :param scheduled_times: How many times the range holds (at most 1,000 an execution).
    :param region: Default: ``"us-east-1"``.
    :param prices: Default: ``PRICES[region]``.
    :param duration_ms: Express: how long a run lasts. Default: 300 ms.
    :param memory_mb: Express: memory a run uses. Default: 64 MB.
    :param item_size_bytes: Size of each item written. Default: 1024 (1 write request unit).
    """
    from aws_cdk import Stack

    backfill = pattern.backfill_state_machine
    if backfill is None:
        raise CostModelError("the downloader has no backfill_state_machine: pass backfill=True.")
    if isinstance(scheduled_times, bool) or not isinstance(scheduled_times, int):
        raise CostModelError(f"scheduled_times must be an int, not {scheduled_times!r}.")
    if scheduled_times < 1:
        raise CostModelError(f"scheduled_times must be at least 1, not {scheduled_times!r}.")
    stack = Stack.of(pattern)
    machine: Any = pattern.state_machine.node.default_child
    runs = estimate_cost(
        render_definition(stack.resolve(machine.definition_string)),
        schedule_expression=ON_DEMAND,
        workflow_type=stack.resolve(machine.state_machine_type) or "STANDARD",
        region=region, prices=prices, runs_per_month=scheduled_times,
        duration_ms=duration_ms, memory_mb=memory_mb, item_size_bytes=item_size_bytes,
    )  # fmt: skip
    backfill_machine: Any = backfill.node.default_child
    fixed, per_time = backfill_transitions(
        render_definition(stack.resolve(backfill_machine.definition_string))
    )
    price = prices or _prices_for(region)
    transitions = fixed + per_time * scheduled_times
    line = LineItem(
        "Step Functions Standard (backfill)",
        transitions,
        "state transitions",
        price.standard_per_transition,
        price.standard_free_transitions,
    )
    return replace(
        runs,
        schedule_expression=f"backfill of {scheduled_times:,} scheduled times",
        line_items=(*runs.line_items, line),
        assumptions=(
            f"One-off: one backfill of {scheduled_times:,} scheduled times, one downloader run "
            f"each ({runs.transitions_per_run} states), and {fixed} + {per_time} a time "
            "transitions of the backfill itself.",
            *(a for a in runs.assumptions if "-day month" not in a),
        ),
        period="backfill",
    )


def backfill_transitions(definition: Mapping[str, Any]) -> tuple[int, int]:
    """``(once, per time)``: the states a successful backfill enters outside its Map, and in
    each of the Map's iterations."""
    states: Mapping[str, Any] = definition.get("States", {})
    name = definition.get("StartAt")
    once, per_time = 0, 0
    seen: set[str] = set()
    while isinstance(name, str) and name in states and name not in seen:
        seen.add(name)
        state = states[name]
        once += 1
        kind = state.get("Type")
        if kind == "Map":
            processor = state.get("ItemProcessor") or state.get("Iterator") or {}
            per_time += len(successful_path(processor))
        if kind in ("Succeed", "Fail") or state.get("End") is True:
            return once, per_time
        name = _choice_next(states, state) if kind == "Choice" else state.get("Next")
    raise CostModelError(f"cannot follow the backfill's states (at {name!r}).")
