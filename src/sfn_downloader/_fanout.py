"""Fan-out: one run fetches many paths, each answer stored as its own item.

ListRequests (a Pass holding the requests) → FetchAll (a Map: Download → Persist per path) →
AnyFailed. Items are keyed ``sk = <scheduled time>#<path as given>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._acknowledge import acknowledge
from ._definition import SCHEDULED_TIME_PATH, Persists, sort_key
from ._download import Downloads
from ._map import SUCCEEDED, build_map, catch_into, record_failure
from ._props import Request
from ._proxy import STAGE_NAME


def build_fanout(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: Request,
    result_selector: Mapping[str, Any] | None,
) -> sfn.IChainable:
    """ListRequests → FetchAll (Download → Persist per path) → AnyFailed."""
    requests = sfn.Pass(
        scope,
        "ListRequests",
        result=sfn.Result.from_object(
            {
                "requests": [
                    {
                        "path": downloads.path_of(t.path, t.query),
                        "query": downloads.query_of(t.query),
                        "key": t.key,
                    }
                    for t in request.targets
                ]
            }
        ),
    )
    download = downloads.task(
        scope, "Download", path=sfn.JsonPath.string_at("$.request.path"),
        query_path="$.request.query", result_selector=result_selector, result_path="$.response",
    )  # fmt: skip
    persist = persists.task(
        scope, "Persist", sort_key=sort_key("$.scheduledTime", "$.request.key"),
        result_under="$.response", result_selector=SUCCEEDED, in_map=True,
    )  # fmt: skip
    catch_into(record_failure(scope, "RecordFailure", key_path="$.request.key"), download, persist)
    fetch_all = build_map(
        scope,
        "FetchAll",
        request=request,
        items_path="$.requests",
        item_selector={
            "request": sfn.JsonPath.object_at("$$.Map.Item.Value"),
            "scheduledTime": sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
            **persists.map_item_fields(),
        },
        iteration=download.next(persist),
    )
    return requests.next(fetch_all)


EXACT_GRANT_LIMIT = 20
"""Up to this many paths, the role may invoke exactly them; past it, any GET of the proxy (IAM
policies are limited in size, and the proxy only reaches the one endpoint anyway)."""


def grant_fanout_paths(
    state_machine: sfn.StateMachine, api: apigw.IRestApi | None, request: Request
) -> None:
    """Let the role invoke the fan-out's paths on the proxy.

    aws-cdk-lib 2.275's CallApiGatewayRestApiEndpoint, given a JSONPath ``api_path``, grants
    ``.../prod/GET$.request.path``, an ARN that matches nothing: the real grant is added here.
    """
    if api is None or not request.targets:
        return
    if len(request.targets) <= EXACT_GRANT_LIMIT:
        resources = sorted(
            {api.arn_for_execute_api("GET", t.path, STAGE_NAME) for t in request.targets}
        )
    else:
        resources = [api.arn_for_execute_api("GET", "/*", STAGE_NAME)]
        policy = state_machine.role.node.find_child("DefaultPolicy")
        acknowledge(
            policy,
            "IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
            f"<{Stack.of(api).get_logical_id(api.node.default_child)}>/{STAGE_NAME}/GET/*]",  # type: ignore[arg-type]
            f"The fan-out requests more than {EXACT_GRANT_LIMIT} paths: listing each would "
            "outgrow the role's policy size limit. The proxy has one method, GET /{proxy+}, to "
            "the one endpoint, so GET/* grants nothing more.",
        )
    state_machine.add_to_role_policy(
        iam.PolicyStatement(actions=["execute-api:Invoke"], resources=resources)
    )
