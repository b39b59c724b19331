"""Definition: what a run does, as a chain of states.

* One path (the default): Download → Persist, exactly two state transitions on success.
* Several paths (``paths`` / ``path_values``): a Map over the paths, each iteration a
  Download → Persist of its own (see ``_fanout``).
* Pagination: the first page, then the others (see ``_pages``).
* One path with an S3 archive or post-processing: Download → Persist → [Archive] → [the user's
  states] (see ``_sink_s3``, ``_post_process``).
* Started on demand: ``CheckInput`` first (see ``_starts``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._download import (
    AUTH_VALUE_SUBSTITUTION,
    DOWNLOAD_TASK_TIMEOUT_SECONDS,
    RETRYABLE_DOWNLOAD_ERRORS,
    RETRYABLE_HTTP_TASK_ERRORS,
    Downloads,
    default_download_retry,
    retry_kwargs,
)
from ._overrides import QUERY_PATH, query_overrides
from ._props import (
    KEY_SEPARATOR,
    PARTITION_KEY,
    RESULT_FIELD,
    SORT_KEY,
    TTL_ATTRIBUTE,
    ItemValue,
    Request,
)
from .item import ItemField
from .pagination import Pagination

__all__ = [
    "AUTH_VALUE_SUBSTITUTION",
    "DOWNLOAD_TASK_TIMEOUT_SECONDS",
    "RETRYABLE_DOWNLOAD_ERRORS",
    "RETRYABLE_HTTP_TASK_ERRORS",
    "SCHEDULED_TIME_PATH",
    "Afterwards",
    "Persists",
    "build_definition",
    "default_download_retry",
    "persist_retry",
]

ITEM_KEY_FIELD = "key"
"""With post-processing or an S3 archive: where the stored item's key sits in the state."""
SCHEDULED_TIME_PATH = "$$.Execution.Input.scheduledTime"
"""Where a run finds its scheduled time: the schedule puts it in the execution input."""


def persist_retry() -> sfn.RetryProps:
    """DynamoDB throttling and its transient server errors: 3 retries from 1 s, full jitter."""
    return sfn.RetryProps(
        errors=[
            "DynamoDB.ProvisionedThroughputExceededException",
            "DynamoDB.ThrottlingException",
            "DynamoDB.RequestLimitExceeded",
            "DynamoDB.InternalServerErrorException",
        ],
        interval=Duration.seconds(1),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )


EXPIRES_VARIABLE = "expiresAt"
"""With ``retention``: the run's expiry (epoch seconds), assigned by the first state."""


class Persists:
    """Builds the putItem tasks of one downloader: same table, partition key and attributes."""

    def __init__(
        self,
        *,
        table: dynamodb.ITable,
        downloader_id: str,
        item: Mapping[str, ItemValue],
        retention_seconds: int | None = None,
    ) -> None:
        self._table = table
        self._downloader_id = downloader_id
        self._item = item
        self.retention_seconds = retention_seconds

    def map_item_fields(self) -> dict[str, str]:
        """What a Map's ItemSelector must pass on so its iterations can persist: the expiry
        (a Distributed Map's child executions do not see the parent's variables)."""
        if self.retention_seconds is None:
            return {}
        return {EXPIRES_VARIABLE: sfn.JsonPath.string_at(f"${EXPIRES_VARIABLE}")}

    def expiry(self, scope: Construct) -> sfn.Pass | None:
        """The first state of a run with ``retention``: assigns ``$expiresAt``, the scheduled time
        plus the retention in epoch seconds, and passes its input on unchanged.

        JSONata, because no JSONPath intrinsic turns an ISO 8601 time into epoch seconds.
        """
        if self.retention_seconds is None:
            return None
        epoch = (
            f"$floor($toMillis($states.context.Execution.Input.scheduledTime) / 1000)"
            f" + {self.retention_seconds}"
        )
        return sfn.Pass.jsonata(
            scope, "ComputeExpiry", assign={EXPIRES_VARIABLE: "{% $string(" + epoch + ") %}"}
        )

    def task(
        self,
        scope: Construct,
        construct_id: str,
        *,
        sort_key: str,
        result_under: str | None = None,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        in_map: bool = False,
    ) -> tasks.DynamoPutItem:
        """putItem with ``sk = sort_key`` (a JSONPath token or intrinsic).

        ``result_under`` is where the selected result is in the state (``$.response``): the
        item's paths, written relative to the selected result, are rebased onto it. Without a
        ``result_selector`` the state passes on unchanged (DynamoDB's answer is of no use).
        ``result_path``: where DynamoDB's answer (after ``result_selector``) goes instead.
        ``in_map``: inside a Map iteration, which reads the expiry from its item
        (``map_item_fields``), not from the run's variable.
        """
        expiry = {}
        if self.retention_seconds is not None:
            where = f"$.{EXPIRES_VARIABLE}" if in_map else f"${EXPIRES_VARIABLE}"
            expiry[TTL_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.string_at(where)
            )
        persist = tasks.DynamoPutItem(
            scope,
            construct_id,
            table=self._table,
            item={
                PARTITION_KEY: tasks.DynamoAttributeValue.from_string(self._downloader_id),
                SORT_KEY: tasks.DynamoAttributeValue.from_string(sort_key),
                **{name: _attribute(value, result_under) for name, value in self._item.items()},
                **expiry,
            },
            result_selector=dict(result_selector) if result_selector is not None else None,
            result_path=result_path or (sfn.JsonPath.DISCARD if result_selector is None else None),
        )
        persist.add_retry(**retry_kwargs(persist_retry()))
        return persist

    def key_selector(self) -> dict[str, str]:
        """A ResultSelector giving the key of the item a single-path run stores."""
        return {
            PARTITION_KEY: self._downloader_id,
            SORT_KEY: sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
        }


def _attribute(value: ItemValue, result_under: str | None) -> tasks.DynamoAttributeValue:
    if not isinstance(value, ItemField):
        return value  # validation refuses raw attribute values when they would need rebasing
    if result_under is None or value.path.startswith("$$"):
        return value.to_attribute_value()
    return ItemField(result_under + value.path[1:], value.kind).to_attribute_value()


def sort_key(time_path: str, suffix_path: str) -> str:
    """``<scheduled time>#<suffix>``: unique per answer, the same again on a re-delivered run."""
    return sfn.JsonPath.format(
        "{}" + KEY_SEPARATOR + "{}",
        sfn.JsonPath.string_at(time_path),
        sfn.JsonPath.string_at(suffix_path),
    )


def build_definition(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
    pagination: Pagination | None,
    afterwards: Afterwards | None = None,
) -> sfn.IChainable:
    """Return the run's states: one path, a fan-out over paths, or the pages of one path,
    after ``ComputeExpiry`` with ``retention``, after ``CheckInput`` when started on demand."""
    afterwards = afterwards or Afterwards()
    if afterwards.bucket is not None or afterwards.post_process is not None:
        run = _stored_then(
            scope, downloads=downloads, persists=persists, request=request,
            result_selector=result_selector, afterwards=afterwards,
        )  # fmt: skip
    else:
        run = _run(
            scope, downloads=downloads, persists=persists, request=request,
            result_selector=result_selector, pagination=pagination,
            query_path=QUERY_PATH if afterwards.overridable_query else None,
        )  # fmt: skip
    if afterwards.overridable_query:
        run = query_overrides(
            scope, query=request.query, overridable=afterwards.overridable_query, run=run
        )
    expiry = persists.expiry(scope)
    if expiry is not None:
        run = expiry.next(run)
    if afterwards.on_demand:
        from ._starts import check_input

        run = check_input(scope, run)
    return run


@dataclass(frozen=True)
class Afterwards:
    """What a run does besides Download → Persist: archive to S3, post-process, and check an
    on-demand start's input."""

    bucket: s3.IBucket | None = None
    downloader_id: str = ""
    post_process: sfn.IChainable | None = None
    on_demand: bool = False
    overridable_query: tuple[str, ...] = ()


def _stored_then(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
    afterwards: Afterwards,
) -> sfn.IChainable:
    """One path: Download → Persist → [Archive] → [post-processing].

    The selected result is kept under ``$.result`` and the stored item's key under ``$.key``
    (and the S3 object's location under ``$.object``), the documented input of the
    post-processing states.
    """
    download = downloads.task(
        scope, "Download", path=request.path,
        query=None if afterwards.overridable_query else request.query or None,
        query_path=QUERY_PATH if afterwards.overridable_query else None,
        result_selector=result_selector, result_path=f"$.{RESULT_FIELD}",
    )  # fmt: skip
    persist = persists.task(
        scope, "Persist", sort_key=sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
        result_under=f"$.{RESULT_FIELD}", result_selector=persists.key_selector(),
        result_path=f"$.{ITEM_KEY_FIELD}",
    )  # fmt: skip
    chain = download.next(persist)
    if afterwards.bucket is not None:
        from ._sink_s3 import archive_task

        chain = chain.next(
            archive_task(scope, bucket=afterwards.bucket, downloader_id=afterwards.downloader_id)
        )
    if afterwards.post_process is not None:
        chain = chain.next(afterwards.post_process)
    return chain


def _run(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
    pagination: Pagination | None,
    query_path: str | None = None,
) -> sfn.IChainable:
    if request.targets:
        from ._fanout import build_fanout

        return build_fanout(
            scope, downloads=downloads, persists=persists, request=request,
            result_selector=result_selector,
        )  # fmt: skip
    if pagination is not None:
        from ._pages import build_pages

        return build_pages(
            scope, downloads=downloads, persists=persists, request=request,
            result_selector=result_selector, pagination=pagination,
        )  # fmt: skip
    download = downloads.task(
        scope,
        "Download",
        path=request.path,
        query=None if query_path else request.query or None,
        query_path=query_path,
        result_selector=result_selector,
    )
    persist = persists.task(scope, "Persist", sort_key=sfn.JsonPath.string_at(SCHEDULED_TIME_PATH))
    return download.next(persist)
