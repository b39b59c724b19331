"""Item fields: how a value of the downloaded answer becomes a DynamoDB attribute.

``DynamoAttributeValue`` is accepted as is, but two of its common uses are traps: a number at a
JSONPath (``from_number(JsonPath.number_at(...))`` renders a wrong value, aws-cdk issue 12456)
and a whole object (DynamoDB expects a string or a map of typed values). ``ItemField`` builds
them the way that works, and keeps the path so the construct can check it at synth time.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks


class ItemKind(Enum):
    """The DynamoDB type an ``ItemField`` is stored as."""

    STRING = "string"
    NUMBER = "number"
    BOOLEAN = "boolean"
    JSON = "json"


@dataclass(frozen=True)
class ItemField:
    """A DynamoDB attribute taken from a JSONPath of the download step's output.

    Paths refer to the selected result (the output of ``result_selector``), or to the raw
    API Gateway response (``Headers``, ``ResponseBody``, ``StatusCode``, ``StatusText``) when
    there is no selector. Header values are lists: ``$.Headers.Date[0]``.
    Use the static methods to create one.
    """

    path: str
    """The JSONPath the value is read from."""
    kind: ItemKind
    """The DynamoDB type it is stored as."""

    @staticmethod
    def string(path: str) -> ItemField:
        """A string attribute (``S``) from the string at ``path``."""
        return ItemField(path, ItemKind.STRING)

    @staticmethod
    def number(path: str) -> ItemField:
        """A number attribute (``N``) from the number (or numeric string) at ``path``.

        Rendered as ``States.Format('{}', path)``, the form DynamoDB accepts for ``N``.
        """
        return ItemField(path, ItemKind.NUMBER)

    @staticmethod
    def boolean(path: str) -> ItemField:
        """A boolean attribute (``BOOL``) from the boolean at ``path``."""
        return ItemField(path, ItemKind.BOOLEAN)

    @staticmethod
    def json(path: str) -> ItemField:
        """A string attribute (``S``) holding the JSON text of the value at ``path`` (any type)."""
        return ItemField(path, ItemKind.JSON)

    def to_attribute_value(self) -> tasks.DynamoAttributeValue:
        """The aws-cdk-lib attribute value this field renders to."""
        if self.kind is ItemKind.NUMBER:
            return tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.format("{}", sfn.JsonPath.string_at(self.path))
            )
        if self.kind is ItemKind.BOOLEAN:
            return tasks.DynamoAttributeValue.boolean_from_json_path(
                sfn.JsonPath.string_at(self.path)
            )
        if self.kind is ItemKind.JSON:
            return tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(self.path))
            )
        return tasks.DynamoAttributeValue.from_string(sfn.JsonPath.string_at(self.path))
