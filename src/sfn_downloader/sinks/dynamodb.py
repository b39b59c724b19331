"""The item sink: the DynamoDB table and the putItem tasks that write one item an answer.

The table is the user's, or one created keyed (downloader id, scheduled time) with secure
defaults. Items: ``pk`` = the downloader's id, ``sk`` = the run's scheduled time (with a
``#<suffix>`` for several answers a run), the ``item`` attributes, and with ``retention`` an
``expiresAt`` time to live, computed once a run by ``ComputeExpiry`` (or, in a single
request's JSONata download, by its ``Assign``).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct, IConstruct

from .._acknowledge import acknowledge
from .._checks import through_selector
from .._contract import (
    COMPUTE_EXPIRY_STATE,
    DELIVERED_SORT_KEY_PREFIX,
    DELIVERED_STATE,
    DYNAMODB_RETRYABLE_ERRORS,
    DYNAMODB_RETRYABLE_SHAPES,
    EXECUTION_NAME_PATH,
    EXECUTION_START_TIME_PATH,
    EXPIRES_VARIABLE,
    KEY_SEPARATOR,
    PARTITION_KEY,
    RUN_ATTRIBUTE,
    RUN_STARTED_ATTRIBUTE,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from .._encryption import own_partition_only
from .._parts import Built, CheckContext, Computation, RunFeature, RunParts
from .._states import retry_kwargs
from ..constant import Constant
from ..errors import Problem
from ..item import ItemField
from ._item_checks import check_item

ItemValue = ItemField | tasks.DynamoAttributeValue | Constant


PERSIST_RETRYABLE_SHAPES = DYNAMODB_RETRYABLE_SHAPES
"""PutItem's transient errors as botocore's DynamoDB model names them."""
PERSIST_RETRYABLE_ERRORS = DYNAMODB_RETRYABLE_ERRORS
"""Both spellings of each (see ``_contract.DYNAMODB_RETRYABLE_ERRORS``)."""


def persist_retry() -> sfn.RetryProps:
    """DynamoDB throttling and its transient server errors: 3 retries from 1 s, full jitter."""
    return sfn.RetryProps(
        errors=list(PERSIST_RETRYABLE_ERRORS),
        interval=Duration.seconds(1),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )


class ItemSink(RunFeature):
    """The table and its items, as the props ``item``, ``table``, ``removal_policy``,
    ``encryption_key``, ``point_in_time_recovery`` and ``retention`` describe them."""

    def __init__(
        self,
        *,
        item: Mapping[str, ItemValue],
        result_selector: Mapping[str, Any] | None,
        table: dynamodb.ITable | None,
        removal_policy: RemovalPolicy | None,
        encryption_key: kms.IKey | None,
        point_in_time_recovery: bool | None,
        retention: Duration | None,
        marks_run: bool = False,
        added_attributes: tuple[str, ...] = (),
    ) -> None:
        self.marks_run = marks_run
        """True for a run of several answers: each item says which run wrote it
        (``run``, ``runStartedAt``), so a re-delivery's set can be told from the first's."""
        self.added_attributes = added_attributes
        """Attributes other features add to every item (the starts' ``query``)."""
        self.item = item
        self.result_selector = result_selector
        self.table = table
        self.removal_policy = removal_policy
        self.encryption_key = encryption_key
        self.point_in_time_recovery = point_in_time_recovery
        self.retention = retention

    @property
    def retention_seconds(self) -> int | None:
        """The items' time to live, seconds after their scheduled time (``None``: forever)."""
        return int(self.retention.to_seconds()) if self.retention is not None else None

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """A run of several answers: each delivery stores its own items
        (``<scheduled time>#<execution name>#<page or path>``), and one that stored them all
        says so last (``MarkDelivered``), so that neither an older delivery nor an aborted one
        can make a set of pages read back wrong."""
        writer = built.persists
        if not isinstance(writer, ItemWriter):
            return parts
        expiry = writer.expiry_assign()
        if expiry is not None:  # read by Persist, after the answer: a download may assign it
            parts = replace(
                parts,
                computations=parts.computations.offering(
                    Computation(state=COMPUTE_EXPIRY_STATE, assign=expiry, request=False)
                ),
            )
        if not self.marks_run:
            return parts
        return replace(parts, per_delivery=True, delivered=writer.delivered)

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """With ``retention``: ``ComputeExpiry`` before the run (``ItemWriter.with_expiry``),
        unless the shape's download assigns the expiry itself (``built.placed``)."""
        writer = built.persists
        if not isinstance(writer, ItemWriter) or COMPUTE_EXPIRY_STATE in built.placed:
            return run
        return writer.with_expiry(scope, run)

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The item's attributes, the brought table's keys and settings, the retention, and
        no other downloader of the app writing the same keys to the same table."""
        yield from self._check_item(context)
        yield from self._check_shared_table(context)
        yield from self._check_table()
        yield from self._check_retention()

    def build(self, scope: Construct) -> dynamodb.ITable:
        """Return the user's table, or a new one keyed (downloader id, scheduled time).

        Defaults: on-demand billing (no cost while idle), point-in-time recovery, RETAIN on
        stack deletion (downloaded data is never deleted unless asked), AWS-managed
        encryption, or the customer-managed ``encryption_key`` when given; with
        ``retention``, time to live on ``expiresAt``.
        """
        if self.table is not None:
            return self.table
        key = self.encryption_key
        return dynamodb.Table(
            scope,
            "Table",
            partition_key=dynamodb.Attribute(
                name=PARTITION_KEY, type=dynamodb.AttributeType.STRING
            ),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=self.point_in_time_recovery is not False
            ),
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED
                if key is not None
                else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=key,
            removal_policy=self.removal_policy or RemovalPolicy.RETAIN,
            time_to_live_attribute=TTL_ATTRIBUTE if self.retention is not None else None,
        )

    def bind(self, table: dynamodb.ITable, downloader_id: str, owner: Construct) -> ItemWriter:
        """The putItem task builder for ``table``; ``owner`` (the downloader) now writes
        ``downloader_id``'s items there, and no other downloader of the app may."""
        _writers(owner).setdefault((_table_key(table), downloader_id), owner.node.path)
        return ItemWriter(
            table=table, downloader_id=downloader_id, item=self.item,
            retention_seconds=self.retention_seconds, marks_run=self.marks_run,
        )  # fmt: skip

    @staticmethod
    def grant(
        state_machine: sfn.StateMachine,
        table: dynamodb.ITable,
        downloader_id: str | None = None,
        also: tuple[str, ...] = (),
    ) -> None:
        """putItem on a table with a customer-managed key needs the key too. With
        ``downloader_id``, the role may write no partition but its own (and ``also``: its
        records' partition): an explicit deny of every item write whose partition key
        (``dynamodb:LeadingKeys``) is another, so that downloaders sharing a table cannot write
        each other's items (the tasks' own grants cover the whole table)."""
        if downloader_id is not None:
            state_machine.add_to_role_policy(own_partition_only(table, downloader_id, *also))
        if table.encryption_key is None:
            return
        table.encryption_key.grant_encrypt_decrypt(state_machine)
        policy = state_machine.role.node.find_child("DefaultPolicy")
        reason = (
            "aws-cdk-lib's grant_encrypt_decrypt on the table's own key (kms:ReEncrypt*, "
            "kms:GenerateDataKey*): the actions DynamoDB uses with a customer-managed key."
        )
        acknowledge(policy, "IAM5[Action::kms:ReEncrypt*]", reason)
        acknowledge(policy, "IAM5[Action::kms:GenerateDataKey*]", reason)

    def _check_item(self, context: CheckContext) -> Iterator[Problem]:
        yield from check_item(
            self.item, self.result_selector, context, written=self._written_attributes()
        )

    def _check_shared_table(self, context: CheckContext) -> Iterator[Problem]:
        table, downloader_id = self.table, context.downloader_id
        if table is None or Token.is_unresolved(downloader_id):
            return  # a table of its own: no other downloader writes there (yet)
        other = _writers(context.scope).get((_table_key(table), downloader_id))
        if other is not None and other != context.scope.node.path:
            yield Problem(
                "downloader_id",
                downloader_id,
                f"is also the id of downloader {other!r}, which writes to the same table "
                f"({table.node.path}): each would overwrite the other's items (same pk, same "
                "sk) on every run.",
                "give each downloader of a shared table its own downloader_id, or leave it out "
                "(the default, the construct path, is unique in the app).",
            )

    def _written_attributes(self) -> tuple[str, ...]:
        run = (RUN_ATTRIBUTE, RUN_STARTED_ATTRIBUTE) if self.marks_run else ()
        return (*run, *self.added_attributes)

    def _check_table(self) -> Iterator[Problem]:
        table = self.table
        if table is None:
            return
        settings = {
            "removal_policy": self.removal_policy,
            "point_in_time_recovery": self.point_in_time_recovery,
        }
        given = [name for name, value in settings.items() if value is not None]
        if given:
            yield Problem(
                "table",
                table.node.path,
                f"is given together with table settings "
                f"({', '.join(given)}), which only apply to a table the construct creates.",
                "configure your own table directly, or drop `table`.",
            )
        if isinstance(table, dynamodb.Table):  # an imported ITable's keys are unknown here
            schema = table.schema_v2()
            for key_name, attributes in (
                (PARTITION_KEY, schema.partition_keys),
                (SORT_KEY, schema.sort_keys),
            ):
                if [(a.name, a.type) for a in attributes] != [
                    (key_name, dynamodb.AttributeType.STRING)
                ]:
                    got = ", ".join(f"{a.name} ({a.type.name})" for a in attributes) or "none"
                    yield Problem(
                        "table",
                        table.node.path,
                        f"needs key {key_name!r} of type STRING, has {got}.",
                        f"create the table with partition key {PARTITION_KEY!r} and sort "
                        f"key {SORT_KEY!r} (both STRING), or let the construct create it.",
                    )

    def _check_retention(self) -> Iterator[Problem]:
        retention = self.retention
        if retention is None:
            return
        if not isinstance(retention, Duration):
            yield Problem(
                "retention", retention, "is not a Duration.", "use e.g. Duration.days(90)."
            )
            return
        if Token.is_unresolved(retention.to_seconds()):
            return
        if retention.to_seconds() < 1:
            yield Problem(
                "retention", retention.to_human_string(), "is not positive.",
                "use e.g. Duration.days(90), or omit it to keep items forever.",
            )  # fmt: skip
        if TTL_ATTRIBUTE in (self.item if isinstance(self.item, Mapping) else {}):
            yield Problem(f"item[{TTL_ATTRIBUTE!r}]", TTL_ATTRIBUTE,
                          "collides with the expiry attribute that retention writes.",
                          "rename the attribute.")  # fmt: skip
        if isinstance(self.table, dynamodb.Table):
            ttl = self.table.node.default_child.time_to_live_specification  # type: ignore[union-attr]
            resolved = Stack.of(self.table).resolve(ttl) if ttl is not None else None
            if (
                not resolved
                or resolved.get("attributeName", resolved.get("AttributeName")) != TTL_ATTRIBUTE
            ):
                yield Problem("table", self.table.node.path,
                              f"has no time to live on {TTL_ATTRIBUTE!r}, so retention would not "
                              "delete anything.",
                              f"create it with time_to_live_attribute={TTL_ATTRIBUTE!r}, or drop "
                              "retention.")  # fmt: skip


_WRITERS: weakref.WeakKeyDictionary[IConstruct, dict[tuple[str, str], str]] = (
    weakref.WeakKeyDictionary()
)
"""By app (the construct tree's root): (table, downloader id) → the downloader writing it."""


def _writers(scope: Construct) -> dict[tuple[str, str], str]:
    return _WRITERS.setdefault(scope.node.root, {})


def _table_key(table: dynamodb.ITable) -> str:
    """One table, however it is referenced: by its name when the name is known (two imports
    of one table), else by its construct (a table the app creates)."""
    name = table.table_name
    if Token.is_unresolved(name):
        return f"construct:{table.node.path}"
    stack = Stack.of(table)
    return f"name:{name}@{stack.resolve(stack.account)}/{stack.resolve(stack.region)}"


class ItemWriter:
    """Builds the putItem tasks of one downloader: same table, partition key and attributes."""

    def __init__(
        self,
        *,
        table: dynamodb.ITable,
        downloader_id: str,
        item: Mapping[str, ItemValue],
        retention_seconds: int | None = None,
        marks_run: bool = False,
    ) -> None:
        self._table = table
        self._downloader_id = downloader_id
        self._item = item
        self.retention_seconds = retention_seconds
        self.marks_run = marks_run
        """Each item gets ``run`` and ``runStartedAt`` (a run of several answers)."""

    @property
    def table(self) -> dynamodb.ITable:
        """The table the items are written to."""
        return self._table

    def map_item_fields(self) -> dict[str, str]:
        """What a Map's ItemSelector must pass on so its iterations can persist: the expiry
        (a Distributed Map's child executions do not see the parent's variables) and the run's
        name and start time (their context object is their own execution's)."""
        fields = {}
        if self.retention_seconds is not None:
            fields[EXPIRES_VARIABLE] = sfn.JsonPath.string_at(f"${EXPIRES_VARIABLE}")
        if self.marks_run:  # a Distributed Map's children are executions of their own
            fields[RUN_ATTRIBUTE] = sfn.JsonPath.string_at(EXECUTION_NAME_PATH)
            fields[RUN_STARTED_ATTRIBUTE] = sfn.JsonPath.string_at(EXECUTION_START_TIME_PATH)
        return fields

    def with_expiry(self, scope: Construct, run: sfn.IChainable) -> sfn.IChainable:
        """With ``retention``, ``ComputeExpiry`` first: assigns ``$expiresAt``, the scheduled
        time plus the retention in epoch seconds, and passes its input on unchanged.

        JSONata, because no JSONPath intrinsic turns an ISO 8601 time into epoch seconds.
        """
        assign = self.expiry_assign()
        if assign is None:
            return run
        return sfn.Pass.jsonata(scope, COMPUTE_EXPIRY_STATE, assign=assign).next(run)

    def expiry_assign(self) -> dict[str, str] | None:
        """With ``retention``: ``{"expiresAt": <JSONata>}``, the scheduled time (read from the
        execution's input, the same in every state) plus the retention, epoch seconds as text;
        ``None`` without."""
        if self.retention_seconds is None:
            return None
        epoch = (
            f"$floor($toMillis($states.context.Execution.Input.{SCHEDULED_TIME_KEY}) / 1000)"
            f" + {self.retention_seconds}"
        )
        return {EXPIRES_VARIABLE: "{% $string(" + epoch + ") %}"}

    def task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sort_key: str,
        result_under: str | None = None,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        in_map: bool = False,
        attributes: Mapping[str, tasks.DynamoAttributeValue] | None = None,
        through: Mapping[str, Any] | None = None,
        item_at: str = "$",
        output_path: str | None = None,
    ) -> tasks.DynamoPutItem:
        """putItem with ``sk = sort_key`` (a JSONPath token or intrinsic).

        ``result_under`` is where the selected result is in the state (``$.response``): the
        item's paths, written relative to the selected result, are rebased onto it. Without a
        ``result_selector`` the state passes on unchanged (DynamoDB's answer is of no use).
        ``result_path``: where DynamoDB's answer (after ``result_selector``) goes instead.
        ``in_map``: inside a Map iteration, which reads the expiry from its item
        (``map_item_fields``), not from the run's variable. ``attributes``: more attributes
        of the item (the starts' ``query``). ``through``: the state holds the raw answer, and
        the item's paths (written relative to what this ResultSelector selects) are read where
        the selector would have read them (``reads_through``). ``item_at``: where a Map
        iteration's item is (``$``, or the variable ``$mapItem`` when the state holds the raw
        answer). ``output_path``: the task's ``OutputPath`` (the page loop's next state, which
        its ResultSelector reads from a variable).
        """
        written = {}  # what the downloader writes itself: the expiry, the run's marks
        if self.retention_seconds is not None:
            where = f"{item_at}.{EXPIRES_VARIABLE}" if in_map else f"${EXPIRES_VARIABLE}"
            written[TTL_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.string_at(where)
            )
        if self.marks_run:
            run_path, started_path = (
                (f"{item_at}.{RUN_ATTRIBUTE}", f"{item_at}.{RUN_STARTED_ATTRIBUTE}")
                if in_map
                else (EXECUTION_NAME_PATH, EXECUTION_START_TIME_PATH)
            )
            for attribute, path in (
                (RUN_ATTRIBUTE, run_path),
                (RUN_STARTED_ATTRIBUTE, started_path),
            ):
                written[attribute] = tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.string_at(path)
                )
        persist = tasks.DynamoPutItem(
            scope,
            construct_id,
            table=self._table,
            item={
                PARTITION_KEY: tasks.DynamoAttributeValue.from_string(self._downloader_id),
                SORT_KEY: tasks.DynamoAttributeValue.from_string(sort_key),
                **{
                    name: _attribute(value, result_under, through)
                    for name, value in self._item.items()
                },
                **written,
                **(attributes or {}),
            },
            result_selector=dict(result_selector) if result_selector is not None else None,
            result_path=result_path or (sfn.JsonPath.DISCARD if result_selector is None else None),
            output_path=output_path,
        )
        persist.add_retry(**retry_kwargs(persist_retry()))
        return persist

    def delivered(self, scope: Construct) -> list[sfn.IChainable]:
        """``MarkDelivered``, for a run of several answers (``marks_run``): the last write of a
        delivery that stored every answer, ``sk = #delivered#<scheduled time>#<execution name>``
        with ``run`` and ``runStartedAt`` (and ``expiresAt``, as its answers). Run-level: the
        Context object's execution is the run's. Nothing else: no ``item`` attribute."""
        if not self.marks_run:
            return []
        written = {
            PARTITION_KEY: tasks.DynamoAttributeValue.from_string(self._downloader_id),
            SORT_KEY: tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.format(
                    DELIVERED_SORT_KEY_PREFIX + "{}" + KEY_SEPARATOR + "{}",
                    sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
                    sfn.JsonPath.string_at(EXECUTION_NAME_PATH),
                )
            ),
            RUN_ATTRIBUTE: tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at(EXECUTION_NAME_PATH)
            ),
            RUN_STARTED_ATTRIBUTE: tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at(EXECUTION_START_TIME_PATH)
            ),
        }
        if self.retention_seconds is not None:
            written[TTL_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.string_at(f"${EXPIRES_VARIABLE}")
            )
        mark = tasks.DynamoPutItem(
            scope, DELIVERED_STATE, table=self._table, item=written,
            result_path=sfn.JsonPath.DISCARD,
        )  # fmt: skip
        mark.add_retry(**retry_kwargs(persist_retry()))
        return [mark]

    def key_selector(self, sort_key: str | None = None) -> dict[str, str]:
        """A ResultSelector giving the key of the item a single-path run stores (``sort_key``,
        default: the scheduled time)."""
        return {
            PARTITION_KEY: self._downloader_id,
            SORT_KEY: sort_key or sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
        }

    def reads_through(self, selector: Mapping[str, Any] | None) -> bool:
        """True when every attribute of the item can be read from the raw answer where
        ``selector`` (a ResultSelector, or ``None``) would have read it: each ``ItemField``'s
        path goes through the selector to a plain path of the raw answer
        (``_checks.through_selector``). Then Persist can follow a download that keeps its raw
        answer, with no state between them applying the selector."""
        return all(
            isinstance(value, Constant)
            or (isinstance(value, ItemField) and through_selector(value.path, selector) is not None)
            for value in self._item.values()
        )


def _attribute(
    value: ItemValue, result_under: str | None, through: Mapping[str, Any] | None = None
) -> tasks.DynamoAttributeValue:
    if isinstance(value, Constant):
        return tasks.DynamoAttributeValue.from_string(value.value)
    if not isinstance(value, ItemField):
        return value  # the check refuses raw attribute values when they would need rebasing
    if through is not None:
        path = through_selector(value.path, through)
        assert path is not None, "reads_through was checked"
        value = ItemField(path, value.kind)
    if result_under is None or value.path.startswith("$$"):
        return value.to_attribute_value()
    return ItemField(result_under + value.path[1:], value.kind).to_attribute_value()
