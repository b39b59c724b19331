"""What the facade builds to watch a downloader, in one step: the metric factory its alarms,
dashboard and ``metric_*`` methods share, the alarms, and its dashboard section."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..transport import BoundTransport
from .alarms import build_alarms
from .config import Config
from .monitoring import DownloaderMetrics, build_dashboard


def build_monitoring(
    scope: Construct,
    config: Config,
    *,
    state_machine: sfn.StateMachine,
    table: dynamodb.ITable,
    dead_letter_queue: sqs.IQueue | None,
    schedule: scheduler.Schedule | None,
    downloads: BoundTransport,
) -> tuple[DownloaderMetrics, Mapping[str, cloudwatch.Alarm], cloudwatch.Dashboard | None]:
    """The downloader's metrics, its alarms by name (read-only) and its dashboard, if any."""
    metrics = DownloaderMetrics(
        state_machine=state_machine, table=table,
        dead_letter_queue=dead_letter_queue, transport=downloads,
        several_requests=config.shape.several_requests,
    )  # fmt: skip
    alarms = MappingProxyType(
        build_alarms(
            scope,
            metrics=metrics,
            workflow_type=config.workflow_type,
            schedule=schedule,
            topic=config.alarm_topic,
        )
    )
    dashboard = build_dashboard(
        scope, config.dashboard, metrics=metrics, alarms=list(alarms.values()),
        transport=downloads,
        title=f"### Downloader `{config.downloader_id}`\n"
        f"{config.request.method} {config.shape.describe(config.request)}",
    )  # fmt: skip
    return metrics, alarms, dashboard
