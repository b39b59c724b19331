"""The layering is a checked contract: import-linter (``make lint``) refuses an upward import.

``make lint`` runs ``lint-imports`` on the real tree. This test proves the check can fail: in a
copy of the package, one upward import (the contract importing the flow, a cycle) and one
sideways import (a paginator importing the fan-out) each break a contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, module: str, line: str) -> subprocess.CompletedProcess[str]:
    copy = tmp_path / "src"
    shutil.copytree(ROOT / "src", copy, ignore=shutil.ignore_patterns("__pycache__"))
    target = copy / "sfn_downloader" / module
    target.write_text(target.read_text() + f"\n{line}\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env, capture_output=True,
        text=True, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("_contract.py", "from ._flow import config  # noqa", "Facade > flow > features"),
        ("pagination/cursor.py", "from .. import fanout  # noqa", "Facade > flow > features"),
        ("local/errors.py", "from .. import pattern  # noqa", "read the contract, never"),
        ("read/_values.py", "import aws_cdk  # noqa", "The reader runs in a plain script"),
        ("read/_table.py", "from .. import item  # noqa", "The reader runs in a plain script"),
    ],
)
def test_an_import_against_the_layering_breaks_a_contract(
    tmp_path: Path, module: str, line: str, broken: str
) -> None:
    result = _lint(tmp_path, module, line)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken}" in result.stdout
    assert "BROKEN" in result.stdout
