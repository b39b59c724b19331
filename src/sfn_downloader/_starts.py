"""Starts: on a schedule, on demand (``StartExecution``), or both.

An on-demand run passes what the schedule passes, ``{"scheduledTime": "<ISO 8601>"}``: the
time the answer is stored under (its sort key; the same time again overwrites the same item).
A downloader that may be started on demand checks it first (``CheckInput``), so a run without
it fails at once with ``Downloader.InvalidInput`` instead of after the download.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

SCHEDULED_TIME = "$$.Execution.Input.scheduledTime"
INVALID_INPUT_ERROR = "Downloader.InvalidInput"
INPUT_CONTRACT = (
    'The execution input must be {"scheduledTime": "<ISO 8601 UTC time, e.g. '
    '2026-11-27T05:30:00Z>"}: the time the answer is stored under.'
)


def check_input(scope: Construct, run: sfn.IChainable) -> sfn.IChainable:
    """``CheckInput``: go on to ``run`` when ``scheduledTime`` is an ISO 8601 time, else fail."""
    invalid = sfn.Fail(scope, "InvalidInput", error=INVALID_INPUT_ERROR, cause=INPUT_CONTRACT)
    valid = sfn.Condition.and_(
        sfn.Condition.is_present(SCHEDULED_TIME), sfn.Condition.is_timestamp(SCHEDULED_TIME)
    )
    return sfn.Choice(scope, "CheckInput").when(valid, run).otherwise(invalid)


def grant_start_execution(state_machine: sfn.StateMachine, grantee: iam.IGrantable) -> iam.Grant:
    """``states:StartExecution`` on the state machine (aws-cdk-lib's ``grant_start_execution``)."""
    return state_machine.grant_start_execution(grantee)
