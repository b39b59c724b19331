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
