"""The order in which ``make test`` (``pytest -n auto --dist loadfile``) hands test files to its
workers: a pytest plugin, loaded by conftest.py; without xdist it does nothing.

xdist's ``loadfile`` keeps each file on one worker (its module fixtures are built once) and
hands out files by number of tests, most first. On two workers that left the heaviest files
(the compatibility matrix, 2 tests; the wheel, 9 tests) for the end, one worker running them
while the other waited. Here the heaviest go first (longest processing time first), from
``SECONDS``, what each file took (measured, rounded); a file not listed weighs its number of
tests times ``PER_TEST``. A wrong weight only costs time, never a test.

The session fixtures of conftest.py (each scenario synthesized once) are built once per
worker that asks for them: on two workers, both synthesized nearly all 27. With two workers,
every file that asks for one (a test or fixture parameter naming a scenario fixture, or
``request.getfixturevalue``) goes to one unit, ``SCENARIOS``, handed out first: one worker
synthesizes each scenario, the other none and runs the rest meanwhile (a file missed here still
passes: it synthesizes its scenarios where it runs). That unit was 45% of the suite in 2026-12:
were it to outgrow half, it would bound the run. With more workers it would, so there each
file stays a unit of its own.
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
    "tests/test_cfn_lint.py": 50.0,  # in SCENARIOS on two workers; synthesizes every scenario
    "tests/test_local.py": 24.0,
    "tests/test_fan_out_s3.py": 25.0,  # the 100,000-path scenario (issue 28), four more synths
    "tests/test_fan_out_s3_local.py": 15.0,  # two downloaders, three runs from S3
    "tests/test_batched_features_local.py": 30.0,  # six downloaders, ten runs (issue 28 r4)
    "tests/test_demo.py": 15.0,  # the demo in-process (every example, a short hour; issue 28)
    "tests/test_answer_batched_local.py": 25.0,  # three downloaders, six runs (issue 28)
    "tests/test_polite_requests_local.py": 40.0,
    "tests/test_select_first_local.py": 18.0,
    "tests/test_every_shape_local.py": 40.0,  # eight downloaders, eleven runs (issue 23)
    "tests/test_every_shape.py": 20.0,  # one synth of five downloaders
    "tests/test_overrides_shapes_local.py": 16.0,  # six downloaders, nine runs (issue 23)
    "tests/test_compressed_local.py": 25.0,  # five downloaders, nine runs (issue 25, item 14)
    "tests/test_compressed_memos_local.py": 13.0,  # six downloaders, eleven runs (issue 25, 14)
    "tests/test_compressed_single_local.py": 25.0,  # nine downloaders, fourteen runs (item 14)
    "tests/test_compressed_single2_local.py": 20.0,  # six downloaders, sixteen runs (item 14)
    "tests/test_compressed_fanout_local.py": 35.0,  # 13 fan-outs, 26 runs (issue 25, item 14)
    "tests/test_compressed_overrides_local.py": 15.0,  # three downloaders, 12 runs (item 14)
    "tests/test_compressed_pagecount_local.py": 30.0,  # 12 page_counts, 34 runs (item 14)
    "tests/test_compressed_proxy_local.py": 12.0,  # two proxies, six runs (item 14; ~24 s busy)
    "tests/test_select_first_pagecount_local.py": 27.0,  # 8 page_counts, 28 runs (item 14)
    "tests/test_answer_local.py": 34.0,  # 1,000 object items requested (~32 s CPU of it)
    "tests/test_records_shapes_local.py": 18.0,  # a page of 1,000 records (~12 s of it)
    "tests/test_compat_matrix.py": 23.0,
    "tests/test_nag.py": 12.0,  # in SCENARIOS on two workers (each scenario checked as built)
    "tests/test_backfill_local.py": 12.0,
    "tests/test_package.py": 11.0,
    "tests/test_site.py": 7.5,
    "tests/test_read.py": 5.5,
    "tests/test_incremental_local.py": 3.5,
    "tests/test_fan_out_time_local.py": 3.5,
    "tests/test_header_case_local.py": 6.0,  # estimated (a busy machine): 6 downloaders, 8 runs
    "tests/test_run_limits.py": 3.0,
    "tests/test_example.py": 3.0,
    "tests/test_docs.py": 3.0,
    "tests/test_status_local.py": 3.0,
    "tests/test_fidelity_local.py": 2.5,
    "tests/test_request_local.py": 2.5,
    "tests/test_transitions_local.py": 5.0,  # in SCENARIOS on two workers
    "tests/test_map_local.py": 3.0,
    "tests/test_local_dynamodb_calls.py": 2.0,
    "tests/test_benchmarks.py": 2.0,
}
"""Seconds of the heaviest files (2026-12-07, 2 cores, machine quiet); the first file a worker
runs also pays its jsii and moto start (~6 s)."""

PER_TEST = 0.06
"""The weight of a test in a file not in ``SECONDS`` (most take a few hundredths)."""


@functools.cache
def scenario_fixtures() -> frozenset[str]:
    """The names of conftest.py's scenarios: its session fixtures that return a ``Scenario``."""
    tree = ast.parse((TESTS / "conftest.py").read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
        and node.returns is not None
        and ast.unparse(node.returns) == "Scenario"
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
            self._group = self.numnodes <= 2
            self.workqueue = _HeaviestFirst(self._weight)

        def _split_scope(self, nodeid: str) -> str:
            file = super()._split_scope(nodeid)
            if self._group and uses_scenarios(self._root / file):
                return SCENARIOS
            return file

        def _weight(self, scope: str, tests: dict[str, bool]) -> float:
            if scope == SCENARIOS:
                return float("inf")  # the largest unit: first
            return SECONDS.get(scope, PER_TEST * len(tests))

    return BalancedFileScheduling


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` balanced as above; any other mode is xdist's own."""
    if config.getvalue("dist") != "loadfile":
        return None
    return _scheduler()(config, log)
