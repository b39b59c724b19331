"""Schedule: an EventBridge Scheduler schedule that starts the state machine.

The run's scheduled time goes into the execution input (``{"scheduledTime": "..."}``): it is
the item's sort key, so a re-delivered run writes the same item instead of a new one.
A delivery that cannot start the state machine lands in a dead-letter queue after the
scheduler's own retries.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as targets
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._acknowledge import acknowledge

DEFAULT_SCHEDULE_MINUTES = 1
MAX_DELIVERY_AGE_MINUTES = 5
"""How long the scheduler keeps retrying a start. The API answers with its state *now*, so an
answer fetched long after the scheduled time would be stored under the wrong time."""
DEAD_LETTER_RETENTION_DAYS = 14


def build_dead_letter_queue(scope: Construct, queue: sqs.IQueue | None) -> sqs.IQueue:
    """Return the user's queue, or an SQS-encrypted, TLS-only queue keeping messages 14 days."""
    if queue is not None:
        return queue
    created = sqs.Queue(
        scope,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(DEAD_LETTER_RETENTION_DAYS),
    )
    acknowledge(
        created,
        "SQS3",
        "This queue is the schedule's dead-letter queue (the Scheduler target's "
        "DeadLetterConfig), which cdk-nag cannot see.",
    )
    return created


def build_schedule(
    scope: Construct,
    *,
    state_machine: sfn.IStateMachine,
    expression: scheduler.ScheduleExpression | None,
    dead_letter_queue: sqs.IQueue,
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
            dead_letter_queue=dead_letter_queue,
            max_event_age=Duration.minutes(MAX_DELIVERY_AGE_MINUTES),
        ),
    )
