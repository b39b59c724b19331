"""The benchmarks still measure what they claim (figures are printed by ``make bench``, not
checked here): the synth baseline is the same template, and the local benchmark runs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "examples" / "eve_player_count")]

from app import player_count  # type: ignore[import-not-found]  # noqa: E402
from handwritten_app import add_downloader  # type: ignore[import-not-found]  # noqa: E402


def test_hand_written_baseline_is_the_same_template_as_the_construct() -> None:
    """bench_synth compares like with like: every resource and property of the hand-written
    stack equals what the construct synthesizes for the example's player count."""
    construct = cdk.Stack(cdk.App(), "EvePlayerCount")
    player_count(construct, polite=False)  # the article's downloader, as written by hand
    by_hand = cdk.Stack(cdk.App(), "EvePlayerCount")
    add_downloader(by_hand, "PlayerCount", downloader_id="eve/player-count")
    assert Template.from_stack(construct).to_json() == Template.from_stack(by_hand).to_json()


@pytest.mark.slow  # runs a benchmark
def test_local_benchmark_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # In this process: the benchmark's code, without a second jsii kernel to start.
    spec = importlib.util.spec_from_file_location(
        "bench_local", ROOT / "benchmarks" / "bench_local.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(sys, "argv", ["bench_local.py", "--runs", "3"])
    assert module.main() == 0
    out = capsys.readouterr().out
    assert "runs per second" in out and "runs                        3 (3 items" in out


TICK = 0.011
"""One clock tick (CPU times are counted in hundredths of a second) and the float error of
their difference: ``145.597248 - 145.297248`` is ``0.29999999999998295`` (CI, 2026-12-07)."""


def test_the_suite_cpu_counts_a_live_child_then_the_reaped_one() -> None:
    """bench_suite_cpu's figure holds the work of processes below the worker (the jsii kernel
    while it lives, a subprocess once reaped), not only the worker's own."""
    import subprocess
    import time

    from bench_suite_cpu import _own_cpu, process_cpu

    before = process_cpu()
    busy = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"
    child = subprocess.Popen([sys.executable, "-c", busy + "time.sleep(30)"])
    try:
        deadline = time.monotonic() + 20
        while _own_cpu(child.pid) < 0.3 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process_cpu() - before >= 0.3 - TICK  # alive: read from /proc
    finally:
        child.kill()
        child.wait()
    assert process_cpu() - before >= 0.3 - TICK  # reaped: RUSAGE_CHILDREN


def test_the_suite_cpu_is_summed_by_file_and_split_by_the_scenario_unit() -> None:
    from bench_suite_cpu import by_file, summary

    lines = [
        '{"id": "tests/test_cfn_lint.py::test_a[default]", "cpu": 2.0, "wall": 5.0}',
        '{"id": "tests/test_cfn_lint.py::test_b", "cpu": 1.5, "wall": 2.0}',
        '{"id": "tests/test_docs.py::test_c", "cpu": 0.5, "wall": 9.0}',
        "",
    ]
    cpu = by_file(lines)
    assert cpu == {"tests/test_cfn_lint.py": 3.5, "tests/test_docs.py": 0.5}
    assert by_file(lines, "wall")["tests/test_docs.py"] == 9.0
    assert summary(cpu, top=1) == [
        "     3.5 s  tests/test_cfn_lint.py",
        "     4.0 s  CPU in 2 files",
        "     3.5 s  in the 1 scenario files (one worker's unit), 0.5 s in the rest",
    ]
