"""End-to-end, locally: bad input fails as it fails on AWS, never silently (issue 13, runner half).

Each scenario is a synthesized downloader run unchanged on moto against a loopback stand-in.
What the runner must reproduce comes from the AWS documentation, named in each test.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Upstream, answers, closed_port_url, gzipped
from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField
from sfn_downloader.local import CompressedAnswerWarning, LocalRunner, LocalRunnerError
from sfn_downloader.local import __main__ as cli
from sfn_downloader.local._moto_distributed import standard_children
from sfn_downloader.local._moto_dynamodb import (
    GENERIC_ERROR,
    DynamoDBRefusal,
    check_item,
    check_value,
)

T0 = "2026-11-27T05:30:00Z"
ENDPOINT = "https://api.example.com"
ROOT = Path(__file__).resolve().parent.parent
EVE_APP = ROOT / "examples" / "eve_player_count" / "app.py"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """One stack holding every scenario's downloader: synthesized once for the module."""
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("badinput-cdk-out")))
    stack = cdk.Stack(app, "Bad")
    DownloaderPattern(
        stack, "Flag", endpoint=ENDPOINT, path="/v1/flag",
        item={"flag": ItemField.boolean("$.ResponseBody.flag")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Amount", endpoint=ENDPOINT, path="/v1/amount",
        item={"amount": ItemField.number("$.ResponseBody.amount")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "FirstType", endpoint=ENDPOINT, path="/v1/types",
        item={
            "type_id": ItemField.number("$.ResponseBody[0].type_id"),
            "name": ItemField.string("$.ResponseBody[0].names[1]"),
        },
    )  # fmt: skip
    # Concurrency.distributed: a Distributed Map with EXPRESS children by default.
    DownloaderPattern(
        stack, "Regions", endpoint=ENDPOINT, path="/v1/regions/{region}",
        fan_out=FanOut.path_values({"region": [1, 2, 3]}),
        concurrency=Concurrency.distributed(10),
        item={"amount": ItemField.number("$.ResponseBody.amount")},
    )  # fmt: skip
    app.synth()
    return app


# --- 4. DynamoDB refuses what the putItem sends; the run fails and stores nothing -------------


@pytest.mark.parametrize("flag", ["yes", "true"])
def test_a_string_stored_as_boolean_fails_the_put_as_dynamodb_refuses_it(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, flag: str
) -> None:
    # AttributeValue BOOL is a Boolean (DynamoDB API reference; botocore's model). DynamoDB's
    # refusal is not one PutItem's model lists, so Step Functions names it with the generic
    # DynamoDB.AmazonDynamoDBException.
    upstream.script(default=Answer(200, {"flag": flag}))
    runner = open_runner("Bad/Flag")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", GENERIC_ERROR)
    assert "cannot be converted to Boolean" in (execution.cause or "")
    assert "Service: AmazonDynamoDBv2" in (execution.cause or "")
    assert answers(runner) == []


@pytest.mark.parametrize(
    ("amount", "refusal"),
    [
        ("1234567890123456789012345678901234567890", "more than 38 significant digits"),
        ("1E+126", "Number overflow"),
        ("1E-131", "Number underflow"),
        ("12 units", "cannot be converted to a numeric value"),
    ],
)
def test_a_number_dynamodb_cannot_store_fails_the_put(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, amount: str, refusal: str
) -> None:
    # "Supported data types and naming rules in Amazon DynamoDB": up to 38 digits of
    # precision, magnitude from 1E-130 to 9.9999999999999999999999999999999999999E+125.
    upstream.script(default=Answer(200, {"amount": amount}))
    runner = open_runner("Bad/Amount")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", GENERIC_ERROR)
    assert refusal in (execution.cause or "")
    assert answers(runner) == []


def test_a_number_of_38_significant_digits_after_leading_zeros_is_stored(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # "Leading and trailing zeroes are trimmed": they are not significant digits.
    amount = "000" + "12345678901234567890123456789012345678"
    upstream.script(default=Answer(200, {"amount": amount}))
    runner = open_runner("Bad/Amount")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [item["amount"] for item in answers(runner)] == [int(amount)]


@pytest.mark.parametrize(
    "value",
    [{"SS": []}, {"NS": ["1", "1.0"]}, {"S": "a", "N": "1"}, {}, {"NULL": False}, {"L": ["x"]}],
    ids=["empty set", "duplicate numbers", "two types", "no type", "NULL false", "bare list item"],
)
def test_dynamodb_refuses_malformed_attribute_values(value: Any) -> None:
    # "Service, account, and table quotas in Amazon DynamoDB" (sets not empty, values unique);
    # DynamoDB API reference, AttributeValue (exactly one data type; NULL is true).
    with pytest.raises(DynamoDBRefusal):
        check_value(value)


def test_dynamodb_nesting_depth_and_item_size_limits() -> None:
    # 32 levels of nesting, 400 KB an item, counted as "DynamoDB Item sizes and formats" says.
    deep: dict[str, Any] = {"S": "x"}
    for _ in range(31):
        deep = {"L": [deep]}
    assert check_value(deep) > 0  # 32 levels
    with pytest.raises(DynamoDBRefusal, match="Nesting Levels"):
        check_value({"L": [deep]})
    assert check_item({"shirt-color": {"S": "R"}, "shirt-size": {"S": "M"}}) == 23
    with pytest.raises(DynamoDBRefusal, match="Item size has exceeded"):
        check_item({"blob": {"S": "x" * (400 * 1024)}})


# --- 4. JSONPath: a definite path returns the node, not a list ------------------------------


def test_a_definite_path_through_an_index_reads_the_value_not_a_list(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # "Reference paths" identify a single node: $.ResponseBody[0].type_id is 34, not [34].
    body = [{"type_id": 34, "names": ["Tritanium", "Trit"]}, {"type_id": 35, "names": []}]
    upstream.script(default=Answer(200, body))
    runner = open_runner("Bad/FirstType")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [item] = answers(runner)
    assert (item["type_id"], item["name"]) == (34, "Trit")


# --- 5. a compressed answer through the API Gateway proxy -----------------------------------


def test_a_gzip_answer_reaches_the_task_undecompressed_and_the_runner_warns(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # API Gateway does not decompress an integration response that has a Content-Encoding
    # ("Receive an API response with a compressed payload"), and without binary media types
    # passes it on as UTF-8 text ("Content type conversions in API Gateway").
    upstream.script(default=gzipped({"amount": 7}))
    runner = open_runner("Bad/Amount", fast_retries=True)

    with pytest.warns(CompressedAnswerWarning, match="gzip-compressed"):
        execution = runner.run(T0)

    assert execution.status == "FAILED"
    assert answers(runner) == []
    assert upstream.requests[0].path == "/v1/amount"
    # The proxy asked for identity (a static integration request header): this stand-in
    # compresses regardless, as a server that ignores Accept-Encoding does.
    assert upstream.requests[0].headers["accept-encoding"] == "identity"


# --- 15. nothing listens where the proxy forwards -------------------------------------------


def test_an_unreachable_upstream_is_the_proxys_integration_failure_504_naming_the_address(
    open_runner: Callable[..., LocalRunner],
) -> None:
    # "Gateway response types": INTEGRATION_FAILURE answers 504 by default; Step Functions
    # names a non-2xx answer ApiGateway.<status> ("Call API Gateway").
    nowhere = closed_port_url()
    runner = open_runner("Bad/Amount", upstream=nowhere, fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.504")
    assert nowhere in json.loads(execution.cause or "{}")["message"]
    assert len(runner.retry_intervals) == 3  # the construct retries ApiGateway.504


def test_an_upstream_without_scheme_is_refused_before_anything_runs(app: cdk.App) -> None:
    with pytest.raises(LocalRunnerError, match=r"'127\.0\.0\.1:9' is not a base URL"):
        LocalRunner(app, upstream="127.0.0.1:9", pattern="Bad/Amount")


# --- 16. a Distributed Map with Express children runs --------------------------------------


def test_a_distributed_map_with_express_children_runs_every_item(
    app: cdk.App, open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    template = app.synth().get_stack_by_name("Bad").template
    assert '\\"ExecutionType\\":\\"EXPRESS\\"' in json.dumps(template)
    upstream.respond(lambda seen: Answer(200, {"amount": int(seen.path.rsplit("/", 1)[1])}))
    runner = open_runner("Bad/Regions")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert sorted(item["amount"] for item in answers(runner)) == [1, 2, 3]


def test_express_children_using_a_sync_integration_are_refused_as_aws_refuses_them() -> None:
    # "Choosing workflow type": Express workflows support no .sync or .waitForTaskToken.
    definition = {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                    "StartAt": "Run",
                    "States": {
                        "Run": {
                            "Type": "Task",
                            "Resource": "arn:aws:states:::states:startExecution.sync:2",
                            "End": True,
                        }
                    },
                },
                "End": True,
            }
        },
    }
    with pytest.raises(LocalRunnerError, match=r"'Run' uses .*\.sync:2.*Express"):
        standard_children(json.dumps(definition))


# --- 15. the CLI: usage errors are one line, exit 2; an unreachable upstream is named -------


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--upstream", "127.0.0.1:9"], "argument --upstream: '127.0.0.1:9' is not a base URL"),
        (["--start", "yesterday"], "argument --start: 'yesterday' is not an ISO 8601 time"),
        (["--secret", "no-equals-sign"], "argument --secret: expected NAME=VALUE"),
        (["--runs", "0"], "argument --runs: must be at least 1"),
    ],
)
def test_cli_usage_errors_exit_2_with_one_line(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(EVE_APP), "--upstream", "http://127.0.0.1:9", *arguments]

    with pytest.raises(SystemExit) as exited:
        cli.main(argv)

    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("python -m sfn_downloader.local: error: ") and message in err


def test_cli_names_an_unreachable_upstream_and_the_runs_fail_with_504(
    app: cdk.App, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = closed_port_url()
    argv = [app.outdir, "--upstream", nowhere, "--pattern", "Bad/Amount", "--fast-retries"]

    status = cli.main(argv)

    err = capsys.readouterr().err
    assert status == 1
    assert f"warning: cannot reach the upstream {nowhere}: " in err
    assert "FAILED ApiGateway.504" in err and nowhere in err
