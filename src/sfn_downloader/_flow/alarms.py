"""Alarms: failed, timed-out and throttled runs, and undeliverable schedule starts."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_sns as sns
from constructs import Construct

from .._defaults import ALARM_PERIOD_MINUTES
from .monitoring import DownloaderMetrics


def build_alarms(
    scope: Construct,
    *,
    metrics: DownloaderMetrics,
    topic: sns.ITopic | None,
) -> dict[str, cloudwatch.Alarm]:
    """Return one alarm per way a downloader breaks, each raised by a single occurrence.

    Retries already absorb transient errors, so one failed run is worth a look. Missing data
    (no runs in the period) is not a breach. With ``topic``, alarms and recoveries notify it.
    Without a schedule there is no dead-letter queue, and no alarm on it.
    """
    period = Duration.minutes(ALARM_PERIOD_MINUTES)
    watched = {
        "failed": ("ExecutionsFailedAlarm", metrics.failed(period=period),
                   "A download run failed after its retries (see the state machine's logs)."),
        "timed_out": ("ExecutionsTimedOutAlarm", metrics.timed_out(period=period),
                      "A download run exceeded its timeout."),
        "throttled": ("ExecutionThrottledAlarm", metrics.throttled(period=period),
                      "Step Functions throttled the state machine."),
    }  # fmt: skip
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
    return alarms
