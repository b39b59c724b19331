"""scripts/verify_on_aws.py, proven without an account: botocore Stubbers answer every call
(and check each request and response against the service models), nothing reaches AWS."""

from __future__ import annotations

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


def test_main_asks_every_question_then_deletes_everything(
    verify: ModuleType, printed: list[str]
) -> None:
    """The whole flow: both stacks, one state machine per probe, every answer printed, and
    every state machine and both stacks deleted (the fix stack refused, as AWS might)."""
    cloudformation, sfn = client("cloudformation"), client("stepfunctions")
    echo = {"rawPath": "/v1/names/Jita%20IV/", "rawQueryString": "static=1", "headers": {}}
    created: list[str] = []

    with Stubber(cloudformation) as cfn_stub, Stubber(sfn) as sfn_stub:
        stub_deploy(cfn_stub, "probe", MAIN_OUTPUTS)
        cfn_stub.add_response("create_stack", {"StackId": "probe-fix"})
        cfn_stub.add_response("describe_stacks", stack("probe-fix", "ROLLBACK_COMPLETE"))
        cfn_stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    {
                        "StackId": "probe-fix", "EventId": "1", "StackName": "probe-fix",
                        "LogicalResourceId": "ProxyMethod", "Timestamp": NOW,
                        "ResourceStatus": "CREATE_FAILED",
                        "ResourceStatusReason": "Invalid mapping expression specified",
                    }
                ]
            },
        )  # fmt: skip
        sync_probes = 1 + 1 + 2 + 3 + 1 + 4 + 1 + 1  # the fix stack failed: one remap probe
        for n in range(sync_probes):
            arn = f"arn:aws:states:eu-west-1:123456789012:stateMachine:probe-{n}"
            created.append(arn)
            sfn_stub.add_response(
                "create_state_machine",
                {"stateMachineArn": arn, "creationDate": NOW},
                {"name": ANY, "definition": ANY, "roleArn": ROLE_ARN, "type": "EXPRESS"},
            )
            if n == 8:  # the catch probes: the first one not caught, as AWS documents
                sfn_stub.add_response(
                    "start_sync_execution", sync_answer(arn, error="States.DataLimitExceeded")
                )
            else:
                sfn_stub.add_response(
                    "start_sync_execution", sync_answer(arn, {"ResponseBody": echo, "Headers": {}})
                )
        for _ in range(2):
            sfn_stub.add_client_error(
                "create_state_machine",
                service_error_code="InvalidDefinition",
                service_message="Express state machine does not support '.sync'",
            )
        # conditional-304: a 200 with an ETag, then ApiGateway.304 (as the guide documents).
        for n, answer in enumerate(({"error": None}, {"error": "ApiGateway.304"})):
            arn = f"arn:aws:states:eu-west-1:123456789012:stateMachine:cond-{n}"
            created.append(arn)
            sfn_stub.add_response(
                "create_state_machine", {"stateMachineArn": arn, "creationDate": NOW},
                {"name": ANY, "definition": ANY, "roleArn": ROLE_ARN, "type": "EXPRESS"},
            )  # fmt: skip
            if answer["error"]:
                sfn_stub.add_response(
                    "start_sync_execution", sync_answer(arn, error="ApiGateway.304")
                )
            else:
                sfn_stub.add_response("start_sync_execution", sync_answer(
                    arn, {"ResponseBody": echo, "Headers": {"ETag": ['"probe-etag"']},
                          "StatusCode": 200}))  # fmt: skip
        for arn in created:
            sfn_stub.add_response("delete_state_machine", {}, {"stateMachineArn": arn})
        stub_destroy(cfn_stub, "probe-fix")
        stub_destroy(cfn_stub, "probe")

        session = type("Session", (), {"client": lambda self, name: {
            "cloudformation": cloudformation, "stepfunctions": sfn}[name]})()  # fmt: skip
        code = verify.main(
            ["--stack-name", "probe", "--skip", "history-quota"],
            session=session, sleep=lambda seconds: None, emit=printed.append,
        )  # fmt: skip

        cfn_stub.assert_no_pending_responses()
        sfn_stub.assert_no_pending_responses()
    assert code == 0
    text = "\n".join(printed)
    for question in set(verify.QUESTIONS) - {"history-quota"}:
        assert f"{question}: " in text
    assert "InvalidDefinition: Express state machine does not support '.sync'" in text
    assert "refused: ProxyMethod: Invalid mapping expression specified" in text
    assert '"DataLimitExceeded, Catch States.ALL": {\n    "status": "FAILED"' in text
    assert "probe failed" not in text
    assert '"with If-None-Match": {\n    "status": "FAILED",\n    "error": "ApiGateway.304"' in text
    assert printed[-2:] == ["Deleting probe-fix ...", "Deleting probe ..."]


def test_main_deletes_the_stack_when_it_fails_to_deploy(
    verify: ModuleType, printed: list[str]
) -> None:
    cloudformation, sfn = client("cloudformation"), client("stepfunctions")
    with Stubber(cloudformation) as cfn_stub:
        cfn_stub.add_response("create_stack", {"StackId": "probe"})
        cfn_stub.add_response("describe_stacks", stack("probe", "ROLLBACK_COMPLETE"))
        cfn_stub.add_response("describe_stack_events", {"StackEvents": []})
        stub_destroy(cfn_stub, "probe")
        session = type("Session", (), {"client": lambda self, name: {
            "cloudformation": cloudformation, "stepfunctions": sfn}[name]})()  # fmt: skip
        with pytest.raises(Exception, match="Waiter StackCreateComplete failed"):
            verify.main(["--stack-name", "probe"], session=session, emit=printed.append)
        cfn_stub.assert_no_pending_responses()
    assert "Stack probe failed: no failed resource recorded" in printed
    assert printed[-1] == "Deleting probe ..."
