"""JSONPath as Step Functions evaluates it, for moto's States Language interpreter.

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
``$.a[0].b`` on ``{"a": [{"b": 34}]}``: it must give ``34``); keep ``parsed-paths``.

``parsed-paths`` (the runner's own): moto parses a JSONPath every time it evaluates one
(``ResultPath``, and ``extract_json`` for the paths kept on moto's evaluation), building
jsonpath_ng's PLY parser anew each time: 1-5 ms a path, two or more a request. A parsed
expression holds no data (jsonpath_ng's nodes are set in their constructors only), so each text
is parsed once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ._patch import Patch

_PARSER = "moto.stepfunctions.parser.asl."
# The modules of moto's parser that hold extract_json (grep "extract_json"), its own included.
_HOLDERS = (
    "utils.json_path",
    "component.intrinsic.argument.argument",
    "component.common.string.string_expression",
    *(
        f"component.state.choice.comparison.operator.implementations.{name}"
        for name in ("timestamp_operators", "boolean_equals", "numeric", "string_operators")
    ),
    "eval.states",
)
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


Step = tuple[bool, Any]
"""One step of a definite path: ``(True, index)`` or ``(False, field name)``."""


@functools.lru_cache(maxsize=1024)
def steps(path: str) -> tuple[Step, ...] | None:
    """The steps of a definite ``path`` from the root (``None``: not definite, or a field named
    as jsonpath_ng's automatic id, which it answers itself)."""
    from jsonpath_ng import jsonpath

    def of(node: Any) -> tuple[Step, ...]:
        if isinstance(node, jsonpath.Root):
            return ()
        if isinstance(node, jsonpath.Child):
            return of(node.left) + of(node.right)
        if isinstance(node, jsonpath.Index):
            return ((True, node.indices[0]),)
        return ((False, node.fields[0]),)

    if not is_definite(path):
        return None
    found = of(_parsed(path))
    if any(not index and key == jsonpath.auto_id_field for index, key in found):
        return None
    return found


_NOTHING = object()


def _walk(path_steps: tuple[Step, ...], data: Any) -> Any:
    """The node ``path_steps`` reach in ``data``, as jsonpath_ng's ``find`` matches it: a field
    of what has ``get`` (a dict), an index (negative ones from the end) within a list; else
    ``_NOTHING``."""
    value = data
    for is_index, key in path_steps:
        if is_index:
            if not isinstance(value, (list, tuple)) or not -len(value) <= key < len(value):
                return _NOTHING
            value = value[key]
        else:
            try:
                value = value.get(key, _NOTHING)
            except (TypeError, AttributeError):
                return _NOTHING
            if value is _NOTHING:
                return _NOTHING
    return value


def extract_json(path: str, data: Any) -> Any:
    """moto's ``extract_json``, with a definite path's single value unwrapped (walked directly,
    as jsonpath_ng would find it: a tenth of the cost)."""
    path_steps = steps(path)
    if path_steps is None:
        return _original[0](path, data)
    value = _walk(path_steps, data)
    if value is _NOTHING:
        from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

        raise NoSuchJsonPathError(json_path=path, data=data)
    return value


def _remembered(original: Callable[[str], Any]) -> Callable[[str], Any]:
    """``original`` (jsonpath_ng's ``parse``), each text parsed once; a text that does not parse
    raises each time, as before."""
    return functools.lru_cache(maxsize=1024)(original)


def _replacing(original: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    _original[:] = [original]
    return extract_json


PATCHES = (
    Patch(
        name="definite-jsonpath",
        targets={f"{_PARSER}{holder}:extract_json": _replacing for holder in _HOLDERS},
        reason=(
            "moto wraps a definite path's value in a list when the step before the last is an "
            "index ($.a[0].b gives [34]); 'Using JSONPath paths' (Reference Paths): a path "
            "identifying a single node returns that node's value (34)."
        ),
        upstream="moto's extract_json returning the node of a definite path (after issue 7825)",
    ),
    Patch(
        name="parsed-paths",
        targets={
            f"{_PARSER}component.common.path.result_path:parse": _remembered,
            f"{_PARSER}utils.json_path:parse": _remembered,
        },
        reason=(
            "moto parses a JSONPath at every evaluation (ResultPath, extract_json), building "
            "jsonpath_ng's parser each time: 1-5 ms a path, a tenth of a fan-out's CPU."
        ),
        upstream="stays: a speed-up of the runner's (moto keeping parsed paths would delete it)",
        kind="feature",
    ),
)
