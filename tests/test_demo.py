"""``make demo``, the README's main job, runs to the end and says what it ran: every example
against its offline stand-in (a shortened hour of the EVE player count). A change in what the
construct stores (a key layout, a completion item) must not break it unseen."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # the whole demo in a subprocess
def test_the_demo_runs_every_example_to_the_end(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py"), "--runs", "5",
         "--out", str(tmp_path / "player-count.png")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "5/5 runs succeeded" in out
    assert "price history of 5 of those types, one run: SUCCEEDED" in out
    assert "page 3: 1,000 orders" in out  # the trimmed order pages, in page order
    assert "-> 403 rate limit, waited until the reset" in out  # GitHub, run 1
    assert "-> 304 Not Modified (If-None-Match): nothing stored" in out  # GitHub, run 4
    assert "237 of 237 issues stored" in out  # GraphQL
    assert "30 runs (at most 5 at once), 30 requests, 30 items" in out  # the backfill
    assert "3 hours stored" in out  # the OAuth window
    assert (tmp_path / "player-count.png").stat().st_size > 0
