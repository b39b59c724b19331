"""``archive``, ``post_process`` and query overrides on runs of several requests, run locally
(issue 23): each stored answer's S3 object read back by its key, the post-processing's summary
input as the user's states received it, and the requests the stand-in saw with overrides."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from local_helpers import Answer, Seen, Upstream, gzipped
from sfn_downloader import (
    Archive,
    Concurrency,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
)

T = ["2026-11-27T05:30:00Z", "2026-11-27T05:31:00Z", "2026-11-27T05:32:00Z"]
SELECT = {"body.$": "$.ResponseBody"}


def _pattern(stack: cdk.Stack, name: str, **props: Any) -> DownloaderPattern:
    return DownloaderPattern(
        stack, name, endpoint="https://api.example.com", result_selector=SELECT,
        item={"body": ItemField.json("$.body")}, downloader_id=name.lower(), **props,
    )  # fmt: skip


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Every")
    archive = Archive.to_new_bucket
    _pattern(stack, "Paths", fan_out=FanOut.paths(["/a", "/b?x=1"]), archive=archive())
    _pattern(
        stack, "Distributed", fan_out=FanOut.paths(["/a", "/b"]), archive=archive(),
        concurrency=Concurrency.distributed(2, child_workflow_type=sfn.StateMachineType.STANDARD),
    )  # fmt: skip
    _pattern(
        stack, "Pages", path="/p?per=2", pagination=Pagination.page_number(page_size=2),
        archive=archive(),
    )  # fmt: skip
    _pattern(stack, "Counted", path="/c", pagination=Pagination.page_count(), archive=archive())
    _pattern(
        stack, "PagedFanOut", path="/r/{region}", fan_out=FanOut.path_values({"region": ["eu"]}),
        pagination=Pagination.link_header(), archive=archive(),
    )  # fmt: skip
    _pattern(
        stack, "SummedPaths", fan_out=FanOut.paths(["/a", "/b", "/c"]),
        post_process=_send(stack, "SummedPaths"),
    )  # fmt: skip
    _pattern(
        stack, "SummedPages", path="/p", pagination=Pagination.next_url(),
        post_process=sfn.Pass(stack, "Summary"),
    )  # fmt: skip
    _pattern(
        stack, "SummedCount", path="/c", pagination=Pagination.page_count(),
        post_process=_send(stack, "SummedCount"),
    )  # fmt: skip
    return app


def _send(stack: cdk.Stack, name: str) -> sfn.IChainable:
    """A post-processing that sends its input (the run's summary) to a queue."""
    queue = sqs.Queue(stack, f"{name}Queue", enforce_ssl=True)
    return tasks.SqsSendMessage(
        stack, f"{name}Send", queue=queue, message_body=sfn.TaskInput.from_json_path_at("$"),
        result_path=sfn.JsonPath.DISCARD,
    )  # fmt: skip


def _received(runner: Any, name: str) -> list[Any]:
    sqs_client = runner._client("sqs")
    url = runner.resource_name(f"Every/{name}Queue")
    messages = sqs_client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def _objects(runner: Any, pattern: str) -> dict[str, Any]:
    """The archived objects, key (without the bucket) → body."""
    bucket = runner.resource_name(f"Every/{pattern}/Bucket")
    return {
        name.removeprefix(f"{bucket}/"): body
        for name, body in runner.objects().items()
        if name.startswith(f"{bucket}/")
    }


def _items(runner: Any, pk: str) -> dict[str, Any]:
    """The answers stored (``sk`` → body), the delivery's completion item left out."""
    return {
        i["sk"]: json.loads(i["body"])
        for i in runner.items()
        if i["pk"] == pk and not i["sk"].startswith("#delivered#")
    }


def _delivered(runner: Any, pk: str, when: str) -> list[str]:
    """The deliveries of ``when`` marked complete (``MarkDelivered``): their names."""
    prefix = f"#delivered#{when}#"
    return [i["run"] for i in runner.items() if i["pk"] == pk and i["sk"].startswith(prefix)]


def _pages(runner: Any, when: str) -> list[Any]:
    """``DownloaderTable.pages(when)``'s bodies."""
    return [json.loads(i["body"]) for i in runner.table(consistent_read=True).pages(when)]


def test_each_fan_out_path_is_archived_under_its_item_key(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/Paths", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, {"at": seen.path, "q": seen.raw_query}))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    # each delivery its own objects, as its own items (issue 26, items 4 and 9)
    assert _objects(runner, "Paths") == {
        f"paths/{T[0]}#{run.name}#/a.json": {"body": {"at": "/a", "q": ""}},
        f"paths/{T[0]}#{run.name}#/b?x=1.json": {"body": {"at": "/b", "q": "x=1"}},
    }
    # the same suffix as the items
    assert {f"paths/{sk}.json" for sk in _items(runner, "paths")} == set(_objects(runner, "Paths"))


def test_a_failed_path_is_not_archived_and_fails_the_run(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/Paths", fast_retries=True)
    upstream.respond(lambda seen: Answer(500 if seen.path == "/a" else 200, {"at": seen.path}))
    run = runner.run(T[1])
    assert run.status == "FAILED"
    assert run.error == "Downloader.RequestsFailed"
    assert list(_objects(runner, "Paths")) == [f"paths/{T[1]}#{run.name}#/b?x=1.json"]
    assert not _delivered(runner, "paths", T[1])  # a delivery with a failed path is not complete


def test_distributed_children_archive_their_answers(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/Distributed", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, {"at": seen.path}))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    # the children key by the parent's execution name (the Map item's run), not their own
    assert _objects(runner, "Distributed") == {
        f"distributed/{T[0]}#{run.name}#/a.json": {"body": {"at": "/a"}},
        f"distributed/{T[0]}#{run.name}#/b.json": {"body": {"at": "/b"}},
    }
    assert _delivered(runner, "distributed", T[0]) == [run.name]


def test_each_page_is_archived_and_dropped_from_the_state(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/Pages", fast_retries=True)
    pages = {"1": [1, 2], "2": [3, 4], "3": [5]}
    upstream.respond(lambda seen: Answer(200, pages[seen.query["page"][0]]))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert _objects(runner, "Pages") == {
        f"pages/{T[0]}#{run.name}#1.json": {"body": [1, 2]},
        f"pages/{T[0]}#{run.name}#2.json": {"body": [3, 4]},
        f"pages/{T[0]}#{run.name}#3.json": {"body": [5]},
    }
    assert _items(runner, "pages") == {f"{T[0]}#{run.name}#{n}": pages[str(n)] for n in (1, 2, 3)}
    assert "raw" not in run.output  # ArchivePage output the loop state, not the page


def test_page_count_archives_the_first_page_and_the_maps(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/Counted", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        return Answer(200, {"page": seen.query["page"][0]}, headers={"X-Pages": "3"})

    upstream.respond(answer)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert _objects(runner, "Counted") == {
        f"counted/{T[0]}#{run.name}#{n}.json": {"body": {"page": str(n)}} for n in (1, 2, 3)
    }


def test_every_page_of_every_path_is_archived(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/PagedFanOut", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        if "page" not in seen.query:
            return Answer(200, [1], headers={"Link": '</r/eu?page=2>; rel="next"'})
        return Answer(200, [2])

    upstream.respond(answer)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert _objects(runner, "PagedFanOut") == {
        f"pagedfanout/{T[0]}#{run.name}#/r/eu#1.json": {"body": [1]},
        f"pagedfanout/{T[0]}#{run.name}#/r/eu#2.json": {"body": [2]},
    }


def test_post_process_runs_once_after_a_fan_out_with_its_summary(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/SummedPaths", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, {"at": seen.path}))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    prefix = f"{T[0]}#{run.name}#"
    summary = {"scheduledTime": T[0], "keyPrefix": prefix, "stored": 3, "failed": []}
    assert _received(runner, "SummedPaths") == [summary]
    assert sorted(_items(runner, "summedpaths")) == [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]
    # the delivery marked complete before the user's states (which may tell a reader to read it)
    entered = runner.states_entered(run)
    assert entered.index("MarkDelivered") < entered.index("SummedPathsSend")
    assert _delivered(runner, "summedpaths", T[0]) == [run.name]
    assert [i["at"] for i in _pages(runner, T[0])] == ["/a", "/b", "/c"]


def test_post_process_sees_the_failed_paths_then_the_run_fails(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/SummedPaths", fast_retries=True)
    upstream.respond(lambda seen: Answer(503 if seen.path == "/b" else 200, {"at": seen.path}))
    run = runner.run(T[1])
    assert run.status == "FAILED"
    assert run.error == "Downloader.RequestsFailed"
    assert json.loads(run.cause) == [{"key": "/b", "error": "ApiGateway.503"}]
    [summary] = _received(runner, "SummedPaths")
    assert summary == {
        "scheduledTime": T[1], "keyPrefix": f"{T[1]}#{run.name}#", "stored": 2,
        "failed": [{"key": "/b", "error": "ApiGateway.503"}],
    }  # fmt: skip
    # not marked complete: its set never reads back (the user's states ran all the same)
    assert "MarkDelivered" not in runner.states_entered(run)
    assert "SummedPathsSend" in runner.states_entered(run)
    assert _delivered(runner, "summedpaths", T[1]) == []
    assert runner.table(consistent_read=True).pages(T[1]) == []


def test_post_process_after_every_page_of_one_path(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Every/SummedPages", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        return Answer(200, {"next": f"/p?page={page + 1}" if page < 3 else None})

    upstream.respond(answer)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    # the user's Pass passes the summary on: the execution's output
    prefix = f"{T[0]}#{run.name}#"
    assert run.output == {"scheduledTime": T[0], "keyPrefix": prefix, "stored": 3, "failed": []}
    assert sorted(_items(runner, "summedpages")) == [f"{prefix}{n}" for n in (1, 2, 3)]
    entered = runner.states_entered(run)
    assert entered.index("MarkDelivered") < entered.index("Summary") < entered.index("RunDone")
    assert _delivered(runner, "summedpages", T[0]) == [run.name]


@pytest.mark.parametrize(("pages", "stored"), [("1", 1), ("3", 3)])
def test_post_process_after_page_count_with_one_page_or_a_map(
    open_runner: Callable[..., Any], upstream: Upstream, pages: str, stored: int
) -> None:
    runner = open_runner("Every/SummedCount", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, [seen.query["page"][0]], headers={"X-Pages": pages}))
    when = T[0] if pages == "1" else T[1]
    run = runner.run(when)
    assert run.status == "SUCCEEDED", run.cause
    summary = {
        "scheduledTime": when, "keyPrefix": f"{when}#{run.name}#", "stored": stored, "failed": [],
    }  # fmt: skip
    assert _received(runner, "SummedCount") == [summary]
    assert _delivered(runner, "summedcount", when) == [run.name]


BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_an_archived_page_keeps_every_digit_and_a_compressed_page_is_neither_stored_nor_archived(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """Issue 25 item 14 + 28(a): the checked page loop archives the selection of the raw page
    (a JSONPath ``SelectPage`` after Persist, no JSONata between the download and the
    archive): every digit of the object and of the item; a compressed page fails the run with
    ``Downloader.CompressedAnswer`` before it is stored or archived."""
    runner = open_runner("Every/Pages", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        body = [BIG, BIG + page]
        return gzipped(body) if page == 3 else Answer(200, json.dumps(body).encode())

    upstream.respond(answer)
    run = runner.run(T[1])
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert _objects(runner, "Pages") == {
        f"pages/{T[1]}#{run.name}#{n}.json": {"body": [BIG, BIG + n]} for n in (1, 2)
    }
    assert _items(runner, "pages") == {f"{T[1]}#{run.name}#{n}": [BIG, BIG + n] for n in (1, 2)}
    assert runner.states_entered(run)[:6] == [
        "FirstRequest", "DownloadPage", "PersistPage", "SelectPage", "ArchivePage", "MorePages",
    ]  # fmt: skip


def test_a_fan_outs_archived_pages_keep_every_digit(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """The same in a fan-out's iteration (``$pathLoop``): object keys and bodies exact."""
    runner = open_runner("Every/PagedFanOut", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        if "page" not in seen.query:
            return Answer(200, f"[{BIG}]".encode(), headers={"Link": '</r/eu?page=2>; rel="next"'})
        return Answer(200, f"[{BIG + 2}]".encode())

    upstream.respond(answer)
    run = runner.run(T[2])
    assert run.status == "SUCCEEDED", run.cause
    assert _objects(runner, "PagedFanOut") == {
        f"pagedfanout/{T[2]}#{run.name}#/r/eu#1.json": {"body": [BIG]},
        f"pagedfanout/{T[2]}#{run.name}#/r/eu#2.json": {"body": [BIG + 2]},
    }
