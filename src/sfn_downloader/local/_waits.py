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

from contextlib import AbstractContextManager
from typing import Any

from ._patch import Patch, keeping
from ._recorders import Recorders, state_machine_of

_original: dict[str, Any] = {}


def _record(self: Any, env: Any, wait_seconds: int) -> None:
    target = _WAITS.target(state_machine_of(env))
    if target is None:
        _original["wait"](self, env, wait_seconds)
    else:
        target.append(wait_seconds)


_WAITS = Recorders()
PATCHES = (
    Patch(
        name="waits",
        targets={
            "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function:"
            "WaitFunction._wait_interval": keeping(_original, "wait", _record),
        },
        reason="fast_retries: a runner records its state machine's Wait seconds unslept.",
        upstream="stays: the runner's own feature (moto waits as Step Functions does)",
        kind="feature",
    ),
)


def recorded_waits(state_machine_arn: str, waits: list[int]) -> AbstractContextManager[None]:
    """While open, every Wait state of ``state_machine_arn`` goes to ``waits``, no time
    passing."""
    return _WAITS.recording(state_machine_arn, waits)
