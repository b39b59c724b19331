"""JSONata for moto 5.2.5's States Language interpreter.

moto parses JSONata states and ``{% %}`` expressions (its interpreter is LocalStack's), but
ships no evaluator: ``eval_jsonata_expression`` calls a function pointer left ``None`` (LocalStack
fills it with a JVM bridge), so every JSONata expression fails with ``TypeError``. This module
plugs in jsonata-python, a pure-Python JSONata, for as long as a runner is open.

The construct uses JSONata where JSONPath intrinsics cannot do the work: ``ComputeExpiry``
(with ``retention``: no intrinsic turns an ISO 8601 time into epoch seconds, ``$toMillis``), and
the page loop's ``NextRequest`` and ``FanOut.from_answer``'s ``ListRequests`` (matching a
``Link`` header, resolving and percent-decoding next URLs).

Step Functions runs JSONata 2.0.6 ("Transforming data with JSONata in Step Functions"), the
JavaScript implementation, whose ``$decodeUrlComponent`` is ECMAScript's
``decodeURIComponent``: a malformed ``%`` sequence or one that is not UTF-8 fails the
expression. jsonata-python leaves ``%ZZ`` as it is; the stricter function below is used instead,
so that a local run fails where AWS would.

Delete this module once moto evaluates JSONata itself.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ENCODED = re.compile(r"(?:[^%]|%[0-9A-Fa-f]{2})*", re.S)


def _decode_url_component(text: str | None) -> str | None:
    """``decodeURIComponent``: a malformed or non-UTF-8 percent-encoding is an error."""
    if text is None:
        return None
    if not isinstance(text, str) or not _ENCODED.fullmatch(text):
        raise ValueError(f"URIError: URI malformed: {text!r}")
    return urllib.parse.unquote(text, errors="strict")


def _evaluate(expression: str) -> Any:
    import jsonata  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    try:
        # moto composes the expression with its variables ($states, ...) declared inline,
        # and evaluates it against no input, as its JVM bridge does.
        compiled = jsonata.Jsonata(expression)
        compiled.register_lambda("decodeUrlComponent", _decode_url_component)
        return compiled.evaluate(None)
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
