"""``make demo``, the README's main job, runs to the end and says what it ran: every example
against its offline stand-in (a shortened hour of the EVE player count). A change in what the
construct stores (a key layout, a completion item) must not break it unseen.

The demo runs in this process (``scripts/demo.py``'s ``main``, as ``make demo`` calls it): a
subprocess would boot Python, aws-cdk-lib's jsii runtime and moto again (~7 s of CPU, issue
28: the suite's time). That it starts from the command line is checked apart, in a
subprocess that stops at ``--help`` (its imports, its arguments)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"


@pytest.mark.slow  # the whole demo
def test_the_demo_runs_every_example_to_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_png = tmp_path / "player-count.png"
    monkeypatch.syspath_prepend(str(SCRIPTS))  # its helpers (_stand_in, demo_graphql, ...)
    monkeypatch.setattr(sys, "argv", ["demo.py", "--runs", "5", "--out", str(out_png)])
    monkeypatch.chdir(ROOT)
    before = set(sys.modules)
    try:
        spec = importlib.util.spec_from_file_location("sfn_downloader_demo", SCRIPTS / "demo.py")
        assert spec is not None and spec.loader is not None
        demo = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(demo)
        status = demo.main()
    finally:  # the scripts' own modules go; what they imported (matplotlib) may stay
        for name in set(sys.modules) - before:
            if str(getattr(sys.modules[name], "__file__", "")).startswith(str(SCRIPTS)):
                del sys.modules[name]
    out = capsys.readouterr().out
    assert status == 0, out[-3000:]
    assert "5/5 runs succeeded" in out
    assert "price history of 5 of those types, one run: SUCCEEDED" in out
    assert "page 3: 1,000 orders" in out  # the trimmed order pages, in page order
    assert "-> 403 rate limit, waited until the reset" in out  # GitHub, run 1
    assert "-> 304 Not Modified (If-None-Match): nothing stored" in out  # GitHub, run 4
    assert "237 of 237 issues stored" in out  # GraphQL
    assert "30 runs (at most 5 at once), 30 requests, 30 items" in out  # the backfill
    assert "3 hours stored" in out  # the OAuth window
    assert out_png.stat().st_size > 0


def test_the_demo_starts_from_the_command_line() -> None:
    """``python scripts/demo.py`` as ``make demo`` runs it: its imports resolve from the
    scripts directory and its arguments parse (``--help`` stops before any work)."""
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "demo.py"), "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "--runs" in done.stdout and "--live" in done.stdout
