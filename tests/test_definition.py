"""Definition: Download (apigateway:invoke) then Persist (putItem), and nothing else."""

from __future__ import annotations

from typing import Any

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
    assert list(asl["States"]) == ["Download", "Persist"]


def test_download_calls_the_proxy_with_its_role(default: Scenario) -> None:
    download = definition(default)["States"]["Download"]
    assert download["Resource"] == "arn:aws:states:::apigateway:invoke"
    api_id = default.stack.get_logical_id(default.patterns["p"].api.node.default_child)  # type: ignore[arg-type]
    assert download["Parameters"] == {
        "ApiEndpoint": f"{api_id}.execute-api.us-east-1.amazonaws.com",
        "Method": "GET",
        "Stage": "prod",
        "Path": "/v2/status",
        "AuthType": "IAM_ROLE",
    }
    assert download["ResultSelector"] == {"players.$": "$.ResponseBody.players"}


def test_persist_keys_the_item_by_downloader_and_scheduled_time(default: Scenario) -> None:
    persist = definition(default)["States"]["Persist"]
    assert persist["Resource"] == "arn:aws:states:::dynamodb:putItem"
    assert persist["Parameters"]["Item"] == {
        "pk": {"S": "TestStack/PlayerCount"},
        "sk": {"S.$": "$$.Execution.Input.scheduledTime"},
        "count": {"N.$": "States.Format('{}', $.players)"},
    }
    assert persist["ResultPath"] is None  # the selected result flows on unchanged


def test_download_retries_throttling_server_errors_and_timeouts_only(default: Scenario) -> None:
    download = definition(default)["States"]["Download"]
    assert download["Retry"] == [{
        "ErrorEquals": RETRYABLE, "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2,
        "MaxDelaySeconds": 30, "JitterStrategy": "FULL",
    }]  # fmt: skip
    assert download["TimeoutSeconds"] == 35
    assert "Catch" not in download  # a failed download fails the run: no partial item


def test_persist_retries_dynamodb_throttling(default: Scenario) -> None:
    (retry,) = definition(default)["States"]["Persist"]["Retry"]
    assert "DynamoDB.ProvisionedThroughputExceededException" in retry["ErrorEquals"]
    assert "DynamoDB.ThrottlingException" in retry["ErrorEquals"]
    assert "States.ALL" not in retry["ErrorEquals"]


def test_custom_retry_keeps_the_retryable_errors(full: Scenario) -> None:
    (retry,) = definition(full)["States"]["Download"]["Retry"]
    assert retry == {"ErrorEquals": RETRYABLE, "IntervalSeconds": 1, "MaxAttempts": 5}


def test_query_parameters_and_headers_are_lists(full: Scenario) -> None:
    parameters = definition(full)["States"]["Download"]["Parameters"]
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
    selector = definition(full)["States"]["Download"]["ResultSelector"]
    assert selector == {
        "orders.$": "$.ResponseBody.orders",
        "meta": {"date.$": "$.Headers.Date[0]", "source": "example"},
    }


def test_from_secret_sends_no_credential_from_the_state_machine(from_secret: Scenario) -> None:
    parameters = definition(from_secret)["States"]["Download"]["Parameters"]
    assert "Headers" not in parameters
