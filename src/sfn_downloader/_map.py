"""Map: runs one request's Download → Persist per item (path or page), inline or distributed,
then fails the run, listing the failed requests, if any failed. Items of the others stay.

Each iteration outputs ``{"ok": true}``, or ``{"ok": false, "key": ..., "error": ..., "cause":
...}`` when its download or persist failed after its retries: small, so 10,000 outcomes fit
the 256 KiB state limit. (A JSONPath filter that matches nothing is an error, so the run first
asks ``States.ArrayContains`` whether any failed, and filters only then.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._acknowledge import acknowledge
from ._props import Request

FAILED_ERROR = "Downloader.RequestsFailed"
"""The run's error when some requests of a fan-out (or some pages) failed."""
SUCCEEDED = {"ok": True}


def record_failure(scope: Construct, construct_id: str, *, key_path: str) -> sfn.Pass:
    """The iteration's outcome when its request failed: which one, and why."""
    return sfn.Pass(
        scope,
        construct_id,
        parameters={
            "ok": False,
            "key": sfn.JsonPath.string_at(key_path),
            "error": sfn.JsonPath.string_at("$.failure.Error"),
            "cause": sfn.JsonPath.string_at("$.failure.Cause"),
        },
    )


def catch_into(failure: sfn.Pass, *states: sfn.TaskStateBase) -> None:
    """A failure of any of ``states`` (after its retries) ends the iteration in ``failure``."""
    for state in states:
        state.add_catch(failure, errors=[sfn.Errors.ALL], result_path="$.failure")


def build_map(
    scope: Construct,
    construct_id: str,
    *,
    request: Request,
    items_path: str,
    item_selector: Mapping[str, Any],
    iteration: sfn.IChainable,
) -> sfn.Chain:
    """The Map over ``items_path``, then ``AnyFailed?``: Done, or a Fail listing the failures."""
    result_selector = {
        # JsonPath.array_contains cannot take a list path: the intrinsic is written out.
        "anyFailed.$": "States.ArrayContains($[*].ok, false)",
        "outcomes": sfn.JsonPath.entire_payload,
    }
    map_state: sfn.MapBase
    if request.distributed:
        distributed = sfn.DistributedMap(
            scope, construct_id, items_path=items_path, item_selector=dict(item_selector),
            max_concurrency=request.max_concurrency, result_selector=result_selector,
            map_execution_type=request.child_workflow_type,
        )  # fmt: skip
        distributed.item_processor(iteration)
        map_state = distributed
    else:
        inline = sfn.Map(
            scope, construct_id, items_path=items_path, item_selector=dict(item_selector),
            max_concurrency=request.max_concurrency, result_selector=result_selector,
        )  # fmt: skip
        inline.item_processor(iteration)
        map_state = inline
    failed = sfn.Fail(
        scope,
        "SomeRequestsFailed",
        error=FAILED_ERROR,
        cause_path="States.JsonToString($.outcomes[?(@.ok == false)])",
    )
    done = sfn.Succeed(scope, "Done")
    return map_state.next(
        sfn.Choice(scope, "AnyFailed")
        .when(sfn.Condition.boolean_equals("$.anyFailed", True), failed)
        .otherwise(done)
    )


def acknowledge_distributed_map(state_machine: sfn.StateMachine, request: Request) -> None:
    """aws-cdk-lib's DistributedMap grants its state machine ``states:DescribeExecution`` and
    ``StopExecution`` on its own child executions, ``execution:<name>/*:*``."""
    if not request.distributed:
        return
    stack = Stack.of(state_machine)
    logical_id = stack.resolve(stack.get_logical_id(state_machine.node.default_child))  # type: ignore[arg-type]
    name = '{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"' + logical_id + '"}]}]}'
    for suffix in ("/*:*", ":*"):
        acknowledge(
            state_machine.node.find_child("DistributedMapPolicy"),
            f"IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:"
            f"execution:{name}{suffix}]",
            "A Distributed Map's child executions have generated names: aws-cdk-lib scopes "
            "Describe/StopExecution to this state machine's own executions.",
        )
