"""JSONata for moto's States Language interpreter, evaluated as Step Functions evaluates it.

moto parses JSONata states and ``{% %}`` expressions (its interpreter is LocalStack's), but
ships no evaluator: ``eval_jsonata_expression`` calls a function pointer left ``None`` (LocalStack
fills it with a JVM bridge), so every JSONata expression fails with ``TypeError``. Where moto
evaluates an expression (``StringJSONata``, a ``{% %}`` field; ``StringVariableSample``, a
``$variable`` reference), this module evaluates it with npm ``jsonata`` 2.0.6, the JavaScript
implementation Step Functions runs ("Transforming data with JSONata in Step Functions"), in one
long-lived Node process (``_jsonata_node``): the expression compiled once, ``$states`` and the
workflow variables it references passed as bindings (moto splices every variable into the
expression's text, unescaped). So a local run agrees with AWS on ``$toMillis`` (a
``"2026-01-06 10:00:00"`` is D3110), ``$string`` of big numbers (15 significant digits),
``$decodeUrlComponent`` of a malformed ``%`` sequence, date pictures and regexes.

A failed, undefined or function-valued expression fails the state with
``States.QueryEvaluationError`` ("Handling errors in Step Functions workflows"), as moto's own
validation would.

Delete this module once moto evaluates JSONata itself.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from ._jsonata_node import Evaluation, process
from ._moto_copies import copy_value
from ._patch import Patch, constant

_STATES = "$states"
_STATES_PARTS = ("input", "context", "result", "errorOutput")


@dataclass(frozen=True)
class References:
    """What an expression references: all of ``$states``, or some of its parts, and other
    names (workflow variables, function parameters, built-in functions)."""

    all_states: bool
    states_parts: tuple[str, ...]
    names: tuple[str, ...]


@functools.lru_cache(maxsize=1024)
def references(expression: str) -> References:
    """``expression``'s references, found once per text (moto's pattern, as moto finds them;
    an illegal reference raises each time, as in moto)."""
    from moto.stepfunctions.parser.asl.jsonata.jsonata import (
        extract_jsonata_variable_references,
    )

    found = extract_jsonata_variable_references(expression)
    names = dict.fromkeys(reference[1:].split(".", 1)[0] for reference in sorted(found))
    names.pop("states", None)
    return References(
        all_states=_STATES in found,
        states_parts=tuple(
            part
            for part in _STATES_PARTS
            if any(reference.startswith(f"{_STATES}.{part}") for reference in found)
        ),
        names=tuple(names),
    )


def bindings(env: Any, expression: str, *, with_states: bool = True) -> dict[str, Any]:
    """``$states`` (the parts ``expression`` references) and the workflow variables it
    references, as JSONata bindings."""
    from moto.stepfunctions.parser.asl.eval.variable_store import NoSuchVariable

    referenced = references(expression)
    found: dict[str, Any] = {}
    if with_states:
        data = env.states._states_data
        if referenced.all_states:
            found["states"] = data
        else:
            parts = {part: data[part] for part in referenced.states_parts if part in data}
            if parts:
                found["states"] = parts
    for name in referenced.names:
        try:
            found[name] = env.variable_store.get(name)
        except NoSuchVariable:
            continue  # a function parameter, a built-in function or an unknown name
    return found


def _failure(env: Any, expression: str, cause: str) -> Exception:
    from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    error = StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError)
    details = EvaluationFailedEventDetails(error=error.error_name, cause=cause)
    failure = FailureEvent(
        env=env,
        error_name=error,
        event_type=HistoryEventType.EvaluationFailed,
        # moto declares EventDetails total=True yet fills one key, as here.
        event_details=EventDetails(evaluationFailedEventDetails=details),  # type: ignore[typeddict-item]
    )
    env.event_manager.add_event(
        context=env.event_history_context,
        event_type=HistoryEventType.EvaluationFailed,
        event_details=EventDetails(evaluationFailedEventDetails=details),  # type: ignore[typeddict-item]
    )
    return FailureEventException(failure_event=failure)


def evaluated(env: Any, expression: str, outcome: Evaluation) -> Any:
    """The value of a ``{% %}`` field, or its ``States.QueryEvaluationError``."""
    if outcome.error is not None:
        code, message = outcome.error.get("code", ""), outcome.error.get("message", "")
        raise _failure(
            env,
            expression,
            f"The JSONata expression '{expression}' threw an error during evaluation: "
            f"{code}: {message}",
        )
    if outcome.undefined:
        raise _failure(
            env, expression, f"The JSONata expression '{expression}' returned nothing (undefined)."
        )
    if outcome.function:
        raise _failure(
            env,
            expression,
            f"The JSONata expression '{expression}' returned an unsupported result type.",
        )
    return outcome.value


_CONTEXT_PATH = re.compile(r"\$states\.context((?:\.`[^`]+`|\.[A-Za-z_][A-Za-z0-9_]*)+)")
_STEP = re.compile(r"\.(?:`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*))")
_MAX_EXACT = 2**53 - 1


@functools.lru_cache(maxsize=1024)
def _context_steps(expression: str) -> tuple[str, ...] | None:
    """The keys of a plain path into ``$states.context`` (``$states.context.`Map`.`Item```),
    ``None`` for any other expression."""
    match = _CONTEXT_PATH.fullmatch(expression.strip())
    if match is None:
        return None
    return tuple(quoted or plain for quoted, plain in _STEP.findall(match.group(1)))


def _exact(value: Any) -> bool:
    """True when JSONata (JavaScript numbers) gives ``value`` back unchanged: strings,
    booleans, null, integers up to 2^53 - 1, and objects of those."""
    if value is None or isinstance(value, str | bool):
        return True
    if isinstance(value, int):
        return abs(value) <= _MAX_EXACT
    if isinstance(value, dict):
        return all(_exact(member) for member in value.values())
    return False  # a float, an array (JSONata's sequences): the evaluator decides


def _context_value(env: Any, expression: str) -> tuple[bool, Any]:
    """A plain path into the Context object whose every step is an object's key, read
    directly: what jsonata 2.0.6 gives for it (a path step of one object is the member's
    value), without a round trip to Node per Map item (a fan-out's ItemSelector reads four).
    ``(False, None)`` for anything else: a missing key (undefined), an array or a number
    JSONata would change, any other expression."""
    steps = _context_steps(expression)
    if steps is None:
        return False, None
    value = env.states._states_data.get("context")
    for key in steps:
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return (True, copy_value(value)) if _exact(value) else (False, None)  # never shared


_VARIABLE_PATH = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*)*)")


def _variable_value(env: Any, expression: str) -> tuple[bool, Any]:
    """A workflow variable, or a plain path of object keys into one (``$mapItem.request.key``,
    what a JSONPath state's field reads), read directly when jsonata 2.0.6 would give it back
    unchanged (``_exact``); ``(False, None)`` for anything else (an unassigned name, a missing
    key, an array or a number a double changes): the evaluator decides those."""
    from moto.stepfunctions.parser.asl.eval.variable_store import NoSuchVariable

    match = _VARIABLE_PATH.fullmatch(expression.strip())
    if match is None or match.group(1) == "states":
        return False, None
    try:
        value = env.variable_store.get(match.group(1))
    except NoSuchVariable:
        return False, None
    for key in match.group(2).split(".")[1:]:
        if not isinstance(value, dict) or key not in value:
            return False, None
        value = value[key]
    return (True, copy_value(value)) if _exact(value) else (False, None)


def _jsonata_eval_body(self: Any, env: Any) -> None:
    """Replacement for moto's ``StringJSONata._eval_body`` (a ``{% %}`` field)."""
    read, value = _context_value(env, self.expression)
    if not read:
        read, value = _variable_value(env, self.expression)
    if read:
        env.stack.append(value)
        return
    outcome = process().evaluate(self.expression, bindings(env, self.expression))
    env.stack.append(evaluated(env, self.expression, outcome))


def _variable_sample_eval_body(self: Any, env: Any) -> None:
    """Replacement for moto's ``StringVariableSample._eval_body`` (a ``$variable`` reference,
    in a JSONata or a JSONPath state)."""
    from moto.stepfunctions.parser.asl.component.common.query_language import (
        QueryLanguageMode,
    )

    read, value = _variable_value(env, self.expression)
    if read:
        env.stack.append(value)
        return
    jsonata_mode = self.query_language_mode == QueryLanguageMode.JSONata
    outcome = process().evaluate(
        self.expression, bindings(env, self.expression, with_states=jsonata_mode)
    )
    if outcome.error is not None:
        raise _failure(
            env,
            self.expression,
            f"{self.expression}: {outcome.error.get('code', '')}: {outcome.error.get('message')}",
        )
    env.stack.append(None if outcome.undefined else outcome.value)


def _evaluate_text(expression: str) -> Any:
    """moto's ``eval_jsonata_expression`` (variables spliced into the text): what is left of
    moto's own callers (its output validation), with the same evaluator."""
    from moto.stepfunctions.parser.asl.jsonata.jsonata import JSONataException

    outcome = process().evaluate(expression, {})
    if outcome.error is not None:
        raise JSONataException("States.QueryEvaluationError", str(outcome.error.get("message")))
    return None if outcome.undefined else outcome.value


_STRING = "moto.stepfunctions.parser.asl.component.common.string.string_expression"
PATCHES = (
    Patch(
        name="jsonata",
        targets={
            f"{_STRING}:StringJSONata._eval_body": constant(_jsonata_eval_body),
            f"{_STRING}:StringVariableSample._eval_body": constant(_variable_sample_eval_body),
            "moto.stepfunctions.parser.asl.jsonata.jsonata:_eval_jsonata": constant(_evaluate_text),
        },
        reason=(
            "moto parses JSONata but evaluates none (its evaluator is a function pointer left "
            "None: TypeError); Step Functions runs npm jsonata 2.0.6 ('Transforming data with "
            "JSONata in Step Functions'), here in one Node process, each expression compiled "
            "once and its variables passed as bindings."
        ),
        upstream="moto evaluating JSONata itself (LocalStack fills the pointer with a JVM bridge)",
    ),
)
