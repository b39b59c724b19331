"""Schedule: an EventBridge Scheduler schedule that starts the state machine.

The run's scheduled time goes into the execution input (``{"scheduledTime": "..."}``): it is
the item's sort key, so a re-delivered run writes the same item instead of a new one.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

DEFAULT_SCHEDULE_MINUTES = 1


def build_schedule(
    scope: Construct,
    *,
    state_machine: sfn.IStateMachine,
    expression: scheduler.ScheduleExpression | None,
    description: str,
) -> scheduler.Schedule:
    """Return the schedule; default every minute."""
    return scheduler.Schedule(
        scope,
        "Schedule",
        schedule=expression
        or scheduler.ScheduleExpression.rate(Duration.minutes(DEFAULT_SCHEDULE_MINUTES)),
        description=description,
        target=targets.StepFunctionsStartExecution(
            state_machine,
            input=scheduler.ScheduleTargetInput.from_object(
                {"scheduledTime": scheduler.ContextAttribute.scheduled_time}
            ),
        ),
    )
