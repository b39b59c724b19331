"""Post-processing: the user's states after one answer is stored (``post_process``).

Checked twice. Before anything is built (``check``): a state or chain of this stack, after a
single answer. Once the state machine is built (``integration_problems``), on its rendered
definition, the only place where every state is visible (a Parallel renders its branches only
when bound to a state machine): the integration patterns the workflow type supports. Then
``grant_encryption_keys`` lets the role use the customer-managed keys of the topics and queues
the states publish to, which aws-cdk-lib's ``SnsPublish`` (and a ``CallAwsService``) do not grant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._acknowledge import acknowledge
from .._contract import REQUESTS_FAILED_ERROR, SCHEDULED_TIME_KEY
from .._parts import CheckContext
from ..errors import Problem

UNSUPPORTED_ON_EXPRESS = {
    ".sync": "the Run a Job (.sync) integration pattern",
    ".sync:2": "the Run a Job (.sync) integration pattern",
    ".waitForTaskToken": "the Wait for Callback (.waitForTaskToken) integration pattern",
}
"""Resource suffixes an Express workflow refuses ("Choosing workflow type": Express workflows
support Request Response integrations only, and no activities)."""

PUBLISHERS = {
    ":sns:publish": "TopicArn",
    ":aws-sdk:sns:publish": "TopicArn",
    ":aws-sdk:sns:publishBatch": "TopicArn",
    ":sqs:sendMessage": "QueueUrl",
    ":aws-sdk:sqs:sendMessage": "QueueUrl",
    ":aws-sdk:sqs:sendMessageBatch": "QueueUrl",
}
"""Task resources that publish to a topic or queue, and the parameter naming it."""

FAILED_REQUESTS_VARIABLE = "failedRequests"
"""With ``post_process`` in a run of several requests: the failed requests, kept past the
user's states (which may replace the state) for the run's outcome."""

PUBLISHER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
"""What a publisher to an SNS topic or SQS queue encrypted with a customer-managed key needs on
the key (SNS developer guide, "Key management"; SQS developer guide, "Key management")."""


def failed_requests(outcomes: str, key: str) -> str:
    """JSONata: the failed requests of ``outcomes``, ``{"key", "error"}`` each; a batch's
    summary names its first failed request and adds ``failedCount``, how many of its requests
    failed."""
    return (
        f'[{outcomes}[ok = false].$merge([{{"key": {key}, "error": error}}, '
        '$exists(failedCount) ? {"failedCount": failedCount} : {}])]'
    )


def run_end(
    scope: Construct,
    states: sfn.IChainable,
    *,
    stored_before: int,
    per_delivery: bool,
    delivered: Sequence[sfn.IChainable] = (),
) -> sfn.State:
    """A run of several requests ends (every request made): ``RunSummary`` (the user's states'
    input, see ``SUMMARY``) → the user's states → ``RunOutcome``: ``RunDone``, or the run fails
    with ``Downloader.RequestsFailed`` listing the failed requests, as without post_process.

    ``delivered`` (``MarkDelivered``, a delivery's completion item) runs before the user's
    states when no request failed (``AllStored``): what they notify may read the run's set at
    once (``DownloaderTable.pages``), and a delivery with failed requests is never marked.

    The summary reads a Map's result (``anyFailed``, ``outcomes``: one a request, or one a
    batch of requests, ``BATCH_OUTCOME``, which counts its ``stored`` answers and names its
    first failed request with ``failedCount``) or a page loop's last state (``stored``: its
    last page); ``stored_before`` answers were stored before a Map's (``page_count``'s first
    page). Whether requests failed travels in variables, since the user's states may replace
    the state."""
    prefix = '$t & "#"' + (' & $states.context.Execution.Name & "#"' if per_delivery else "")
    summary = f"""(
  $in := $states.input;
  $t := $states.context.Execution.Input.{SCHEDULED_TIME_KEY};
  $outcomes := $exists($in.outcomes) ? $in.outcomes : [];
  {{
    "{SCHEDULED_TIME_KEY}": $t,
    "keyPrefix": {prefix},
    "stored": $exists($in.outcomes)
      ? {stored_before} + $sum([$outcomes.($exists(failedCount) ? stored
        : ok = true and $not($exists(skipped)) ? 1 : 0)])
      : $exists($in.stored) ? $in.stored : $exists($in.pages) ? {stored_before} : 0,
    "failed": {{FAILED}}
  }}
)""".replace("{FAILED}", failed_requests("$outcomes", "$string(key)"))
    failures = failed_requests("$states.input.outcomes", "key")
    summarize = sfn.Pass.jsonata(
        scope, "RunSummary", outputs="{% " + summary + " %}",
        assign={FAILED_REQUESTS_VARIABLE: "{% " + failures + " %}"},
    )  # fmt: skip
    failed = sfn.Fail.jsonata(
        scope, "RequestsFailed", error=REQUESTS_FAILED_ERROR,
        cause="{% $string($" + FAILED_REQUESTS_VARIABLE + ") %}",
    )  # fmt: skip
    outcome = (
        sfn.Choice.jsonata(scope, "RunOutcome")
        .when(sfn.Condition.jsonata("{% $count($" + FAILED_REQUESTS_VARIABLE + ") > 0 %}"), failed)
        .otherwise(sfn.Succeed(scope, "RunDone"))
    )
    sfn.Chain.start(states).next(outcome)
    if not delivered:
        summarize.next(states)
        return summarize
    mark = sfn.Chain.start(delivered[0])
    for state in delivered[1:]:
        mark = mark.next(state)
    mark.next(states)
    # A successful run leaves by the Default (as the cost model follows a Choice).
    all_stored = (
        sfn.Choice.jsonata(scope, "AllStored")
        .when(
            sfn.Condition.jsonata("{% $count($" + FAILED_REQUESTS_VARIABLE + ") > 0 %}"),
            states,
        )
        .otherwise(mark.start_state)
    )
    summarize.next(all_stored)
    return summarize


def check(scope: Construct, chainable: object, context: CheckContext) -> Iterator[Problem]:
    """A state or chain of this stack, after one answer. (Name clashes with the downloader's
    own states are found on the built definition: see ``assembly.state_name_clashes``.)"""
    if chainable is None:
        return
    if not (hasattr(chainable, "start_state") and hasattr(chainable, "end_states")):
        yield Problem(
            "post_process",
            chainable,
            "is not a Step Functions state or chain.",
            "pass e.g. tasks.SnsPublish(...) or first_state.next(second_state).",
        )
        return
    start = chainable.start_state
    if Stack.of(start) is not Stack.of(scope):
        yield Problem(
            "post_process",
            start.node.path,
            "is defined in another stack; a state machine's states must be in its stack.",
            "create the states in the downloader's stack.",
        )


@dataclass(frozen=True)
class RenderedState:
    """One state of the built definition, tokens replaced by placeholders (see ``token``)."""

    name: str
    json: dict[str, Any]
    express: bool
    """True when the state runs in an Express execution (the workflow, or Express children)."""


class Rendered:
    """A built state machine's definition as JSON, every state of every branch reachable."""

    def __init__(self, state_machine: sfn.StateMachine) -> None:
        self.stack = Stack.of(state_machine)
        cfn = state_machine.node.default_child
        resolved = self.stack.resolve(cfn.definition_string)  # type: ignore[union-attr]
        self.tokens: dict[str, Any] = {}
        text = resolved if isinstance(resolved, str) else self._joined(resolved)
        self.definition: dict[str, Any] = json.loads(text)

    def _joined(self, resolved: dict[str, Any]) -> str:
        separator, parts = resolved["Fn::Join"]
        pieces: list[str] = []
        for part in parts:
            if isinstance(part, str):
                pieces.append(part)
                continue
            # aws-cdk-lib renders every token of a definition inside a JSON string.
            placeholder = f"__token{len(self.tokens)}__"
            self.tokens[placeholder] = part
            pieces.append(placeholder)
        return str(separator).join(pieces)

    def token(self, value: Any) -> Any:
        """The resolved value a placeholder stands for (the value itself if not one)."""
        return self.tokens.get(value, value) if isinstance(value, str) else value

    def states(self, express: bool) -> Iterator[RenderedState]:
        """Every state, branches and Map iterations included."""
        yield from _walk(self.definition["States"], express)


def _walk(states: dict[str, Any], express: bool) -> Iterator[RenderedState]:
    for name, state in states.items():
        yield RenderedState(name, state, express)
        for branch in state.get("Branches", []):
            yield from _walk(branch["States"], express)
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                config = state[key].get("ProcessorConfig", {})
                children_express = (
                    config.get("ExecutionType") == "EXPRESS"
                    if config.get("Mode") == "DISTRIBUTED"
                    else express
                )
                yield from _walk(state[key]["States"], children_express)


def integration_problems(rendered: Rendered, workflow_type: sfn.StateMachineType) -> list[Problem]:
    """Tasks an Express execution cannot run: ``.sync``, ``.waitForTaskToken``, activities, and
    a Distributed Map (only a Standard workflow runs one)."""
    express = workflow_type == sfn.StateMachineType.EXPRESS
    activities = _activity_refs(rendered.stack)
    problems = []
    for state in rendered.states(express):
        resource = state.json.get("Resource")
        mode = state.json.get("ItemProcessor", {}).get("ProcessorConfig", {}).get("Mode")
        if not state.express:
            continue
        what = None
        if isinstance(resource, str):
            what = next(
                (label for suffix, label in UNSUPPORTED_ON_EXPRESS.items()
                 if resource.endswith(suffix)),
                None,
            )  # fmt: skip
            if rendered.token(resource) in activities or ":activity:" in resource:
                what = "an activity"
        if mode == "DISTRIBUTED" and express:
            what = "a Distributed Map"
        if what is None:
            continue
        where = "an Express workflow" if express else "an Express child execution"
        alternative = {
            "an activity": "a Request Response integration (e.g. tasks.LambdaInvoke)",
            "a Distributed Map": "an inline sfn.Map",
        }.get(what, "the task's default integration_pattern (IntegrationPattern.REQUEST_RESPONSE)")
        fix = (
            f"use workflow_type=StateMachineType.STANDARD, or {alternative}."
            if express
            else "give that Distributed Map Standard children "
            "(map_execution_type=StateMachineType.STANDARD)."
        )
        problems.append(
            Problem(
                "post_process",
                f"state {state.name!r}",
                f"uses {what}, which {where} does not support (Step Functions developer "
                'guide, "Choosing workflow type"): CreateStateMachine would refuse the '
                "definition.",
                fix,
            )
        )
    return problems


def _activity_refs(stack: Stack) -> list[Any]:
    return [
        stack.resolve(child.ref)
        for child in stack.node.find_all()
        if isinstance(child, sfn.CfnActivity)
    ]


def grant_encryption_keys(state_machine: sfn.StateMachine, rendered: Rendered) -> list[kms.IKey]:
    """Let the role use the customer-managed key of each topic and queue a state publishes to.

    The topic (queue) is found by its ARN (URL) in the task's parameters among the stack's
    topics (queues), created or imported with their key; a name taken from the state data at
    run time (``TopicArn.$``) cannot be followed: grant its key yourself. Returns the keys
    granted.
    """
    stack = rendered.stack
    topics = [c for c in stack.node.find_all() if isinstance(c, sns.TopicBase)]
    queues = [c for c in stack.node.find_all() if isinstance(c, sqs.QueueBase)]
    keys: dict[str, kms.IKey] = {}
    for state in rendered.states(express=False):
        resource = state.json.get("Resource")
        if not isinstance(resource, str):
            continue
        parameter = next(
            (name for suffix, name in PUBLISHERS.items() if resource.endswith(suffix)), None
        )
        value = state.json.get("Parameters", {}).get(parameter) if parameter else None
        if value is None:
            continue
        target = rendered.token(value)
        for topic in topics if parameter == "TopicArn" else []:
            if topic.master_key is not None and stack.resolve(topic.topic_arn) == target:
                keys.setdefault(topic.master_key.node.path, topic.master_key)
        for queue in queues if parameter == "QueueUrl" else []:
            key = queue.encryption_master_key
            if key is not None and stack.resolve(queue.queue_url) == target:
                keys.setdefault(key.node.path, key)
    for key in keys.values():
        key.grant(state_machine, *PUBLISHER_KEY_ACTIONS)
    if keys:
        acknowledge(
            state_machine.role.node.find_child("DefaultPolicy"),
            "IAM5[Action::kms:GenerateDataKey*]",
            "kms:GenerateDataKey* and kms:Decrypt on the customer-managed key of a topic or "
            "queue the post-processing publishes to: what SNS and SQS need of a publisher.",
        )
    return list(keys.values())


def bind(state_machine: sfn.StateMachine, workflow_type: sfn.StateMachineType) -> list[Problem]:
    """On the built state machine: the integration problems; without any, the key grants."""
    rendered = Rendered(state_machine)
    problems = integration_problems(rendered, workflow_type)
    if not problems:
        grant_encryption_keys(state_machine, rendered)
    return problems
