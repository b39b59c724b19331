"""Where a synthesized downloader writes: its table and partition key, read from the definition."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .._contract import PARTITION_KEY
from .errors import LocalRunnerError

PUT_ITEM = ":::dynamodb:putItem"
"""How a putItem task's Resource ends (``arn:<partition>:states:::dynamodb:putItem``)."""


def written_key(definition: str) -> tuple[str, str]:
    """``(table name, downloader id)`` of the putItem states of ``definition`` (resolved), which
    all write one partition key to one table (inside Maps and loops too)."""
    found = set(_put_items(json.loads(definition)))
    if len(found) != 1:
        raise LocalRunnerError(
            f"Expected the downloader's putItem states to write one partition key to one table; "
            f"found {sorted(found)}."
        )
    return found.pop()


def _put_items(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if str(node.get("Resource", "")).endswith(PUT_ITEM):
            parameters = node.get("Parameters", {})
            pk = parameters.get("Item", {}).get(PARTITION_KEY, {}).get("S")
            if isinstance(pk, str) and isinstance(parameters.get("TableName"), str):
                yield parameters["TableName"], pk
        for value in node.values():
            yield from _put_items(value)
    elif isinstance(node, list):
        for value in node:
            yield from _put_items(value)
