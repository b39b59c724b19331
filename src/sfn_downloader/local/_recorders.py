"""Sleeps of moto's interpreter recorded instead of slept (``fast_retries``), each by the runner
whose state machine sleeps: the registry ``_waits`` (Wait states) and ``_retry_sleeps`` (retry
intervals) share. Their patches are installed with every other (``_patch``); a sleep no runner
records is slept."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def state_machine_of(env: Any) -> str | None:
    """The ARN of the state machine ``env`` (an execution's Environment) runs, if known (the
    Context object's ``StateMachine.Id``)."""
    try:
        return str(env.states.context_object.context_object_data["StateMachine"]["Id"])
    except (AttributeError, KeyError, TypeError):
        return None


class Recorders:
    """State machine ARN → the list its sleeps go to, in the order the runners opened."""

    def __init__(self) -> None:
        self._lists: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def target(self, state_machine: str | None, *, or_last: bool = False) -> list[Any] | None:
        """The list of ``state_machine``; else, with ``or_last``, the last opened runner's."""
        with self._lock:
            found = self._lists.get(state_machine or "")
            if found is None and or_last and self._lists:
                found = list(self._lists.values())[-1]
            return found

    @contextmanager
    def recording(self, state_machine_arn: str, into: list[Any]) -> Iterator[None]:
        """While open, the sleeps of ``state_machine_arn`` go to ``into``."""
        with self._lock:
            self._lists[state_machine_arn] = into
        try:
            yield
        finally:
            with self._lock:
                self._lists.pop(state_machine_arn, None)
