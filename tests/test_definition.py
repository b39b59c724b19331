"""Definition: Download (apigateway:invoke) then Persist (putItem), and nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from sfn_downloader._checks import through_selector

from scenarios import Scenario, definition

RETRYABLE = [
    "ApiGateway.429",
    "ApiGateway.500",
    "ApiGateway.502",
    "ApiGateway.503",
    "ApiGateway.504",
    "States.Timeout",
]


def success_path(asl: dict[str, Any]) -> list[str]:
    names, name = [], asl["StartAt"]
    while True:
        names.append(name)
        state = asl["States"][name]
        if state.get("End") or state["Type"] in ("Succeed", "Fail"):
            return names
        name = state["Next"]


def test_a_successful_run_makes_exactly_two_transitions(default: Scenario) -> None:
    asl = definition(default)
    assert success_path(asl) == ["Download", "Persist"]
    # The one other state: where a compressed answer ends (the download's Catch).
    assert list(asl["States"]) == ["Download", "Persist", "AnswerCompressed"]


def test_download_calls_the_proxy_with_its_role(default: Scenario) -> None:
    download = definition(default)["States"]["Download"]
    assert download["Resource"] == "arn:aws:states:::apigateway:invoke"
    api_id = default.stack.get_logical_id(default.patterns["p"].api.node.default_child)  # type: ignore[arg-type]
    # A JSONata task (its Assign checks the answer): Arguments, no ResultSelector; Persist
    # reads the item where the selector reads it.
    assert download["QueryLanguage"] == "JSONata"
    assert download["Arguments"] == {
        "ApiEndpoint": f"{api_id}.execute-api.us-east-1.amazonaws.com",
        "Method": "GET",
        "Stage": "prod",
        "Path": "/v2/status",
        "AuthType": "IAM_ROLE",
    }
    assert "ResultSelector" not in download and "Output" not in download


def test_persist_keys_the_item_by_downloader_and_scheduled_time(default: Scenario) -> None:
    persist = definition(default)["States"]["Persist"]
    assert persist["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert persist["Parameters"]["Item"] == {
        "pk": {"S": "TestStack/PlayerCount"},
        "sk": {"S.$": "$$.Execution.Input.scheduledTime"},
        # result_selector {"players.$": "$.ResponseBody.players"}, item $.players: read
        # from the raw answer where the selector reads it
        "count": {"N.$": "States.Format('{}', $.ResponseBody.players)"},
    }
    # The run's output is the stored item's key, not the (raw) answer.
    assert (persist["ResultSelector"], persist["ResultPath"]) == (
        {"pk": "TestStack/PlayerCount", "sk.$": "$$.Execution.Input.scheduledTime"},
        "$",
    )


def test_download_retries_throttling_server_errors_and_timeouts_only(default: Scenario) -> None:
    download = definition(default)["States"]["Download"]
    assert download["Retry"] == [{
        "ErrorEquals": RETRYABLE, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2,
        "MaxDelaySeconds": 30, "JitterStrategy": "FULL",
    }]  # fmt: skip
    assert download["TimeoutSeconds"] == 35
    # A failed download fails the run (no partial item); the one Catch is the answer check's.
    assert download["Catch"] == [
        {"ErrorEquals": ["States.QueryEvaluationError"], "Next": "AnswerCompressed"}
    ]
    failed = definition(default)["States"]["AnswerCompressed"]
    assert (failed["Type"], failed["Error"]) == ("Fail", "Downloader.CompressedAnswer")


def test_persist_retries_dynamodb_throttling(default: Scenario) -> None:
    (retry,) = definition(default)["States"]["Persist"]["Retry"]
    assert "DynamoDB.ProvisionedThroughputExceededException" in retry["ErrorEquals"]
    assert "DynamoDB.ThrottlingException" in retry["ErrorEquals"]
    assert "States.ALL" not in retry["ErrorEquals"]


def test_custom_retry_keeps_the_retryable_errors(full: Scenario) -> None:
    (retry,) = definition(full)["States"]["Download"]["Retry"]
    assert retry == {"ErrorEquals": RETRYABLE, "IntervalSeconds": 1, "MaxAttempts": 5}


def test_query_parameters_and_headers_are_lists(full: Scenario) -> None:
    download = definition(full)["States"]["Download"]
    assert download["QueryLanguage"] == "JSONata"  # the checked download (issue 25 item 14)
    parameters = download["Arguments"]
    assert parameters["Path"] == "/v1/orders"
    assert parameters["QueryParameters"] == {"region": ["10000002"], "type": ["sell", "buy"]}
    assert parameters["Headers"] == {
        "Accept": ["application/json"],
        "User-Agent": ["sfn-downloader-test"],
        "MyCustomAuth": ["{{resolve:secretsmanager:example/api-token:SecretString:::}}"],
    }


def test_item_fields_render_as_documented(full: Scenario) -> None:
    item = definition(full)["States"]["Persist"]["Parameters"]["Item"]
    assert item == {
        "pk": {"S": "example/orders"},
        "sk": {"S.$": "$$.Execution.Input.scheduledTime"},
        "orders": {"S.$": "States.JsonToString($.orders)"},
        "date": {"S.$": "$.meta.date"},
        "source": {"S.$": "$.meta.source"},
    }
    # $.meta.source reads the selector's constant, which only a JSONPath selector makes: the
    # checked download passes the raw answer on (a compressed one refused, issue 25 item 14)
    # and SelectDownload, a JSONPath Pass, applies the selector before Persist.
    states = definition(full)["States"]
    assert states["Download"]["Next"] == "SelectDownload"
    assert "ResultSelector" not in states["Download"]
    assert states["SelectDownload"] == {
        "Type": "Pass",
        "Parameters": {
            "orders.$": "$.ResponseBody.orders",
            "meta": {"date.$": "$.Headers.Date[0]", "source": "example"},
        },
        "Next": "Persist",
    }


def test_from_secret_sends_no_credential_from_the_state_machine(from_secret: Scenario) -> None:
    parameters = definition(from_secret)["States"]["Download"]["Arguments"]
    assert "Headers" not in parameters


@pytest.mark.parametrize(
    ("path", "selector", "raw"),
    [
        ("$.players", {"players.$": "$.ResponseBody.players"}, "$.ResponseBody.players"),
        ("$.body.a[0].b", {"body.$": "$.ResponseBody"}, "$.ResponseBody.a[0].b"),
        ("$.body['x-y']", {"body.$": "$.ResponseBody"}, "$.ResponseBody['x-y']"),
        ("$.meta.date", {"meta": {"date.$": "$.Headers.Date[0]"}}, "$.Headers.Date[0]"),
        ("$.ResponseBody.x", None, "$.ResponseBody.x"),
        ("$$.Execution.Name", {"a.$": "$.b"}, "$$.Execution.Name"),
        ("$", {"a.$": "$.b"}, None),  # the whole selection: only a ResultSelector makes it
        ("$.unit", {"unit": "kg"}, None),  # a constant
        ("$.t", {"t.$": "States.JsonToString($.ResponseBody)"}, None),  # an intrinsic
        ("$.missing", {"a.$": "$.b"}, None),
        ("$.a[0]", {"a.$": "$.ResponseBody.list"}, "$.ResponseBody.list[0]"),
    ],
)
def test_an_item_path_is_read_where_the_selector_reads_it(
    path: str, selector: dict[str, Any] | None, raw: str | None
) -> None:
    assert through_selector(path, selector) == raw
