"""Wait states, locally: with ``fast_retries``, recorded instead of slept.

moto 5.2.5's interpreter waits a ``Wait`` state's seconds for real (``WaitFunction.
_wait_interval`` blocks on the execution's event), as Step Functions does ("Wait workflow
state"). ``retry_after`` waits what the server asks in a ``Wait`` state, so a test of it
would sleep that long: with ``fast_retries`` the runner records each wait's seconds in
``LocalRunner.waits`` and goes on at once, as it records Retry intervals in
``retry_intervals``. Without ``fast_retries`` every wait is slept.

Several runners may be open at once: each wait is recorded by the runner whose state machine
runs it (the Context object's ``StateMachine.Id``); a state machine no runner records (a
backfill's, without ``fast_retries``) waits for real.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_recorders: dict[str, list[int]] = {}
"""State machine ARN → the list its waits go to."""
_lock = threading.Lock()
_original: Any = None


def state_machine_of(env: Any) -> str | None:
    """The ARN of the state machine ``env`` (an execution's Environment) runs, if known."""
    try:
        return str(env.states.context_object.context_object_data["StateMachine"]["Id"])
    except (AttributeError, KeyError, TypeError):
        return None


@contextmanager
def recorded_waits(state_machine_arn: str, waits: list[int]) -> Iterator[None]:
    """While open, every Wait state of ``state_machine_arn`` goes to ``waits``, no time
    passing."""
    global _original
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    cls = wait_function.WaitFunction
    with _lock:
        if not _recorders:
            _original = cls._wait_interval

            def record(self: Any, env: Any, wait_seconds: int) -> None:
                target = _recorders.get(state_machine_of(env) or "")
                if target is None:
                    _original(self, env, wait_seconds)
                else:
                    target.append(wait_seconds)

            cls._wait_interval = record  # type: ignore[method-assign]
        _recorders[state_machine_arn] = waits
    try:
        yield
    finally:
        with _lock:
            _recorders.pop(state_machine_arn, None)
            if not _recorders:
                cls._wait_interval = _original  # type: ignore[method-assign]
