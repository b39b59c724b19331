"""Shared helpers of the benchmarks: timed fresh subprocesses, medians, least-squares slopes.

Peak memory is the child's ``ru_maxrss`` from ``os.wait4``: on Linux it is the largest
resident set of the child and every descendant it reaped, so it includes the jsii ``node``
process that does most of a synth's work.

``--ref REF`` (any benchmark) measures the library as committed at ``REF`` (``git archive`` into
a temporary directory put first on ``PYTHONPATH``) instead of the working tree, for figures
that do not depend on edits in progress.
"""

from __future__ import annotations

import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"
PYTHON = sys.executable

SHARED_MACHINE_NOTE = (
    "Note: this machine (2 cores) is shared with other running work; variants run alternately "
    "(A B A B ...) so background load hits both alike. Compare ratios, not absolute seconds."
)


@dataclass(frozen=True)
class Run:
    """One timed subprocess: wall time in seconds, peak RSS in MiB (incl. child processes)."""

    seconds: float
    peak_mib: float


def _source_env() -> dict[str, str]:
    if "--ref" not in sys.argv:
        return {}
    ref = sys.argv[sys.argv.index("--ref") + 1]
    target = Path(tempfile.mkdtemp(prefix="sfn-bench-src-"))
    atexit.register(shutil.rmtree, target, True)
    archive = subprocess.run(
        ["git", "archive", ref, "src"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return {"PYTHONPATH": str(target / "src")}


SOURCE_ENV = _source_env()
SOURCE = (
    f"sfn_downloader as committed at {sys.argv[sys.argv.index('--ref') + 1]}"
    if SOURCE_ENV
    else "sfn_downloader from the working tree"
)


def run_once(args: Sequence[str], *, cwd: Path = ROOT, env: dict[str, str] | None = None) -> Run:
    """Run ``args`` in a fresh process; raise with its stderr if it fails."""
    full_env = {
        **os.environ,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        **SOURCE_ENV,
        **(env or {}),
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(args), cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    assert proc.stderr is not None
    stderr = proc.stderr.read()  # drain first so a chatty child cannot block on a full pipe
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{stderr.decode()}")
    return Run(seconds=seconds, peak_mib=usage.ru_maxrss / 1024)


def run_synth(args: Sequence[str], *, cwd: Path = ROOT) -> tuple[Run, Path]:
    """Run a CDK app with a fresh ``CDK_OUTDIR``; return the run and the outdir (caller cleans)."""
    outdir = Path(tempfile.mkdtemp(prefix="sfn-bench-"))
    return run_once(args, cwd=cwd, env={"CDK_OUTDIR": str(outdir)}), outdir


def remove(path: Path) -> None:
    """Delete a benchmark's outdir."""
    shutil.rmtree(path, ignore_errors=True)


def median(values: Sequence[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares ``y = slope * x + intercept``; return slope, intercept and R²."""
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    ss_res = sum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys, strict=True))
    return slope, intercept, 1 - ss_res / ss_tot if ss_tot else 1.0


def verdict(ok: bool) -> str:
    """``PASS`` or ``FAIL``."""
    return "PASS" if ok else "FAIL"


def runs_from_argv(default: int) -> int:
    """Runs per variant: ``--runs N`` on the command line, else ``default``."""
    if "--runs" in sys.argv:
        return int(sys.argv[sys.argv.index("--runs") + 1])
    return default
