"""Definition: the two states of a run, Download (apigateway:invoke) then Persist (putItem).

A successful run makes exactly these two state transitions: no glue states that add cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._props import PARTITION_KEY, SORT_KEY, ItemValue, Request
from ._proxy import STAGE_NAME
from .auth import AuthHeader
from .item import ItemField

SCHEDULED_TIME_PATH = "$$.Execution.Input.scheduledTime"
"""Where a run finds its scheduled time: the schedule puts it in the execution input."""


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
) -> sfn.IChainable:
    """Return Download → Persist."""
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
    )
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
    return download.next(persist)


def _request_headers(headers: Mapping[str, str] | None, auth_header: AuthHeader | None
                     ) -> sfn.TaskInput | None:
    """Header values are lists in apigateway:invoke."""
    values: dict[str, list[str]] = {name: [value] for name, value in (headers or {}).items()}
    if auth_header is not None and auth_header.header_name is not None and auth_header.value:
        values[auth_header.header_name] = [auth_header.value.unsafe_unwrap()]
    return sfn.TaskInput.from_object(values) if values else None
