"""Synth overhead: the EVE example (DownloaderPattern) against the same stack written by hand.

Each run is a fresh ``python benchmarks/construct_app.py`` (the example's player count alone)
or ``handwritten_app.py`` with a fresh outdir; the variants alternate A B A B after
one untimed warm-up each. Reports median wall time, median peak memory (incl. the jsii node
process) and their ratios; checks the two templates describe the same resources.
Target: the construct adds at most 10% wall time.  ``--runs N`` (default 7).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from _harness import (
    BENCHMARKS,
    PYTHON,
    ROOT,
    SHARED_MACHINE_NOTE,
    SOURCE,
    Run,
    median,
    remove,
    run_synth,
    runs_from_argv,
    verdict,
)

VARIANTS = {
    "construct": ([PYTHON, str(BENCHMARKS / "construct_app.py")], ROOT),
    "hand-written": ([PYTHON, str(BENCHMARKS / "handwritten_app.py")], ROOT),
}
TEMPLATE = "EvePlayerCount.template.json"
MAX_OVERHEAD = 0.10


def _template(outdir: Path) -> dict[str, Any]:
    with (outdir / TEMPLATE).open() as file:
        template: dict[str, Any] = json.load(file)
    return template


def _compare(construct: dict[str, Any], handwritten: dict[str, Any]) -> None:
    types_a = Counter(r["Type"] for r in construct["Resources"].values())
    types_b = Counter(r["Type"] for r in handwritten["Resources"].values())
    print(f"Resources: construct {sum(types_a.values())}, hand-written {sum(types_b.values())}")
    for kind in sorted(types_a | types_b):
        mark = "" if types_a[kind] == types_b[kind] else "   <-- differs"
        print(f"  {kind:<36} {types_a[kind]:>3} {types_b[kind]:>3}{mark}")
    print(f"Resource types and counts match: {'yes' if types_a == types_b else 'NO'}")
    print(f"Templates identical (every property): {'yes' if construct == handwritten else 'NO'}")


def main() -> None:
    """Run the benchmark and print its figures."""
    runs = runs_from_argv(7)
    print(f"== Synth overhead: EVE example, construct vs hand-written ({runs} runs each) ==")
    print(SHARED_MACHINE_NOTE)
    print(f"Measuring {SOURCE}.")
    templates: dict[str, dict[str, Any]] = {}
    for name, (args, cwd) in VARIANTS.items():  # warm-up: pyc files, jsii cache
        _, outdir = run_synth(args, cwd=cwd)
        templates[name] = _template(outdir)
        remove(outdir)
    _compare(templates["construct"], templates["hand-written"])
    results: dict[str, list[Run]] = {name: [] for name in VARIANTS}
    for _ in range(runs):
        for name, (args, cwd) in VARIANTS.items():
            run, outdir = run_synth(args, cwd=cwd)
            remove(outdir)
            results[name].append(run)
    print(f"{'variant':<14}{'median s':>10}{'min s':>8}{'max s':>8}{'peak MiB':>10}")
    for name, values in results.items():
        secs = [r.seconds for r in values]
        print(
            f"{name:<14}{median(secs):>10.2f}{min(secs):>8.2f}{max(secs):>8.2f}"
            f"{median([r.peak_mib for r in values]):>10.0f}"
        )
    a, b = results["construct"], results["hand-written"]
    time_ratio = median([r.seconds for r in a]) / median([r.seconds for r in b])
    memory_ratio = median([r.peak_mib for r in a]) / median([r.peak_mib for r in b])
    paired = median([x.seconds / y.seconds for x, y in zip(a, b, strict=True)])
    print(f"Wall-time ratio construct/hand-written: {time_ratio:.3f} (paired runs: {paired:.3f})")
    print(f"Peak-memory ratio: {memory_ratio:.3f}")
    print(
        f"Target: construct adds at most {MAX_OVERHEAD:.0%} wall time -> "
        f"{verdict(time_ratio <= 1 + MAX_OVERHEAD)}"
    )


if __name__ == "__main__":
    main()
