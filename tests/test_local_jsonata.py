"""JSONata, locally, as Step Functions runs it: npm jsonata 2.0.6 in one Node process
("Transforming data with JSONata in Step Functions" names the version), each expression
compiled once, its variables passed as bindings."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from local_helpers import DefinitionRunner
from sfn_downloader.local._jsonata_node import JSONATA_VERSION, node_modules, process
from sfn_downloader.local._moto import local_aws


def evaluate(expression: str, **bindings: Any) -> Any:
    outcome = process().evaluate(expression, bindings)
    return outcome.error["code"] if outcome.error else outcome.value


def test_the_evaluator_is_npm_jsonata_2_0_6() -> None:
    manifest = json.loads((node_modules() / "jsonata" / "package.json").read_text())
    assert manifest["version"] == JSONATA_VERSION == "2.0.6"


@pytest.mark.parametrize("text", ["2026-01-06 10:00:00", "20260101T000000Z", "2026-01-01T00:00Z"])
def test_to_millis_refuses_what_jsonata_2_0_6_refuses(text: str) -> None:
    """Issue 25, point 2: jsonata-python read these; 2.0.6 fails with D3110."""
    assert evaluate("$toMillis($t)", t=text) == "D3110"


def test_to_millis_reads_iso_8601() -> None:
    assert evaluate('$toMillis("2026-01-01T00:00:00Z")') == 1767225600000


def test_string_of_a_16_digit_number_has_15_significant_digits() -> None:
    """Issue 25, point 3: 2.0.6 gives "1764221400123460" (jsonata-python: 1.76422140012346e+15)."""
    assert evaluate("$string($n)", n=1764221400123456) == "1764221400123460"


def test_decode_url_component_refuses_a_malformed_sequence() -> None:
    """ECMAScript's decodeURIComponent (jsonata-python left "%ZZ" as it was)."""
    assert process().evaluate('$decodeUrlComponent("%ZZ")', {}).error is not None


# --- in moto's interpreter ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def machines() -> Iterator[DefinitionRunner]:
    with local_aws():
        yield DefinitionRunner()


def jsonata_pass(output: str, **fields: Any) -> dict[str, Any]:
    return {
        "QueryLanguage": "JSONata",
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Output": output, "End": True, **fields}},
    }


def test_a_jsonata_state_outputs_what_2_0_6_computes(machines: DefinitionRunner) -> None:
    described = machines.run(
        jsonata_pass("{% {'s': $string($states.input.n), 'm': $toMillis($states.input.t)} %}"),
        input={"n": 1764221400123456, "t": "2026-01-01T00:00:00Z"},
    )
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {"s": "1764221400123460", "m": 1767225600000}


def test_a_failing_expression_fails_the_state_with_query_evaluation_error(
    machines: DefinitionRunner,
) -> None:
    described = machines.run(
        jsonata_pass("{% $toMillis($states.input.t) %}"), input={"t": "2026-01-06 10:00:00"}
    )
    assert (described["status"], described["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "D3110" in described["cause"]


def test_undefined_fails_the_state(machines: DefinitionRunner) -> None:
    described = machines.run(jsonata_pass("{% $states.input.missing %}"), input={})
    assert (described["status"], described["error"]) == ("FAILED", "States.QueryEvaluationError")
    assert "returned nothing (undefined)" in described["cause"]


def test_variables_are_bindings_not_text(machines: DefinitionRunner) -> None:
    """moto spliced a string variable into the expression unescaped: a quote broke it."""
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"said": "{% $states.input.said %}"}, "Next": "Get"},
            "Get": {"Type": "Pass", "Output": "{% {'said': $said} %}", "End": True},
        },
    }
    said = 'he said "hi" \\ and left'
    described = machines.run(definition, input={"said": said})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {"said": said}


@pytest.mark.parametrize(
    ("page", "kept"),
    [
        # Only what each reads: the fields {item.id} and {item.region}, nothing else.
        ([{"id": 1, "region": "a", "blob": "x" * 400}], [{"id": 1, "region": "a"}]),
        # An item lacking every field stays an item ({}): the missing-field check still sees it.
        ([{"blob": "x"}, {"id": 2, "region": "b"}], [{}, {"id": 2, "region": "b"}]),
        # A value that is not an object is kept as it is (the same check refuses it).
        ([7, {"id": 3, "region": "c", "x": 1}], [7, {"id": 3, "region": "c"}]),
        ([], None),  # nothing listed: nothing appended
    ],
)
def test_a_list_page_keeps_only_the_fields_each_reads(page: list[Any], kept: Any) -> None:
    """``FanOut.from_answer(pages=...)`` (issue 25, item 4): what a list page adds to
    ``$found`` is the fields of ``each``, so 1,000 items of 400 B fit the state."""
    from sfn_downloader.fanout.answer import _kept

    expression = _kept("$page", "/v1/objects/{item.id}?region={item.region}")
    outcome = process().evaluate(f"$append([], {expression})", {"page": page})
    assert (outcome.value if not outcome.undefined else None) == (kept or [])


def test_a_list_page_keeps_whole_items_when_each_sends_the_item() -> None:
    from sfn_downloader.fanout.answer import _kept

    assert _kept("$page", "/v1/t/{item}") == "$page"
    assert _kept("$page", "/v1/t/{item}?id={item.id}") == "$page"


CONTEXT = {
    "Execution": {"Name": "run-1", "Input": {"scheduledTime": "2026-11-27T05:30:00Z"}},
    "Map": {"Item": {"Index": 0, "Value": {"path": "/v1/a", "n": 9007199254740991}}},
    "Big": {"Value": {"id": 12345678901234567}},
    "List": {"Value": [[1], [2, [3]]]},
    "Float": 0.1,
}


@pytest.mark.parametrize(
    "expression",
    [
        "$states.context.`Map`.`Item`.`Value`",
        "$states.context.Execution.Input.scheduledTime",
        "$states.context.`Execution`.`Name`",
        "$states.context.Map.Item.Index",
        "$states.context.Big.Value",  # a number a double changes: left to Node
        "$states.context.List.Value",  # an array (sequences): left to Node
        "$states.context.Float",
        "$states.context.Map.Nothing",  # undefined: left to Node
        "$states.context.Map.Item.Value.path & 'x'",  # not a plain path
    ],
)
def test_a_context_path_read_directly_is_what_jsonata_2_0_6_gives(expression: str) -> None:
    """The local runner reads a plain path into the Context object without Node (a fan-out's
    ItemSelector reads four a Map item): where it does, the value is jsonata 2.0.6's."""
    from types import SimpleNamespace

    from sfn_downloader.local._moto_jsonata import _context_value

    env = SimpleNamespace(states=SimpleNamespace(_states_data={"context": CONTEXT}))
    read, value = _context_value(env, expression)
    outcome = process().evaluate(expression, {"states": {"context": CONTEXT}})
    if read:
        assert not outcome.undefined and outcome.error is None
        assert value == outcome.value
    direct = {
        "$states.context.`Map`.`Item`.`Value`", "$states.context.Execution.Input.scheduledTime",
        "$states.context.`Execution`.`Name`", "$states.context.Map.Item.Index",
    }  # fmt: skip
    assert read == (expression in direct)


@pytest.mark.parametrize(
    "expression",
    [
        "$mapItem",  # holds a number a double changes: left to Node
        "$mapItem.request.key",
        "$mapItem.scheduledTime",
        "$mapItem.request.big",  # a number a double changes: left to Node
        "$mapItem.request.pages",  # an array: left to Node
        "$mapItem.request.nothing",  # undefined: left to Node
        "$unassigned",
        "$mapItem.request.key & '/'",  # not a plain path
        "$states.input",  # $states is no workflow variable
    ],
)
def test_a_variable_path_read_directly_is_what_jsonata_2_0_6_gives(expression: str) -> None:
    """A workflow variable (or a plain path into one: what a JSONPath state's field reads) is
    read without Node where jsonata 2.0.6 gives it back unchanged."""
    from types import SimpleNamespace

    from moto.stepfunctions.parser.asl.eval.variable_store import NoSuchVariable

    from sfn_downloader.local._moto_jsonata import _variable_value

    variables = {
        "mapItem": {
            "request": {"key": "/v1/a", "n": 7, "big": 12345678901234567, "pages": [1, 2]},
            "scheduledTime": "2026-11-27T05:30:00Z",
        }
    }

    def get(name: str) -> Any:
        if name not in variables:
            raise NoSuchVariable(name)
        return variables[name]

    env = SimpleNamespace(variable_store=SimpleNamespace(get=get))
    read, value = _variable_value(env, expression)
    if read:
        outcome = process().evaluate(expression, dict(variables))
        assert not outcome.undefined and outcome.error is None
        assert value == outcome.value
    assert read == (expression in {"$mapItem.request.key", "$mapItem.scheduledTime"})
