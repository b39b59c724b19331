"""docs/compatibility-matrix.md is what the code gives: every pair of features built again."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "compat_matrix.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("compat_matrix", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve their annotations through it
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def _without_jsii_argument_checks() -> Iterator[None]:
    """jsii's Python-side argument checks (typeguard, on every call into aws-cdk-lib) off: 30%
    of the matrix's ~420 constructions (~9 s of the suite's CPU, measured 2026-12-07). What the
    matrix asks is which pairs the construct refuses; every feature's construction is checked
    with them on by the scenarios and the local tests, and the jsii kernel still refuses a
    value of the wrong type. Restored after, whatever happens; a jsii without this hook keeps
    its checks (the test is then only slower)."""
    from jsii import _type_checking

    kept = getattr(_type_checking, "_resolved_check", None)
    _type_checking._resolved_check = lambda *args, **kwargs: None  # type: ignore[attr-defined]
    try:
        yield
    finally:
        _type_checking._resolved_check = kept  # type: ignore[attr-defined]


@pytest.mark.slow
def test_the_committed_matrix_is_the_one_the_code_gives() -> None:
    """Each feature builds alone (``measure`` asserts it) and each pair as the file says."""
    matrix = _script()
    with _without_jsii_argument_checks():
        measured = matrix.measure()
    assert matrix.OUTPUT.read_text() == matrix.render(measured), (
        "docs/compatibility-matrix.md is out of date: run `make matrix` and commit it"
    )


def test_a_pair_refused_only_for_a_feature_invalid_alone_is_not_a_combination() -> None:
    script = _script()
    chosen = {"fan_out paths", "link_header", "next_url", "distributed"}
    matrix = script.measure(tuple(f for f in script.FEATURES if f.name in chosen))
    text = script.render(matrix)
    # Two paginators are not a pair; distributed needs a Map, which a page loop alone lacks.
    assert ("link_header", "next_url") not in matrix.pairs
    assert "**Refused 2 of 5 pairs**, 2 of them only because distributed" in text
    assert "| **distributed** | ok | (alone) | (alone) | R1 (alone) |" in text
    assert "- **R1** `concurrency`: only applies to a run of several requests in a Map" in text
