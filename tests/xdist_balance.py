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
passes: it synthesizes its scenarios where it runs). That unit was 44% of the suite's CPU on
2026-12-07 (162 of 370 s): were it to outgrow half, it would bound the run. With more workers
it would, so there each file stays a unit of its own.
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
    # In SCENARIOS on two workers (a unit of their own on more).
    "tests/test_cfn_lint.py": 62.0,  # synthesizes most scenarios first; cfn-lint itself ~26 s
    "tests/test_nag.py": 8.5,  # cdk-nag over each scenario as built, and eight fresh apps
    "tests/test_fan_out_s3.py": 6.0,  # the 100,000-path scenario (issue 28), four more synths
    "tests/test_transitions_local.py": 5.0,
    "tests/test_every_shape_local.py": 4.0,  # eight downloaders, eleven runs (issue 23)
    "tests/test_polite_requests_local.py": 2.0,
    # The other files, heaviest first.
    "tests/test_compat_matrix.py": 30.0,  # ~410 constructions (~16 s of it in the jsii kernel)
    "tests/test_answer_local.py": 19.0,  # 1,000 object items requested (~6 s of it)
    "tests/test_site.py": 15.5,  # mkdocs build --strict, every page example constructed
    "tests/test_local.py": 14.0,  # the CLI synthesizes the example app in a subprocess (~11 s)
    "tests/test_package.py": 13.0,  # the wheel built, installed in a venv and imported
    "tests/test_demo.py": 12.5,  # the demo in-process (every example, a short hour; issue 28)
    "tests/test_records_shapes_local.py": 7.5,  # a page of 1,000 records (~5.5 s of it)
    "tests/test_backfill_local.py": 6.5,
    "tests/test_compressed_local.py": 6.5,  # 14 downloaders, 24 tests (issue 25, item 14)
    "tests/test_compressed_fanout_local.py": 6.0,  # 13 fan-outs, 31 tests (issue 25, item 14)
    "tests/test_compressed_pagecount_local.py": 5.5,  # 12 page_counts, 13 tests (item 14)
    "tests/test_example.py": 5.0,
    "tests/test_batched_features_local.py": 4.5,  # six downloaders, ten runs (issue 28 r4)
    "tests/test_read.py": 4.5,
    "tests/test_incremental_local.py": 4.5,
    "tests/test_answer_batched_local.py": 4.0,  # three downloaders, six runs (issue 28)
    "tests/test_records_local.py": 3.5,
    "tests/test_compressed_single2_local.py": 3.5,  # 11 downloaders, 13 tests (item 14)
    "tests/test_moto_patches.py": 3.5,
    "tests/test_status_local.py": 3.0,
    "tests/test_compressed_memos_local.py": 2.5,  # six downloaders, 11 tests (item 14)
    "tests/test_overrides_shapes_local.py": 2.5,  # six downloaders, nine runs (issue 23)
    "tests/test_docs.py": 2.0,
    "tests/test_fidelity_local.py": 2.0,
    "tests/test_header_case_local.py": 2.0,  # six downloaders, eight runs
    "tests/test_http_task_timing_local.py": 2.0,
    "tests/test_polite_varying_local.py": 1.5,
    "tests/test_compressed_single_local.py": 1.5,  # seven downloaders, six tests (item 14)
    "tests/test_fan_out_time_local.py": 1.5,
    "tests/test_fan_out_s3_local.py": 1.5,  # two downloaders, three runs from S3
    "tests/test_benchmarks.py": 1.5,
    "tests/test_compressed_overrides_local.py": 1.0,  # three downloaders, six tests (item 14)
    "tests/test_request_local.py": 1.0,
    "tests/test_select_first_local.py": 1.0,
    "tests/test_every_shape.py": 1.0,  # one synth of five downloaders
}
"""CPU seconds of the heaviest files (2026-12-07, ``benchmarks/bench_suite_cpu.py``: a worker's
process and every process below it, setup included; figures a loaded machine does not
distort, unlike ``--durations``). The first file a worker runs also pays its jsii and moto
start (~6-8 s); a test waiting on a subprocess or a poll adds wall time no CPU shows."""

PER_TEST = 0.08
"""The weight of a test in a file not in ``SECONDS`` (0.077 s of CPU a test, on average, in
the files under 2 s on 2026-12-07)."""


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
