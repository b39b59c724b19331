"""The local runner's speed-ups (issue 28), each giving what moto gave: state data copied as
JSON values (``local/_moto_copies.py``), definite JSONPaths walked without jsonpath_ng
(``local/_moto_jsonpath.py``), a JSONata expression's references found once per text
(``local/_moto_jsonata.py``)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

import pytest

from local_helpers import DefinitionRunner
from sfn_downloader.local import _moto_jsonpath
from sfn_downloader.local._moto import local_aws
from sfn_downloader.local._moto_copies import copy_value
from sfn_downloader.local._moto_jsonata import references


def test_a_copy_shares_no_dict_or_list_with_its_original() -> None:
    original = {"a": [1, {"b": "x"}], "c": {"d": None, "e": 1.5, "f": True}}
    copied = copy_value(original)
    assert copied == original
    assert copied is not original
    assert copied["a"] is not original["a"] and copied["a"][1] is not original["a"][1]
    assert copied["c"] is not original["c"]
    copied["a"][1]["b"] = "changed"
    assert original["a"][1]["b"] == "x"


def test_what_is_not_json_goes_to_deepcopy() -> None:
    when = datetime(2026, 12, 7, tzinfo=UTC)
    original = {"when": when, "pair": ([1], 2)}
    copied = copy_value(original)
    assert copied == original
    assert copied["pair"][0] is not original["pair"][0]


@pytest.fixture(scope="module")
def machines() -> Iterator[DefinitionRunner]:
    with local_aws():
        yield DefinitionRunner()


_WRITES = {
    "StartAt": "Keep",
    "States": {
        "Keep": {"Type": "Pass", "ResultPath": "$.kept", "Next": "Write"},
        "Write": {"Type": "Pass", "Result": "x", "ResultPath": "$.kept.a.mark", "End": True},
    },
}


def test_a_state_writing_into_its_data_changes_no_earlier_value(
    machines: DefinitionRunner,
) -> None:
    """'Input and output processing': each state's input and output is a JSON text of its
    own; a write under ``$.kept`` must not reach ``$.a`` it was copied from."""
    described = machines.run(_WRITES, input={"a": {"n": 1}})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"]) == {
        "a": {"n": 1},
        "kept": {"a": {"n": 1, "mark": "x"}},
    }


def test_state_data_is_copied_without_deepcopy(machines: DefinitionRunner) -> None:
    """The interpreter's copies of state data (dicts, lists) go through ``copy_value``, a
    running program's state is made anew: none through ``copy.deepcopy``."""
    deepcopy = copy.deepcopy
    of_state_data: list[Any] = []

    def counting(value: Any, *args: Any) -> Any:
        if (isinstance(value, dict) and "a" in value) or type(value).__name__ == "ProgramRunning":
            of_state_data.append(value)
        return deepcopy(value, *args)

    with mock.patch.object(copy, "deepcopy", counting):
        described = machines.run(_WRITES, input={"a": {"n": 1}})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert of_state_data == []


def test_a_running_program_state_is_copied_with_its_names(machines: DefinitionRunner) -> None:
    from moto.stepfunctions.parser.asl.eval.environment import Environment
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramRunning

    env = SimpleNamespace(_program_state=ProgramRunning())
    env._program_state.next_state_name = "Next"
    env._program_state.next_field_name = "Field"
    copied = Environment.program_state(env)
    assert type(copied) is ProgramRunning and copied is not env._program_state
    assert (copied.next_state_name, copied.next_field_name) == ("Next", "Field")
    env._program_state = ProgramError(error={"error": "E", "cause": "C"})
    copied = Environment.program_state(env)
    assert type(copied) is ProgramError and copied.error == {"error": "E", "cause": "C"}
    assert copied.error is not env._program_state.error


_DATA = {
    "a": [{"b": 34}, {"b": [1, 2]}, "s"],
    "c": {"d": None, "e": {"f": 0}},
    "s": "text",
    "n": 5,
    "t": {"1": "one"},
}
_PATHS = [
    "$", "$.a", "$.a[0].b", "$.a[1].b[1]", "$.a[-1]", "$.a[-3].b", "$.a[3]", "$.a[-4]",
    "$.c.d", "$.c.e.f", "$['c']['e']", "$.s.x", "$.s[0]", "$.n.x", "$.n[0]", "$.c[0]",
    "$.missing", "$.a.b", "$.t.1", "$.c.d.x",
]  # fmt: skip


@pytest.mark.parametrize("path", _PATHS)
def test_a_definite_path_finds_what_jsonpath_ng_finds(path: str) -> None:
    from jsonpath_ng.ext import parse

    assert _moto_jsonpath.steps(path) is not None
    matches = parse(path).find(_DATA)
    found = _moto_jsonpath._walk(_moto_jsonpath.steps(path), _DATA)  # type: ignore[arg-type]
    if matches:
        assert found is matches[0].value
    else:
        assert found is _moto_jsonpath._NOTHING


@pytest.mark.parametrize("path", ["$.a[*]", "$.a[0:1]", "$..b", "$.a[?(@.b)]", "$.*"])
def test_other_paths_are_left_to_moto(path: str) -> None:
    assert _moto_jsonpath.steps(path) is None


def test_references_are_found_once_a_text_as_moto_finds_them() -> None:
    expression = "$states.input.a & $x.y & $states.result & $string($n) & $x"
    found = references(expression)
    assert (found.all_states, found.states_parts) == (False, ("input", "result"))
    assert sorted(found.names) == ["n", "string", "x"]
    assert references(expression) is found
    assert references("$states").all_states
