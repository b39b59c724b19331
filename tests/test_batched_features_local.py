"""End-to-end, locally: fan-outs run in batches with the features that computed their requests
in the run's state before (issue 28, round 4). Read from S3 (``items_from_s3=True``): time
placeholders, query overrides, a page loop per path, ``post_process``; ``FanOut.from_answer``
in batches: time placeholders in ``each``, query overrides, ``post_process``. Each child
execution computes its batch's requests itself (``BatchRequests``) or runs every page of each
of its paths; template assertions on the same stacks first."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk.assertions import Template

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import (
    Concurrency,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
    Window,
)
from sfn_downloader.local import LocalRunner

T0 = "2026-11-27T05:30:00Z"
HOUR_BEFORE = "2026-11-27T04:30:00Z"
REGIONS = [f"r{n}" for n in range(12)]
S3 = Concurrency.distributed(3, items_from_s3=True, requests_per_child=5)
"""12 paths in batches of 5: three child executions (5, 5, 2)."""


def _pattern(stack: cdk.Stack, name: str, **props: Any) -> DownloaderPattern:
    return DownloaderPattern(
        stack, name, endpoint="https://api.example.com",
        result_selector={"body.$": "$.ResponseBody"}, item={"body": ItemField.json("$.body")},
        downloader_id=name.lower(), concurrency=S3, **props,
    )  # fmt: skip


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "S3Combos")
    _pattern(
        stack, "Timed", path="/r/{region}/{scheduled_time:date}?from={window_start}",
        fan_out=FanOut.path_values({"region": REGIONS}),
        window=Window.last(cdk.Duration.hours(1)),
    )  # fmt: skip
    _pattern(
        stack, "Overridden", fan_out=FanOut.paths([f"/r/{r}?state=open" for r in REGIONS]),
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
    )  # fmt: skip
    _pattern(
        stack, "Paged", fan_out=FanOut.paths([f"/r/{r}" for r in REGIONS]),
        pagination=Pagination.page_number(page_size=2, max_pages=5),
    )  # fmt: skip
    queue = sqs.Queue(stack, "SummaryQueue", enforce_ssl=True)
    after = tasks.SqsSendMessage(
        stack, "Notify", queue=queue, message_body=sfn.TaskInput.from_json_path_at("$"),
        result_path=sfn.JsonPath.DISCARD,
    )  # fmt: skip
    _pattern(
        stack, "Processed", fan_out=FanOut.paths([f"/r/{r}" for r in REGIONS]),
        post_process=after,
    )  # fmt: skip
    listed = cdk.Stack(app, "Listed")  # FanOut.from_answer in batches
    each = "/r/{item}/{scheduled_time:date}?state=open&from={window_start}"
    answer_queue = sqs.Queue(listed, "SummaryQueue", enforce_ssl=True)
    DownloaderPattern(
        listed, "Regions", endpoint="https://api.example.com",
        result_selector={"body.$": "$.ResponseBody"}, item={"body": ItemField.json("$.body")},
        downloader_id="regions", fan_out=FanOut.from_answer(path="/regions", each=each),
        window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
        concurrency=Concurrency.distributed(3, requests_per_child=5),
        post_process=tasks.SqsSendMessage(
            listed, "Notify", queue=answer_queue,
            message_body=sfn.TaskInput.from_json_path_at("$"), result_path=sfn.JsonPath.DISCARD,
        ),
    )  # fmt: skip
    DownloaderPattern(
        listed, "PagedRegions", endpoint="https://api.example.com",
        result_selector={"body.$": "$.ResponseBody"}, item={"body": ItemField.json("$.body")},
        downloader_id="pagedregions",
        fan_out=FanOut.from_answer(path="/regions", each="/r/{item}", max_items=20),
        pagination=Pagination.page_number(page_size=2, max_pages=5),
        concurrency=Concurrency.distributed(3, requests_per_child=5),
    )  # fmt: skip
    return app


def _states(app: cdk.App, name: str, stack: str = "S3Combos") -> dict[str, Any]:
    """The definition of ``name``'s state machine (its ``Fn::Join`` text, tokens as ``?``)."""
    template = Template.from_stack(app.node.find_child(stack)).to_json()  # type: ignore[arg-type]
    for logical, resource in template["Resources"].items():
        if resource["Type"] == "AWS::StepFunctions::StateMachine" and logical.startswith(name):
            parts = resource["Properties"]["DefinitionString"]["Fn::Join"][1]
            text = "".join(p if isinstance(p, str) else "?" for p in parts)
            return json.loads(text)  # type: ignore[no-any-return]
    raise AssertionError(name)


def test_computed_requests_are_listed_by_key_and_computed_in_each_child(app: cdk.App) -> None:
    definition = _states(app, "Timed")
    fetch_all = definition["States"]["FetchAll"]
    assert "ListRequests" not in definition["States"]
    child = fetch_all["ItemProcessor"]
    assert child["StartAt"] == "BatchRequests"
    computed = child["States"]["BatchRequests"]["Output"]
    # The scheduled time comes from the batch's items, not the child's own input.
    assert "$states.input.Items[0].scheduledTime" in computed
    assert "Execution.Input" not in computed
    assert fetch_all["ItemSelector"]["scheduledTime.$"] == "$$.Execution.Input.scheduledTime"


def test_overrides_check_the_run_values_once_and_give_them_to_every_item(app: cdk.App) -> None:
    definition = _states(app, "Overridden")
    run_query = definition["States"]["RunQuery"]
    assert run_query["Type"] == "Choice" and run_query["Default"] == "FetchAll"
    [rule] = run_query["Choices"]
    assert rule["Next"] == "QueryTooLong"
    assert definition["States"]["QueryTooLong"]["Error"] == "Downloader.InvalidInput"
    fetch_all = definition["States"]["FetchAll"]
    assert fetch_all["ItemSelector"]["runQuery.$"] == "$.runQuery"
    batch = fetch_all["ItemProcessor"]["States"]["BatchRequests"]["Output"]
    assert "$ovGiven := $states.input.Items[0].runQuery" in batch


def test_a_paged_fan_out_runs_each_paths_page_loop_in_its_batch(app: cdk.App) -> None:
    fetch_all = _states(app, "Paged")["States"]["FetchAll"]
    assert fetch_all["ItemSelector"]["url.$"] == "$$.Map.Item.Value.url"
    assert fetch_all["ItemSelector"]["page"] == 1
    inner = fetch_all["ItemProcessor"]["States"]["FetchAllBatch"]["ItemProcessor"]["States"]
    assert {"DownloadPage", "PersistPage", "MorePages"} <= set(inner)
    assert "NextRequest" not in inner  # the checked loop (issue 28(a)): $pathLoop
    assert "pathLoop" in inner["DownloadPage"]["Assign"]


def test_post_process_follows_the_batches(app: cdk.App) -> None:
    states = _states(app, "Processed")["States"]
    assert states["FetchAll"]["Next"] == "RunSummary"
    assert "failedCount" in states["RunSummary"]["Output"]


def _body(seen: Seen) -> Answer:
    return Answer(200, {"path": seen.path, "query": seen.raw_query})


def test_time_placeholders_are_filled_in_each_child(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(_body)
    runner = open_runner("S3Combos/Timed", fast_retries=True)

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [o["stored"] for o in execution.output["outcomes"]] == [5, 5, 2]
    since = HOUR_BEFORE.replace(":", "%3A")
    assert sorted((s.path, s.raw_query) for s in upstream.requests) == sorted(
        (f"/r/{r}/2026-11-27", f"from={since}") for r in REGIONS
    )
    template = "/r/{r}/{{scheduled_time:date}}?from={{window_start}}"
    assert sorted(i["sk"] for i in answers(runner)) == sorted(
        f"{T0}#" + template.format(r=r) for r in REGIONS
    )


def test_overrides_reach_every_request_of_every_child(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(_body)
    runner = open_runner("S3Combos/Overridden", fast_retries=True)

    execution = runner.run(input={"scheduledTime": T0, "query": {"state": "a b&c", "x": "1"}})

    assert execution.status == "SUCCEEDED", execution.cause
    # The value is encoded once in each URL; the upstream decodes it back, '&' and all; a
    # name the downloader does not allow ("x") is never sent.
    assert sorted((s.path, json.dumps(s.query)) for s in upstream.requests) == sorted(
        (f"/r/{r}", json.dumps({"state": ["a b&c"]})) for r in REGIONS
    )
    items = answers(runner)
    assert sorted(i["sk"] for i in items) == sorted(
        f"{T0}#state=a b&c#/r/{r}?state=open" for r in REGIONS
    )
    assert all(i["query"] == {"state": "a b&c"} for i in items)


def test_a_scheduled_run_asks_with_the_defaults(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(_body)
    runner = open_runner("S3Combos/Overridden", fast_retries=True)

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert {s.raw_query for s in upstream.requests} == {"state=open"}


def test_query_values_longer_than_a_batch_has_room_for_fail_before_any_request(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(_body)
    runner = open_runner("S3Combos/Overridden", fast_retries=True)

    execution = runner.run(input={"scheduledTime": T0, "query": {"state": "x" * 5_000}})

    assert (execution.status, execution.error) == ("FAILED", "Downloader.InvalidInput")
    assert "room for" in (execution.cause or "")
    assert upstream.requests == []


def test_every_page_of_every_path_in_batches(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        if seen.path == "/r/r7" and page == 2:
            return Answer(500, {"error": "boom"})
        return Answer(200, [seen.path, page] if page < 3 else [page])

    upstream.respond(answer)
    runner = open_runner("S3Combos/Paged", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    [batch] = json.loads(execution.cause or "")
    assert (batch["failedCount"], batch["key"]) == (1, "/r/r7")
    keys = sorted(i["sk"] for i in answers(runner))
    expected = [f"{T0}#/r/{r}#{n}" for r in REGIONS for n in (1, 2, 3) if r != "r7"]
    assert keys == sorted([*expected, f"{T0}#/r/r7#1"])


def test_post_process_reads_the_batches_summaries(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(
        lambda seen: Answer(404, {}) if seen.path in ("/r/r1", "/r/r2") else _body(seen)
    )
    runner = open_runner("S3Combos/Processed", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    assert json.loads(execution.cause or "") == [
        {"key": "/r/r1", "error": "ApiGateway.404", "failedCount": 2}
    ]
    [message] = runner._client("sqs").receive_message(
        QueueUrl=runner.resource_name("S3Combos/SummaryQueue"), MaxNumberOfMessages=10
    )["Messages"]
    assert json.loads(message["Body"]) == {
        "scheduledTime": T0, "keyPrefix": f"{T0}#{execution.name}#", "stored": 10,
        "failed": [{"key": "/r/r1", "error": "ApiGateway.404", "failedCount": 2}],
    }  # fmt: skip


def test_from_answer_in_batches_computes_time_and_overrides_in_each_child(app: cdk.App) -> None:
    states = _states(app, "Regions", "Listed")["States"]
    fetch_all = states["FetchAll"]
    assert fetch_all["ItemBatcher"] == {"MaxItemsPerBatch": 5}
    assert fetch_all["ItemSelector"]["runQuery.$"] == "$.runQuery"
    assert fetch_all["Next"] == "RunSummary"  # post_process follows the batches
    computed = fetch_all["ItemProcessor"]["States"]["BatchRequests"]["Output"]
    assert "$states.input.Items[0].scheduledTime" in computed
    assert "$ovGiven := $states.input.Items[0].runQuery" in computed
    # The list keeps the run's values once, checked against what a batch has room for.
    assert '"runQuery": $runQuery' in states["ListRequests"]["Output"]
    paged = _states(app, "PagedRegions", "Listed")["States"]["FetchAll"]
    assert paged["ItemSelector"]["page"] == 1 and "key.$" not in paged["ItemSelector"]
    inner = paged["ItemProcessor"]["States"]["FetchAllBatch"]["ItemProcessor"]["States"]
    assert "DownloadPage" in inner and "ItemRefused" in inner


def _regions(seen: Seen) -> Answer:
    if seen.path == "/regions":
        return Answer(200, REGIONS)
    if seen.path == "/r/r3/2026-11-27":
        return Answer(503, {"error": "later"})
    return _body(seen)


def test_from_answer_in_batches_with_times_overrides_and_post_process(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(_regions)
    runner = open_runner("Listed/Regions", fast_retries=True)

    execution = runner.run(input={"scheduledTime": T0, "query": {"state": "closed"}})

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    # Keyed as on the inline path: the values requested with, then each as filled in.
    key = "state=closed#/r/{r}/2026-11-27?state=open&from=" + HOUR_BEFORE
    assert json.loads(execution.cause or "") == [
        {"key": key.format(r="r3"), "error": "ApiGateway.503", "failedCount": 1}
    ]
    since = HOUR_BEFORE.replace(":", "%3A")
    asked = {(s.path, s.raw_query) for s in upstream.requests if s.path != "/regions"}
    assert asked == {(f"/r/{r}/2026-11-27", f"state=closed&from={since}") for r in REGIONS}
    items = answers(runner)
    assert sorted(i["sk"] for i in items) == sorted(
        f"{T0}#" + key.format(r=r) for r in REGIONS if r != "r3"
    )
    assert all(i["query"] == {"state": "closed"} for i in items)
    [message] = runner._client("sqs").receive_message(
        QueueUrl=runner.resource_name("Listed/SummaryQueue"), MaxNumberOfMessages=10
    )["Messages"]
    summary = json.loads(message["Body"])
    assert (summary["stored"], len(summary["failed"])) == (11, 1)


def test_from_answer_refuses_query_values_longer_than_its_batches_room(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(_regions)
    runner = open_runner("Listed/Regions", fast_retries=True)

    execution = runner.run(input={"scheduledTime": T0, "query": {"state": "x" * 200}})

    assert (execution.status, execution.error) == ("FAILED", "Downloader.InvalidInput")
    assert "128 characters" in (execution.cause or "")
    assert [s.path for s in upstream.requests] == ["/regions"]


def test_from_answer_in_batches_runs_every_page_of_each_item(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        if seen.path == "/regions":
            return Answer(200, REGIONS)
        page = int(seen.query["page"][0])
        return Answer(200, [seen.path, page] if page < 3 else [page])

    upstream.respond(answer)
    runner = open_runner("Listed/PagedRegions", fast_retries=True)

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [o["stored"] for o in execution.output["outcomes"]] == [5, 5, 2]
    assert sorted(i["sk"] for i in answers(runner)) == sorted(
        f"{T0}#/r/{r}#{n}" for r in REGIONS for n in (1, 2, 3)
    )
