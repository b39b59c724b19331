"""``put_item`` in the process (``local/_dynamodb_calls.py``) answers as the whole round trip
through botocore and moto's dispatch does: the same result, the same error code, message and
status, the same items stored."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sfn_downloader.local._clients import local_client
from sfn_downloader.local._dynamodb_calls import InProcessDynamoDB, direct
from sfn_downloader.local._moto import local_aws

TABLE = "items"


@pytest.fixture
def clients() -> Iterator[tuple[Any, InProcessDynamoDB]]:
    with local_aws():
        client = local_client(
            "dynamodb", parameter_validation=False, retries={"total_max_attempts": 1}
        )
        for name in (f"{TABLE}-a", f"{TABLE}-b"):
            client.create_table(
                TableName=name,
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                BillingMode="PAY_PER_REQUEST",
            )
        yield client, InProcessDynamoDB(client, "us-east-1")


def _item(sk: str, **more: Any) -> dict[str, Any]:
    return {"pk": {"S": "d"}, "sk": {"S": sk}, **more}


REQUESTS: list[dict[str, Any]] = [
    {"Item": _item("1", n={"N": "5"}, m={"M": {"a": {"L": [{"S": "x"}, {"NULL": True}]}}})},
    {"Item": _item("1", flag={"BOOL": True}, s={"SS": ["a", "b"]})},  # overwrites
    {"Item": _item("1"), "ConditionExpression": "attribute_not_exists(sk)"},  # refused
    {
        "Item": _item("2", v={"N": "2"}),
        "ConditionExpression": "attribute_not_exists(sk) OR #v < :v",
        "ExpressionAttributeNames": {"#v": "v"},
        "ExpressionAttributeValues": {":v": {"N": "3"}},
    },
    {"Item": {"pk": {"S": "d"}}},  # no sort key
    {"Item": _item("")},  # an empty key
    {"Item": _item("3", big={"S": "x" * 410_000})},  # over 400 KB
    {"Item": _item("4"), "ReturnConsumedCapacity": "TOTAL"},
    {"Item": _item("5"), "ConditionExpression": "attribute_exists(#x)"},  # moto: KeyError
]


def _answer(client: Any, table: str, request: dict[str, Any]) -> Any:
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]

    try:
        result = client.put_item(TableName=table, **request)
    except ClientError as error:
        return (
            error.response["Error"]["Code"],
            error.response["Error"]["Message"],
            error.response["ResponseMetadata"]["HTTPStatusCode"],
        )
    except Exception as error:  # moto's own failures (a KeyError for "#x") come through alike
        return type(error).__name__, str(error)
    result.pop("ResponseMetadata", None)
    return result


def test_both_ways_answer_and_store_alike(clients: tuple[Any, InProcessDynamoDB]) -> None:
    client, in_process = clients
    for request in REQUESTS:
        assert direct({"TableName": TABLE, **request})
        whole_way = _answer(client, f"{TABLE}-a", request)
        shortcut = _answer(in_process, f"{TABLE}-b", request)
        assert repr(shortcut).replace(f"{TABLE}-b", f"{TABLE}-a") == repr(whole_way), request
    stored = [client.scan(TableName=f"{TABLE}-{x}")["Items"] for x in "ab"]
    assert stored[0] == stored[1] and len(stored[0]) == 3


def test_an_unknown_table_is_the_same_error(clients: tuple[Any, InProcessDynamoDB]) -> None:
    client, in_process = clients
    request = {"Item": _item("1")}
    assert _answer(in_process, "missing", request) == _answer(client, "missing", request)


@pytest.mark.parametrize(
    "request_",
    [
        {"TableName": TABLE, "Item": _item("1", b={"B": "aGk="})},
        {"TableName": TABLE, "Item": _item("1", b={"M": {"x": {"BS": ["aGk="]}}})},
        {"TableName": TABLE, "Item": _item("1"), "ReturnValues": "ALL_OLD"},
        {"TableName": TABLE, "Item": _item("1"), "ReturnValuesOnConditionCheckFailure": "ALL_OLD"},
    ],
)
def test_binary_values_and_values_asked_back_go_the_whole_way(request_: dict[str, Any]) -> None:
    """Where botocore and moto's parsing change values (base64 blobs) or the answer carries
    items, the shortcut is not taken."""
    assert not direct(request_)
