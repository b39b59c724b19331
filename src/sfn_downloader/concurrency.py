"""Concurrency: how many requests of a run are in flight at once, and which Map runs them.

``Concurrency.inline(n)`` (default ``inline(10)``): an inline Map, up to 40 at once, inside the
run. ``Concurrency.distributed(n)``: a Distributed Map, up to 10,000 child executions at once;
it needs a Standard workflow, which then becomes the default ``workflow_type``.

Either Map runs one request's Download → Persist per item (path or page), then fails the run,
listing the failed requests, if any failed; the others' items stay. Each iteration outputs
``{"ok": true}``, or ``{"ok": false, "key": ..., "error": ..., "cause": ...}``: small, so
10,000 outcomes fit the 256 KiB state limit. (A JSONPath filter that matches nothing is an
error, so the run first asks ``States.ArrayContains`` whether any failed, and filters only then.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from aws_cdk import Stack, Token
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._acknowledge import acknowledge, arn_prefix
from ._checks import jsonata_path
from ._contract import (
    DISTRIBUTED_MAP_MAX_CONCURRENCY,
    INLINE_MAP_MAX_CONCURRENCY,
    REQUESTS_FAILED_ERROR,
)
from ._defaults import MAX_CONCURRENCY
from ._parts import CheckContext
from ._states import BATCH_OUTCOME
from .errors import Problem

HELD_OUTCOMES = {
    # `in` takes a single value as a one-item array: one iteration's `ok` is not an array.
    "anyFailed": "{% false in $states.result.ok %}",
    "outcomes": "{% $states.result %}",
}
"""A JSONata Map's output: what the JSONPath Map's ResultSelector makes of its result."""


def jsonata_fields(scope: Construct, fields: Mapping[str, Any]) -> dict[str, Any]:
    """JSONPath ``fields`` (``JsonPath.string_at``/``object_at`` values, literals, nested
    objects) as a JSONata state's fields that give the same values: ``$.x`` reads
    ``$states.input``, ``$$.x`` ``$states.context``, a ``$variable`` stays itself. An
    intrinsic has no such form: a ``ValueError`` (a construction error, never a user's)."""
    stack = Stack.of(scope)
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, Mapping):
            out[name] = jsonata_fields(scope, value)
            continue
        resolved = stack.resolve(value)
        referenced = not isinstance(value, str) or Token.is_unresolved(value)
        if not referenced or not isinstance(resolved, str):
            out[name] = resolved
        elif resolved.startswith("$$."):
            out[name] = "{% " + jsonata_path(resolved[1:], "$states.context") + " %}"
        elif resolved.startswith("$.") or resolved == "$":
            out[name] = "{% " + jsonata_path(resolved, "$states.input") + " %}"
        elif resolved[1:].isidentifier():
            out[name] = "{% " + resolved + " %}"
        else:
            raise ValueError(f"{name}: {resolved!r} has no JSONata form here")
    return out


class Concurrency:
    """Requests in flight at once in a fan-out or over pages, and the Map that runs them.

    Use the static methods to create one.
    """

    def __init__(
        self,
        *,
        max_concurrency: int,
        distributed: bool,
        child_workflow_type: sfn.StateMachineType | None = None,
        items_from_s3: bool = False,
        requests_per_child: int | None = None,
    ) -> None:
        self.max_concurrency = max_concurrency
        """The most requests in flight at once."""
        self.is_distributed = distributed
        """True for a Distributed Map (child executions)."""
        self.child_workflow_type = child_workflow_type
        """The Distributed Map's child executions (``None`` for an inline Map)."""
        self.items_from_s3 = items_from_s3
        """True when a fan-out's requests are read from S3 in batches (``ItemReader``)."""
        self.requests_per_child = requests_per_child
        """With ``items_from_s3``: the requests each child execution runs, as given."""

    @staticmethod
    def inline(max_concurrency: int = MAX_CONCURRENCY) -> Concurrency:
        """An inline Map running at most ``max_concurrency`` requests at once (1 to 40).

        :param max_concurrency: Default: 10, polite to the third party.
        """
        return Concurrency(max_concurrency=max_concurrency, distributed=False)

    @staticmethod
    def distributed(
        max_concurrency: int,
        *,
        child_workflow_type: sfn.StateMachineType | None = None,
        items_from_s3: bool = False,
        requests_per_child: int | None = None,
    ) -> Concurrency:
        """A Distributed Map running at most ``max_concurrency`` child executions at once
        (1 to 10,000). Needs a Standard workflow (then the default ``workflow_type``).

        :param child_workflow_type: Default: ``StateMachineType.EXPRESS`` (billed per request,
            not per transition).
        :param items_from_s3: Read a fan-out's requests (``FanOut.paths``,
            ``FanOut.path_values``) from a JSON file deployed with the stack as an S3 asset
            (``ItemReader``), each child execution running a batch of them one after another
            (``ItemBatcher``): any number of paths, instead of about 5,000 in the state. The
            stack then has an asset (``cdk deploy`` uploads it to the bootstrap bucket).
            Default: ``False``, the request list travels in the state.
        :param requests_per_child: With ``items_from_s3``, or with ``FanOut.from_answer``
            (whose items then run in batches: see the fan-out page): the requests each child
            execution runs, one after another. Default: enough that every child's summary fits
            the parent's 256 KiB state, and at least 50.
        """
        return Concurrency(
            max_concurrency=max_concurrency,
            distributed=True,
            child_workflow_type=child_workflow_type or sfn.StateMachineType.EXPRESS,
            items_from_s3=items_from_s3,
            requests_per_child=requests_per_child,
        )

    @property
    def default_workflow_type(self) -> sfn.StateMachineType:
        """Standard for a Distributed Map (only Standard runs one), else Express."""
        return (
            sfn.StateMachineType.STANDARD if self.is_distributed else sfn.StateMachineType.EXPRESS
        )

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """A range the Map supports, a run with a Map, a workflow that can run it."""
        shown = self._shown()
        if not context.uses_map and not context.backfill:
            yield Problem(
                "concurrency",
                shown,
                "only applies to a run of several requests in a Map (or to a backfill's runs).",
                "pass fan_out=FanOut.paths([...])/FanOut.path_values({...}) or "
                "pagination=Pagination.page_count(...) (or backfill=True), or drop concurrency.",
            )
        ceiling = (
            DISTRIBUTED_MAP_MAX_CONCURRENCY if self.is_distributed else INLINE_MAP_MAX_CONCURRENCY
        )
        value = self.max_concurrency
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= ceiling:
            yield Problem(
                "concurrency",
                shown,
                f"max_concurrency is not an integer from 1 to {ceiling:,}"
                + (", the most an inline Map runs at once." if not self.is_distributed else "."),
                "use Concurrency.inline(n) with n up to 40, or Concurrency.distributed(n) with "
                "n up to 10,000.",
            )
        if self.items_from_s3 and not context.fan_out:
            yield Problem(
                "concurrency", shown,
                "reads a fan-out's requests from S3 (items_from_s3=True), and this run has no "
                "fan-out.",
                "pass fan_out=FanOut.paths([...]) or FanOut.path_values({...}), or drop "
                "items_from_s3.",
            )  # fmt: skip
        per_child = self.requests_per_child
        if per_child is not None and (
            not (self.items_from_s3 or context.fan_out)
            or not isinstance(per_child, int)
            or isinstance(per_child, bool)
            or per_child < 1
        ):
            yield Problem(
                "concurrency", shown,
                "requests_per_child is a positive integer, and only for a fan-out run in "
                "batches (items_from_s3=True, or FanOut.from_answer).",
                "pass e.g. Concurrency.distributed(100, items_from_s3=True, "
                "requests_per_child=50), or omit requests_per_child.",
            )  # fmt: skip
        if self.is_distributed and context.workflow_type == sfn.StateMachineType.EXPRESS:
            yield Problem(
                "workflow_type",
                "EXPRESS",
                "cannot run a Distributed Map (concurrency=Concurrency.distributed(...)); only "
                "Standard workflows can.",
                "use workflow_type=StateMachineType.STANDARD (or omit it: a Distributed Map "
                "makes Standard the default), or Concurrency.inline(n).",
            )

    def build(
        self,
        scope: Construct,
        construct_id: str,
        *,
        items_path: str,
        item_selector: Mapping[str, Any],
        iteration: sfn.IChainable,
        then: sfn.State | None = None,
        done: sfn.State | None = None,
        item_reader: sfn.IItemReader | None = None,
        batch_items: int | None = None,
        batch_start: sfn.State | None = None,
        items: str | list[Any] | None = None,
    ) -> sfn.Chain:
        """The Map over ``items_path``, then ``AnyFailed?``: ``done``, or a Fail listing failures.

        :param then: What follows the Map instead (``post_process``'s run end, which reads
            ``anyFailed`` and ``outcomes`` and fails the run itself). Default: ``AnyFailed``.
        :param done: Where ``AnyFailed`` goes when no request failed (the delivery's
            ``MarkDelivered``, then a Succeed). Default: a Succeed ``Done``.
        :param item_reader: Where a Distributed Map reads its items instead of ``items_path``;
            with ``batch_items``, each child execution gets ``{"Items": [...]}`` (at most
            ``batch_items`` items, each as ``item_selector`` makes it) and runs ``iteration``
            over them one after another (``FetchBatch``), then outputs one summary
            (``BatchOutcome``: ok, stored, failedCount, the first failed key and error).
            Default: the items at ``items_path``.
        :param batch_items: The most items a child execution of a Distributed Map gets
            (``ItemBatcher``), from ``item_reader`` or ``items_path``. Default: none (required
            with ``item_reader``): one item a child.
        :param batch_start: With ``batch_items``: a child's first state, before its
            ``FetchBatch`` (``from_answer``'s ``BatchRequests``). Default: none.
        :param items: The items themselves, which the Map holds ("Items (Map, JSONata only)"):
            a JSON array, or a JSONata expression (``{% ... %}``) computing one. The Map is then
            a JSONata state (its ``ItemSelector`` and its summary JSONata too, its iterations'
            states as they are). Not with ``item_reader`` or ``batch_items``. Default: the items
            at ``items_path``.
        """
        result_selector = {
            # JsonPath.array_contains cannot take a list path: the intrinsic is written out.
            "anyFailed.$": "States.ArrayContains($[*].ok, false)",
            "outcomes": sfn.JsonPath.entire_payload,
        }
        map_state: sfn.MapBase
        if item_reader is not None or (self.is_distributed and batch_items is not None):
            batch = sfn.Map(scope, f"{construct_id}Batch", items_path="$.Items", max_concurrency=1)
            batch.item_processor(iteration)
            outcome = sfn.Pass.jsonata(scope, "BatchOutcome", outputs=BATCH_OUTCOME)
            source: dict[str, Any] = (
                {"item_reader": item_reader} if item_reader is not None
                else {"items_path": items_path}
            )  # fmt: skip
            distributed = sfn.DistributedMap(
                scope, construct_id, item_selector=dict(item_selector),
                item_batcher=sfn.ItemBatcher(max_items_per_batch=batch_items),
                max_concurrency=self.max_concurrency, result_selector=result_selector,
                map_execution_type=self.child_workflow_type, **source,
            )  # fmt: skip
            child = batch.next(outcome)
            distributed.item_processor(
                sfn.Chain.start(batch_start).next(child) if batch_start is not None else child
            )
            map_state = distributed
        elif items is not None:
            map_state = self._holding(scope, construct_id, items, item_selector, iteration)
        elif self.is_distributed:
            distributed = sfn.DistributedMap(
                scope, construct_id, items_path=items_path, item_selector=dict(item_selector),
                max_concurrency=self.max_concurrency, result_selector=result_selector,
                map_execution_type=self.child_workflow_type,
            )  # fmt: skip
            distributed.item_processor(iteration)
            map_state = distributed
        else:
            inline = sfn.Map(
                scope, construct_id, items_path=items_path, item_selector=dict(item_selector),
                max_concurrency=self.max_concurrency, result_selector=result_selector,
            )  # fmt: skip
            inline.item_processor(iteration)
            map_state = inline
        if then is not None:
            return map_state.next(then)
        failed = sfn.Fail(
            scope,
            "SomeRequestsFailed",
            error=REQUESTS_FAILED_ERROR,
            cause_path="States.JsonToString($.outcomes[?(@.ok == false)])",
        )
        done = done or sfn.Succeed(scope, "Done")
        return map_state.next(
            sfn.Choice(scope, "AnyFailed")
            .when(sfn.Condition.boolean_equals("$.anyFailed", True), failed)
            .otherwise(done)
        )

    def _holding(
        self, scope: Construct, construct_id: str, items: str | list[Any],
        item_selector: Mapping[str, Any], iteration: sfn.IChainable,
    ) -> sfn.MapBase:  # fmt: skip
        """A JSONata Map holding its ``items``: each iteration's input what ``item_selector``
        (JSONPath) would have made it, its output what the JSONPath Map's ResultSelector made
        (``anyFailed``, ``outcomes``), so neither the iterations nor the states after it
        change."""
        provided = (
            sfn.ProvideItems.jsonata(items) if isinstance(items, str)
            else sfn.ProvideItems.json_array(items)
        )  # fmt: skip
        common: dict[str, Any] = {
            "items": provided, "item_selector": jsonata_fields(scope, item_selector),
            "max_concurrency": self.max_concurrency, "outputs": HELD_OUTCOMES,
        }  # fmt: skip
        map_state: sfn.MapBase
        if self.is_distributed:
            map_state = sfn.DistributedMap.jsonata(
                scope, construct_id, map_execution_type=self.child_workflow_type, **common
            )
        else:
            map_state = sfn.Map.jsonata(scope, construct_id, **common)
        map_state.item_processor(iteration)
        return map_state

    def grant(self, state_machine: sfn.StateMachine) -> None:
        """aws-cdk-lib's DistributedMap grants its state machine ``states:DescribeExecution``
        and ``StopExecution`` on its own child executions, ``execution:<name>/*:*``."""
        policy = state_machine.node.try_find_child("DistributedMapPolicy")
        if not self.is_distributed or policy is None:
            return  # no Distributed Map in this machine (a backfill's alone holds one)
        if self.items_from_s3:
            self._acknowledge_reader(state_machine)
        stack = Stack.of(state_machine)
        logical_id = stack.resolve(stack.get_logical_id(state_machine.node.default_child))  # type: ignore[arg-type]
        name = '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"' + logical_id + '"}]}]}'
        for suffix in ("/*:*", ":*"):
            acknowledge(
                policy,
                f"IAM5[Resource::{arn_prefix(state_machine, 'states')}execution:{name}{suffix}]",
                "A Distributed Map's child executions have generated names: aws-cdk-lib scopes "
                "Describe/StopExecution to this state machine's own executions.",
            )

    @staticmethod
    def _acknowledge_reader(state_machine: sfn.StateMachine) -> None:
        """aws-cdk-lib's ``S3JsonItemReader`` allows ``s3:GetObject`` on every object of its
        bucket: here the CDK bootstrap bucket of file assets, named by the synthesizer."""
        stack = Stack.of(state_machine)
        asset = state_machine.node.scope.node.try_find_child("FanOutRequests")  # type: ignore[union-attr]
        if asset is None:
            return
        bucket = stack.resolve(asset.s3_bucket_name)  # type: ignore[union-attr]
        if isinstance(bucket, dict):  # {"Fn::Sub": "cdk-...-${AWS::AccountId}-${AWS::Region}"}
            bucket = str(bucket.get("Fn::Sub", ""))
        partition, region, account = (
            value if not Token.is_unresolved(value) else f"<AWS::{name}>"
            for name, value in (
                ("Partition", stack.partition), ("Region", stack.region),
                ("AccountId", stack.account),
            )
        )  # fmt: skip
        bucket = bucket.replace("${AWS::Region}", region).replace("${AWS::AccountId}", account)
        acknowledge(
            state_machine.role.node.find_child("DefaultPolicy"),
            f"IAM5[Resource::arn:{partition}:s3:::{bucket}/*]",
            "The fan-out's requests are a file asset in the CDK bootstrap bucket (a content-hash "
            "key); aws-cdk-lib's S3JsonItemReader allows s3:GetObject on that bucket's objects, "
            "deployment assets only.",
        )

    def _shown(self) -> str:
        kind = "distributed" if self.is_distributed else "inline"
        return f"Concurrency.{kind}({self.max_concurrency!r})"

    def __repr__(self) -> str:
        return self._shown()
