"""What moto 5.2.5 lacks to run ``arn:aws:states:::states:startExecution.sync:2``, and to start
executions side by side.

AWS documents the task's parameters as ``Input``, ``Name`` and ``StateMachineArn`` (Step
Functions developer guide, "Start a new AWS Step Functions state machine from a running
execution"), and its result as the ``DescribeExecution`` answer. moto's interpreter is
LocalStack's, whose base class renames parameters to the botocore shape's members and the
answer's keys back to the task's casing; moto ported that base class with both steps left
empty. So ``startExecution`` reaches botocore as ``Input=...`` (``KeyError: 'Input'``, a
``States.Runtime`` failure), and the ``.sync`` poll looks for ``ExecutionArn`` in an answer that
holds ``executionArn``; and a start without ``Name`` gets the name ``None`` (AWS generates a
UUID), so the second one clashes. This module fills in these steps for the Step Functions task
only.

Concurrent starts: moto parses a definition for each execution, and its parser keeps the query
language of the scope being parsed in a list shared by every parser (a class attribute of
``Preprocessor``). Two executions starting at once (the runs of a backfill, two deliveries)
interleave on it: one fails to parse (``Unsupported declaration in QueryLanguage=JSONPath
block``) and stays RUNNING forever. Parses are serialized here while a runner is open.

Parses are also remembered, by definition text (the last 64): moto parses a definition when the
state machine is created and again for every execution, about 0.25 s of pure-Python ANTLR each
time for the construct's definitions. The parsed program holds no execution's state (its
components keep attempt counters, variables and the like in the execution's ``Environment``,
which is how moto already runs one program for the concurrent iterations of a Map), so one
parse serves every execution of the same definition. A definition that fails to parse is not
remembered: it fails again, as on AWS.

Delete it once moto names these parameters itself (a start of ``startExecution`` from a
definition then succeeds without it), and its preprocessor keeps the scope per instance.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

from ._patch import Patch, keeping

_PARAMETERS = {"Input": "input", "Name": "name", "StateMachineArn": "stateMachineArn"}
"""The task's parameters → botocore's ``StartExecution`` members."""
_PARSED_KEPT = 64
_parsed: dict[str, Any] = {}
"""Parsed definitions by their text, least recently used first."""
_originals: dict[str, Any] = {}


def _serialized_parse(original: Any) -> Any:
    """moto's ``AmazonStateLanguageParser.parse`` (a staticmethod), one parse at a time, each
    definition's parse reused."""
    parse = original.__func__ if isinstance(original, staticmethod) else original
    parsing = threading.Lock()

    def serialized(definition: str) -> Any:
        with parsing:
            parsed = _parsed.pop(definition, None)
            if parsed is None:
                parsed = parse(definition)
            _parsed[definition] = parsed  # the most recent last
            while len(_parsed) > _PARSED_KEPT:
                del _parsed[next(iter(_parsed))]
            return parsed

    return staticmethod(serialized)


def _normalise_parameters(
    self: Any,
    parameters: dict[str, Any],
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    """moto's own step (``Input`` as a JSON string), then botocore's member names."""
    original = _originals.get("_normalise_parameters")
    if original is not None:
        original(self, parameters, boto_service_name, service_action_name)
    if service_action_name is None and self._get_boto_service_action() == "start_execution":
        for given, member in _PARAMETERS.items():
            if given in parameters:
                parameters[member] = parameters.pop(given)
        # StartExecution without a name: "Step Functions automatically generates a universally
        # unique identifier (UUID) as the execution name" (API reference); moto names it None.
        parameters.setdefault("name", str(uuid.uuid4()))


def _normalise_response(
    self: Any,
    response: Any,
    boto_service_name: str | None = None,
    service_action_name: str | None = None,
) -> None:
    """The answer's top-level keys as the task returns them (``executionArn`` →
    ``ExecutionArn``), in place."""
    if not isinstance(response, dict):
        return
    for key in list(response):
        if key[:1].islower():
            response[key[0].upper() + key[1:]] = response.pop(key)


_TASK = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_sfn:StateTaskServiceSfn"
)
PATCHES = (
    Patch(
        name="start-execution",
        targets={
            f"{_TASK}._normalise_parameters": keeping(
                _originals, "_normalise_parameters", _normalise_parameters
            ),
            f"{_TASK}._normalise_response": keeping(
                _originals, "_normalise_response", _normalise_response
            ),
        },
        reason=(
            "moto passes the task's Input/Name/StateMachineArn to botocore unrenamed (KeyError: "
            "'Input'), names an unnamed execution None and reads its answer with the wrong "
            "casing; 'Start a new AWS Step Functions state machine from a running execution', "
            "StartExecution (API reference)."
        ),
        upstream="moto's StateTaskServiceSfn normalising parameters and answers (LocalStack does)",
    ),
    Patch(
        name="parse",
        targets={
            "moto.stepfunctions.parser.asl.parse.asl_parser:AmazonStateLanguageParser.parse": (
                _serialized_parse
            ),
        },
        reason=(
            "moto's Preprocessor keeps the query language scope in a class attribute shared by "
            "every parser: two executions starting at once interleave on it and one stays "
            "RUNNING forever. Parses are serialized, and reused by definition text (0.25 s "
            "each)."
        ),
        upstream=(
            "moto keeping Preprocessor._query_language_per_scope per instance (then keep only "
            "the reuse of parses, a speed-up)"
        ),
    ),
)
