"""JSONata for moto 5.2.5's States Language interpreter.

moto parses JSONata states and ``{% %}`` expressions (its interpreter is LocalStack's), but
ships no evaluator: ``eval_jsonata_expression`` calls a function pointer left ``None`` (LocalStack
fills it with a JVM bridge), so every JSONata expression fails with ``TypeError``. This module
plugs in jsonata-python, a pure-Python JSONata, for as long as a runner is open.

The construct uses JSONata in one place: ``ComputeExpiry`` (with ``retention``), because no
JSONPath intrinsic turns an ISO 8601 time into epoch seconds (``$toMillis``).

Delete this module once moto evaluates JSONata itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _evaluate(expression: str) -> Any:
    import jsonata  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        # moto composes the expression with its variables ($states, ...) declared inline,
        # and evaluates it against no input, as its JVM bridge does.
        return jsonata.Jsonata(expression).evaluate(None)
    except Exception as error:  # jsonata-python raises its own JException
        raise JSONataException("States.QueryEvaluationError", str(error)) from error


@contextmanager
def install() -> Iterator[None]:
    """Give moto's interpreter a JSONata evaluator while the context is open."""
    from moto.stepfunctions.parser.asl.jsonata import jsonata as moto_jsonata

    previous = moto_jsonata._eval_jsonata
    moto_jsonata._eval_jsonata = _evaluate
    try:
        yield
    finally:
        moto_jsonata._eval_jsonata = previous
