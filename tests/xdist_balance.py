"""The order in which ``make test`` (``pytest -n auto --dist loadfile``) hands test files to its
workers: a pytest plugin, loaded by conftest.py; without xdist it does nothing.

xdist's ``loadfile`` keeps each file on one worker (its module fixtures are built once) and
hands out files by number of tests, most first. On two workers that left the heaviest files
(the compatibility matrix, 2 tests; the wheel, 9 tests) for the end, one worker running them
while the other waited. Here the heaviest go first (longest processing time first), from
``SECONDS``, what each file took (measured, rounded); a file not listed weighs its number of
tests times ``PER_TEST``. A wrong weight only costs time, never a test.

The session fixtures of conftest.py (each scenario synthesized once) are built once per
worker that asks for them. Every file that asks for one (a test or fixture parameter naming a
scenario fixture, or ``request.getfixturevalue``) goes to one unit, ``SCENARIOS``, so that one
worker synthesizes each scenario and the other none (a file missed here still passes: it
synthesizes its scenarios where it runs).
"""

from __future__ import annotations

import ast
import functools
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
SCENARIOS = "scenario files (tests/conftest.py's session fixtures)"
"""The unit of every file that uses a scenario fixture."""

SECONDS = {
    "tests/test_compat_matrix.py": 30.0,
    "tests/test_package.py": 17.0,
    "tests/test_local.py": 16.0,
    "tests/test_backfill_local.py": 15.0,
    "tests/test_docs.py": 13.0,
    "tests/test_nag.py": 13.0,
    "tests/test_site.py": 8.0,
    "tests/test_read.py": 7.0,
    "tests/test_example.py": 7.0,
    "tests/test_run_limits.py": 6.0,
    "tests/test_fidelity_local.py": 5.0,
    "tests/test_status_local.py": 5.0,
    "tests/test_incremental_local.py": 4.0,
    "tests/test_answer_local.py": 4.0,
    "tests/test_request_local.py": 4.0,
    "tests/test_cost.py": 3.0,
}
"""CPU seconds of the heaviest files outside ``SCENARIOS`` (2026-12, 2 shared cores)."""

PER_TEST = 0.1
"""The weight of a test in a file not in ``SECONDS`` (most take a few hundredths)."""


@functools.cache
def scenario_fixtures() -> frozenset[str]:
    """The names of conftest.py's session fixtures: the scenarios."""
    tree = ast.parse((TESTS / "conftest.py").read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and any("session" in ast.unparse(decorator) for decorator in node.decorator_list)
    )


@functools.cache
def uses_scenarios(path: Path) -> bool:
    """True when a function of the file takes a scenario fixture or looks fixtures up by name."""
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return False
    names = scenario_fixtures()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            if any(arg.arg in names for arg in node.args.args + node.args.kwonlyargs):
                return True
        elif isinstance(node, ast.Attribute) and node.attr == "getfixturevalue":
            return True
    return False


class _HeaviestFirst(OrderedDict[str, Any]):
    """xdist's queue of units (``scope -> {nodeid: done}``); its next unit is the heaviest."""

    def __init__(self, weight: Any) -> None:
        super().__init__()
        self._weight = weight

    def popitem(self, last: bool = True) -> tuple[str, Any]:
        del last  # xdist pops the first; here the heaviest (the first of equals)
        scope = max(self, key=lambda unit: self._weight(unit, self[unit]))
        return scope, self.pop(scope)


def _scheduler() -> type:
    from xdist.scheduler import LoadFileScheduling

    class BalancedFileScheduling(LoadFileScheduling):  # type: ignore[misc]
        """``loadfile`` with the heaviest unit first and the scenario files in one unit."""

        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            self._root = Path(str(config.rootpath))
            self.workqueue = _HeaviestFirst(self._weight)

        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            return SCENARIOS if uses_scenarios(self._root / file) else file

        def _weight(self, scope: str, tests: dict[str, bool]) -> float:
            if scope == SCENARIOS:
                return float("inf")  # the largest unit (a third of the suite): first
            return SECONDS.get(scope, PER_TEST * len(tests))

    return BalancedFileScheduling


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` balanced as above; any other mode is xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    return _scheduler()(config, log)
