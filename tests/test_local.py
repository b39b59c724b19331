"""End-to-end: the synthesized downloader state machine, run locally on moto, unchanged.

Every scenario goes through the real synthesized template: definition, table, API Gateway
proxy and schedule input. The third party is a real HTTP server on loopback.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_secretsmanager as secretsmanager

from local_helpers import Answer, Seen, Upstream, http_date
from sfn_downloader import AuthHeader, DownloaderPattern, ItemField
from sfn_downloader.local import (
    SUPPORTED_MOTO_RANGE,
    LocalRunner,
    LocalRunnerError,
    UnsupportedMotoVersionError,
    check_moto_version,
    scheduled_time_text,
)
from sfn_downloader.local import __main__ as cli
from sfn_downloader.local._api_gateway import LocalRestApi
from sfn_downloader.local._execution import select_downloader
from sfn_downloader.local._invoke import ApiRequest
from sfn_downloader.local._template import find_downloaders, stacks_of

ROOT = Path(__file__).resolve().parent.parent
EVE_APP = ROOT / "examples" / "eve_player_count" / "app.py"
EVE_ENDPOINT = "https://esi.evetech.net"
STATUS = {"players": 24449, "server_version": "2345678", "start_time": "2026-11-27T11:00:00Z"}
T0 = "2026-11-27T05:30:00Z"
KIB = 1024


@pytest.fixture(scope="module")
def stack() -> cdk.Stack:
    """One stack holding every scenario's downloader: synthesized once for the module."""
    app = cdk.App()
    stack = cdk.Stack(app, "Local")
    eve_selector = {
        "players.$": "$.ResponseBody.players",
        "serverVersion.$": "$.ResponseBody.server_version",
        "date.$": "$.Headers.Date[0]",
    }
    eve_item = {
        "count": ItemField.number("$.players"),
        "serverVersion": ItemField.string("$.serverVersion"),
        "responseDate": ItemField.string("$.date"),
    }
    stack.eve = DownloaderPattern(  # type: ignore[attr-defined]
        stack, "Eve", endpoint=EVE_ENDPOINT, path="/v2/status?datasource=tranquility",
        result_selector=eve_selector, item=eve_item, headers={"Accept": "application/json"},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Raw", endpoint="https://api.example.com", path="/v1/stats",
        item={
            "players": ItemField.number("$.ResponseBody.stats.players.online"),
            "version": ItemField.number("$.ResponseBody.version"),
            "online": ItemField.boolean("$.ResponseBody.online"),
            "stats": ItemField.json("$.ResponseBody.stats"),
            "etag": ItemField.string("$.Headers.ETag[0]"),
            "date": ItemField.string("$.Headers.Date[0]"),
        },
    )  # fmt: skip
    DownloaderPattern(
        stack, "Remap", endpoint="https://api.example.com", path="/v1/private",
        item={"value": ItemField.number("$.ResponseBody.value")},
        auth_header=AuthHeader.remap("X-Api-Key", cdk.SecretValue.secrets_manager("eve/token")),
    )  # fmt: skip
    token = secretsmanager.Secret(stack, "Token")
    DownloaderPattern(
        stack, "FromSecret", endpoint="https://api.example.com", path="/v1/private",
        item={"value": ItemField.number("$.ResponseBody.value")},
        auth_header=AuthHeader.from_secret(token, prefix="Bearer "),
    )  # fmt: skip
    return stack


@pytest.fixture(scope="module")
def local_source(stack: cdk.Stack) -> cdk.App:
    return stack.node.root  # type: ignore[return-value]


@pytest.fixture(scope="module")
def eve_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The EVE example, synthesized in-process into a cloud assembly directory."""
    spec = importlib.util.spec_from_file_location("eve_player_count_app", EVE_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    outdir = tmp_path_factory.mktemp("eve-cdk-out")
    module.build_app(str(outdir)).synth()
    return outdir


# --- success and mapping -------------------------------------------------------------------


def test_success_stores_the_item_with_typed_attributes(
    stack: cdk.Stack, upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, STATUS))
    with LocalRunner(stack.eve, upstream=upstream.url) as runner:  # type: ignore[attr-defined]
        execution = runner.run(T0)
        items = runner.items()

    assert execution.status == "SUCCEEDED", execution.cause
    assert execution.input == {"scheduledTime": T0}
    assert len(upstream.requests) == 1
    seen = upstream.requests[0]
    assert (seen.path, seen.query) == ("/v2/status", {"datasource": ["tranquility"]})
    assert seen.headers["accept"] == "application/json"
    [item] = items
    assert item["pk"] == "Local/Eve"
    assert item["sk"] == T0
    assert item["count"] == 24449 and isinstance(item["count"], int)
    assert item["serverVersion"] == "2345678"
    # API Gateway answers with its own Date (the upstream's becomes x-amzn-Remapped-Date).
    assert item["responseDate"].endswith(" GMT")


def test_a_wsgi_app_stands_in_for_the_third_party_in_the_process(
    open_runner: Callable[..., LocalRunner],
) -> None:
    """``upstream`` as a WSGI application: called in the process, with the request the proxy
    forwards (path, query, headers), its answer stored as a server's would be."""
    seen: list[dict[str, Any]] = []

    def third_party(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ)
        body = json.dumps(STATUS).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    runner = open_runner("Local/Eve", upstream=third_party)
    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [environ] = seen
    assert (environ["REQUEST_METHOD"], environ["PATH_INFO"], environ["QUERY_STRING"]) == (
        "GET",
        "/v2/status",
        "datasource=tranquility",
    )
    assert environ["HTTP_ACCEPT"] == "application/json"
    [item] = runner.items()
    assert (item["count"], item["serverVersion"]) == (24449, "2345678")


def test_a_run_is_watched_in_the_process_and_described_once(
    open_runner: Callable[..., LocalRunner],
) -> None:
    """``run()`` waits on moto's backend, not on DescribeExecution calls through botocore
    (each a few milliseconds of the CPU the run needs too); it describes the ended run once."""

    def slow_third_party(
        environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> list[bytes]:
        time.sleep(0.3)
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps(STATUS).encode()]

    runner = open_runner("Local/Eve", upstream=slow_third_party)
    sfn = runner._client("stepfunctions")
    described: list[str] = []
    describe = sfn.describe_execution

    def counting(**kwargs: Any) -> Any:
        answer = describe(**kwargs)
        described.append(answer["status"])
        return answer

    sfn.describe_execution = counting
    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert described == ["SUCCEEDED"]


def test_a_wsgi_app_that_raises_gives_no_answer(open_runner: Callable[..., LocalRunner]) -> None:
    """An application that raises is a server that drops the connection: the proxy's
    INTEGRATION_FAILURE, 504 ("Gateway response types"), retried as such."""

    def broken(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        raise RuntimeError("boom")

    runner = open_runner("Local/Eve", upstream={EVE_ENDPOINT: broken}, fast_retries=True)
    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.504")
    assert "RuntimeError: boom" in str(execution.cause)
    assert runner.items() == []


def test_items_follow_the_documented_paths_nested_headers_json_and_boolean(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    stats = {"players": {"online": 812, "peak": 1020}, "regions": ["eu", "us"]}
    body = {"online": True, "version": "42", "stats": stats}
    upstream.script(default=Answer(200, body, headers={"ETag": '"v7"', "Date": http_date()}))
    runner = open_runner("Local/Raw")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [item] = runner.items()
    assert item["players"] == 812
    assert item["version"] == 42  # a numeric string becomes a number
    assert json.loads(item["stats"]) == stats
    assert item["etag"] == '"v7"'
    assert item["date"].endswith(" GMT")
    # The output of the run is the stored item's key (Persist's; the state held the raw
    # answer, which the checked download passes on unevaluated).
    assert execution.output == {"pk": item["pk"], "sk": item["sk"]}


def test_item_field_boolean_stores_a_boolean(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    body = {"online": True, "version": "1", "stats": {"players": {"online": 1}}}
    upstream.script(default=Answer(200, body, headers={"ETag": '"v1"'}))
    runner = open_runner("Local/Raw")

    execution = runner.run(T0)
    assert execution.status == "SUCCEEDED", execution.cause
    [item] = runner.items()
    assert item["online"] is True


# --- auth ------------------------------------------------------------------------------------


def test_remap_sends_authorization_and_never_the_credential_in_the_custom_header(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {"value": 1}))
    runner = open_runner("Local/Remap", secrets={"eve/token": "s3cr3t-token"})

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert seen.headers["authorization"] == "s3cr3t-token"
    # The HTTP_PROXY integration passes the request's headers through; the proxy maps the
    # custom header to an empty static value, so the credential reaches the third party once.
    assert seen.headers.get("x-api-key", "") == ""
    assert "s3cr3t-token" not in [v for k, v in seen.headers.items() if k != "authorization"]


def test_from_secret_injects_the_secret_with_its_prefix(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {"value": 2}))
    runner = open_runner("Local/FromSecret", secrets={"Local/Token": "tok-123"})

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert seen.headers["authorization"] == "Bearer tok-123"
    assert runner.items()[0]["value"] == 2


def test_a_secret_without_local_value_is_reported_before_running(stack: cdk.Stack) -> None:
    with pytest.raises(LocalRunnerError, match=r"eve/token.*Fix: LocalRunner"):
        LocalRunner(stack.node.root, upstream="http://127.0.0.1:9", pattern="Local/Remap")


def test_proxy_rejects_a_call_missing_a_required_header_or_unsigned(stack: cdk.Stack) -> None:
    spec = select_downloader(find_downloaders(stacks_of(stack.node.root)), "Local/Remap")
    [api_id] = spec.apis
    api = LocalRestApi(
        spec, api_id, upstreams={"https://api.example.com": "http://127.0.0.1:9"},
        resolve_secrets=lambda text: text,
    )  # fmt: skip

    def call(headers: dict[str, list[str]], auth_type: str = "IAM_ROLE") -> tuple[int, Any]:
        answer = api(
            ApiRequest(api.host, "prod", "GET", "/v1/private", {}, headers, None, auth_type)
        )
        return answer.status, json.loads(answer.body)

    assert call({}) == (400, {"message": "Missing required request parameters: [X-Api-Key]"})
    # apigateway:invoke without AuthType IAM_ROLE is unsigned: the AWS_IAM method refuses it.
    assert call({"X-Api-Key": ["k"]}, auth_type="NO_AUTH") == (
        403, {"message": "Missing Authentication Token"}
    )  # fmt: skip
    # The role may invoke only its own path (the template's IAM policy), as in AWS.
    denied = api(ApiRequest(api.host, "prod", "GET", "/v2/other", {}, {}, None, "IAM_ROLE"))
    assert denied.status == 403
    assert b"not authorized to perform: execute-api:Invoke" in denied.body


# --- failures and retries ------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 429])
def test_retryable_answers_are_retried_then_the_run_fails(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, status: int
) -> None:
    upstream.script(default=Answer(status, {"error": f"upstream said {status}"}))
    runner = open_runner("Local/Eve", fast_retries=True)

    execution = runner.run(T0)

    assert execution.status == "FAILED"
    assert execution.error == f"ApiGateway.{status}"
    assert json.loads(execution.cause or "") == {"error": f"upstream said {status}"}
    assert len(upstream.requests) == 4  # 1 attempt + MaxAttempts 3
    # Full jitter: each wait is at most 2, 4, 8 s (IntervalSeconds 2, BackoffRate 2).
    assert len(runner.retry_intervals) == 3
    assert all(
        0 <= wait <= cap for wait, cap in zip(runner.retry_intervals, (2, 4, 8), strict=True)
    )
    assert runner.items() == []


def test_two_open_runners_each_record_their_own_retry_intervals(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """With ``fast_retries``, a retry interval goes to the runner whose state machine retries,
    whichever runner was opened last (``local/_retry_sleeps.py``)."""

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v2/status" and len(upstream.requests) == 1:
            return Answer(503, {"error": "busy"})  # Eve's first request only
        if seen.path == "/v2/status":
            return Answer(200, {"players": 1, "server_version": "1", "start_time": T0})
        body = {"stats": {"players": {"online": 1}}, "version": 1, "online": True}
        return Answer(200, body, {"ETag": '"v1"'})

    upstream.respond(answer)
    eve = open_runner("Local/Eve", fast_retries=True)
    raw = open_runner("Local/Raw", fast_retries=True)  # opened last

    assert eve.run(T0).status == "SUCCEEDED" and raw.run(T0).status == "SUCCEEDED"

    assert len(eve.retry_intervals) == 1 and 0 <= eve.retry_intervals[0] <= 2
    assert raw.retry_intervals == []


def test_a_404_is_not_retried(open_runner: Callable[..., LocalRunner], upstream: Upstream) -> None:
    upstream.script(default=Answer(404, {"error": "not found"}))
    runner = open_runner("Local/Eve", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.404")
    assert len(upstream.requests) == 1
    assert runner.retry_intervals == []
    assert runner.items() == []


def test_two_failures_then_success_stores_one_item(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(Answer(503, "busy"), Answer(502, "bad gateway"), default=Answer(200, STATUS))
    runner = open_runner("Local/Eve", fast_retries=True)

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 3
    assert [item["count"] for item in runner.items()] == [24449]


# --- the 256 KiB limit -----------------------------------------------------------------------


def test_an_answer_over_256_kib_fails_with_data_limit_exceeded_even_when_trimmed(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # AWS checks the task's own result (the whole API Gateway answer) before ResultSelector:
    # TaskSucceededEventDetails.output is at most 262,144 bytes.
    upstream.script(default=Answer(200, {**STATUS, "padding": "x" * (300 * KIB)}))
    runner = open_runner("Local/Eve", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded")
    assert len(upstream.requests) == 1  # not in the retry policy
    assert runner.items() == []


def test_an_answer_under_256_kib_trimmed_by_the_selector_succeeds(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {**STATUS, "padding": "x" * (250 * KIB)}))
    runner = open_runner("Local/Eve")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(json.dumps(execution.output)) < KIB  # only the selected fields travel on
    assert [item["count"] for item in runner.items()] == [24449]


# --- scheduled time and idempotency --------------------------------------------------------


def test_runs_at_two_times_store_two_items_and_a_repeated_time_stores_one(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, STATUS))
    runner = open_runner("Local/Eve")

    first = runner.run(T0)
    upstream.script(default=Answer(200, {**STATUS, "players": 25000}))
    second = runner.run("2026-11-27T05:31:00+00:00")
    again = runner.run(T0)

    assert [e.status for e in (first, second, again)] == ["SUCCEEDED"] * 3
    items = runner.items()
    assert [(i["sk"], i["count"]) for i in items] == [
        ("2026-11-27T05:30:00Z", 25000),  # re-delivered run overwrote its own item
        ("2026-11-27T05:31:00Z", 25000),
    ]


def test_scheduled_time_is_formatted_like_eventbridge_scheduler() -> None:
    assert scheduled_time_text("2026-11-27T06:30:00+01:00") == T0
    now = scheduled_time_text()
    assert now.endswith(":00Z") and len(now) == len(T0)


# --- sources -------------------------------------------------------------------------------


def test_runs_from_a_template_dict(eve_assembly: Path, upstream: Upstream) -> None:
    template = json.loads((eve_assembly / "EvePlayerCount.template.json").read_text())
    # A bare template has no construct paths: choose by the state machine's logical ID.
    [logical_id] = [
        key for key in template["Resources"] if key.startswith("PlayerCountStateMachine")
        and template["Resources"][key]["Type"] == "AWS::StepFunctions::StateMachine"
    ]  # fmt: skip
    upstream.script(default=Answer(200, STATUS))
    with LocalRunner(template, upstream=upstream.url, pattern=logical_id) as runner:
        assert runner.run(T0).status == "SUCCEEDED"
        assert runner.items()[0]["pk"] == "eve/player-count"


def test_unknown_pattern_names_the_available_ones(stack: cdk.Stack) -> None:
    with pytest.raises(LocalRunnerError, match=r"No downloader at 'Local/Nope'.*Local/Eve"):
        LocalRunner(stack.node.root, upstream="http://127.0.0.1:9", pattern="Local/Nope")


# --- errors, isolation, CLI --------------------------------------------------------------


@pytest.mark.parametrize("version", ["5.2.4", "5.3.0", "6.0.0"])
def test_a_moto_outside_the_tested_range_is_refused_with_a_clear_message(version: str) -> None:
    with pytest.raises(
        UnsupportedMotoVersionError,
        match=rf"moto>=5\.2\.5,<5\.3 \(tested: 5\.2\.5, 5\.2\.6\), but moto {version}",
    ):
        check_moto_version(version)


@pytest.mark.parametrize("version", ["5.2.5", "5.2.6", "5.2.7.dev3"])
def test_a_moto_within_the_range_is_accepted(version: str) -> None:
    assert SUPPORTED_MOTO_RANGE == ">=5.2.5,<5.3"
    check_moto_version(version)


def test_importing_the_library_does_not_import_moto() -> None:
    code = "import sys, sfn_downloader; sys.exit('moto' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


PLAYER_COUNT_APP = """import sys
sys.path.insert(0, {example!r})
import aws_cdk as cdk
from app import player_count
app = cdk.App()  # CDK_OUTDIR, as the CDK CLI sets it
player_count(cdk.Stack(app, "EvePlayerCount"))
app.synth()
"""
"""The example's polite downloader in an app file of its own: the CLI synthesizes it in a
subprocess as ``cdk synth`` would (the whole example app, five downloaders, is run by the demo
and ``test_example``; synthesizing it here too cost ~7 s of the suite's CPU)."""


@pytest.mark.slow  # the CLI synthesizes the app in a subprocess
def test_cli_synthesizes_an_app_file_and_runs_it(
    upstream: Upstream, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    upstream.script(default=Answer(200, STATUS, headers={"Date": http_date()}))
    app_file = tmp_path / "app.py"
    app_file.write_text(PLAYER_COUNT_APP.format(example=str(EVE_APP.parent)))

    status = cli.main([
        str(app_file), "--upstream", upstream.url, "--runs", "2", "--start", T0,
        "--pattern", "EvePlayerCount/PlayerCount",
    ])  # fmt: skip

    out = capsys.readouterr()
    assert status == 0, out.err
    items = [json.loads(line) for line in out.out.splitlines()]
    # The example is polite (conditional, respect_expires): its state item comes first.
    [memory] = [i for i in items if i["sk"] == "#state"]
    assert memory["rememberedFor"] == "2026-11-27T05:31:00Z"
    assert [(i["pk"], i["sk"], i["count"]) for i in items if i["sk"] != "#state"] == [
        ("eve/player-count", "2026-11-27T05:30:00Z", 24449),
        ("eve/player-count", "2026-11-27T05:31:00Z", 24449),
    ]


def test_cli_reports_an_unknown_pattern(
    eve_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main([str(eve_assembly), "--upstream", "http://127.0.0.1:9", "--pattern", "X/Y"])

    assert status == 2
    assert (
        "No downloader at 'X/Y'. Available: "
        "['EvePlayerCount/PlayerCount', 'EvePlayerCount/MarketTypes', "
        "'EvePlayerCount/MarketOrders', 'EvePlayerCount/MarketOrderSummary', "
        "'EvePlayerCount/MarketHistory']"
    ) in capsys.readouterr().err
