"""Alarms: failed, timed-out and throttled runs, and undeliverable schedule starts.

"Throttled" is what can throttle a run of this workflow type. A Standard workflow's state
transitions are rate-limited per account (``ExecutionThrottled``). An Express workflow's are
"nearly unlimited" ("Choosing workflow type"), so that metric stays at zero; what can hold up
an Express run is its start: the schedule's ``StartExecution`` throttled by Step Functions, which
EventBridge Scheduler counts as ``TargetErrorThrottledCount`` and retries (then dead-letters).
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import Annotations, ArnFormat, Duration, Stack, Token
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._defaults import ALARM_PERIOD_MINUTES
from ..errors import Problem
from .monitoring import DownloaderMetrics

ALARM_PUBLISHER = "cloudwatch.amazonaws.com"
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")
"""What CloudWatch needs of an alarm topic's key ("Enable compatibility between event sources
from AWS services and encrypted topics", SNS developer guide)."""


def build_alarms(
    scope: Construct,
    *,
    metrics: DownloaderMetrics,
    workflow_type: sfn.StateMachineType,
    schedule: scheduler.Schedule | None,
    topic: sns.ITopic | None,
) -> dict[str, cloudwatch.Alarm]:
    """Return one alarm per way a downloader breaks, each raised by a single occurrence.

    Retries already absorb transient errors, so one failed run is worth a look. Missing data
    (no runs in the period) is not a breach. With ``topic``, alarms and recoveries notify it
    (and a customer-managed key of the topic lets CloudWatch use it). Without a schedule there
    is no dead-letter queue, and no alarm on it; an Express workflow started on demand only has
    no throttling alarm (its callers get the throttling error themselves).
    """
    period = Duration.minutes(ALARM_PERIOD_MINUTES)
    watched = {
        "failed": ("ExecutionsFailedAlarm", metrics.failed(period=period),
                   "A download run failed after its retries (see the state machine's logs)."),
        "timed_out": ("ExecutionsTimedOutAlarm", metrics.timed_out(period=period),
                      "A download run exceeded its timeout."),
    }  # fmt: skip
    if workflow_type == sfn.StateMachineType.STANDARD:
        watched["throttled"] = (
            "ExecutionThrottledAlarm", metrics.throttled(period=period),
            "Step Functions throttled the state machine's state transitions.",
        )  # fmt: skip
    elif schedule is not None:
        # Scheduler metrics are per schedule group; the schedule is in the account's default
        # group, so this counts every schedule of that group whose target throttles it.
        group = schedule.schedule_group or scheduler.ScheduleGroup.from_default_schedule_group(
            scope, "DefaultScheduleGroup"
        )
        watched["throttled"] = (
            "StartsThrottledAlarm", group.metric_target_throttled(period=period),
            f"Step Functions throttled a scheduled start (StartExecution) in schedule group "
            f"{group.schedule_group_name}; the schedule retries it for up to 5 minutes, then "
            "sends it to the dead-letter queue.",
        )  # fmt: skip
    depth = metrics.dead_letter_queue_depth(period=period)
    if depth is not None:
        watched["dead_letter_queue"] = (
            "DeadLetterQueueAlarm",
            depth,
            "The schedule could not start a run; the undelivered start is in the dead-letter "
            "queue.",
        )
    alarms = {}
    for key, (construct_id, metric, description) in watched.items():
        alarm = metric.create_alarm(
            scope,
            construct_id,
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        if topic is not None:
            alarm.add_alarm_action(actions.SnsAction(topic))
            alarm.add_ok_action(actions.SnsAction(topic))
        alarms[key] = alarm
    if topic is not None:
        let_cloudwatch_use_key(scope, topic)
    return alarms


def check_alarm_topic(topic: object) -> Iterator[Problem]:
    """A topic; not one encrypted with the AWS managed key, whose policy CloudWatch cannot use."""
    if topic is None:
        return
    if not hasattr(topic, "topic_arn"):  # jsii interfaces cannot be isinstance-checked
        yield Problem(
            "alarm_topic", topic, "is not an SNS topic.",
            "pass an aws_sns.Topic, or sns.Topic.from_topic_attributes(...).",
        )  # fmt: skip
        return
    key = getattr(topic, "master_key", None)
    if key is not None and _is_aws_managed(key):
        yield Problem(
            "alarm_topic",
            getattr(getattr(topic, "node", None), "path", topic),
            "is encrypted with the AWS managed key alias/aws/sns: CloudWatch alarms cannot "
            "publish to it (that key's policy does not let cloudwatch.amazonaws.com use it, and "
            "cannot be changed).",
            "encrypt the topic with a customer managed key (kms.Key), which the construct then "
            "lets CloudWatch use.",
        )


def _is_aws_managed(key: kms.IKey) -> bool:
    names = [getattr(key, "alias_name", None), key.key_arn]
    return any(
        isinstance(name, str) and not Token.is_unresolved(name) and "alias/aws/" in name
        for name in names
    )


def let_cloudwatch_use_key(scope: Construct, topic: sns.ITopic) -> None:
    """Add to the topic key's policy what CloudWatch needs to publish alarms, limited to this
    account's alarms; warn when the key is not in the app (its policy cannot be changed here)."""
    key = topic.master_key
    if key is None:
        return
    stack = Stack.of(scope)
    statement = iam.PolicyStatement(
        sid="AllowCloudWatchAlarmsToPublish",
        principals=[iam.ServicePrincipal(ALARM_PUBLISHER)],
        actions=list(KEY_ACTIONS),
        resources=["*"],  # in a key policy, "*" is the key itself
        conditions={
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch", resource="alarm", resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            },
        },
    )  # fmt: skip
    if not key.add_to_resource_policy(statement).statement_added:
        Annotations.of(scope).add_warning_v2(
            "sfn-downloader:alarm-topic-key",
            f"alarm_topic {topic.node.path} is encrypted with a key this app does not manage "
            f"({key.node.path}): CloudWatch can only notify it if the key policy lets "
            f"{ALARM_PUBLISHER} use kms:Decrypt and kms:GenerateDataKey*. Add that statement "
            "to the key policy (see README, Security model), or the alarms will not notify.",
        )
