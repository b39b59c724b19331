"""Import cost: ``import sfn_downloader`` against ``import aws_cdk`` alone.

Fresh interpreters, variants alternating, one untimed warm-up each; median wall time.
``import sfn_downloader`` loads nothing of aws-cdk-lib (names are imported on first use), so a
second pair compares first use, ``from sfn_downloader import DownloaderPattern``, with
``import aws_cdk`` plus the aws-cdk-lib submodules the construct needs (what a hand-written
stack imports too): the difference is the library's own modules.
Target: at most 0.1 s more for both.  ``--runs N`` (default 9).
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
    """The aws-cdk-lib submodules ``DownloaderPattern`` needs (aws_cdk loads them lazily)."""
    code = (
        "import sys; from sfn_downloader import DownloaderPattern; "
        "print(*sorted(m for m in sys.modules"
        " if m.count('.') == 1 and m.startswith('aws_cdk.aws_')))"
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
    VARIANTS["from sfn_downloader import DownloaderPattern"] = (
        "from sfn_downloader import DownloaderPattern"
    )
    VARIANTS[f"aws_cdk + the {len(submodules)} submodules it needs"] = "; ".join(
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
        print(f"{name:<46} median {medians[name]:.3f} s   peak {peak:.0f} MiB")
    extra = medians["import sfn_downloader"] - medians["import aws_cdk"]
    print(f"import sfn_downloader adds {extra:+.3f} s over import aws_cdk alone")
    print(f"Target: at most +{MAX_EXTRA_SECONDS} s -> {verdict(extra <= MAX_EXTRA_SECONDS)}")
    names = list(VARIANTS)
    own = medians[names[2]] - medians[names[3]]
    print(f"DownloaderPattern's own modules add {own:+.3f} s over the submodules it needs")
    print(f"Target: at most +{MAX_EXTRA_SECONDS} s -> {verdict(own <= MAX_EXTRA_SECONDS)}")


if __name__ == "__main__":
    main()
