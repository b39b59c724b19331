"""Retry intervals, locally: with ``fast_retries``, recorded instead of slept, by the runner
whose state machine retries.

moto 5.2.5's retrier sleeps each interval for real (``RetrierDecl._eval_body`` calls
``time.sleep``), as Step Functions waits between attempts ("Handling errors in Step Functions
workflows", retriers). With ``fast_retries`` a runner records the intervals in
``LocalRunner.retry_intervals`` and goes on at once. Several runners may be open at once: the
retrier's execution is known from its ``Environment`` (the Context object's
``StateMachine.Id``, as ``_waits`` reads it), set for the retrier's own thread while it runs, so
each interval goes to the runner of that state machine. An interval of a state machine no
runner opened (a Distributed Map child of its own ARN, say) goes to the runner opened last, as
before: with ``fast_retries`` nothing sleeps.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ._waits import state_machine_of

_recorders: dict[str, list[float]] = {}
"""State machine ARN → the list its retry intervals go to (in the order the runners opened)."""
_lock = threading.Lock()
_current = threading.local()
_originals: dict[str, Any] = {}


class _Clock:
    """The retrier module's ``time``: ``sleep`` is recorded, everything else is ``time``'s."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    def sleep(self, seconds: float) -> None:
        with _lock:
            target = _recorders.get(getattr(_current, "state_machine", None) or "")
            if target is None and _recorders:
                target = list(_recorders.values())[-1]
        if target is None:
            time.sleep(seconds)
        else:
            target.append(seconds)


def _module() -> Any:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    return retrier_decl


@contextmanager
def recorded_retry_sleeps(state_machine_arn: str, intervals: list[float]) -> Iterator[None]:
    """While open, every retry interval of ``state_machine_arn`` goes to ``intervals``, no time
    passing."""
    module = _module()
    cls = module.RetrierDecl
    with _lock:
        if not _recorders:
            _originals["time"], _originals["eval"] = module.time, cls._eval_body
            original = cls._eval_body

            def eval_body(self: Any, env: Any) -> None:
                previous = getattr(_current, "state_machine", None)
                _current.state_machine = state_machine_of(env)
                try:
                    original(self, env)
                finally:
                    _current.state_machine = previous

            cls._eval_body = eval_body
            module.time = _Clock()
        _recorders[state_machine_arn] = intervals
    try:
        yield
    finally:
        with _lock:
            _recorders.pop(state_machine_arn, None)
            if not _recorders:
                module.time = _originals.pop("time")
                cls._eval_body = _originals.pop("eval")
