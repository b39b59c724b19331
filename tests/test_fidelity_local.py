"""The local runner applies AWS's rules where moto 5.2.5 is more lenient (issue 12).

Each test runs something locally and expects the status and error name AWS documents; the page
title is in the test's docstring. Synthesized downloaders show the rules where the construct
meets them; hand-built definitions (run in the runner's own moto setup) show the rest.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any
from unittest import mock

import aws_cdk as cdk
import pytest

from local_helpers import Answer, DefinitionRunner, Seen, Upstream, answers
from sfn_downloader import AuthHeader, Concurrency, DownloaderPattern, FanOut, ItemField
from sfn_downloader.local import LocalRunner, LocalRunnerError
from sfn_downloader.local import _moto_fidelity as fidelity
from sfn_downloader.local._api_gateway import encode_path
from sfn_downloader.local._runner import local_aws
from sfn_downloader.local._template import stacks_of

T0 = "2026-11-27T05:30:00Z"
KIB = 1024
BIG = "x" * (300 * KIB)
RETRIER_TIME = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl.time"


# --- synthesized downloaders ------------------------------------------------------------------


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """One app, one stack per downloader: synthesized once for the module."""
    app = cdk.App()
    selected = {"value.$": "$.ResponseBody.value"}
    item = {"value": ItemField.number("$.value")}
    DownloaderPattern(
        cdk.Stack(app, "Fanout"), "Many", endpoint="https://api.example.com",
        fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(3)]), result_selector=selected,
        item=item,
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Distributed"), "Many", endpoint="https://api.example.com",
        fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(3)]),
        concurrency=Concurrency.distributed(
            50, child_workflow_type=cdk.aws_stepfunctions.StateMachineType.STANDARD
        ),
        result_selector=selected, item=item,
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Remap"), "Private", endpoint="https://api.example.com",
        path="/v1/private", item={"value": ItemField.number("$.ResponseBody.value")},
        auth_header=AuthHeader.remap("X-Api-Key", cdk.SecretValue.secrets_manager("eve/token")),
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Encoded"), "Station", endpoint="https://api.example.com",
        path="/v1/names/Jita%20IV/", item={"value": ItemField.number("$.ResponseBody.value")},
    )  # fmt: skip
    return app


def one_big_answer(seen: Seen) -> Answer:
    """Item 1's answer is over 256 KiB; the others are small."""
    if seen.path.endswith("/1"):
        return Answer(200, {"value": 1, "padding": BIG})
    return Answer(200, {"value": int(seen.path.rsplit("/", 1)[-1])})


@pytest.mark.parametrize("pattern", ["Fanout/Many", "Distributed/Many"])
def test_one_answer_over_256_kib_is_recorded_and_the_others_are_stored(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, pattern: str
) -> None:
    """ "Handling errors in Step Functions workflows": States.ALL "can't catch the
    States.DataLimitExceeded terminal error", and "Map workflow state": an unhandled iteration
    error fails the whole Map state (a Distributed Map's run fails past its tolerated failures,
    States.ExceedToleratedFailureThreshold). The construct names States.DataLimitExceeded in the
    iteration's catcher, so one oversized answer loses only its own item, on both Maps."""
    upstream.respond(one_big_answer)
    runner = open_runner(pattern, fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    assert json.loads(execution.cause or "") == [
        {"ok": False, "key": "/v1/items/1", "error": "States.DataLimitExceeded"}
    ]
    assert [item["sk"] for item in answers(runner)] == [f"{T0}#/v1/items/0", f"{T0}#/v1/items/2"]


def _remap_template(app: cdk.App) -> dict[str, Any]:
    """The Remap stack's template without the construct's mapping of the custom header (0.1)."""
    [stack] = stacks_of(app.node.find_child("Remap"))
    template = copy.deepcopy(dict(stack.template))
    for resource in template["Resources"].values():
        mapping = resource.get("Properties", {}).get("Integration", {}).get("RequestParameters")
        if resource["Type"] == "AWS::ApiGateway::Method" and mapping:
            mapping.pop("integration.request.header.X-Api-Key", None)
    return template


def test_remap_forwards_the_custom_header_as_well_as_authorization(
    app: cdk.App, upstream: Upstream
) -> None:
    """ "HTTP integrations for REST APIs in API Gateway": with HTTP proxy integration "The
    request data that is passed through includes the request headers": without a mapping of
    its own, the mapped header's source reaches the backend too. (The emulation dropped it.)"""
    upstream.script(default=Answer(200, {"value": 1}))
    template = _remap_template(app)

    with LocalRunner(template, upstream=upstream.url, secrets={"eve/token": "s3cr3t"}) as runner:
        execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert (seen.headers["authorization"], seen.headers["x-api-key"]) == ("s3cr3t", "s3cr3t")


def test_the_construct_maps_the_custom_header_to_an_empty_value(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """ "Parameter mapping for REST APIs in API Gateway": static values are quoted and override
    the passed-through header: the credential leaves in Authorization only."""
    upstream.script(default=Answer(200, {"value": 1}))
    runner = open_runner("Remap/Private", secrets={"eve/token": "s3cr3t-token"})

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert (seen.headers["authorization"], seen.headers["x-api-key"]) == ("s3cr3t-token", "")


def test_a_percent_encoded_path_reaches_the_third_party_encoded_once(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """ "Set up a proxy integration with a proxy resource": HTTP_PROXY "passes the entire
    request ... between the frontend and an HTTP backend". (The emulation sent %2520.)"""
    upstream.script(default=Answer(200, {"value": 4}))
    runner = open_runner("Encoded/Station")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [seen.path for seen in upstream.requests] == ["/v1/names/Jita%20IV/"]


@pytest.mark.parametrize(
    ("path", "encoded"),
    [
        ("/v1/names/Jita%20IV/", "/v1/names/Jita%20IV/"),
        ("/v1/names/Jita IV/", "/v1/names/Jita%20IV/"),
        ("/v1/a%2Fb/c", "/v1/a%2Fb/c"),
        ("/v1/caf%C3%A9:x@y", "/v1/caf%C3%A9:x@y"),
    ],
)
def test_encode_path_keeps_encoded_octets_and_encodes_raw_ones(path: str, encoded: str) -> None:
    assert encode_path(path) == encoded


# --- Express workflows: .sync and .waitForTaskToken ----------------------------------------


def callback_template(workflow_type: str) -> dict[str, Any]:
    definition = {
        "StartAt": "Download",
        "States": {
            "Download": {
                "Type": "Task",
                "Resource": "arn:aws:states:::apigateway:invoke",
                "Parameters": {
                    "ApiEndpoint": "abcdef1234.execute-api.us-east-1.amazonaws.com",
                    "Method": "GET",
                },
                "Next": "Approve",
            },
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": True,
            },
        },
    }
    return {
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "StateMachineType": workflow_type,
                    "DefinitionString": json.dumps(definition),
                    "RoleArn": "arn:aws:iam::123456789012:role/machine",
                },
            }
        }
    }


def test_an_express_machine_with_wait_for_task_token_is_refused_before_running() -> None:
    """ "Choosing workflow type in Step Functions": Express workflows support neither .sync nor
    .waitForTaskToken; CreateStateMachine answers InvalidDefinition (botocore's model)."""
    with pytest.raises(LocalRunnerError, match=r"InvalidDefinition.*/States/Approve"):
        LocalRunner(callback_template("EXPRESS"), upstream="http://127.0.0.1:9")
    LocalRunner(callback_template("STANDARD"), upstream="http://127.0.0.1:9")  # accepted


@pytest.mark.parametrize(
    ("resource", "refused"),
    [
        ("arn:aws:states:::states:startExecution.sync:2", True),
        ("arn:aws:states:::glue:startJobRun.sync", True),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", True),
        ("arn:aws:states:::dynamodb:putItem", False),
        ("arn:aws:states:::apigateway:invoke", False),
    ],
)
def test_express_children_of_a_distributed_map_are_checked_too(
    resource: str, refused: bool
) -> None:
    task = {"Type": "Task", "Resource": resource, "End": True}
    definition = {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "T",
                    "States": {"T": task},
                },
                "End": True,
            }
        },
    }
    problems = fidelity.express_integration_problems(definition, "STANDARD")
    assert problems == ([f"/States/Map/ItemProcessor/T: {resource}"] if refused else [])
    standard = copy.deepcopy(definition)
    standard["States"]["Map"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"] = "STANDARD"
    assert fidelity.express_integration_problems(standard, "STANDARD") == []


# --- hand-built definitions, in the runner's moto setup --------------------------------------


@pytest.fixture(scope="module")
def machines() -> Iterator[DefinitionRunner]:
    with local_aws():
        yield DefinitionRunner()


def inline_map(processor_states: dict[str, Any], **map_fields: Any) -> dict[str, Any]:
    """A Map over ``$.items`` (each iteration gets ``$.s``), then Succeed; ``Caught`` is the
    target of any Catch in ``map_fields``."""
    return {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {"s.$": "$.s"},
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": next(iter(processor_states)),
                    "States": processor_states,
                },
                "End": True,
                **map_fields,
            },
            "Caught": {"Type": "Pass", "Result": "caught", "End": True},
        },
    }


DOUBLES = {"Double": {"Type": "Pass", "Parameters": {"a.$": "$.s", "b.$": "$.s"}, "End": True}}
"""An iteration whose output is twice its 150 KiB input: over 256 KiB."""
MISSING = {"Missing": {"Type": "Pass", "Parameters": {"a.$": "$.missing"}, "End": True}}
"""An iteration that fails with States.Runtime (a JSONPath that selects nothing)."""
LARGE = {"s": "x" * (150 * KIB), "items": [1]}


def catch(*errors: str) -> dict[str, Any]:
    return {"Catch": [{"ErrorEquals": list(errors), "Next": "Caught"}]}


@pytest.mark.parametrize(
    ("errors", "status", "error"),
    [
        (["States.ALL"], "FAILED", "States.DataLimitExceeded"),
        (["States.DataLimitExceeded"], "SUCCEEDED", None),
        (["States.TaskFailed", "States.DataLimitExceeded"], "SUCCEEDED", None),
    ],
)
def test_only_a_catcher_naming_data_limit_exceeded_catches_it(
    machines: DefinitionRunner, errors: list[str], status: str, error: str | None
) -> None:
    """ "Handling errors in Step Functions workflows": States.DataLimitExceeded is "a terminal
    error that can't be caught by the States.ALL error type"; named, it is caught."""
    described = machines.run(inline_map(DOUBLES, **catch(*errors)), input=LARGE)

    assert (described["status"], described.get("error")) == (status, error)


@pytest.mark.parametrize("errors", [["States.ALL"], ["States.Runtime"]])
def test_no_catcher_catches_states_runtime(machines: DefinitionRunner, errors: list[str]) -> None:
    """ "Handling errors in Step Functions workflows": "A States.Runtime error isn't retriable,
    and will always cause the execution to fail"."""
    described = machines.run(inline_map(MISSING, **catch(*errors)), input={"s": "", "items": [1]})

    assert (described["status"], described.get("error")) == ("FAILED", "States.Runtime")


def map_attempts(machines: DefinitionRunner, arn: str) -> int:
    history = machines.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return sum(event["type"] == "MapStateStarted" for event in history)


@pytest.mark.parametrize(
    ("errors", "attempts"),
    [(["States.ALL"], 1), (["States.DataLimitExceeded"], 2)],
)
def test_a_states_all_retrier_does_not_retry_data_limit_exceeded(
    machines: DefinitionRunner, errors: list[str], attempts: int
) -> None:
    """Same page: the States.ALL wildcard does not match the terminal error; a Retrier naming
    it retries."""
    retry = {"Retry": [{"ErrorEquals": errors, "MaxAttempts": 1, "IntervalSeconds": 1}]}
    with mock.patch(RETRIER_TIME):
        described = machines.run(inline_map(DOUBLES, **retry), input=LARGE)

    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")
    assert map_attempts(machines, described["executionArn"]) == attempts


@pytest.mark.parametrize(
    ("error_equals", "error", "matches"),
    [
        (["States.ALL"], "States.DataLimitExceeded", False),
        (["States.ALL"], "States.Runtime", False),
        (["States.ALL"], "ApiGateway.503", True),
        (["States.DataLimitExceeded"], "States.DataLimitExceeded", True),
        (["States.Runtime"], "States.Runtime", False),
        (["ApiGateway.503"], "ApiGateway.503", True),
    ],
)
def test_error_matching_follows_the_documented_rule(
    error_equals: list[str], error: str, matches: bool
) -> None:
    assert fidelity.error_matches(error_equals, error) is matches


def test_map_output_over_256_kib_fails_with_data_limit_exceeded(
    machines: DefinitionRunner,
) -> None:
    """ "Step Functions service quotas": a state's output is at most 256 KiB;
    "Handling errors": "The output of a state is larger than payload size quota" is
    States.DataLimitExceeded. (moto already enforces this on every state's output.)"""
    three = {"s": "x" * (100 * KIB), "items": [1, 2, 3]}
    echo = {"Echo": {"Type": "Pass", "End": True}}

    described = machines.run(inline_map(echo), input=three)
    assert (described["status"], described.get("error")) == ("FAILED", "States.DataLimitExceeded")

    two = {**three, "items": [1, 2]}
    assert machines.run(inline_map(echo), input=two)["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("arguments", "status", "error"),
    [
        ("1, 1001, 1", "FAILED", "States.IntrinsicFailure"),
        ("0, 1000000000, 1", "FAILED", "States.IntrinsicFailure"),
        ("1, 1000, 1", "SUCCEEDED", None),
        ("1, 1999, 2", "SUCCEEDED", None),
    ],
)
def test_array_range_returns_at_most_1000_items(
    machines: DefinitionRunner, arguments: str, status: str, error: str | None
) -> None:
    """ "Intrinsic functions": the array States.ArrayRange returns "can't contain more than 1000
    items"; the Amazon States Language names a failed intrinsic States.IntrinsicFailure.
    (moto said States.Runtime.)"""
    definition = {
        "StartAt": "Range",
        "States": {
            "Range": {
                "Type": "Pass",
                "Parameters": {"r.$": f"States.ArrayRange({arguments})"},
                "End": True,
            }
        },
    }
    described = machines.run(definition)

    assert (described["status"], described.get("error")) == (status, error)
    if status == "SUCCEEDED":
        assert len(json.loads(described["output"])["r"]) == 1000


def passes(count: int) -> dict[str, Any]:
    """``count`` Pass states in a row: 2 * count + 2 history events (with start and end)."""
    names = [f"P{n}" for n in range(count)]
    states: dict[str, Any] = {
        name: {"Type": "Pass", **({"Next": names[i + 1]} if i + 1 < count else {"End": True})}
        for i, name in enumerate(names)
    }
    return {"StartAt": names[0], "States": states}


def history(machines: DefinitionRunner, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = machines.sfn.get_execution_history(
        executionArn=arn, maxResults=1000
    )["events"]
    return events


def test_the_history_quota_is_25000_events() -> None:
    assert fidelity.HISTORY_EVENT_LIMIT == 25_000


def test_a_standard_execution_past_its_history_quota_fails(machines: DefinitionRunner) -> None:
    """ "Avoid reaching the history quota": when event 25,000 isn't ExecutionSucceeded, "the
    ExecutionFailed event is logged and the state machine execution fails" (a quota of 40
    here, so the test is fast). (moto had no quota: this loop never ended.)"""
    loop = {"StartAt": "Loop", "States": {"Loop": {"Type": "Pass", "Next": "Loop"}}}
    with fidelity.history_event_limit(40):
        described = machines.run(loop)

    assert (described["status"], described.get("error")) == ("FAILED", fidelity.RUNTIME)
    assert "maximum number of history events (40)" in described.get("cause", "")
    events = history(machines, described["executionArn"])
    assert len(events) == 40
    assert events[-1]["type"] == "ExecutionFailed"


@pytest.mark.parametrize(("limit", "status"), [(40, "SUCCEEDED"), (39, "FAILED")])
def test_ending_exactly_at_the_quota_succeeds(
    machines: DefinitionRunner, limit: int, status: str
) -> None:
    """Same page: "If the event number 25,000 is ExecutionSucceeded, the execution finishes
    successfully"; 19 Pass states make 40 events."""
    with fidelity.history_event_limit(limit):
        described = machines.run(passes(19))

    assert described["status"] == status
    assert len(history(machines, described["executionArn"])) == limit


def test_express_executions_have_no_history_quota(machines: DefinitionRunner) -> None:
    """ "Step Functions service quotas": the 25,000-event history is a Standard quota."""
    with fidelity.history_event_limit(40):
        described = machines.run(passes(30), workflow_type="EXPRESS")

    assert described["status"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("length", "status", "error"),
    [(10_000, "SUCCEEDED", None), (10_001, "FAILED", "States.Runtime")],
)
def test_states_hash_takes_at_most_10000_characters(
    machines: DefinitionRunner, length: int, status: str, error: str | None
) -> None:
    """ "Intrinsic functions": ``States.Hash``'s input is at most 10,000 characters; past it the
    run fails (moto's interpreter carries the limit and names the failure ``States.Runtime``,
    which nothing catches). ``Store.changes_only()`` hashes in pieces below it (issue 25)."""
    definition = {
        "StartAt": "Hash",
        "States": {
            "Hash": {
                "Type": "Pass", "Parameters": {"h.$": "States.Hash($.text, 'SHA-256')"},
                "End": True,
            }
        },
    }  # fmt: skip
    described = machines.run(definition, input={"text": "x" * length})

    assert (described["status"], described.get("error")) == (status, error)
