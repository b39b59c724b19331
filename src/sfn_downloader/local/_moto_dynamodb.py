"""DynamoDB's refusals for moto's DynamoDB tasks (``dynamodb:putItem`` and the others).

moto's DynamoDB mock accepts attribute values DynamoDB refuses: ``{"BOOL": "yes"}``, a number
of 40 significant digits (``items()`` then fails with ``decimal.Inexact``), ``1E+126``, a value
with two data types, an empty set. On AWS the task fails, the run stops and nothing is stored;
a local run that stores them hides that failure. This module checks every attribute value a
DynamoDB task sends (``Item``, ``Key``, ``ExpressionAttributeValues``) against the rules the
DynamoDB developer guide states, before moto sees it:

* "Supported data types and naming rules in Amazon DynamoDB" and "Service, account, and table
  quotas in Amazon DynamoDB": a Number has at most 38 significant digits, its magnitude is 0 or
  from 1E-130 to 9.9999999999999999999999999999999999999E+125; a set is not empty and its
  values are unique; nesting goes 32 levels deep at most; an item is at most 400 KB;
* "DynamoDB Item sizes and formats": how an item's size is counted;
* the DynamoDB API reference, ``AttributeValue`` (and botocore's service model): exactly one
  data type per value; ``S``, ``N``, ``B`` are strings, ``BOOL`` a boolean, ``NULL`` true,
  ``L`` a list and ``M`` a map of values.

Error names: a DynamoDB error that PutItem's service model does not list (``ValidationException``,
``SerializationException``) reaches a Step Functions task as ``DynamoDB.AmazonDynamoDBException``
(the generic service exception; the developer guide's "Invoke Synchronous Express Workflows"
sample retries that name after a DynamoDB task), and a listed one as ``DynamoDB.<code>``
(``DynamoDB.ConditionalCheckFailedException``). moto names every code ``DynamoDB.<code>``;
this module renames the unlisted ones. The cause keeps the code
(``... (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; ...)``).
AWS does not document the message texts: those here follow DynamoDB's as moto reproduces them.

A JSONata task's own evaluation failure (an ``Arguments`` expression returning nothing) is
``States.QueryEvaluationError`` before DynamoDB is called ("Transforming data with JSONata in
Step Functions"); moto's DynamoDB task renames it ``DynamoDB.AmazonDynamoDBException`` with an
empty cause: this module keeps the evaluation's failure as it is.

DELETE THIS MODULE once moto's DynamoDB refuses these values itself and its Step Functions
DynamoDB task names errors as above.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ._patch import Patch, keeping

GENERIC_ERROR = "DynamoDB.AmazonDynamoDBException"
"""The Step Functions error of a DynamoDB error its service model does not list."""
MAX_ITEM_BYTES = 400 * 1024
MAX_DEPTH = 32
MAX_DIGITS = 38
MAX_MAGNITUDE = Decimal("9.9999999999999999999999999999999999999E+125")
MIN_MAGNITUDE = Decimal("1E-130")

_TYPES = ("S", "N", "B", "SS", "NS", "BS", "M", "L", "NULL", "BOOL")
# What DynamoDB's JSON protocol accepts as a number (no NaN, Infinity, hex or spaces).
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class DynamoDBRefusal(Exception):
    """What DynamoDB answers to a request it refuses: an error code and its message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _validation(message: str) -> DynamoDBRefusal:
    return DynamoDBRefusal("ValidationException", message)


def _serialization(value: Any, wanted: str) -> DynamoDBRefusal:
    kinds = {bool: "BOOLEAN_VALUE", str: "STRING_VALUE", int: "NUMBER_VALUE", float: "NUMBER_VALUE"}
    kind = (
        "Start of structure or map"
        if isinstance(value, Mapping)
        else "Start of list"
        if isinstance(value, list)
        else "NULL_VALUE"
        if value is None
        else kinds.get(type(value), type(value).__name__)
    )
    return DynamoDBRefusal("SerializationException", f"{kind} cannot be converted to {wanted}")


def check_number(text: Any) -> Decimal:
    """The number an ``N`` value holds, or the refusal DynamoDB answers."""
    if not isinstance(text, str):
        raise _serialization(text, "String")
    if not _NUMBER.fullmatch(text):
        raise _validation(f"The parameter cannot be converted to a numeric value: {text}")
    number = Decimal(text)
    digits = number.as_tuple().digits
    significant = "".join(map(str, digits)).strip("0")
    if len(significant) > MAX_DIGITS:
        raise _validation(
            f"Attempting to store more than {MAX_DIGITS} significant digits in a Number"
        )
    if number != 0 and abs(number) > MAX_MAGNITUDE:
        raise _validation(
            "Number overflow. Attempting to store a number with magnitude larger than supported "
            "range"
        )
    if number != 0 and abs(number) < MIN_MAGNITUDE:
        raise _validation(
            "Number underflow. Attempting to store a number with magnitude smaller than supported "
            "range"
        )
    return number


def _number_size(number: Decimal) -> int:
    significant = "".join(map(str, number.as_tuple().digits)).strip("0") or "0"
    return (len(significant) + 1) // 2 + 1


def _binary(value: Any) -> bytes:
    if not isinstance(value, str):
        raise _serialization(value, "Blob")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise DynamoDBRefusal(
            "SerializationException", "Base64 encoded length is expected a multiple of 4 bytes"
        ) from None


def check_value(value: Any, *, depth: int = 1) -> int:
    """Check one attribute value as DynamoDB does; its size in bytes ("Item sizes and formats")."""
    if depth > MAX_DEPTH:
        raise _validation("Nesting Levels have exceeded supported limits")
    if not isinstance(value, Mapping):
        raise _serialization(value, "AttributeValue")
    kinds = [kind for kind in _TYPES if kind in value]
    if not kinds:
        raise _validation(
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
        )
    if len(kinds) > 1:
        raise _validation(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes"
        )
    kind = kinds[0]
    member = value[kind]
    if kind == "S":
        if not isinstance(member, str):
            raise _serialization(member, "String")
        return len(member.encode("utf-8"))
    if kind == "N":
        return _number_size(check_number(member))
    if kind == "B":
        return len(_binary(member))
    if kind == "BOOL":
        if not isinstance(member, bool):
            raise _serialization(member, "Boolean")
        return 1
    if kind == "NULL":
        if not isinstance(member, bool):
            raise _serialization(member, "Boolean")
        if member is not True:
            raise _validation(
                "One or more parameter values were invalid: Null attribute value types must have "
                "the value of true"
            )
        return 1
    if kind == "L":
        if not isinstance(member, list):
            raise _serialization(member, "List")
        return 3 + sum(check_value(element, depth=depth + 1) + 1 for element in member)
    if kind == "M":
        if not isinstance(member, Mapping):
            raise _serialization(member, "Map")
        return 3 + sum(
            len(str(name).encode("utf-8")) + check_value(element, depth=depth + 1) + 1
            for name, element in member.items()
        )
    return _set_size(kind, member)


def _set_size(kind: str, members: Any) -> int:
    if not isinstance(members, list):
        raise _serialization(members, "List")
    names = {"SS": "string set", "NS": "number set", "BS": "binary set"}
    if not members:
        raise _validation(
            f"One or more parameter values were invalid: An {names[kind]}  may not be empty"
        )
    seen: set[Any] = set()
    size = 0
    for member in members:
        if kind == "SS":
            if not isinstance(member, str):
                raise _serialization(member, "String")
            key: Any = member
            size += len(member.encode("utf-8"))
        elif kind == "NS":
            key = check_number(member)
            size += _number_size(key)
        else:
            key = _binary(member)
            size += len(key)
        if key in seen:
            raise _validation(
                f"One or more parameter values were invalid: Input collection {json.dumps(members)}"
                f" of type {kind} contains duplicates."
            )
        seen.add(key)
    return size


def check_item(item: Any) -> int:
    """Check a map of attribute values (an ``Item`` or ``Key``); its size in bytes."""
    if not isinstance(item, Mapping):
        raise _serialization(item, "Map")
    size = sum(len(str(name).encode("utf-8")) + check_value(value) for name, value in item.items())
    if size > MAX_ITEM_BYTES:
        raise _validation("Item size has exceeded the maximum allowed size")
    return size


def check_request(parameters: Mapping[str, Any]) -> None:
    """Check every attribute value of a DynamoDB task's request, as DynamoDB would."""
    for field in ("Item", "Key"):
        if field in parameters:
            check_item(parameters[field])
    values = parameters.get("ExpressionAttributeValues")
    if values is not None:
        if not isinstance(values, Mapping):
            raise _serialization(values, "Map")
        for value in values.values():
            check_value(value)


@functools.cache
def modeled_errors(action: str) -> frozenset[str]:
    """The error codes botocore's DynamoDB model lists for ``action`` (``PutItem``)."""
    import botocore.session  # type: ignore[import-untyped]

    model = botocore.session.get_session().get_service_model("dynamodb")
    try:
        operation = model.operation_model(action)
    except Exception:
        return frozenset()
    return frozenset(shape.name for shape in operation.error_shapes)


_originals: dict[str, Any] = {}


def _eval_service_task(
    self: Any,
    env: Any,
    resource_runtime_part: Any,
    normalised_parameters: dict[str, Any],
    state_credentials: Any,
) -> None:
    """Replacement for moto's method: refuse what DynamoDB refuses, then let moto call it."""
    check_request(normalised_parameters)
    _originals["_eval_service_task"](
        self, env, resource_runtime_part, normalised_parameters, state_credentials
    )


def _from_error(self: Any, env: Any, ex: Exception) -> Any:
    """Replacement for moto's method: unlisted error codes become the generic exception."""
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    if isinstance(ex, FailureEventException):
        # The task's own evaluation failed before DynamoDB was called (a JSONata Argument:
        # States.QueryEvaluationError), as every other task's base _from_error keeps it; moto's
        # DynamoDB task would name it DynamoDB.AmazonDynamoDBException with an empty cause.
        return ex.failure_event

    action = str(self.resource.api_action)  # putItem
    operation = action[:1].upper() + action[1:]
    if isinstance(ex, DynamoDBRefusal):
        code, message, request_id = ex.code, ex.message, uuid.uuid4().hex.upper()
    elif isinstance(ex, ClientError) and ex.response["Error"]["Code"] not in modeled_errors(
        operation
    ):
        code = str(ex.response["Error"]["Code"])
        message = str(ex.response["Error"]["Message"])
        request_id = str(ex.response.get("ResponseMetadata", {}).get("RequestId", ""))
    else:
        return _originals["_from_error"](self, env, ex)
    cause = (
        f"{message} (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: {code}; "
        f"Request ID: {request_id}; Proxy: null)"
    )
    return FailureEvent(
        env=env,
        error_name=CustomErrorName(GENERIC_ERROR),
        event_type=HistoryEventType.TaskFailed,
        # moto declares EventDetails total=True yet fills one key, as here.
        event_details=EventDetails(  # type: ignore[typeddict-item]
            taskFailedEventDetails=TaskFailedEventDetails(
                error=GENERIC_ERROR,
                cause=cause,
                resource=self._get_sfn_resource(),
                resourceType=self._get_sfn_resource_type(),
            )
        ),
    )


_TASK = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_dynamodb:StateTaskServiceDynamoDB"
)
PATCHES = (
    Patch(
        name="dynamodb-refusals",
        targets={
            f"{_TASK}._eval_service_task": keeping(
                _originals, "_eval_service_task", _eval_service_task
            ),
            f"{_TASK}._from_error": keeping(_originals, "_from_error", _from_error),
        },
        reason=(
            "moto's DynamoDB stores attribute values DynamoDB refuses (BOOL 'yes', 40 "
            "significant digits, empty sets) and names every error DynamoDB.<code>; the "
            "DynamoDB developer guide's data type rules and quotas, and Step Functions' generic "
            "DynamoDB.AmazonDynamoDBException for unmodelled codes; a JSONata Argument that "
            "fails keeps its States.QueryEvaluationError (moto's DynamoDB task renames it)."
        ),
        upstream="moto's DynamoDB validating attribute values as DynamoDB does",
    ),
)
