"""State data copied as JSON values (``local/_moto_copies.py``, issue 28): each copy still a
value of its own, made without ``copy.deepcopy`` for dicts and lists."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest

from local_helpers import DefinitionRunner
from sfn_downloader.local._moto import local_aws
from sfn_downloader.local._moto_copies import copy_value


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
    """The interpreter's copies of state data (dicts, lists) go through ``copy_value``."""
    deepcopy = copy.deepcopy
    of_state_data: list[Any] = []

    def counting(value: Any, *args: Any) -> Any:
        if isinstance(value, dict) and "a" in value:
            of_state_data.append(value)
        return deepcopy(value, *args)

    with mock.patch.object(copy, "deepcopy", counting):
        described = machines.run(_WRITES, input={"a": {"n": 1}})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert of_state_data == []
