"""Import cost: ``import sfn_downloader`` against ``import aws_cdk`` alone.

Fresh interpreters, variants alternating, one untimed warm-up each; median wall time.
A third, informational variant imports aws_cdk plus the aws-cdk-lib submodules the library
loads, to show where the difference goes. Target: at most 0.1 s more.  ``--runs N`` (default 9).
"""

from __future__ import annotations

import os
import subprocess

from _harness import (
    PYTHON,
    SHARED_MACHINE_NOTE,
    SOURCE,
    SOURCE_ENV,
    Run,
    median,
    run_once,
    runs_from_argv,
    verdict,
)

VARIANTS = {
    "import aws_cdk": "import aws_cdk",
    "import sfn_downloader": "import sfn_downloader",
}
MAX_EXTRA_SECONDS = 0.1


def _submodules_used() -> list[str]:
    """The aws-cdk-lib submodules ``import sfn_downloader`` loads (aws_cdk loads them lazily)."""
    code = (
        "import sys, sfn_downloader; print(*sorted(m for m in sys.modules "
        "if m.count('.') == 1 and m.startswith('aws_cdk.aws_')))"
    )
    return subprocess.run(
        [PYTHON, "-c", code],
        env={**os.environ, **SOURCE_ENV},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()


def main() -> None:
    """Run the benchmark and print its figures."""
    runs = runs_from_argv(9)
    submodules = _submodules_used()
    VARIANTS[f"aws_cdk + the {len(submodules)} submodules used (info)"] = "; ".join(
        ["import aws_cdk", *(f"import {name}" for name in submodules)]
    )
    print(f"== Import cost ({runs} fresh interpreters each) ==")
    print(SHARED_MACHINE_NOTE)
    print(f"Measuring {SOURCE}.")
    for code in VARIANTS.values():
        run_once([PYTHON, "-c", code])
    results: dict[str, list[Run]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, code in VARIANTS.items():
            results[name].append(run_once([PYTHON, "-c", code]))
    medians = {name: median([r.seconds for r in values]) for name, values in results.items()}
    for name, values in results.items():
        peak = median([r.peak_mib for r in values])
        print(f"{name:<40} median {medians[name]:.3f} s   peak {peak:.0f} MiB")
    extra = medians["import sfn_downloader"] - medians["import aws_cdk"]
    print(f"sfn_downloader adds {extra:+.3f} s over aws_cdk alone")
    print(f"Target: at most +{MAX_EXTRA_SECONDS} s -> {verdict(extra <= MAX_EXTRA_SECONDS)}")


if __name__ == "__main__":
    main()
