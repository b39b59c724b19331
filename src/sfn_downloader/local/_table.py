"""Where a synthesized downloader writes: its table and partition key, read from the definition;
the local table's CreateTable request, and its items as plain Python values."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from .._contract import PARTITION_KEY, RECORDS_PARTITION_SUFFIX
from .errors import LocalRunnerError

PUT_ITEM = ":::dynamodb:putItem"
"""How a putItem task's Resource ends (``arn:<partition>:states:::dynamodb:putItem``)."""


def written_key(definition: str) -> tuple[str, str]:
    """``(table name, downloader id)`` of the putItem states of ``definition`` (resolved), which
    all write one partition key to one table (inside Maps and loops too); its records'
    partition (``<downloader id>#records``) is the downloader's too."""
    found = {
        (table, pk.removesuffix(RECORDS_PARTITION_SUFFIX))
        for table, pk in _put_items(json.loads(definition))
    }
    if len(found) != 1:
        raise LocalRunnerError(
            f"Expected the downloader's putItem states to write one partition key to one table; "
            f"found {sorted(found)}."
        )
    return found.pop()


def _put_items(node: Any) -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        if str(node.get("Resource", "")).endswith(PUT_ITEM):
            parameters = node.get("Parameters") or node.get("Arguments") or {}
            pk = parameters.get("Item", {}).get(PARTITION_KEY, {}).get("S")
            if isinstance(pk, str) and isinstance(parameters.get("TableName"), str):
                yield parameters["TableName"], pk
        for value in node.values():
            yield from _put_items(value)
    elif isinstance(node, list):
        for value in node:
            yield from _put_items(value)


def table_request(name: str, props: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateTable request of table ``name`` from its CloudFormation properties."""
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if request["BillingMode"] == "PROVISIONED":
        throughput = props.get("ProvisionedThroughput", {})
        request["ProvisionedThroughput"] = {
            "ReadCapacityUnits": int(throughput.get("ReadCapacityUnits", 5)),
            "WriteCapacityUnits": int(throughput.get("WriteCapacityUnits", 5)),
        }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        if props.get(key):
            request[key] = props[key]
    return request


def plain_value(value: Any) -> Any:
    """A deserialized attribute value with ``Decimal`` numbers as ``int`` or ``float``."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [plain_value(item) for item in value]
    if isinstance(value, set):
        return {plain_value(item) for item in value}
    if isinstance(value, dict):
        return {key: plain_value(item) for key, item in value.items()}
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value
