"""JSONPath as Step Functions evaluates it, for moto 5.2.5's States Language interpreter.

Step Functions' paths follow JsonPath (Step Functions developer guide, "Using JSONPath paths"
and its "Reference paths"): a path that can identify only a single node, written with dot and
square-bracket notation (``$.ResponseBody[0].type_id``), returns that node's value, ``34``.
moto's ``extract_json`` wraps the value in a list whenever the step before the last was an
index (a fix for filters, getmoto/moto issue 7825, that also catches ``[0].field``), so a
number read as ``$.ResponseBody[0].type_id`` becomes ``[34]`` and
``States.Format('{}', ...)`` writes ``"[34]"``.

This module replaces ``extract_json`` for *definite* paths only (root, single field names,
single indexes): their value is the one node found, or the error moto already raises when
nothing is found. Every other path (wildcards, slices, filters, ``..``, unions) keeps moto's
evaluation.

DELETE THIS MODULE once moto returns the node of a definite path itself (check with
``$.a[0].b`` on ``{"a": [{"b": 34}]}``: it must give ``34``).
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ._moto_apigateway import check_moto_version

# The modules of moto 5.2.5 that import extract_json by name (grep "import extract_json").
_IMPORTERS = (
    "moto.stepfunctions.parser.asl.utils.json_path",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations."
    "timestamp_operators",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations."
    "boolean_equals",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations."
    "numeric",
    "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator.implementations."
    "string_operators",
    "moto.stepfunctions.parser.asl.eval.states",
)
_PARSER_PACKAGE = "moto.stepfunctions.parser."

_lock = threading.Lock()
_install_count = 0
_original: list[Callable[[str, Any], Any]] = []


@functools.lru_cache(maxsize=1024)
def _parsed(path: str) -> Any:
    from jsonpath_ng.ext.parser import parse

    try:
        return parse(path)
    except Exception:  # not a path jsonpath_ng parses: leave it to moto
        return None


def is_definite(path: str) -> bool:
    """True when ``path`` can identify only one node: ``$``, ``.name``, ``['name']``, ``[n]``."""
    from jsonpath_ng.jsonpath import Child, Fields, Index, Root

    def definite(node: Any) -> bool:
        if isinstance(node, Root):
            return True
        if isinstance(node, Child):
            return definite(node.left) and definite(node.right)
        if isinstance(node, Fields):
            return len(node.fields) == 1 and node.fields[0] != "*"
        if isinstance(node, Index):
            return len(node.indices) == 1
        return False

    expression = _parsed(path)
    return expression is not None and definite(expression)


def extract_json(path: str, data: Any) -> Any:
    """moto's ``extract_json``, with a definite path's single value unwrapped."""
    original = _original[0]
    if not is_definite(path):
        return original(path, data)
    from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

    matches = _parsed(path).find(data)
    if not matches:
        raise NoSuchJsonPathError(json_path=path, data=data)
    return matches[0].value


@contextmanager
def install() -> Iterator[None]:
    """Evaluate definite paths as Step Functions does while the context is open (re-entrant)."""
    check_moto_version()
    global _install_count
    with _lock:
        if _install_count == 0:
            _patch()
        _install_count += 1
    try:
        yield
    finally:
        with _lock:
            _install_count -= 1
            if _install_count == 0:
                _unpatch()


def _modules() -> list[Any]:
    for name in _IMPORTERS:
        importlib.import_module(name)
    return [
        module
        for name, module in list(sys.modules.items())
        if name.startswith(_PARSER_PACKAGE) and module is not None
    ]


def _patch() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.extract_json
    _original[:] = [original]
    for module in _modules():
        if getattr(module, "extract_json", None) is original:
            setattr(module, "extract_json", extract_json)  # noqa: B010


def _unpatch() -> None:
    original = _original[0]
    for module in _modules():
        if getattr(module, "extract_json", None) is extract_json:
            setattr(module, "extract_json", original)  # noqa: B010
