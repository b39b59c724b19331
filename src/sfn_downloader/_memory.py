"""The downloader's memory: one state item beside its items, and the states that use it.

The state item is ``pk = <downloader id>``, ``sk = "#state"``: ``#`` sorts before every digit,
so a time-range ``Query`` of the items never returns it. Every feature that remembers something
between runs (the incremental mark today; validators and hashes later) keeps its attributes in
this one item, through these helpers:

- ``read``: one strongly consistent ``GetItem`` at the start of a run, assigning the variable
  ``$stateItem`` (``{"Item": {...}}``, or ``{}`` before the first write);
- ``value``: a JSONata expression of one attribute of ``$stateItem``, with a default;
- ``update``: an ``UpdateItem`` that sets only the named attributes (features never overwrite
  each other's), under a condition; a condition that does not hold is not an error of the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._contract import (
    CONDITIONAL_CHECK_FAILED_ERROR,
    DYNAMODB_RETRYABLE_ERRORS,
    PARTITION_KEY,
    SORT_KEY,
    STATE_ITEM_VARIABLE,
    STATE_SORT_KEY,
)

READ_ITEM = "$states.result"
"""JSONata: the item as ``read`` reads it, in its own ``Assign`` (``{"Item": {...}}`` or
``{}``)."""
PASS_INPUT = "{% $states.input %}"


class StateItem:
    """The state item of one downloader in ``table``."""

    def __init__(self, table: dynamodb.ITable, downloader_id: str) -> None:
        self.table = table
        self.downloader_id = downloader_id

    def key(self) -> dict[str, tasks.DynamoAttributeValue]:
        """``{"pk": <downloader id>, "sk": "#state"}``."""
        return {
            PARTITION_KEY: tasks.DynamoAttributeValue.from_string(self.downloader_id),
            SORT_KEY: tasks.DynamoAttributeValue.from_string(STATE_SORT_KEY),
        }

    def read(
        self, scope: Construct, construct_id: str = "ReadState",
        assign: Mapping[str, Any] | None = None,
    ) -> tasks.DynamoGetItem:  # fmt: skip
        """GetItem (strongly consistent) assigning ``$stateItem``; the state passes unchanged.

        ``assign``: more variables computed from the item as it is read (JSONata reading
        ``$states.result``, e.g. ``value(..., item=READ_ITEM)``: an Assign cannot read what it
        assigns), so that no Pass of their own follows (the incremental request).

        A JSONata state: its Assign reads ``$states.result`` (the GetItem result) and its
        Output is ``$states.input``, as "Passing data between states with variables" defines
        them. What ``$`` means in the Assign of a JSONPath Task whose ``ResultPath`` is null
        (the raw result, or the state's output, which is its input) no document settles
        (``scripts/verify_on_aws.py`` asks).
        """
        read = tasks.DynamoGetItem.jsonata(
            scope,
            construct_id,
            table=self.table,
            key=self.key(),
            consistent_read=True,
            assign={STATE_ITEM_VARIABLE: "{% " + READ_ITEM + " %}", **(assign or {})},
            outputs="{% $states.input %}",
        )
        _retry(read)
        return read

    def read_beside(
        self, scope: Construct, construct_id: str, *, sort_key: str,
        assign: Mapping[str, Any], outputs: str,
    ) -> tasks.DynamoGetItem:  # fmt: skip
        """A JSONata GetItem (strongly consistent, retried as every memory's read) of another
        item of the downloader's, beside the state item: ``sort_key`` a ``{% ... %}``
        expression (a fan-out path's mark ``#mark#<key>``, a request's memo ``#memo#<url>``);
        ``assign`` and ``outputs`` read ``$states.result``."""
        read = tasks.DynamoGetItem.jsonata(
            scope, construct_id, table=self.table,
            key={
                PARTITION_KEY: tasks.DynamoAttributeValue.from_string(self.downloader_id),
                SORT_KEY: tasks.DynamoAttributeValue.from_string(sort_key),
            },
            consistent_read=True, assign=dict(assign), outputs=outputs,
        )  # fmt: skip
        _retry(read)
        return read

    @staticmethod
    def value(
        attribute: str, default: str, kind: str = "S", item: str = f"${STATE_ITEM_VARIABLE}"
    ) -> str:
        """JSONata (no ``{% %}``): ``attribute`` of ``$stateItem`` (its ``kind`` member,
        ``S`` or ``N``), else the JSONata expression ``default``; ``item``: read from there
        instead (``READ_ITEM`` in ``ReadState``'s own Assign)."""
        path = f"{item}.Item.{attribute}.{kind}"
        return f"($exists({path}) ? {path} : {default})"

    def update(
        self,
        scope: Construct,
        construct_id: str,
        *,
        values: Mapping[str, tasks.DynamoAttributeValue],
        condition: str,
        when_not_applied: str,
        sort_key: str | None = None,
        jsonata: bool = False,
    ) -> sfn.Chain:
        """UpdateItem ``SET <attribute> = <value>, ...`` if ``condition`` holds; else the Pass
        ``when_not_applied`` (the run goes on). Both pass the state on unchanged.

        ``jsonata``: a JSONata task, whose ``values`` (and ``sort_key``) are ``{% %}``
        expressions computed in the task itself; its state passes on through JSONata (numbers
        as doubles): never before a state that stores what the state holds.

        ``condition`` names attributes as ``#<attribute>`` and values as ``:<attribute>``.
        ``sort_key``: another item of the downloader's (a JSONPath ``States.Format``), e.g. a
        fan-out path's mark. Default: the state item.
        """
        names = {f"#{name}": name for name in values}
        key = (
            self.key() if sort_key is None
            else {**self.key(), SORT_KEY: tasks.DynamoAttributeValue.from_string(sort_key)}
        )  # fmt: skip
        fields: dict[str, Any] = {
            "table": self.table,
            "key": key,
            "update_expression": "SET " + ", ".join(f"#{name} = :{name}" for name in values),
            "condition_expression": condition,
            "expression_attribute_names": names,
            "expression_attribute_values": {f":{name}": v for name, v in values.items()},
        }
        kept = sfn.Pass(scope, when_not_applied)
        if jsonata:
            # Its Output is its input (evaluated: only for states whose input no later state
            # stores), as a JSONPath ResultPath null would pass it on.
            update = tasks.DynamoUpdateItem.jsonata(
                scope, construct_id, outputs=PASS_INPUT, **fields
            )
            update.add_catch(kept, errors=[CONDITIONAL_CHECK_FAILED_ERROR], outputs=PASS_INPUT)
        else:
            update = tasks.DynamoUpdateItem(
                scope, construct_id, result_path=sfn.JsonPath.DISCARD, **fields
            )
            update.add_catch(
                kept, errors=[CONDITIONAL_CHECK_FAILED_ERROR], result_path=sfn.JsonPath.DISCARD
            )
        _retry(update)
        return sfn.Chain.custom(update, [update, kept], kept)


def _retry(task: sfn.TaskStateBase) -> None:
    """DynamoDB throttling and its transient server errors: 3 retries from 1 s, full jitter."""
    task.add_retry(
        errors=list(DYNAMODB_RETRYABLE_ERRORS),
        interval=Duration.seconds(1),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
