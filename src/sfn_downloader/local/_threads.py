"""Task threads, reused: moto runs each Task state's work in a new thread (so that it can stop
waiting at the state's ``TimeoutSeconds``) and keeps every one of them in a module list for the
life of the process. A fan-out of N paths started 2N threads, and starting one is a hand-over
of the interpreter lock to the new thread and back: with creating the thread, its ``Event``
and ``Condition``, about a fifth of a local fan-out's time.

Here ``ExecutionState._evaluate_with_timeout``'s ``Thread`` is a ``PooledThread``: its target
runs on an idle thread of a pool, or a new one when none is idle (the pool never makes a Task
wait for another: a ``.sync`` task waiting on a child execution whose Tasks need threads gets
new ones). The state still waits for the work with its timeout, as moto does; an idle thread
ends after a minute.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from ._patch import Patch, constant

IDLE_SECONDS = 60.0
"""An idle pool thread ends after this long."""

Work = Callable[[], object]


class _Pool:
    """Threads that each run one piece of work at a time, idle ones reused (last idle first)."""

    def __init__(self) -> None:
        self._idle: list[queue.SimpleQueue[Work]] = []
        self._lock = threading.Lock()

    def run(self, work: Work) -> None:
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(
                target=self._serve, args=(inbox,), daemon=True, name="sfn-local-task"
            ).start()
        inbox.put(work)

    def _serve(self, inbox: queue.SimpleQueue[Work]) -> None:
        while True:
            try:
                work = inbox.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:
                        self._idle.remove(inbox)
                        return
                continue  # taken from the idle list just now: its work is on the way
            try:
                work()
            finally:
                with self._lock:
                    self._idle.append(inbox)


_POOL = _Pool()


class PooledThread:
    """What ``execute_state`` uses of ``threading.Thread``: ``Thread(target=..., daemon=True)``
    and ``start()``, the target run on the pool."""

    def __init__(self, target: Work, daemon: bool = True, **_: Any) -> None:
        self._target = target

    def start(self) -> None:
        _POOL.run(self._target)


class _Forgotten(list[Any]):
    """moto's ``TMP_THREADS`` as ``execute_state`` sees it: nothing kept (a pooled thread is
    not a ``Thread`` to join, and the list only grew)."""

    def append(self, item: Any) -> None:
        return None


_EXECUTE_STATE = "moto.stepfunctions.parser.asl.component.state.exec.execute_state"
PATCHES = (
    Patch(
        name="task-threads",
        targets={
            f"{_EXECUTE_STATE}:Thread": constant(PooledThread),
            f"{_EXECUTE_STATE}:TMP_THREADS": constant(_Forgotten()),
        },
        reason=(
            "moto starts a thread for every Task state it runs and keeps it in a list: starting "
            "them was about a fifth of a local fan-out's time. Task work runs on reused threads."
        ),
        upstream="stays: a speed-up of the runner's (moto reusing Task threads would delete it)",
        kind="feature",
    ),
)
