"""State machine: runs the definition, logs to its own log group, traces with X-Ray."""

from __future__ import annotations

from aws_cdk import Duration, Names
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._acknowledge import acknowledge
from .._contract import LOG_GROUP_NAME_MAX, VENDED_LOGS_PREFIX
from .._one_line import render_jsonata_on_one_line


def build_state_machine(
    scope: Construct,
    *,
    definition: sfn.IChainable,
    workflow_type: sfn.StateMachineType,
    timeout: Duration,
    include_execution_data: bool,
    definition_substitutions: dict[str, str] | None,
    log_retention: logs.RetentionDays,
) -> tuple[sfn.StateMachine, logs.LogGroup]:
    """Return the state machine and its log group.

    Every event is logged (level ALL), for Express the only record of a run. Execution data
    (state input and output) is logged unless a credential passes through it.
    """
    log_group = logs.LogGroup(
        scope, "Logs", log_group_name=log_group_name(scope), retention=log_retention
    )
    state_machine = sfn.StateMachine(
        scope,
        "StateMachine",
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        definition_substitutions=definition_substitutions,
        state_machine_type=workflow_type,
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=log_group,
            level=sfn.LogLevel.ALL,
            include_execution_data=include_execution_data,
        ),
    )
    render_jsonata_on_one_line(state_machine)  # asl-validator 4 rejects multi-line JSONata
    policy = state_machine.role.node.find_child("DefaultPolicy")
    acknowledge(
        policy,
        "IAM5[Resource::*]",
        "Only the CloudWatch Logs delivery actions (logs:CreateLogDelivery, ...) and X-Ray "
        "actions are on '*': AWS supports no resource-level permissions for them. Everything "
        "else is scoped to this downloader's API method, table and key.",
    )
    return state_machine, log_group


def log_group_name(scope: Construct) -> str:
    """``/aws/vendedlogs/states/<stack name>-<path>-<hash>``: unique per downloader and per
    deployed stack (two stacks from one app never clash), short enough for the log group ARN the
    state machine's logging configuration takes (256 characters at most).

    Step Functions adds every log group it delivers to to the account's CloudWatch Logs resource
    policy (5,120 characters at most) unless its name starts with ``/aws/vendedlogs/``; a
    generated name would make each downloader grow that policy until state machines could no
    longer be created ("Avoiding CloudWatch Logs resource policy size restrictions").
    """
    unique = Names.unique_resource_name(
        scope,
        separator="-",
        allowed_special_characters="-_.",
        max_length=LOG_GROUP_NAME_MAX - len(VENDED_LOGS_PREFIX),
    )
    return VENDED_LOGS_PREFIX + unique


def already_used(error: Exception) -> bool:
    """True for aws-cdk-lib's error when a state already belongs to another state machine."""
    return "Every state can only be used in one graph" in str(error)
