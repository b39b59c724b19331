"""A run's ``dynamodb:putItem`` handed to moto's DynamoDB in the process, without the HTTP
round trip through botocore and moto's request parsing.

moto's DynamoDB task calls a boto3 client; the call is serialized by botocore, signed, caught
by moto's interceptor, turned into a werkzeug request, parsed back against the service model
and dispatched: about a third of a local fan-out's CPU for a few dozen microseconds of moto's
own ``put_item``. ``InProcessDynamoDB.put_item`` gives moto's ``DynamoHandler.put_item`` (the
same method the dispatch ends in, with its validation, conditions and errors) the parameters as
that parsing would have made them, and answers as botocore would have parsed moto's answer:
the result without ``ResponseMetadata``, or a ``ClientError`` with moto's error code, message and
HTTP status.

Only where both ways give the same values: a request with a binary value (``B``, ``BS``:
botocore base64-encodes text, moto decodes it), asking for values back (``ReturnValues``, a
conditional failure's item) or an unmodelled parameter goes the whole way, as every other
DynamoDB call does. ``tests/test_local_dynamodb_calls.py`` compares both ways.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from ._resolver import LOCAL_ACCOUNT

_PUT_ITEM_PARAMETERS = frozenset(
    {"TableName", "Item", "ConditionExpression", "ExpressionAttributeNames",
     "ExpressionAttributeValues", "ConditionalOperator", "Expected",
     "ReturnConsumedCapacity", "ReturnItemCollectionMetrics"}
)  # fmt: skip
_BINARY = frozenset({"B", "BS"})


def _has_binary(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(key in _BINARY or _has_binary(inner) for key, inner in value.items())
    if isinstance(value, list):
        return any(_has_binary(inner) for inner in value)
    return False


def direct(parameters: Mapping[str, Any]) -> bool:
    """True when a PutItem of ``parameters`` gives the same answer without the round trip."""
    return set(parameters) <= _PUT_ITEM_PARAMETERS and not _has_binary(parameters)


class InProcessDynamoDB:
    """A DynamoDB client for moto's tasks: ``put_item`` in the process where it can be, every
    other call (and the rest of ``put_item``'s) through ``client``."""

    def __init__(self, client: Any, region: str) -> None:
        self._client = client
        self._region = region

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def put_item(self, **parameters: Any) -> Any:
        if not direct(parameters):
            return self._client.put_item(**parameters)
        from botocore.exceptions import ClientError  # type: ignore[import-untyped]
        from moto.core.exceptions import JsonRESTError, ServiceException
        from moto.dynamodb.responses import DynamoHandler

        handler = DynamoHandler()
        handler.current_account = LOCAL_ACCOUNT
        handler.region = self._region
        # A JSON round trip, as the wire would: moto keeps no reference to the state's data.
        handler.body = json.loads(json.dumps(parameters))
        try:
            result = handler.put_item().result
        except JsonRESTError as error:
            code = str(error.error_type).rsplit("#", 1)[-1]
            raise ClientError(_error(code, error.message, int(error.code)), "PutItem") from None
        except ServiceException as error:
            raise ClientError(_error(error.code, error.message, 400), "PutItem") from None
        return json.loads(json.dumps(result))


def _error(code: str, message: str, status: int) -> dict[str, Any]:
    """An error answer as botocore parses moto's (``Error``, ``ResponseMetadata``)."""
    request_id = uuid.uuid4().hex.upper()
    return {
        "Error": {"Code": code, "Message": message},
        "message": message,
        "ResponseMetadata": {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": {"x-amzn-requestid": request_id},
            "RetryAttempts": 0,
        },
    }
