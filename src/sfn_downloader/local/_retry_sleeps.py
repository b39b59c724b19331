"""Retry intervals, locally: with ``fast_retries``, recorded instead of slept, by the runner
whose state machine retries.

moto 5.2.5's retrier sleeps each interval for real (``RetrierDecl._eval_body`` calls
``time.sleep``), as Step Functions waits between attempts ("Handling errors in Step Functions
workflows", retriers). With ``fast_retries`` a runner records the intervals in
``LocalRunner.retry_intervals`` and goes on at once. Several runners may be open at once: the
retrier's execution is known from its ``Environment`` (the Context object's
``StateMachine.Id``), set for the retrier's own thread while it runs, so each interval goes to
the runner of that state machine. An interval of a state machine no runner opened (a
Distributed Map child of its own ARN, say) goes to the runner opened last: with
``fast_retries`` nothing sleeps.
"""

from __future__ import annotations

import threading
import time
from contextlib import AbstractContextManager
from typing import Any

from ._patch import Patch, constant, keeping
from ._recorders import Recorders, state_machine_of

_current = threading.local()
_originals: dict[str, Any] = {}


class _Clock:
    """The retrier module's ``time``: ``sleep`` is recorded, everything else is ``time``'s."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        target = _RETRIES.target(getattr(_current, "state_machine", None), or_last=True)
        if target is None:
            time.sleep(seconds)
        else:
            target.append(seconds)


def _eval_body(self: Any, env: Any) -> None:
    previous = getattr(_current, "state_machine", None)
    _current.state_machine = state_machine_of(env)
    try:
        _originals["eval"](self, env)
    finally:
        _current.state_machine = previous


_RETRIES = Recorders()
_RETRIER = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
PATCHES = (
    Patch(
        name="retry-sleeps",
        targets={
            f"{_RETRIER}:time": constant(_Clock()),
            f"{_RETRIER}:RetrierDecl._eval_body": keeping(_originals, "eval", _eval_body),
        },
        reason="fast_retries: a runner records its state machine's retry intervals unslept.",
        upstream="stays: the runner's own feature (moto sleeps as Step Functions waits)",
        kind="feature",
    ),
)


def recorded_retry_sleeps(
    state_machine_arn: str, intervals: list[float]
) -> AbstractContextManager[None]:
    """While open, every retry interval of ``state_machine_arn`` goes to ``intervals``, no time
    passing."""
    return _RETRIES.recording(state_machine_arn, intervals)
