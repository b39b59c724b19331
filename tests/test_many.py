"""Fan-out, pagination and the HTTP Task: template assertions and bad input."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    AuthHeader,
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Transport,
)

from scenarios import EVE_PROPS, MARKET_PATH, ORDERS_ITEM, Scenario, definition


def test_fanout_lists_each_path_and_maps_inline_with_the_concurrency(fanout: Scenario) -> None:
    asl = definition(fanout)
    # FetchAll holds the requests in its Items (issue 28(a): no ListRequests state).
    assert asl["StartAt"] == "FetchAll" and "ListRequests" not in asl["States"]
    keys = [r["key"] for r in asl["States"]["FetchAll"]["Items"]]
    assert keys == [
        MARKET_PATH.replace("{region_id}", str(r)) for r in (10000002, 10000043, 10000032)
    ]
    fetch = asl["States"]["FetchAll"]
    assert fetch["ItemProcessor"]["ProcessorConfig"] == {"Mode": "INLINE"}
    assert fetch["MaxConcurrency"] == 2
    persist = fetch["ItemProcessor"]["States"]["Persist"]
    assert persist["Parameters"]["Item"]["sk"] == {
        "S.$": "States.Format('{}#{}#{}', $mapItem.scheduledTime, $mapItem.run, "
        "$mapItem.request.key)"
    }  # each delivery its own keys, the run's name from the Map item
    props = next(iter(fanout.template.find_resources("AWS::StepFunctions::StateMachine").values()))
    assert props["Properties"]["StateMachineType"] == "EXPRESS"


def test_fanout_map_gives_each_iteration_its_jsonpath_input_and_summarizes_as_before(
    fanout: Scenario, distributed: Scenario
) -> None:
    """The JSONata FetchAll (issue 28(a)): its ItemSelector reads what the JSONPath one read,
    its Output is the JSONPath ResultSelector's, and its iterations stay JSONPath."""
    for scenario in (fanout, distributed):
        fetch = definition(scenario)["States"]["FetchAll"]
        assert fetch["QueryLanguage"] == "JSONata"
        assert fetch["ItemSelector"]["request"] == "{% $states.context.`Map`.`Item`.`Value` %}"
        assert fetch["ItemSelector"]["scheduledTime"] == (
            "{% $states.context.`Execution`.`Input`.`scheduledTime` %}"
        )
        assert fetch["Output"] == {
            "anyFailed": "{% false in $states.result.ok %}", "outcomes": "{% $states.result %}"
        }  # fmt: skip
        assert "ItemsPath" not in fetch and "ResultSelector" not in fetch
        inner = fetch["ItemProcessor"]["States"]
        assert "QueryLanguage" not in inner["Persist"]  # the top level's: JSONPath


def test_jsonata_fields_read_what_jsonpath_fields_read() -> None:
    from sfn_downloader.concurrency import jsonata_fields

    stack = cdk.Stack(cdk.App(), "Fields")
    fields = jsonata_fields(stack, {
        "a": sfn.JsonPath.string_at("$.request.key"),
        "b": sfn.JsonPath.object_at("$$.Map.Item.Value"),
        "c": sfn.JsonPath.string_at("$expiresAt"),
        "d": {"page": 1, "literal": "$not-a-path"},
    })  # fmt: skip
    assert fields == {
        "a": "{% $states.input.`request`.`key` %}",
        "b": "{% $states.context.`Map`.`Item`.`Value` %}",
        "c": "{% $expiresAt %}",
        "d": {"page": 1, "literal": "$not-a-path"},
    }
    with pytest.raises(ValueError, match=r"x: .States\.Format.*has no JSONata form"):
        jsonata_fields(stack, {"x": sfn.JsonPath.format("{}", sfn.JsonPath.string_at("$.a"))})


def test_fanout_grants_exactly_its_paths(fanout: Scenario) -> None:
    text = str(fanout.json)
    for region in (10000002, 10000043, 10000032):
        assert f"/prod/GET/v1/markets/{region}/orders/" in text


def test_over_40_concurrent_uses_a_distributed_map_and_standard(distributed: Scenario) -> None:
    fetch = definition(distributed)["States"]["FetchAll"]
    assert fetch["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"
    }  # fmt: skip
    assert fetch["MaxConcurrency"] == 100
    [machine] = distributed.template.find_resources("AWS::StepFunctions::StateMachine").values()
    assert machine["Properties"]["StateMachineType"] == "STANDARD"


def test_page_count_reads_the_header_and_maps_over_array_range(pages: Scenario) -> None:
    states = definition(pages)["States"]
    first = states["DownloadFirstPage"]
    # checked (JSONata): the raw answer goes on; CountPages reads its headers
    assert first["Arguments"]["QueryParameters"] == {"order_type": ["all"], "page": ["1"]}
    assert "ResultSelector" not in first and "Output" not in first
    count = states["CountPages"]
    assert count["QueryLanguage"] == "JSONata"
    assert '$announced := $header("X-Pages");' in count["Output"]
    # CountPages is a JSONata Choice: its rule (no count) fails the run with what the rule
    # assigns; its Output lists pages 2..N, at most max_pages (50), for FetchPages (Default).
    assert "[2..$min([$c.pages, 50])]" in count["Output"]
    [missing] = count["Choices"]
    assert missing["Next"] == "PageCountNotFound" and "pagingFailure" in missing["Assign"]
    assert count["Default"] == "FetchPages"
    assert states["PageCountNotFound"]["Error"] == "{% $pagingFailure.name %}"
    assert not {"MorePages", "ListPages", "CapPages"} & set(states)
    page = states["FetchPages"]["ItemProcessor"]["States"]["DownloadPage"]
    # checked (JSONata): the page number read from the Map item, as text
    assert page["Arguments"]["QueryParameters"] == {
        "order_type": ["all"], "page": ["{% $string($states.input.`page`) %}"]
    }  # fmt: skip


def test_cursor_loops_with_a_page_cap(cursor: Scenario) -> None:
    states = definition(cursor)["States"]
    step = states["DownloadPage"]["Assign"]["loop"]
    assert "$page < 3" in step  # max_pages
    assert '$setParam($url, "cursor", $string($cursor))' in step
    assert states["DownloadPage"]["Arguments"]["QueryParameters"] == (
        "{% $states.input.`request`.`query` %}"
    )
    more = states["MorePages"]
    assert more["Choices"][1] == {
        "Variable": "$.more",
        "BooleanEquals": True,
        "Next": "DownloadPage",
    }


def test_http_task_has_no_api_gateway_and_retries_its_own_errors(http_task: Scenario) -> None:
    assert http_task.template.find_resources("AWS::ApiGateway::RestApi") == {}
    assert http_task.patterns["p"].api is None
    download = definition(http_task)["States"]["Download"]
    assert download["Resource"] == "arn:aws:states:::http:invoke"
    assert "States.Http.StatusCode.429" in download["Retry"][0]["ErrorEquals"]
    assert not any(e.startswith("ApiGateway.") for e in download["Retry"][0]["ErrorEquals"])


def test_http_task_role_holds_exactly_its_statements(http_task: Scenario) -> None:
    policies = http_task.template.find_resources("AWS::IAM::Policy")
    (policy,) = [p for name, p in policies.items() if name.startswith("StatusStateMachineRole")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    connection = {"Fn::GetAtt": ["EsiConnection0FE16F45", "Arn"]}
    invoke = "states:InvokeHTTPEndpoint"
    assert statements[:3] == [
        {"Action": "events:RetrieveConnectionCredentials", "Effect": "Allow",
         "Resource": connection},
        {"Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
         "Effect": "Allow", "Resource": {"Fn::GetAtt": ["EsiConnection0FE16F45", "SecretArn"]}},
        # aws-cdk-lib's own statement: "*" (the state machine's ARN would be a circular
        # reference) and a prefix that a longer host would also match...
        {"Action": invoke, "Effect": "Allow", "Resource": "*",
         "Condition": {"StringLike": {"states:HTTPEndpoint": "https://esi.evetech.net*"}}},
    ]  # fmt: skip
    assert statements[3]["Action"] == "dynamodb:PutItem"
    assert [s["Action"][0] for s in statements[4:6]] == ["logs:CreateLogDelivery",
                                                         "xray:PutTraceSegments"]  # fmt: skip
    assert statements[6]["Sid"] == "WriteOnlyThisDownloadersPartition"  # issue 26
    # ...so the construct denies anything but GET under the endpoint itself.
    assert statements[7:] == [
        {"Action": invoke, "Effect": "Deny", "Resource": "*",
         "Condition": {"StringNotLike": {"states:HTTPEndpoint": "https://esi.evetech.net/*"}}},
        {"Action": invoke, "Condition": {"StringNotEquals": {"states:HTTPMethod": "GET"}},
         "Effect": "Deny", "Resource": "*"},
    ]  # fmt: skip


def _error(**props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    merged = {**EVE_PROPS, **props}
    with pytest.raises(DownloaderConfigError) as raised:
        DownloaderPattern(stack, "P", **merged)
    return str(raised.value)


@pytest.mark.parametrize(
    ("props", "pattern"),
    [
        ({"path": "/v1/{region_id}/x"}, r"path='/v1/\{region_id\}/x'.*FanOut.path_values"),
        ({"path": "/v1/x", "fan_out": FanOut.path_values({"region_id": [1]})},
         r"fan_out.path_values\['region_id'\]=\[1\]: fills no placeholder"),
        ({"path": "/v1/{a}", "fan_out": FanOut.path_values({"a": []})}, r"non-empty list"),
        ({"path": "/v1/{a}", "fan_out": FanOut.path_values({"a": ["x/y"]})},
         r"not a path segment"),
        ({"fan_out": FanOut.paths(["/a", "/a"]), "path": None},
         r"fan_out.paths='/a': is listed twice"),
        ({"fan_out": FanOut.paths(["/a"])}, r"together with `path`"),
        ({"fan_out": FanOut.paths([]), "path": None}, r"FanOut.paths takes a non-empty list"),
        ({"fan_out": FanOut.paths(["/a", "/b"]), "path": None,
          "concurrency": Concurrency.inline(0)},
         r"concurrency='Concurrency.inline\(0\)': max_concurrency is not an integer from 1 to 40"),
        ({"fan_out": FanOut.paths(["/a"]), "path": None, "concurrency": Concurrency.inline(41)},
         r"Concurrency.inline\(41\)'.*the most an inline Map runs at once"),
        ({"fan_out": FanOut.paths(["/a"]), "path": None,
          "concurrency": Concurrency.distributed(10_001)},
         r"Concurrency.distributed\(10001\)'.*from 1 to 10,000"),
        (
            {"fan_out": FanOut.paths(["/a"]), "path": None,
             "concurrency": Concurrency.distributed(100),
             "workflow_type": sfn.StateMachineType.EXPRESS},
            r"workflow_type='EXPRESS'.*Distributed Map.*STANDARD",
        ),
        ({"concurrency": Concurrency.inline(5)},
         r"concurrency='Concurrency.inline\(5\)': only applies to a run of several requests"),
        ({"fan_out": ["/a"], "path": None}, r"fan_out=\['/a'\]: is not a FanOut"),
        ({"concurrency": 5}, r"concurrency=5: is not a Concurrency.*Concurrency.inline\(10\)"),
        (
            {"fan_out": FanOut.paths(["/a", "/b?page=2"]), "path": None,
             "pagination": Pagination.page_count()},
            r"pagination.param='page': is already in the fan_out\[1\]'s query string "
            r"\('/b\?page=2'\)",
        ),
        ({"pagination": Pagination.page_count(max_pages=0)}, r"pagination.max_pages=0"),
        ({"path": "/x?page=2", "pagination": Pagination.page_count()}, r"already in the path"),
        ({"pagination": Pagination.cursor(next_path="next")}, r"pagination.next_path='next'"),
        (
            {"fan_out": FanOut.paths(["/a"]), "path": None,
             "item": {"v": cdk.aws_stepfunctions_tasks.DynamoAttributeValue.from_string("x")}},
            r"item\['v'\].*use ItemField",
        ),
    ],
)  # fmt: skip
def test_bad_input_names_the_prop_value_and_fix(props: dict[str, Any], pattern: str) -> None:
    message = _error(**props)
    assert "Fix:" in message
    assert __import__("re").search(pattern, message, __import__("re").S), message


def test_http_task_with_auth_header_is_a_conflict() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    connection = events.Connection(
        stack, "C", authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("k")
        ),
    )  # fmt: skip
    with pytest.raises(DownloaderConfigError, match=r"auth_header=.*conflicts with transport"):
        DownloaderPattern(
            stack, "P", **EVE_PROPS, transport=Transport.http_task(connection),
            auth_header=AuthHeader.remap("X-Key", cdk.SecretValue.secrets_manager("k")),
        )  # fmt: skip


def test_orders_item_is_an_item_field() -> None:
    assert isinstance(ORDERS_ITEM["orders"], ItemField)
