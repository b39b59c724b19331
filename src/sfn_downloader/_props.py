"""The props of a DownloaderPattern, gathered once so each build step takes what it needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from .auth import AuthHeader
from .item import ItemField

ItemValue = ItemField | tasks.DynamoAttributeValue

PARTITION_KEY = "pk"
"""Partition key attribute: the downloader's id, so several downloaders share one table."""
SORT_KEY = "sk"
"""Sort key attribute: the run's scheduled time (ISO 8601, UTC), so a time range is one Query."""

DEFAULT_TIMEOUT = Duration.minutes(5)
EXPRESS_MAX_TIMEOUT = Duration.minutes(5)


@dataclass(frozen=True)
class Props:
    """Everything the user passed, with defaults not yet applied (``None`` = not given)."""

    endpoint: str
    path: str
    item: Mapping[str, ItemValue]
    result_selector: Mapping[str, Any] | None
    headers: Mapping[str, str] | None
    auth_header: AuthHeader | None
    workflow_type: sfn.StateMachineType | None
    schedule: scheduler.ScheduleExpression | None
    timeout: Duration | None
    table: dynamodb.ITable | None
    removal_policy: RemovalPolicy | None
    encryption_key: kms.IKey | None
    point_in_time_recovery: bool | None
    downloader_id: str | None


@dataclass(frozen=True)
class Request:
    """The validated, normalized request: base URL, path and query parameters."""

    endpoint: str
    path: str
    query: Mapping[str, list[str]]
