"""The test suite's CPU time by file: what ``make test``'s workers spend, whatever else runs.

    python benchmarks/bench_suite_cpu.py                  # the whole suite, as make test runs it
    python benchmarks/bench_suite_cpu.py tests/test_x.py  # some files (pytest arguments)
    python benchmarks/bench_suite_cpu.py --top 40 --keep cpu.jsonl

Wall figures (``--durations``) follow the machine's load: on this shared 2-core machine the same
suite took 9 minutes at load average 15 and 3 at load 1, and a file's share of the slowdown
depends on what ran beside it. CPU seconds do not. Each test's CPU is that of its worker
process, of every live process below it (``/proc``: the jsii ``node`` kernel, the JSONata
bridge, a subprocess still running) and of the children it reaped (``RUSAGE_CHILDREN``: the
CLI, the wheel's build, mkdocs), setup and teardown included: a module fixture's synthesis
counts in the file's first test. Linux only (``/proc``).

Loaded into the workers as a pytest plugin (``-p bench_suite_cpu``, this directory on
``PYTHONPATH``): each test appends one JSON line (``id``, ``cpu``, ``wall``) to the file named
by ``BENCH_SUITE_CPU_OUT``. The summary sums them by file, and splits the sum between
``tests/xdist_balance.py``'s unit of scenario files (one worker synthesizes every scenario)
and the rest: on two workers the run cannot be shorter than the larger of the two.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = "BENCH_SUITE_CPU_OUT"
"""The environment variable naming the JSON-lines file the workers append to."""
TICKS = os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    """The processes ``pid``'s threads started (any thread may start one: the JSONata bridge
    is started by the thread of the state that first needs it)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            found += [int(child) for child in task.read_text().split()]
    return found


def _own_cpu(pid: int) -> float:
    """User + system seconds of ``pid`` itself (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14, 15)


def process_cpu(pid: int | None = None) -> float:
    """CPU seconds of this process (or ``pid``), of every live process below it and (for this
    process) of the children it reaped."""
    root = os.getpid() if pid is None else pid
    total, pending = 0.0, [root]
    while pending:
        current = pending.pop()
        total += _own_cpu(current)
        pending += _children(current)
    if root == os.getpid():
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        total += reaped.ru_utime + reaped.ru_stime
    return total


def _record(nodeid: str, cpu: float, wall: float) -> None:
    path = os.environ.get(OUT)
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"id": nodeid, "cpu": cpu, "wall": wall}) + "\n")


try:
    import pytest
except ImportError:  # pragma: no cover - the summary needs no pytest
    pass
else:

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Iterator[None]:
        """One line per test: its setup, call and teardown."""
        cpu, wall = process_cpu(), time.perf_counter()
        yield
        _record(item.nodeid, process_cpu() - cpu, time.perf_counter() - wall)


def by_file(lines: Iterable[str], key: str = "cpu") -> Counter[str]:
    """The JSON lines' ``key`` summed by test file."""
    totals: Counter[str] = Counter()
    for line in lines:
        if line.strip():
            test = json.loads(line)
            totals[test["id"].split("::")[0]] += test[key]
    return totals


def summary(cpu: Counter[str], top: int) -> list[str]:
    """The heaviest files, the sum, and the sum split between the scenario unit and the rest."""
    sys.path.insert(0, str(ROOT / "tests"))
    from xdist_balance import uses_scenarios  # type: ignore[import-not-found]

    scenario_files = {name for name in cpu if uses_scenarios(ROOT / name)}
    unit = sum(cpu[name] for name in scenario_files)
    lines = [f"{seconds:8.1f} s  {name}" for name, seconds in cpu.most_common(top)]
    lines.append(f"{sum(cpu.values()):8.1f} s  CPU in {len(cpu)} files")
    lines.append(
        f"{unit:8.1f} s  in the {len(scenario_files)} scenario files (one worker's unit), "
        f"{sum(cpu.values()) - unit:.1f} s in the rest"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=25, help="files listed (default 25)")
    parser.add_argument("--keep", type=Path, help="keep the per-test JSON lines here")
    parser.add_argument("--workers", default="2", help="pytest -n (default 2, as make test)")
    options, pytest_args = parser.parse_known_args()
    with tempfile.TemporaryDirectory() as directory:
        lines_file = options.keep or Path(directory) / "cpu.jsonl"
        lines_file.write_text("")
        env = {
            **os.environ,
            OUT: str(lines_file),
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT / "benchmarks"), os.environ.get("PYTHONPATH", "")]
            ),
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
        command = [sys.executable, "-m", "pytest", "-q", "-p", "bench_suite_cpu"]
        command += ["-p", "no:cacheprovider", "-n", options.workers, "--dist", "loadfile"]
        print(f"== Test suite CPU by file: {' '.join(command[3:] + pytest_args)} ==")
        print(f"load average before: {os.getloadavg()[0]:.1f}")
        start, reaped = time.perf_counter(), process_cpu()
        done = subprocess.run(command + pytest_args, cwd=ROOT, env=env, check=False)
        wall, total = time.perf_counter() - start, process_cpu() - reaped
        print(f"load average after: {os.getloadavg()[0]:.1f}; exit {done.returncode}")
        print(f"wall {wall:.1f} s, CPU of the whole run {total:.1f} s (collection included)")
        print("\n".join(summary(by_file(lines_file.read_text().splitlines()), options.top)))


if __name__ == "__main__":
    main()
