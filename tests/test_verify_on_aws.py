"""scripts/verify_on_aws.py, proven without an account: botocore Stubbers answer every call
(and check each request and response against the service models), nothing reaches AWS."""

from __future__ import annotations

import base64
import gzip
import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from botocore.stub import ANY, Stubber

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 27, tzinfo=UTC)
ECHO_URL = "https://abcdefghij.lambda-url.eu-west-1.on.aws/"
API_HOST = "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"
ROLE_ARN = "arn:aws:iam::123456789012:role/probe-Role"
CONNECTION_ARN = "arn:aws:events:eu-west-1:123456789012:connection/probe/0000"


@pytest.fixture(scope="module")
def verify() -> ModuleType:
    path = ROOT / "scripts" / "verify_on_aws.py"
    spec = importlib.util.spec_from_file_location("verify_on_aws", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def client(service: str) -> Any:
    return boto3.client(
        service, region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def stack(name: str, status: str, outputs: dict[str, str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"StackName": name, "CreationTime": NOW, "StackStatus": status}
    if outputs is not None:
        found["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    return {"Stacks": [found]}


def stub_deploy(stubber: Stubber, name: str, outputs: dict[str, str]) -> None:
    stubber.add_response(
        "create_stack",
        {"StackId": f"arn:aws:cloudformation:eu-west-1:123456789012:stack/{name}/1"},
        {
            "StackName": name,
            "TemplateBody": ANY,
            "Parameters": ANY,
            "Capabilities": ["CAPABILITY_IAM"],
            "OnFailure": "ROLLBACK",
        },
    )
    stubber.add_response("describe_stacks", stack(name, "CREATE_COMPLETE"), {"StackName": name})
    stubber.add_response("describe_stacks", stack(name, "CREATE_COMPLETE", outputs))


def stub_destroy(stubber: Stubber, name: str) -> None:
    stubber.add_response("delete_stack", {}, {"StackName": name})
    stubber.add_response("describe_stacks", stack(name, "DELETE_COMPLETE"), {"StackName": name})


MAIN_OUTPUTS = {
    "EchoUrl": ECHO_URL,
    "ApiHost": API_HOST,
    "ConnectionArn": CONNECTION_ARN,
    "RoleArn": ROLE_ARN,
}


def test_the_template_mirrors_the_construct_proxy(verify: ModuleType) -> None:
    template = verify.build_template()
    method = template["Resources"]["ProxyMethod"]["Properties"]
    assert method["AuthorizationType"] == "AWS_IAM"
    assert method["Integration"]["Type"] == "HTTP_PROXY"
    assert method["Integration"]["RequestParameters"] == {
        "integration.request.path.proxy": "method.request.path.proxy",
        "integration.request.header.Authorization": "method.request.header.X-Api-Key",
    }
    api = template["Resources"]["Proxy"]["Properties"]
    assert api["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    assert len(json.dumps(template)) < 51_200  # CloudFormation's TemplateBody limit
    fix = verify.build_fix_template()["Resources"]["ProxyMethod"]["Properties"]
    assert fix["Integration"]["RequestParameters"]["integration.request.header.X-Api-Key"] == "''"


def test_the_echo_answers_what_it_received(verify: ModuleType) -> None:
    namespace: dict[str, Any] = {}
    exec(verify.ECHO_CODE, namespace)  # the inline Lambda code, as Lambda would run it
    event = {"rawPath": "/v1/Jita%20IV/", "rawQueryString": "a=1", "headers": {"x-api-key": "k"}}

    answer = namespace["handler"](event, None)
    body = json.loads(answer["body"])
    assert body == event
    assert answer["headers"]["ETag"] == '"probe-etag"'
    conditional = {**event, "headers": {"if-none-match": '"probe-etag"'}}
    assert namespace["handler"](conditional, None) == {
        "statusCode": 304,
        "headers": {"ETag": '"probe-etag"'},
    }
    big = json.loads(namespace["handler"]({**event, "rawQueryString": "big=1"}, None)["body"])
    assert len(big["padding"]) == 300 * 1024
    throttled = namespace["handler"]({**event, "rawQueryString": "throttle=1"}, None)
    assert (throttled["statusCode"], throttled["headers"]["Retry-After"]) == (429, "7")
    packed = namespace["handler"]({**event, "rawQueryString": "gzip=1"}, None)
    assert (packed["headers"]["Content-Encoding"], packed["isBase64Encoded"]) == ("gzip", True)
    unpacked = gzip.decompress(base64.b64decode(packed["body"]))
    assert json.loads(unpacked) == {"compressed": True}


def test_deploy_waits_for_the_stack_and_returns_its_outputs(verify: ModuleType) -> None:
    cloudformation = client("cloudformation")
    with Stubber(cloudformation) as stubber:
        stub_deploy(stubber, "probe", MAIN_OUTPUTS)
        outputs = verify.deploy(cloudformation, "probe", verify.build_template())
        stubber.assert_no_pending_responses()
    assert outputs == MAIN_OUTPUTS


def test_a_standard_run_is_polled_and_stopped_past_its_wait(verify: ModuleType) -> None:
    sfn = client("stepfunctions")
    arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:p-history"
    execution = "arn:aws:states:eu-west-1:123456789012:execution:p-history:1"
    running = {
        "executionArn": execution, "stateMachineArn": arn, "status": "RUNNING", "startDate": NOW,
    }  # fmt: skip
    with Stubber(sfn) as stubber:
        stubber.add_response("create_state_machine", {"stateMachineArn": arn, "creationDate": NOW})
        stubber.add_response("start_execution", {"executionArn": execution, "startDate": NOW})
        stubber.add_response("describe_execution", running, {"executionArn": execution})
        stubber.add_response("describe_execution", running, {"executionArn": execution})
        stubber.add_response("stop_execution", {"stopDate": NOW})
        stubber.add_response(
            "get_execution_history",
            {"events": [{"timestamp": NOW, "type": "ExecutionAborted", "id": 25000}]},
            {"executionArn": execution, "reverseOrder": True, "maxResults": 1},
        )
        stubber.add_response("delete_state_machine", {}, {"stateMachineArn": arn})
        probe = verify.Probe(sfn, ROLE_ARN, "p", sleep=lambda seconds: None)
        answer = probe.run("history", {}, workflow_type="STANDARD", wait_seconds=5)
        probe.delete_all()
        stubber.assert_no_pending_responses()
    assert answer["status"] == "RUNNING"
    assert answer["history_events"] == 25000


def test_a_role_not_yet_assumable_is_retried(verify: ModuleType) -> None:
    sfn = client("stepfunctions")
    arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:p-x"
    sleeps: list[float] = []
    with Stubber(sfn) as stubber:
        stubber.add_client_error("create_state_machine", service_error_code="AccessDeniedException")
        stubber.add_response("create_state_machine", {"stateMachineArn": arn, "creationDate": NOW})
        probe = verify.Probe(sfn, ROLE_ARN, "p", sleep=sleeps.append)
        assert probe.create("x", {}, "EXPRESS") == arn
    assert sleeps == [10]


def sync_answer(arn: str, output: Any = None, error: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "executionArn": f"{arn}:run",
        "startDate": NOW,
        "stopDate": NOW,
        "status": "FAILED" if error else "SUCCEEDED",
    }
    if error:
        answer.update(error=error, cause="as AWS said")
    else:
        answer["output"] = json.dumps(output)
    return answer


@pytest.fixture
def printed(verify: ModuleType) -> Iterator[list[str]]:
    yield []


class Capture:
    """An expected parameter that matches anything and keeps what it was compared with."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __eq__(self, other: object) -> bool:
        self.values.append(other)
        return True

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = None  # type: ignore[assignment]

    def definitions(self) -> list[dict[str, Any]]:
        return [json.loads(value) for value in self.values]


class Session:
    """A boto3 session handing out the stubbed clients."""

    def __init__(self, **clients: Any) -> None:
        self.clients = clients

    def client(self, name: str) -> Any:
        return self.clients[name]


def add_machine(
    stub: Stubber, arn: str, definitions: Capture, workflow_type: str = "EXPRESS"
) -> None:
    stub.add_response(
        "create_state_machine",
        {"stateMachineArn": arn, "creationDate": NOW},
        {"name": ANY, "definition": definitions, "roleArn": ROLE_ARN, "type": workflow_type},
    )


def add_sync_run(
    stub: Stubber, arn: str, definitions: Capture, output: Any = None, error: str | None = None,
    cause: str = "as AWS said",
) -> None:  # fmt: skip
    add_machine(stub, arn, definitions)
    answer = sync_answer(arn, output, error)
    if error:
        answer["cause"] = cause
    stub.add_response("start_sync_execution", answer)


def add_standard_run(stub: Stubber, arn: str, definitions: Capture, answer: dict[str, Any]) -> None:
    execution = f"{arn}:run".replace(":stateMachine:", ":execution:")
    add_machine(stub, arn, definitions, "STANDARD")
    stub.add_response("start_execution", {"executionArn": execution, "startDate": NOW})
    stub.add_response(
        "describe_execution",
        {"executionArn": execution, "stateMachineArn": arn, "startDate": NOW, **answer},
        {"executionArn": execution},
    )
    stub.add_response(
        "get_execution_history",
        {"events": [{"timestamp": NOW, "type": "ExecutionSucceeded", "id": 9}]},
    )


def add_failed_wait(stub: Stubber, name: str, reason: str) -> None:
    stub.add_response("describe_stacks", stack(name, "ROLLBACK_COMPLETE"), {"StackName": name})
    stub.add_response(
        "describe_stack_events",
        {
            "StackEvents": [
                {
                    "StackId": name, "EventId": "1", "StackName": name,
                    "LogicalResourceId": "ProxyMethod", "Timestamp": NOW,
                    "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": reason,
                }
            ]
        },
        {"StackName": name},
    )  # fmt: skip


def add_wait(stub: Stubber, name: str, outputs: dict[str, str]) -> None:
    stub.add_response("describe_stacks", stack(name, "CREATE_COMPLETE"), {"StackName": name})
    stub.add_response("describe_stacks", stack(name, "CREATE_COMPLETE", outputs))


def history_item(name: str, summary: str, data: str) -> dict[str, Any]:
    return {
        "AlarmName": name, "AlarmType": "MetricAlarm", "Timestamp": NOW,
        "HistoryItemType": "Action", "HistorySummary": summary, "HistoryData": data,
    }  # fmt: skip


ALARMS = {
    "AlarmKeyAlarmSourceArn": "probe-alarm-key-source-arn",
    "AlarmKeyAlarmConstruct": "probe-alarm-key-construct",
    "AlarmKeyAlarmOpen": "probe-alarm-key-open",
}
EXTRA_OUTPUTS = {
    "TableName": "probe-Table-1",
    "MissingTableName": "probe-missing-table",
    "TrimSingleApiHost": "trim1.execute-api.eu-west-1.amazonaws.com",
    "TrimMultiApiHost": "trim2.execute-api.eu-west-1.amazonaws.com",
    "QuoteBackslashApiHost": "quote2.execute-api.eu-west-1.amazonaws.com",
    **ALARMS,
}
SUCCEEDED = "Successfully executed action arn:aws:sns:eu-west-1:123456789012:probe-topic"
FAILED = "Failed to execute action arn:aws:sns:eu-west-1:123456789012:probe-topic"
KMS_DENIED = (
    '{"actionState":"Failed","notificationResource":"arn:aws:sns:eu-west-1:123456789012:t",'
    '"error":"null (Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException)"}'
)


def ask(
    verify: ModuleType, question: str, outputs: dict[str, str], stubs: Any, cloudwatch: Any = None
) -> Any:
    """Answer one question with the stubbed clients; every stubbed answer must be used."""
    sfn, sfn_stub = stubs
    probe = verify.Probe(sfn, ROLE_ARN, "probe", lambda seconds: None, cloudwatch=cloudwatch)
    result = verify.questions({**MAIN_OUTPUTS, **outputs})[question](probe)
    sfn_stub.assert_no_pending_responses()
    return result


@pytest.fixture
def sfn_stubbed() -> Iterator[tuple[Any, Stubber]]:
    sfn = client("stepfunctions")
    with Stubber(sfn) as stub:
        yield sfn, stub


ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:probe-%s"
DYNAMODB_CAUSE = (
    "%s (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: %s; Request ID: R; Proxy: null)"
)


@pytest.mark.parametrize(
    ("unlisted", "reading"),
    [
        ("DynamoDB.AmazonDynamoDBException", "suggests DynamoDB.InternalServerErrorException"),
        ("DynamoDB.ValidationException", "runner's DynamoDB.AmazonDynamoDBException is wrong"),
    ],
)
def test_dynamodb_error_names_provoke_a_listed_and_an_unlisted_error(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber], unlisted: str, reading: str
) -> None:
    """A putItem on a table that does not exist, one on an item without its key: both names
    reported with their causes, and what the unlisted one implies for InternalServerError."""
    definitions = Capture()
    stub = sfn_stubbed[1]
    missing = DYNAMODB_CAUSE % ("Requested resource not found", "ResourceNotFoundException")
    invalid = DYNAMODB_CAUSE % ("Missing the key pk in the item", "ValidationException")
    add_sync_run(
        stub, ARN % 0, definitions, error="DynamoDB.ResourceNotFoundException", cause=missing
    )
    add_sync_run(stub, ARN % 1, definitions, error=unlisted, cause=invalid)

    answer = ask(verify, "dynamodb-error-names", EXTRA_OUTPUTS, sfn_stubbed)

    assert answer["missing table"] == {
        "status": "FAILED", "error": "DynamoDB.ResourceNotFoundException", "cause": missing,
    }  # fmt: skip
    assert answer["item without its key"]["error"] == unlisted
    assert reading in answer["reading"]
    sent = [d["States"]["Probe"] for d in definitions.definitions()]
    assert [s["Resource"] for s in sent] == ["arn:aws:states:::dynamodb:putItem"] * 2
    assert sent[0]["Parameters"]["TableName"] == "probe-missing-table"
    assert sent[1]["Parameters"] == {"TableName": "probe-Table-1", "Item": {"o": {"S": "x"}}}


CHILD_OUTPUT = {
    "ExecutionArn": "arn:aws:states:eu-west-1:123456789012:express:probe-sync-child:1:2",
    "Input": {"from": "parent"}, "InputDetails": {"Included": True},
    "Output": {"child": "done", "input": {"from": "parent"}}, "OutputDetails": {"Included": True},
    "Status": "SUCCEEDED", "StartDate": 1, "StopDate": 2,
}  # fmt: skip


@pytest.mark.parametrize(
    "answer",
    [
        {"status": "SUCCEEDED", "output": json.dumps(CHILD_OUTPUT)},
        {"status": "FAILED", "error": "States.TaskFailed", "cause": "not authorized to perform"},
    ],
)
def test_express_child_sync_runs_a_standard_parent_on_the_probe_child(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber], answer: dict[str, Any]
) -> None:
    """The child is the one machine the role may start; the parent is Standard and waited on;
    its status and the shape of the task's output are reported as AWS gave them."""
    definitions = Capture()
    stub = sfn_stubbed[1]
    stub.add_response(
        "create_state_machine",
        {"stateMachineArn": ARN % "sync-child", "creationDate": NOW},
        {"name": "probe-sync-child", "definition": ANY, "roleArn": ROLE_ARN, "type": "EXPRESS"},
    )
    add_standard_run(stub, ARN % "sync-parent", definitions, answer)

    result = ask(verify, "express-child-sync", {}, sfn_stubbed)

    [parent] = definitions.definitions()
    assert parent["States"]["Probe"]["Resource"] == "arn:aws:states:::states:startExecution.sync:2"
    assert parent["States"]["Probe"]["Parameters"]["StateMachineArn"] == ARN % "sync-child"
    assert result["status"] == answer["status"]
    if answer["status"] == "SUCCEEDED":
        assert result["output keys"] == sorted(CHILD_OUTPUT)
        assert result["output"]["Output"] == {"child": "done", "input": {"from": "parent"}}
    else:
        assert (result["error"], result["cause"]) == ("States.TaskFailed", answer["cause"])
        assert result["output keys"] is None


BATCHES = [
    {"Items": [{"value": 10, "index": 0, "tag": "t"}, {"value": 20, "index": 1, "tag": "t"}]},
    {"Items": [{"value": 30, "index": 2, "tag": "t"}]},
]


@pytest.mark.parametrize(
    ("output", "as_local"), [(BATCHES, True), ([{"Items": [10, 20]}, {"Items": [30]}], False)]
)
def test_batcher_selector_shows_what_each_child_got(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber], output: Any, as_local: bool
) -> None:
    definitions = Capture()
    done = {"status": "SUCCEEDED", "output": json.dumps(output)}
    add_standard_run(sfn_stubbed[1], ARN % verify.BATCHER, definitions, done)

    result = ask(verify, "batcher-selector", {}, sfn_stubbed)

    [parent] = definitions.definitions()
    batched = parent["States"]["Map"]
    assert batched["ItemBatcher"] == {"MaxItemsPerBatch": 2}
    assert batched["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    assert result["output"] == output
    assert result["selector applied to each item, as the local runner does"] is as_local


def test_child_start_rate_shows_how_fast_the_map_run_started_its_children(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    started = [{"at": f"2026-12-07T10:00:{second:02d}.000Z"} for second in range(5) for _ in (1, 2)]
    done = {"status": "SUCCEEDED", "output": json.dumps(started)}
    add_standard_run(sfn_stubbed[1], ARN % verify.START_RATE, definitions, done)

    result = ask(verify, "child-start-rate", {}, sfn_stubbed)

    [parent] = definitions.definitions()
    fanned = parent["States"]["Map"]
    assert fanned["MaxConcurrency"] == verify.START_RATE_CHILDREN
    assert fanned["ItemProcessor"]["ProcessorConfig"] == {
        "Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"
    }  # fmt: skip
    assert parent["States"]["Probe"]["Parameters"] == {
        "items.$": f"States.ArrayRange(1, {verify.START_RATE_CHILDREN}, 1)"
    }
    assert (result["children"], result["spread seconds"], result["children a second"]) == (
        10,
        4.0,
        2.5,
    )


@pytest.mark.parametrize(
    ("body", "every_digit"),
    [('{"id":12345678901234567,"price":0.1000000000000000055511}', True),
     ('{"id":12345678901234568,"price":0.1}', False)],
)  # fmt: skip
def test_jsonata_checked_download_asks_the_catch_and_the_digits(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber], body: str, every_digit: bool
) -> None:
    definitions = Capture()
    stub = sfn_stubbed[1]
    caught = {"key": "k-gzip", "input": {"key": "k-gzip"}}
    add_sync_run(stub, ARN % 0, definitions, caught)
    add_sync_run(stub, ARN % 1, definitions, {"key": "k-bigint", "body": body})
    add_sync_run(stub, ARN % 2, definitions, {"key": "k-bigint", "body": body})

    result = ask(verify, "jsonata-checked-download", {}, sfn_stubbed)

    [gzip_run, digits_run, merged_run] = definitions.definitions()
    assert "$merge([$states.input" in merged_run["States"]["Merge"]["Output"]
    assert merged_run["States"]["Probe"]["Next"] == "Merge"
    probe = gzip_run["States"]["Probe"]
    assert probe["QueryLanguage"] == "JSONata" and "Parameters" not in probe
    assert probe["Arguments"]["QueryParameters"] == {"gzip": ["1"]}
    assert "$error(" in probe["Assign"]["checked"] and "Output" not in probe
    assert probe["Catch"][0]["ErrorEquals"] == ["States.QueryEvaluationError"]
    assert gzip_run["States"]["Read"]["Parameters"]["key.$"] == "$item.key"
    assert digits_run["States"]["Probe"]["Arguments"]["QueryParameters"] == {"bigint": ["1"]}
    assert result["compressed"]["output"] == caught
    assert result["every digit passed on"] is every_digit


@pytest.mark.parametrize(
    ("assigned", "reading"),
    [
        ({"StatusCode": 200, "Headers": {}, "ResponseBody": {}}, "the raw result"),
        ({"StatusCode": 200}, "what ResultSelector kept"),
    ],
)
def test_assign_before_selector_shows_what_assign_saw(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber], assigned: Any, reading: str
) -> None:
    definitions = Capture()
    output = {"assigned": assigned, "output": {"StatusCode": 200}}
    add_sync_run(sfn_stubbed[1], ARN % "assign", definitions, output)

    result = ask(verify, "assign-before-selector", {}, sfn_stubbed)

    assert result == {
        "status": "SUCCEEDED", "error": None, "assigned keys": sorted(assigned), "reading": reading,
    }  # fmt: skip
    [definition] = definitions.definitions()
    download = definition["States"]["Probe"]
    assert download["ResultSelector"] == {"StatusCode.$": "$.StatusCode"}
    assert download["Assign"] == {"whole.$": "$"}
    assert definition["States"]["Show"]["Parameters"]["assigned.$"] == "$whole"


def test_assign_result_path_shows_what_assign_saw_with_each_result_path(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    raw = {"StatusCode": 200, "Headers": {}, "ResponseBody": {}}
    add_sync_run(sfn_stubbed[1], ARN % "assign-null", definitions, {"assigned": {}})
    add_sync_run(sfn_stubbed[1], ARN % "assign-kept", definitions, {"assigned": raw})

    result = ask(verify, "assign-result-path", {}, sfn_stubbed)

    assert result == {
        "null": {"status": "SUCCEEDED", "error": None, "assigned keys": [],
                 "reading": "the state's output"},
        "kept": {"status": "SUCCEEDED", "error": None, "assigned keys": sorted(raw),
                 "reading": "the result"},
    }  # fmt: skip
    first, second = (d["States"]["Probe"] for d in definitions.definitions())
    assert first["ResultPath"] is None and second["ResultPath"] == "$.result"
    assert first["Assign"] == second["Assign"] == {"whole.$": "$"}
    assert "ResultSelector" not in first and "ResultSelector" not in second


def test_compressed_answer_asks_both_transports_what_a_gzip_body_becomes(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    add_sync_run(sfn_stubbed[1], ARN % "http-gzip", definitions, error="States.Runtime")
    garbled = {"StatusCode": 200, "Headers": {"content-encoding": ["gzip"]}, "ResponseBody": "\x1f"}
    add_sync_run(sfn_stubbed[1], ARN % "invoke-gzip", definitions, garbled)

    result = ask(verify, "compressed-answer", {}, sfn_stubbed)

    assert result == {
        "http task": {"status": "FAILED", "error": "States.Runtime", "cause": "as AWS said",
                      "Content-Encoding": "<absent>", "ResponseBody": "None"},
        "apigateway:invoke": {"status": "SUCCEEDED", "error": None, "cause": None,
                              "Content-Encoding": ["gzip"], "ResponseBody": "'\\x1f'"},
    }  # fmt: skip
    http_task, invoke = (d["States"]["Probe"] for d in definitions.definitions())
    assert http_task["Parameters"]["ApiEndpoint"].endswith("/gz?gzip=1")
    assert invoke["Resource"] == "arn:aws:states:::apigateway:invoke"
    assert invoke["Parameters"]["QueryParameters"] == {"gzip": ["1"]}


def test_assign_no_match_shows_what_each_body_assigned(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    add_sync_run(sfn_stubbed[1], ARN % "assign-object", definitions, {"assigned": []})
    add_sync_run(sfn_stubbed[1], ARN % "assign-missing", definitions, error="States.Runtime")

    result = ask(verify, "assign-no-match", {}, sfn_stubbed)

    assert result == {
        "object": {"status": "SUCCEEDED", "error": None, "assigned": []},
        "missing": {"status": "FAILED", "error": "States.Runtime", "assigned": None},
    }
    first, second = definitions.definitions()
    assert first["States"]["Probe"]["Assign"] == {"values.$": "$.ResponseBody[*].updated_at"}
    assert second["States"]["Probe"]["Assign"] == {"values.$": "$.ResponseBody.items[*].updated_at"}


def test_trim_query_mapping_answers_from_the_control_when_the_mapping_is_refused(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    rendered = {"rawQueryString": "type=sell", "missing": "[]"}
    add_sync_run(sfn_stubbed[1], ARN % "trim", definitions, {"ResponseBody": rendered})
    refused = "refused: ProxyMethod: Invalid mapping expression specified: (Waiter failed)"
    outputs = {
        "TrimSingleApiHost": EXTRA_OUTPUTS["TrimSingleApiHost"],
        "TrimMultiStackError": refused,
    }

    result = ask(verify, "trim-query-mapping", outputs, sfn_stubbed)

    assert result["querystring"]["rendered"] == rendered
    assert result["multivaluequerystring"] == refused
    [params] = [d["States"]["Probe"]["Parameters"] for d in definitions.definitions()]
    assert params["ApiEndpoint"] == EXTRA_OUTPUTS["TrimSingleApiHost"]
    assert params["QueryParameters"] == {"type": ["sell", "buy"]}


def test_trim_query_mapping_asks_both_stacks_when_both_deploy(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    add_sync_run(sfn_stubbed[1], ARN % "t1", definitions, {"ResponseBody": {"missing": "[]"}})
    add_sync_run(sfn_stubbed[1], ARN % "t2", definitions, error="ApiGateway.500", cause="{}")

    result = ask(verify, "trim-query-mapping", EXTRA_OUTPUTS, sfn_stubbed)

    assert result["querystring"]["rendered"] == {"missing": "[]"}
    assert result["multivaluequerystring"] == {
        "deployed": True, "status": "FAILED", "error": "ApiGateway.500", "cause": "{}",
        "rendered": None,
    }  # fmt: skip


def test_proxy_query_encoding_reports_the_raw_query_beside_the_local_choice(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    raw = "space=a%20b&plus=a%2Bb&accent=%C3%A9&slash=a%2Fb"
    add_sync_run(sfn_stubbed[1], ARN % "q", definitions, {"ResponseBody": {"rawQueryString": raw}})

    result = ask(verify, "proxy-query-encoding", {}, sfn_stubbed)

    assert result["rawQueryString"] == raw
    assert result["local runner (urlencode)"] == "space=a+b&plus=a%2Bb&accent=%C3%A9&slash=a%2Fb"
    [params] = [d["States"]["Probe"]["Parameters"] for d in definitions.definitions()]
    assert params["QueryParameters"] == {
        "space": ["a b"], "plus": ["a+b"], "accent": ["é"], "slash": ["a/b"],
    }  # fmt: skip


@pytest.mark.parametrize("carries_source_arn", [True, False])
def test_alarm_key_source_arn_reads_each_alarms_action_history(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber], carries_source_arn: bool
) -> None:
    """Each alarm is set to ALARM, then its Action history read: success or failure as
    CloudWatch records it (the open key succeeds either way)."""
    cloudwatch = client("cloudwatch")
    with Stubber(cloudwatch) as stub:
        for name in ALARMS.values():
            stub.add_response(
                "set_alarm_state",
                {},
                {"AlarmName": name, "StateValue": "ALARM", "StateReason": ANY},
            )
        for name in ALARMS.values():
            works = carries_source_arn or name.endswith("open")
            item = (
                history_item(name, SUCCEEDED, "{}")
                if works
                else history_item(name, FAILED, KMS_DENIED)
            )
            stub.add_response(
                "describe_alarm_history",
                {"AlarmHistoryItems": [item]},
                {"AlarmName": name, "HistoryItemType": "Action", "MaxRecords": 10},
            )
        result = ask(verify, "alarm-key-source-arn", ALARMS, sfn_stubbed, cloudwatch)
        stub.assert_no_pending_responses()
    assert result["open"]["summary"] == SUCCEEDED
    for variant in ("source-arn", "construct"):
        assert result[variant]["summary"] == (SUCCEEDED if carries_source_arn else FAILED)
    if not carries_source_arn:
        assert "AccessDeniedException" in result["source-arn"]["data"]


def test_alarm_key_source_arn_waits_then_says_no_action_was_recorded(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    cloudwatch = client("cloudwatch")
    polls = int(verify.ALARM_WAIT_SECONDS / 10) + 1
    with Stubber(cloudwatch) as stub:
        for _ in ALARMS:
            stub.add_response("set_alarm_state", {})
        for n, name in enumerate(ALARMS.values()):
            for _ in range(polls if n == 0 else 1):
                items = [] if n == 0 else [history_item(name, SUCCEEDED, "{}")]
                stub.add_response("describe_alarm_history", {"AlarmHistoryItems": items})
        result = ask(verify, "alarm-key-source-arn", ALARMS, sfn_stubbed, cloudwatch)
        stub.assert_no_pending_responses()
    assert result["source-arn"] == "no action recorded within 120 s"
    assert result["construct"]["summary"] == SUCCEEDED


def test_alarm_key_source_arn_reports_a_refused_stack(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    refused = {"AlarmKeyStackError": "refused: KeySourceArn: policy invalid"}
    assert (
        ask(verify, "alarm-key-source-arn", refused, sfn_stubbed) == refused["AlarmKeyStackError"]
    )


def test_header_value_quote_reports_a_refusal_and_what_the_echo_received(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    echo = {"rawPath": "/v1/quote", "headers": {"x-probe-quote": "it\\'s"}}
    add_sync_run(sfn_stubbed[1], ARN % "quote", definitions, {"ResponseBody": echo})
    outputs = {
        "QuoteDoubledStackError": "refused: ProxyMethod: Invalid mapping expression specified",
        "QuoteBackslashApiHost": EXTRA_OUTPUTS["QuoteBackslashApiHost"],
    }

    result = ask(verify, "header-value-quote", outputs, sfn_stubbed)

    assert result == {
        "'it''s'": outputs["QuoteDoubledStackError"],
        "'it\\'s'": {"deployed": True, "status": "SUCCEEDED", "error": None, "received": "it\\'s"},
    }
    [params] = [d["States"]["Probe"]["Parameters"] for d in definitions.definitions()]
    assert params["ApiEndpoint"] == EXTRA_OUTPUTS["QuoteBackslashApiHost"]


def test_query_secret_reports_the_query_the_echo_received(
    verify: ModuleType, sfn_stubbed: tuple[Any, Stubber]
) -> None:
    definitions = Capture()
    echo = {"rawPath": "/v1/weather", "rawQueryString": "q=London&appid=pk%2B%2F%3D~%C3%A9"}
    add_sync_run(sfn_stubbed[1], ARN % "query", definitions, {"ResponseBody": echo})
    outputs = {"QuerySecretApiHost": "query.execute-api.eu-west-1.amazonaws.com"}

    result = ask(verify, "query-secret", outputs, sfn_stubbed)

    assert result == {
        "status": "SUCCEEDED", "error": None, "rawQueryString": echo["rawQueryString"],
        "local runner (urlencode)": "q=London&appid=pk%2B%2F%3D~%C3%A9",
    }  # fmt: skip
    [params] = [d["States"]["Probe"]["Parameters"] for d in definitions.definitions()]
    assert params["ApiEndpoint"] == outputs["QuerySecretApiHost"]
    assert params["QueryParameters"] == {"q": ["London"]}
    template = verify.build_query_secret_template()
    mapping = template["Resources"]["ProxyMethod"]["Properties"]["Integration"]
    assert mapping["RequestParameters"]["integration.request.querystring.appid"] == "'pk+/=~é'"


def statements_of(template: dict[str, Any]) -> list[dict[str, Any]]:
    [policy] = template["Resources"]["Role"]["Properties"]["Policies"]
    return list(policy["PolicyDocument"]["Statement"])


def test_the_role_may_do_only_what_the_new_probes_need(verify: ModuleType) -> None:
    """PutItem on the probe table and the missing table's name only; the documented
    startExecution.sync permissions on the one child machine and its executions only."""
    by_action = {
        json.dumps(s["Action"]): s["Resource"] for s in statements_of(verify.build_template())
    }
    sub = "arn:${AWS::Partition}:%s:${AWS::Region}:${AWS::AccountId}:%s"
    assert by_action['"dynamodb:PutItem"'] == [
        {"Fn::GetAtt": ["Table", "Arn"]},
        {"Fn::Sub": sub % ("dynamodb", "table/${AWS::StackName}-missing-table")},
    ]
    child = "${AWS::StackName}-" + verify.SYNC_CHILD
    assert by_action['"states:StartExecution"'] == {
        "Fn::Sub": sub % ("states", f"stateMachine:{child}")
    }
    described = [
        s["Resource"] for s in statements_of(verify.build_template())
        if s["Action"] == ["states:DescribeExecution", "states:StopExecution"]
    ]  # fmt: skip
    assert described[0] == {"Fn::Sub": sub % ("states", f"execution:{child}:*")}
    batcher = "${AWS::StackName}-" + verify.BATCHER  # the Distributed Maps start their children
    rate = "${AWS::StackName}-" + verify.START_RATE
    assert [
        s["Resource"] for s in statements_of(verify.build_template())
        if s["Action"] == ["states:StartExecution"]
    ] == [
        {"Fn::Sub": sub % ("states", f"stateMachine:{batcher}")},
        {"Fn::Sub": sub % ("states", f"stateMachine:{rate}")},
    ]  # fmt: skip
    assert described[1:] == [
        {"Fn::Sub": sub % ("states", f"execution:{batcher}/*")},
        {"Fn::Sub": sub % ("states", f"execution:{rate}/*")},
    ]
    assert by_action['["events:PutTargets", "events:PutRule", "events:DescribeRule"]'] == {
        "Fn::Sub": sub % ("events", "rule/StepFunctionsGetEventsForStepFunctionsExecutionRule")
    }
    # No new statement grants a whole service or every resource.
    for statement in verify.probe_statements():
        assert statement["Resource"] != "*"
        assert not any(
            action.endswith(":*") for action in json.dumps(statement["Action"]).split('"')
        )
    outputs = verify.build_template()["Outputs"]
    assert outputs["MissingTableName"]["Value"] == {"Fn::Sub": "${AWS::StackName}-missing-table"}


def test_the_alarm_key_stack_pairs_each_key_with_its_alarm(verify: ModuleType) -> None:
    template = verify.build_alarm_key_template()
    resources = template["Resources"]
    alarm_arn = "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:%s"
    expected = {
        "SourceArn": {
            "ArnEquals": {"aws:SourceArn": {"Fn::Sub": alarm_arn % "${AWS::StackName}-source-arn"}}
        },
        "Construct": {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
            "ArnLike": {"aws:SourceArn": {"Fn::Sub": alarm_arn % "*"}},
        },
        "Open": None,
    }  # fmt: skip
    for part, condition in expected.items():
        key = resources[f"Key{part}"]["Properties"]
        assert key["PendingWindowInDays"] == 7  # the minimum: deletion scheduled at destroy
        admin, publisher = key["KeyPolicy"]["Statement"]
        assert admin["Principal"] == {
            "AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
        }
        assert publisher["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
        assert publisher["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
        assert publisher.get("Condition") == condition
        topic = resources[f"Topic{part}"]["Properties"]
        assert topic["KmsMasterKeyId"] == {"Fn::GetAtt": [f"Key{part}", "Arn"]}
        alarm = resources[f"Alarm{part}"]["Properties"]
        assert alarm["AlarmActions"] == [{"Ref": f"Topic{part}"}]
        assert template["Outputs"][f"Alarm{part}"] == {"Value": {"Ref": f"Alarm{part}"}}
    # The source-arn key names exactly the alarm that uses it.
    name = resources["AlarmSourceArn"]["Properties"]["AlarmName"]["Fn::Sub"]
    assert expected["SourceArn"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"].endswith(f":alarm:{name}")


def test_the_trimming_stacks_differ_only_by_the_query_source(verify: ModuleType) -> None:
    single, multi = (
        verify.build_trim_template(s) for s in ("querystring", "multivaluequerystring")
    )
    for template, source in ((single, "querystring"), (multi, "multivaluequerystring")):
        method = template["Resources"]["ProxyMethod"]["Properties"]
        assert method["RequestParameters"]["method.request.querystring.type"] is False
        integration = method["Integration"]
        assert integration["Type"] == "HTTP"  # non-proxy, as trim.py builds it
        assert integration["RequestParameters"]["integration.request.querystring.type"] == (
            f"method.request.{source}.type"
        )
        [response] = integration["IntegrationResponses"]
        assert "$input.json('$.missing')" in response["ResponseTemplates"]["application/json"]
    assert json.dumps(single).replace('method.request.querystring.type"}', "") != json.dumps(multi)


def test_the_quote_stacks_map_a_static_value_holding_a_quote(verify: ModuleType) -> None:
    for value in ("'it''s'", "'it\\'s'"):
        method = verify.build_quote_template(value)["Resources"]["ProxyMethod"]["Properties"]
        assert (
            method["Integration"]["RequestParameters"]["integration.request.header.X-Probe-Quote"]
            == value
        )
    assert set(verify.QUOTED_VALUES.values()) == {"'it''s'", "'it\\'s'"}


def test_the_echo_template_renders_what_missing_returns_as_json_text(verify: ModuleType) -> None:
    """Whatever ``$input.json`` gives (nothing, null, "") the rendered answer stays JSON."""
    for text in ("", "null", '""'):
        escaped = text.replace('"', '\\"')  # what $util.escapeJavaScript does to it
        rendered = verify.TRIM_TEMPLATE.replace(
            "$input.json('$.rawQueryString')", '"type=sell"'
        ).replace("$util.escapeJavaScript($input.json('$.missing'))", escaped)
        assert json.loads(rendered)["missing"] == f"[{text}]"


EXTRA_NAMES = ["probe-fix", "probe-trim-single", "probe-trim-multi", "probe-quote-doubled",
               "probe-quote-backslash", "probe-alarm-key", "probe-query-secret"]  # fmt: skip


def test_main_asks_every_question_then_deletes_everything(
    verify: ModuleType, printed: list[str]
) -> None:
    """The whole flow: every stack, one state machine per probe, every answer printed, and
    every state machine and every stack deleted (two extra stacks refused, as AWS might)."""
    cloudformation, sfn, cloudwatch = (
        client("cloudformation"), client("stepfunctions"), client("cloudwatch")
    )  # fmt: skip
    echo = {"rawPath": "/v1/names/Jita%20IV/", "rawQueryString": "static=1", "headers": {}}
    created: list[str] = []
    extra = {
        "probe-trim-single": {"ApiHost": EXTRA_OUTPUTS["TrimSingleApiHost"]},
        "probe-trim-multi": {"ApiHost": EXTRA_OUTPUTS["TrimMultiApiHost"]},
        "probe-quote-backslash": {"ApiHost": EXTRA_OUTPUTS["QuoteBackslashApiHost"]},
        "probe-alarm-key": {k.removeprefix("AlarmKey"): v for k, v in ALARMS.items()},
        "probe-query-secret": {"ApiHost": "query.execute-api.eu-west-1.amazonaws.com"},
    }
    definitions = Capture()

    with (
        Stubber(cloudformation) as cfn_stub,
        Stubber(sfn) as sfn_stub,
        Stubber(cloudwatch) as cw_stub,
    ):
        stub_deploy(cfn_stub, "probe", {**MAIN_OUTPUTS, "TableName": "probe-Table-1",
                                        "MissingTableName": "probe-missing-table"})  # fmt: skip
        for name in EXTRA_NAMES:  # all asked for at once ...
            host = {"ParameterKey": "EchoHost", "ParameterValue": ECHO_URL.split("/")[2]}
            parameters = [] if name == "probe-alarm-key" else [host]
            cfn_stub.add_response(
                "create_stack", {"StackId": name},
                {"StackName": name, "TemplateBody": ANY, "Parameters": parameters,
                 "Capabilities": ["CAPABILITY_IAM"], "OnFailure": "ROLLBACK"},
            )  # fmt: skip
        for name in EXTRA_NAMES:  # ... then waited for
            if name in extra:
                add_wait(cfn_stub, name, extra[name])
            else:
                add_failed_wait(cfn_stub, name, "Invalid mapping expression specified")

        def run(output: Any = None, error: str | None = None) -> None:
            arn = ARN % len(created)
            created.append(arn)
            add_sync_run(sfn_stub, arn, definitions, output, error)

        body = {"ResponseBody": echo, "Headers": {}}
        # headers, query, computed query, slash, encoding (5 paths), remap (fix refused)
        for _ in range(1 + 1 + 1 + 2 + 5 + 1):
            run(body)
        run(error="States.DataLimitExceeded")  # the first catch probe: not caught, as documented
        for _ in range(3 + 1 + 1):  # the other catch probes, the inline map, the array range
            run(body)
        for _ in range(3):  # throttled answers: HTTP Task, apigateway:invoke, the HTTP-date
            run(body)
        for _ in range(2):
            sfn_stub.add_client_error(
                "create_state_machine",
                service_error_code="InvalidDefinition",
                service_message="Express state machine does not support '.sync'",
            )
        # conditional-304: a 200 with an ETag, then ApiGateway.304 (as the guide documents).
        run({"ResponseBody": echo, "Headers": {"ETag": ['"probe-etag"']}, "StatusCode": 200})
        run(error="ApiGateway.304")
        run(error="DynamoDB.ResourceNotFoundException")
        run(error="DynamoDB.AmazonDynamoDBException")
        for workflow in ("EXPRESS", "STANDARD"):  # the sync child, then its parent
            arn = ARN % len(created)
            created.append(arn)
            if workflow == "EXPRESS":
                add_machine(sfn_stub, arn, definitions)
            else:
                done = {"status": "SUCCEEDED", "output": json.dumps(CHILD_OUTPUT)}
                add_standard_run(sfn_stub, arn, definitions, done)
        run({"assigned": {"StatusCode": 200, "ResponseBody": {}}, "output": {}})
        run({"assigned": {}})  # assign-result-path: ResultPath null ...
        run({"assigned": {"StatusCode": 200, "ResponseBody": {}}})  # ... and $.result
        run({"assigned": []})  # assign-no-match: a wildcard over an object's values
        run(error="States.Runtime")  # ... and over a missing parent
        run({"ResponseBody": {"missing": "[]"}})
        run({"ResponseBody": {"missing": "[]"}})
        run(body)  # the query encoding
        for _ in ALARMS:
            cw_stub.add_response("set_alarm_state", {})
        for name in ALARMS.values():
            items = [history_item(name, SUCCEEDED, "{}")]
            cw_stub.add_response("describe_alarm_history", {"AlarmHistoryItems": items})
        run({"ResponseBody": {"headers": {"X-Probe-Quote": "it's"}}})  # backslash; doubled refused
        run({"ResponseBody": {"rawQueryString": "q=London&appid=pk%2B%2F%3D~%C3%A9"}})
        run(error="States.Runtime")  # compressed-answer: the HTTP Task, then the proxy
        run({"ResponseBody": "\x1f", "Headers": {"Content-Encoding": ["gzip"]}, "StatusCode": 200})
        arn = ARN % len(created)  # batcher-selector: a Standard parent, waited on
        created.append(arn)
        add_standard_run(sfn_stub, arn, definitions, {"status": "SUCCEEDED", "output": "[]"})
        run({"failure": {"Error": "States.QueryEvaluationError"}})  # jsonata-checked-download
        run({"key": "k-bigint", "body": "{}"})
        run({"key": "k-bigint", "body": "{}"})  # ... through a merging JSONata Output
        run(error="ApiGateway.500")  # trim-compressed: both trimming stacks
        run(error="ApiGateway.500")
        run({"sk": "2026-11-27T05:30:00Z#a=b"})  # variables-in-jsonpath
        for answer in ["valid", *["invalid"] * 5]:  # input-check: one run a time sent
            run(answer)
        arn = ARN % len(created)  # child-start-rate: a Standard parent, waited on
        created.append(arn)
        add_standard_run(sfn_stub, arn, definitions, {"status": "SUCCEEDED", "output": "[]"})
        run([{"n": 1, "seven": 7}, {"n": 2, "seven": 7}])  # map-items: the iterations' language
        run(error="States.DataLimitExceeded")  # ... and 300 KiB of items
        for arn in created:
            sfn_stub.add_response("delete_state_machine", {}, {"stateMachineArn": arn})
        everything = [*reversed(EXTRA_NAMES), "probe"]
        for name in everything:
            cfn_stub.add_response("delete_stack", {}, {"StackName": name})
        for name in everything:
            cfn_stub.add_response(
                "describe_stacks", stack(name, "DELETE_COMPLETE"), {"StackName": name}
            )

        session = Session(cloudformation=cloudformation, stepfunctions=sfn, cloudwatch=cloudwatch)
        code = verify.main(
            ["--stack-name", "probe", "--skip", "history-quota"],
            session=session, sleep=lambda seconds: None, emit=printed.append,
        )  # fmt: skip

        cfn_stub.assert_no_pending_responses()
        sfn_stub.assert_no_pending_responses()
        cw_stub.assert_no_pending_responses()
    assert code == 0
    text = "\n".join(printed)
    for question in set(verify.QUESTIONS) - {"history-quota"}:
        assert f"{question}: " in text
    assert "InvalidDefinition: Express state machine does not support '.sync'" in text
    assert "refused: ProxyMethod: Invalid mapping expression specified" in text
    assert '"DataLimitExceeded, Catch States.ALL": {\n    "status": "FAILED"' in text
    assert '"reading": "unlisted codes take the SDK\'s generic exception' in text
    assert '"received": "it\'s"' in text
    assert '"rawQueryString": "q=London&appid=pk%2B%2F%3D~%C3%A9"' in text
    assert "probe failed" not in text
    assert "Could not delete" not in text
    assert '"with If-None-Match": {\n    "status": "FAILED",\n    "error": "ApiGateway.304"' in text
    assert printed[-8:] == [f"Deleting {name} ..." for name in everything]


def test_skipped_questions_deploy_no_extra_stack_and_a_failed_probe_hides_no_other(
    verify: ModuleType, printed: list[str]
) -> None:
    """Only the main stack for the two questions asked; the first probe's failure is
    printed, the second still answers, and the stack is deleted."""
    cloudformation, sfn = client("cloudformation"), client("stepfunctions")
    asked = {"array-range", "proxy-query-encoding"}
    skip = [arg for q in verify.QUESTIONS if q not in asked for arg in ("--skip", q)]
    with Stubber(cloudformation) as cfn_stub, Stubber(sfn) as sfn_stub:
        stub_deploy(cfn_stub, "probe", MAIN_OUTPUTS)
        sfn_stub.add_client_error("create_state_machine", service_error_code="InvalidDefinition")
        arn = ARN % "q"
        add_sync_run(sfn_stub, arn, Capture(), {"ResponseBody": {"rawQueryString": "space=a%20b"}})
        sfn_stub.add_response("delete_state_machine", {}, {"stateMachineArn": arn})
        stub_destroy(cfn_stub, "probe")
        session = Session(cloudformation=cloudformation, stepfunctions=sfn, cloudwatch=None)
        assert verify.main(["--stack-name", "probe", *skip], session=session,
                           sleep=lambda seconds: None, emit=printed.append) == 0  # fmt: skip
        cfn_stub.assert_no_pending_responses()
        sfn_stub.assert_no_pending_responses()
    text = "\n".join(printed)
    assert 'array-range: "probe failed: InvalidDefinition' in text
    assert '"rawQueryString": "space=a%20b"' in text
    assert [line for line in printed if "delet" in line.lower()] == ["Deleting probe ..."]


def test_keep_deletes_nothing_and_names_what_it_kept(
    verify: ModuleType, printed: list[str]
) -> None:
    cloudformation, sfn = client("cloudformation"), client("stepfunctions")
    skip = [arg for q in verify.QUESTIONS if q != "alarm-key-source-arn" for arg in ("--skip", q)]
    with Stubber(cloudformation) as cfn_stub:
        stub_deploy(cfn_stub, "probe", MAIN_OUTPUTS)
        stub_deploy(
            cfn_stub, "probe-alarm-key", {k.removeprefix("AlarmKey"): v for k, v in ALARMS.items()}
        )
        cloudwatch = client("cloudwatch")
        session = Session(cloudformation=cloudformation, stepfunctions=sfn, cloudwatch=cloudwatch)
        with Stubber(cloudwatch) as cw_stub:
            for _ in ALARMS:
                cw_stub.add_response("set_alarm_state", {})
            for name in ALARMS.values():
                items = [history_item(name, SUCCEEDED, "{}")]
                cw_stub.add_response("describe_alarm_history", {"AlarmHistoryItems": items})
            verify.main(
                ["--stack-name", "probe", "--keep", *skip], session=session, emit=printed.append
            )
        cfn_stub.assert_no_pending_responses()  # and no deletion asked for
    assert printed[-1].startswith("Kept probe, probe-alarm-key: delete them when done")


def test_a_stack_that_fails_to_delete_keeps_no_other(
    verify: ModuleType, printed: list[str]
) -> None:
    cloudformation = client("cloudformation")
    with Stubber(cloudformation) as stub:
        stub.add_client_error("delete_stack", service_error_code="AccessDenied")
        stub.add_response("delete_stack", {}, {"StackName": "probe"})
        stub.add_response("describe_stacks", stack("probe", "DELETE_COMPLETE"))
        failed = verify.destroy(cloudformation, "probe-alarm-key", "probe", emit=printed.append)
        stub.assert_no_pending_responses()
    assert failed == ["probe-alarm-key"]
    assert printed[0] == "Deleting probe-alarm-key ..."
    assert printed[1].startswith(
        "Could not delete probe-alarm-key: An error occurred (AccessDenied)"
    )
    assert printed[2] == "Deleting probe ..."


def test_main_deletes_the_stack_when_it_fails_to_deploy(
    verify: ModuleType, printed: list[str]
) -> None:
    cloudformation, sfn = client("cloudformation"), client("stepfunctions")
    with Stubber(cloudformation) as cfn_stub:
        cfn_stub.add_response("create_stack", {"StackId": "probe"})
        cfn_stub.add_response("describe_stacks", stack("probe", "ROLLBACK_COMPLETE"))
        cfn_stub.add_response("describe_stack_events", {"StackEvents": []})
        stub_destroy(cfn_stub, "probe")
        session = Session(cloudformation=cloudformation, stepfunctions=sfn)
        with pytest.raises(Exception, match="Waiter StackCreateComplete failed"):
            verify.main(["--stack-name", "probe"], session=session, emit=printed.append)
        cfn_stub.assert_no_pending_responses()
    assert "Stack probe failed: no failed resource recorded" in printed
    assert printed[-1] == "Deleting probe ..."
