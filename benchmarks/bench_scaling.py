"""Scaling: synth time of 1, 10 and 50 downloaders in one app, construct vs hand-written.

Fresh ``python scaling_app.py`` per run, variants and sizes interleaved, one warm-up each.
Fits seconds per downloader (least squares over the medians) for each variant.
Target: linear growth (R² >= 0.98) with a slope no worse than hand-written; slopes within 10%
count as equal (the run-to-run noise on this shared machine).  ``--runs N`` (default 5).
"""

from __future__ import annotations

from _harness import (
    BENCHMARKS,
    PYTHON,
    SHARED_MACHINE_NOTE,
    SOURCE,
    Run,
    fit_line,
    median,
    remove,
    run_synth,
    runs_from_argv,
    verdict,
)

COUNTS = (1, 10, 50)
KINDS = ("construct", "handwritten")
SLOPE_TOLERANCE = 0.10
MIN_R_SQUARED = 0.98


def main() -> None:
    """Run the benchmark and print its figures."""
    runs = runs_from_argv(5)
    print(f"== Scaling: {', '.join(map(str, COUNTS))} downloaders per app ({runs} runs each) ==")
    print(SHARED_MACHINE_NOTE)
    print(f"Measuring {SOURCE}.")
    script = str(BENCHMARKS / "scaling_app.py")
    for kind in KINDS:
        remove(run_synth([PYTHON, script, kind, "1"])[1])
    results: dict[tuple[str, int], list[Run]] = {(k, n): [] for k in KINDS for n in COUNTS}
    for _ in range(runs):
        for count in COUNTS:
            for kind in KINDS:
                run, outdir = run_synth([PYTHON, script, kind, str(count)])
                remove(outdir)
                results[kind, count].append(run)
    print(f"{'downloaders':>11}" + "".join(f"{k + ' s':>16}{'MiB':>7}" for k in KINDS))
    for count in COUNTS:
        cells = "".join(
            f"{median([r.seconds for r in results[k, count]]):>16.2f}"
            f"{median([r.peak_mib for r in results[k, count]]):>7.0f}"
            for k in KINDS
        )
        print(f"{count:>11}{cells}")
    slopes = {}
    for kind in KINDS:
        times = [median([r.seconds for r in results[kind, n]]) for n in COUNTS]
        slope, intercept, r_squared = fit_line([float(n) for n in COUNTS], times)
        slopes[kind] = slope
        print(
            f"{kind:<12} slope {slope:.3f} s/downloader, intercept {intercept:.2f} s, "
            f"R² {r_squared:.4f} -> linear {verdict(r_squared >= MIN_R_SQUARED)}"
        )
    ratio = slopes["construct"] / slopes["handwritten"]
    print(f"Slope ratio construct/hand-written: {ratio:.3f}")
    print(
        f"Target: slope no worse than hand-written (within {SLOPE_TOLERANCE:.0%}) -> "
        f"{verdict(ratio <= 1 + SLOPE_TOLERANCE)}"
    )


if __name__ == "__main__":
    main()
