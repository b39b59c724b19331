"""Definition: the two states of a run, Download (apigateway:invoke) then Persist (putItem).

A successful run makes exactly these two state transitions: no glue states that add cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._props import PARTITION_KEY, SORT_KEY, ItemValue, Request
from ._proxy import STAGE_NAME
from .auth import AuthHeader
from .item import ItemField

AUTH_VALUE_SUBSTITUTION = "AuthHeaderValue"
"""Definition substitution holding the remapped credential: CloudFormation resolves its dynamic
reference as a whole property value, not spliced into the middle of the definition string."""

SCHEDULED_TIME_PATH = "$$.Execution.Input.scheduledTime"
"""Where a run finds its scheduled time: the schedule puts it in the execution input."""

RETRYABLE_DOWNLOAD_ERRORS = (
    "ApiGateway.429",
    "ApiGateway.500",
    "ApiGateway.502",
    "ApiGateway.503",
    "ApiGateway.504",
    sfn.Errors.TIMEOUT,
)
"""Throttling, server errors and timeouts. Other 4xx answers will not change on a retry."""

DEFAULT_DOWNLOAD_RETRY = sfn.RetryProps(
    errors=list(RETRYABLE_DOWNLOAD_ERRORS),
    interval=Duration.seconds(2),
    max_attempts=3,
    backoff_rate=2,
    max_delay=Duration.seconds(30),
    jitter_strategy=sfn.JitterType.FULL,
)
"""Three retries after 2, 4 and 8 s (full jitter): about 15 s at most, well inside a minute."""

DOWNLOAD_TASK_TIMEOUT = Duration.seconds(35)
"""API Gateway gives up on the integration after 29 s; this bounds a hung call (States.Timeout)."""

PERSIST_RETRY = sfn.RetryProps(
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
"""DynamoDB throttling and its transient server errors."""


def build_definition(
    scope: Construct,
    *,
    api: apigw.IRestApi,
    request: Request,
    headers: Mapping[str, str] | None,
    auth_header: AuthHeader | None,
    result_selector: Mapping[str, Any] | None,
    table: dynamodb.ITable,
    downloader_id: str,
    item: Mapping[str, ItemValue],
    retry: sfn.RetryProps | None,
) -> sfn.IChainable:
    """Return Download → Persist, each with its retry policy."""
    download = tasks.CallApiGatewayRestApiEndpoint(
        scope,
        "Download",
        api=api,
        stage_name=STAGE_NAME,
        method=tasks.HttpMethod.GET,
        api_path=request.path,
        query_parameters=sfn.TaskInput.from_object(dict(request.query)) if request.query else None,
        headers=_request_headers(headers, auth_header),
        auth_type=tasks.AuthType.IAM_ROLE,
        result_selector=dict(result_selector) if result_selector is not None else None,
        task_timeout=sfn.Timeout.duration(DOWNLOAD_TASK_TIMEOUT),
    )
    download.add_retry(**_download_retry(retry))
    persist = tasks.DynamoPutItem(
        scope,
        "Persist",
        table=table,
        item={
            PARTITION_KEY: tasks.DynamoAttributeValue.from_string(downloader_id),
            SORT_KEY: tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
            ),
            **{
                name: value.to_attribute_value() if isinstance(value, ItemField) else value
                for name, value in item.items()
            },
        },
        # Pass the downloaded result on unchanged (DynamoDB's empty answer is of no use).
        result_path=sfn.JsonPath.DISCARD,
    )
    persist.add_retry(**_retry_kwargs(PERSIST_RETRY))
    return download.next(persist)


def _download_retry(retry: sfn.RetryProps | None) -> dict[str, Any]:
    """The user's policy replaces the default; without ``errors`` it keeps the retryable ones."""
    kwargs = _retry_kwargs(retry or DEFAULT_DOWNLOAD_RETRY)
    if not kwargs.get("errors"):
        kwargs["errors"] = list(RETRYABLE_DOWNLOAD_ERRORS)
    return kwargs


def _retry_kwargs(retry: sfn.RetryProps) -> dict[str, Any]:
    names = ("errors", "interval", "max_attempts", "backoff_rate", "max_delay", "jitter_strategy")
    return {name: getattr(retry, name) for name in names if getattr(retry, name) is not None}


def _request_headers(
    headers: Mapping[str, str] | None, auth_header: AuthHeader | None
) -> sfn.TaskInput | None:
    """Header values are lists in apigateway:invoke."""
    values: dict[str, list[str]] = {name: [value] for name, value in (headers or {}).items()}
    if auth_header is not None and auth_header.header_name is not None:
        values[auth_header.header_name] = [f"${{{AUTH_VALUE_SUBSTITUTION}}}"]
    return sfn.TaskInput.from_object(values) if values else None
