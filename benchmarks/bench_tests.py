"""Test suite wall time: the steps of ``make test`` (lint, types, pytest), each timed.

Runs the venv's tools directly so that every step is timed even when an earlier one fails
(``make test`` would stop at the first). Target: the whole suite under 3 minutes.
"""

from __future__ import annotations

import os
import subprocess
import time

from _harness import ROOT, SHARED_MACHINE_NOTE, verdict

BIN = ROOT / ".venv" / "bin"
PATHS = ["src", "tests", "examples", "scripts"]
STEPS = {
    "ruff check": [str(BIN / "ruff"), "check", *PATHS],
    "ruff format --check": [str(BIN / "ruff"), "format", "--check", *PATHS],
    "mypy": [str(BIN / "mypy")],
    "lint-imports": [str(BIN / "lint-imports")],
    "import cycles": [str(BIN / "python"), "scripts/check_import_cycles.py"],
    # As `make test` runs it: one worker a core, each module on one worker, the heaviest
    # first (tests/xdist_balance.py).
    "pytest -n auto": [str(BIN / "pytest"), "-q", "-n", "auto", "--dist", "loadfile"],
}
MAX_SECONDS = 180.0
ENV = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def main() -> None:
    """Run each step once and print its wall time and outcome."""
    print("== Test suite: the steps of `make test` ==")
    print(SHARED_MACHINE_NOTE)
    total = 0.0
    failed = []
    for name, args in STEPS.items():
        start = time.perf_counter()
        result = subprocess.run(
            args, cwd=ROOT, env=ENV, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
        total += seconds
        tail = (result.stdout.strip().splitlines() or [""])[-1]
        print(f"{name:<22}{seconds:>8.1f} s  exit {result.returncode}  {tail[:70]}")
        if result.returncode != 0:
            failed.append(name)
    print(f"{'total':<22}{total:>8.1f} s")
    if failed:
        print(f"Failing steps (not timing problems): {', '.join(failed)}")
    print(f"Target: under {MAX_SECONDS:.0f} s -> {verdict(total < MAX_SECONDS)}")


if __name__ == "__main__":
    main()
