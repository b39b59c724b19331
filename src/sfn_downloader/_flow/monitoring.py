"""Monitoring: the downloader's metrics (one factory the alarms, the dashboard and the user's
``metric_*`` calls share) and its dashboard section.

After cdk-monitoring-constructs' shape (a metric factory per service, widgets built from the
factories), in the few widgets a downloader needs, from aws-cdk-lib's own ``metric*`` methods.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..transport import BoundTransport

WIDTH = 8
"""Three widgets a row (a dashboard is 24 units wide)."""


def _from_zero() -> cloudwatch.YAxisProps:
    """A count or duration axis starting at 0 (a function: no jsii object at import time)."""
    return cloudwatch.YAxisProps(min=0, show_units=False)


class DownloaderMetrics:
    """Every metric of one downloader, each an aws-cdk-lib ``cloudwatch.Metric`` whose ``props``
    (period, statistic, label, ...) the caller may override."""

    def __init__(
        self,
        *,
        state_machine: sfn.StateMachine,
        table: dynamodb.ITable,
        dead_letter_queue: sqs.IQueue | None,
        transport: BoundTransport,
        several_requests: bool,
    ) -> None:
        self._state_machine = state_machine
        self._table = table
        self._dead_letter_queue = dead_letter_queue
        self._transport = transport
        self._several_requests = several_requests

    def failed(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/States ExecutionsFailed`` of the state machine (Sum, 5 minutes)."""
        return self._state_machine.metric_failed(**props)

    def succeeded(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/States ExecutionsSucceeded`` (Sum, 5 minutes)."""
        return self._state_machine.metric_succeeded(**props)

    def timed_out(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/States ExecutionsTimedOut`` (Sum, 5 minutes)."""
        return self._state_machine.metric_timed_out(**props)

    def started(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/States ExecutionsStarted`` (Sum, 5 minutes)."""
        return self._state_machine.metric_started(**props)

    def duration(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/States ExecutionTime``, milliseconds (Average, 5 minutes)."""
        return self._state_machine.metric_time(**props)

    def throttled(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/States ExecutionThrottled`` (Sum, 5 minutes)."""
        return self._state_machine.metric_throttled(**props)

    def dead_letter_queue_depth(self, **props: Any) -> cloudwatch.Metric | None:
        """Undelivered schedule starts waiting in the dead-letter queue (Maximum); ``None``
        without a schedule."""
        if self._dead_letter_queue is None:
            return None
        return self._dead_letter_queue.metric_approximate_number_of_messages_visible(
            **{"statistic": cloudwatch.Stats.MAXIMUM, **props}
        )

    def write_throttles(self, **props: Any) -> cloudwatch.Metric:
        """``AWS/DynamoDB WriteThrottleEvents`` of the table (Sum): every writer of a shared
        table counts."""
        return self._table.metric(
            "WriteThrottleEvents", **{"statistic": cloudwatch.Stats.SUM, **props}
        )

    def requests_per_run(self, **props: Any) -> cloudwatch.MathExpression | None:
        """Requests sent (retries included) per run started; ``None`` with one request a run,
        or when the transport has no metric counting this downloader's requests."""
        requests = self._transport.metric_requests(**props)
        if not self._several_requests or requests is None:
            return None
        return cloudwatch.MathExpression(
            expression="requests / runs",
            using_metrics={"requests": requests, "runs": self.started(**props)},
            label="requests per run",
            period=requests.period,
        )


def build_dashboard(
    scope: Construct,
    dashboard: cloudwatch.Dashboard | bool,
    *,
    title: str,
    metrics: DownloaderMetrics,
    alarms: list[cloudwatch.IAlarm],
    transport: BoundTransport,
) -> cloudwatch.Dashboard | None:
    """Add the downloader's section to ``dashboard`` (or to a new one with ``True``); return
    the dashboard, ``None`` with ``False``."""
    if dashboard is False:
        return None
    if dashboard is True:
        dashboard = cloudwatch.Dashboard(scope, "Dashboard")
    assert isinstance(dashboard, cloudwatch.Dashboard)
    dashboard.add_widgets(cloudwatch.TextWidget(markdown=title, width=24, height=2))
    widgets: list[cloudwatch.IWidget] = [
        cloudwatch.GraphWidget(
            title="Runs", width=WIDTH, left_y_axis=_from_zero(),
            left=[metrics.succeeded(label="succeeded", color=cloudwatch.Color.GREEN),
                  metrics.failed(label="failed", color=cloudwatch.Color.RED),
                  metrics.timed_out(label="timed out", color=cloudwatch.Color.ORANGE)],
        ),
        cloudwatch.GraphWidget(
            title="Run duration (ms)", width=WIDTH,
            left=[metrics.duration(statistic="p50", label="p50"),
                  metrics.duration(statistic="p99", label="p99")],
            left_y_axis=_from_zero(),
        ),
        cloudwatch.AlarmStatusWidget(title="Alarms", alarms=alarms, width=WIDTH),
        *transport.widgets(),
        cloudwatch.GraphWidget(
            title="Table write throttles", width=WIDTH, left_y_axis=_from_zero(),
            left=[metrics.write_throttles(label="WriteThrottleEvents")],
        ),
    ]  # fmt: skip
    depth = metrics.dead_letter_queue_depth(label="undelivered starts")
    if depth is not None:
        widgets.append(
            cloudwatch.GraphWidget(
                title="Dead-letter queue", width=WIDTH, left=[depth], left_y_axis=_from_zero()
            )
        )
    per_run = metrics.requests_per_run()
    if per_run is not None:
        widgets.append(
            cloudwatch.GraphWidget(
                title="Requests per run", width=WIDTH, left=[per_run], left_y_axis=_from_zero()
            )
        )
    for start in range(0, len(widgets), 24 // WIDTH):
        dashboard.add_widgets(*widgets[start : start + 24 // WIDTH])
    return dashboard
