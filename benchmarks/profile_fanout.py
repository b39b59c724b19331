"""Where a local fan-out's CPU goes: one ``bench_fanout.py`` shape run under a profiler of
every thread (issue 28).

``python benchmarks/profile_fanout.py SHAPE [-o FILE] [--in-process] [--top N]``, SHAPE a name
of ``bench_fanout.SHAPES`` (``"1,000 paths, inline"``). cProfile sees only the thread that
enables it, and a local run's work is in moto's execution threads and the runner's Task
threads: here every thread started during the run profiles itself with
``cProfile.Profile(time.thread_time)`` (CPU time, not lock waits), and the stats are merged.
Prints the top functions by own and by cumulative time; ``-o`` writes the merged stats
(``python -m pstats FILE``). Not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import threading
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from bench_fanout import SHAPES, _app, stand_in

_PROFILES: list[cProfile.Profile] = []
_RUN = threading.Thread.run


def _profiled_run(self: threading.Thread) -> None:
    profile = cProfile.Profile(time.thread_time)
    _PROFILES.append(profile)
    profile.enable()
    try:
        _RUN(self)
    finally:
        profile.disable()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("shape", choices=[shape.name for shape in SHAPES])
    parser.add_argument("-o", "--output", help="write the merged stats here")
    parser.add_argument("--in-process", action="store_true", help="a WSGI stand-in")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    index, shape = next((i, s) for i, s in enumerate(SHAPES) if s.name == args.shape)
    from sfn_downloader.local import LocalRunner

    shapes = tuple(s if s is shape else None for s in SHAPES[: index + 1])
    app = _app(tuple(s for s in shapes if s is not None))
    app.synth()
    with (
        stand_in(fail=shape.fail, in_process=args.in_process) as upstream,
        LocalRunner(app, upstream=upstream, pattern="Fanout0/Many") as runner,
    ):
        main_profile = cProfile.Profile(time.thread_time)
        threading.Thread.run = _profiled_run  # type: ignore[method-assign]
        cpu = time.process_time()
        begun = time.perf_counter()
        main_profile.enable()
        execution = runner.run("2026-11-27T05:30:00Z")
        main_profile.disable()
        seconds = time.perf_counter() - begun
        cpu = time.process_time() - cpu
        threading.Thread.run = _RUN  # type: ignore[method-assign]
    print(f"{shape.name}: {seconds:.1f} s wall, {cpu:.1f} s CPU, {execution.status}, "
          f"{len(_PROFILES)} threads profiled; load {os.getloadavg()[0]:.1f}")  # fmt: skip
    stats: Any = pstats.Stats(main_profile)
    for profile in _PROFILES:
        stats.add(profile)
    if args.output:
        stats.dump_stats(args.output)
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats.stream = out
        stats.sort_stats(key).print_stats(args.top)
        print("\n".join(out.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
