"""Post-processing as AWS runs it: integration patterns the workflow type supports, and the keys
of the encrypted topics and queues it publishes to (``_flow/post_process.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from sfn_downloader import DownloaderConfigError, DownloaderPattern

from scenarios import EVE_PROPS, Scenario

Build = Callable[[cdk.Stack], sfn.IChainable]


def child(stack: cdk.Stack) -> sfn.StateMachine:
    return sfn.StateMachine(
        stack, "Child", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(stack, "Hi"))
    )


def run_job(stack: cdk.Stack) -> sfn.IChainable:
    return tasks.StepFunctionsStartExecution(
        stack, "StartChild", state_machine=child(stack),
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
    )  # fmt: skip


def glue_job(stack: cdk.Stack) -> sfn.IChainable:
    """A plain ``.sync`` (``glue:startJobRun.sync``), not ``.sync:2`` as StartExecution's."""
    return tasks.GlueStartJobRun(
        stack, "RunGlue", glue_job_name="nightly",
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
    )  # fmt: skip


def run_job_in_parallel(stack: cdk.Stack) -> sfn.IChainable:
    return sfn.Parallel(stack, "Both").branch(sfn.Pass(stack, "Other")).branch(run_job(stack))


def callback_in_map(stack: cdk.Stack) -> sfn.IChainable:
    each = sfn.Map(stack, "Each", items_path="$.result.items")
    each.item_processor(
        tasks.StepFunctionsStartExecution(
            stack, "AskChild", state_machine=child(stack),
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            input=sfn.TaskInput.from_object({"token": sfn.JsonPath.task_token}),
        )
    )  # fmt: skip
    return each


def activity(stack: cdk.Stack) -> sfn.IChainable:
    return tasks.StepFunctionsInvokeActivity(
        stack, "AskWorker", activity=sfn.Activity(stack, "Worker")
    )


def with_post_process(build: Build, **props: Any) -> tuple[cdk.Stack, DownloaderPattern]:
    stack = cdk.Stack(cdk.App(), "TestStack")
    return stack, DownloaderPattern(stack, "P", **EVE_PROPS, post_process=build(stack), **props)


@pytest.mark.parametrize(
    ("build", "state", "what"),
    [
        (run_job, "StartChild", r"the Run a Job \(\.sync\) integration pattern"),
        (run_job_in_parallel, "StartChild", r"the Run a Job \(\.sync\) integration pattern"),
        (glue_job, "RunGlue", r"the Run a Job \(\.sync\) integration pattern"),
        (
            callback_in_map,
            "AskChild",
            r"the Wait for Callback \(\.waitForTaskToken\) integration pattern",
        ),
        (activity, "AskWorker", "an activity"),
    ],
)
def test_express_refuses_what_create_state_machine_refuses(
    build: Build, state: str, what: str
) -> None:
    """Step Functions developer guide, "Choosing workflow type": Express workflows support
    Request Response integrations only, and no activities."""
    with pytest.raises(
        DownloaderConfigError,
        match=rf"post_process=\"state '{state}'\": uses {what}, which an Express workflow does "
        r"not support.*Fix: use workflow_type=StateMachineType\.STANDARD",
    ):
        with_post_process(build)


@pytest.mark.parametrize("build", [run_job_in_parallel, callback_in_map, activity])
def test_standard_runs_them(build: Build) -> None:
    _, pattern = with_post_process(build, workflow_type=sfn.StateMachineType.STANDARD)
    assert pattern.state_machine is not None


def test_request_response_start_execution_is_fine_on_express() -> None:
    def start(stack: cdk.Stack) -> sfn.IChainable:
        return tasks.StepFunctionsStartExecution(stack, "StartChild", state_machine=child(stack))

    with_post_process(start)


def role_statements(stack: cdk.Stack, pattern: DownloaderPattern) -> list[dict[str, Any]]:
    policy = pattern.state_machine.role.node.find_child("DefaultPolicy").node.default_child
    resource = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(policy)]  # type: ignore[arg-type]
    return resource["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def key_grants(statements: list[dict[str, Any]]) -> list[Any]:
    """The resources of the role's statements allowing what a publisher needs of a key."""
    return [
        s["Resource"] for s in statements
        if isinstance(s["Action"], list)
        and {"kms:Decrypt", "kms:GenerateDataKey*"} <= set(s["Action"])
    ]  # fmt: skip


def key_arn(stack: cdk.Stack, key: kms.IKey) -> Any:
    return stack.resolve(key.key_arn)


def test_composed_publishes_with_the_topic_key_granted(composed: Scenario) -> None:
    """SNS developer guide, "Key management": a publisher to a topic encrypted with a
    customer-managed key needs kms:GenerateDataKey* and kms:Decrypt on it; SnsPublish grants
    sns:Publish only."""
    stack, pattern = composed.stack, composed.patterns["p"]
    key = stack.node.find_child("TopicKey")
    assert key_grants(role_statements(stack, pattern)) == [key_arn(stack, key)]  # type: ignore[arg-type]


def test_publishers_nested_in_branches_and_sdk_calls_get_their_keys() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    topic_key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    queue_key = kms.Key(stack, "QueueKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "Changes", master_key=topic_key)
    queue = sqs.Queue(
        stack, "Results", encryption=sqs.QueueEncryption.KMS, encryption_master_key=queue_key
    )
    publish = tasks.SnsPublish(
        stack, "Publish", topic=topic, message=sfn.TaskInput.from_json_path_at("$.result")
    )
    send = tasks.CallAwsService(
        stack, "Send", service="sqs", action="sendMessage",
        parameters={"QueueUrl": queue.queue_url, "MessageBody": "stored"},
        iam_resources=[queue.queue_arn],
    )  # fmt: skip
    both = sfn.Parallel(stack, "Notify").branch(publish).branch(send)
    pattern = DownloaderPattern(stack, "P", **EVE_PROPS, post_process=both)
    grants = key_grants(role_statements(stack, pattern))
    assert sorted(map(str, grants)) == sorted(
        str(key_arn(stack, key)) for key in (topic_key, queue_key)
    )


def test_an_unencrypted_or_sse_topic_gets_no_key_grant() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    topic = sns.Topic(stack, "Plain")
    publish = tasks.SnsPublish(stack, "Publish", topic=topic, message=sfn.TaskInput.from_text("x"))
    pattern = DownloaderPattern(stack, "P", **EVE_PROPS, post_process=publish)
    assert key_grants(role_statements(stack, pattern)) == []


def test_an_imported_topic_with_its_key_gets_the_key_granted() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    topic = sns.Topic.from_topic_attributes(
        stack, "Shared", topic_arn="arn:aws:sns:us-east-1:123456789012:shared", key_arn=arn
    )
    publish = tasks.SnsPublish(stack, "Publish", topic=topic, message=sfn.TaskInput.from_text("x"))
    pattern = DownloaderPattern(stack, "P", **EVE_PROPS, post_process=publish)
    assert key_grants(role_statements(stack, pattern)) == [arn]
