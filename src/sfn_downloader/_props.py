"""The props of a DownloaderPattern, gathered once so each build step takes what it needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from .auth import AuthHeader
from .item import ItemField
from .pagination import Pagination
from .transport import Transport

ItemValue = ItemField | tasks.DynamoAttributeValue

PARTITION_KEY = "pk"
"""Partition key attribute: the downloader's id, so several downloaders share one table."""
SORT_KEY = "sk"
"""Sort key attribute: the run's scheduled time (ISO 8601, UTC), so a time range is one Query."""

DEFAULT_TIMEOUT_MINUTES = 5
EXPRESS_MAX_TIMEOUT_MINUTES = 5
DEFAULT_MAX_CONCURRENCY = 10
"""Requests in flight at once in a fan-out or a page Map: polite to the third party."""
INLINE_MAP_MAX_CONCURRENCY = 40
"""An inline Map runs at most 40 iterations at once; past it the construct uses a Distributed
Map (child executions, up to 10,000 at once)."""
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
KEY_SEPARATOR = "#"
TTL_ATTRIBUTE = "expiresAt"
"""With ``retention``: the item's expiry, epoch seconds, the table's time-to-live attribute."""
"""With several answers a run, ``sk = <scheduled time>#<path or page>``."""
RESULT_FIELD = "result"
"""With post-processing or an S3 archive: where the selected result sits in the state."""


@dataclass(frozen=True)
class Props:
    """Everything the user passed, with defaults not yet applied (``None`` = not given)."""

    endpoint: str
    path: str | None
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
    paths: Sequence[str] | None = None
    path_values: Mapping[str, Sequence[str | int]] | None = None
    max_concurrency: int | None = None
    distributed_map: bool | None = None
    child_workflow_type: sfn.StateMachineType | None = None
    pagination: Pagination | None = None
    transport: Transport | None = None
    retention: Duration | None = None
    overridable_query: Sequence[str] | None = None
    post_process: sfn.IChainable | None = None
    archive: bool | None = None
    bucket: s3.IBucket | None = None
    archive_retention: Duration | None = None
    scheduled: bool | None = None
    on_demand: bool | None = None
    dead_letter_queue: sqs.IQueue | None = None


@dataclass(frozen=True)
class Request:
    """The validated, normalized request: base URL, path and query parameters."""

    endpoint: str
    path: str
    query: Mapping[str, list[str]]
    targets: tuple[Target, ...] = ()
    """The fan-out's requests, one per path; empty for a single-path downloader."""
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    distributed: bool = False
    """True when the fan-out (or page) Map runs as a Distributed Map."""
    workflow_type: sfn.StateMachineType = sfn.StateMachineType.EXPRESS
    child_workflow_type: sfn.StateMachineType | None = None
    """The Distributed Map's child executions. Default: Express (billed per request)."""


@dataclass(frozen=True)
class Target:
    """One request of a fan-out: its path, query parameters and the key suffix of its item."""

    path: str
    query: Mapping[str, list[str]]
    key: str
    """The path as given (with its query string): ``sk = <scheduled time>#<key>``."""
