"""The checked page loop (and one request) with a selection no plain path of the raw page
reads (issue 25 item 14): a constant or an intrinsic in the ``result_selector``, the whole
selection as an item attribute, records read from a selected list, ``changes_only`` over such
a selection. A JSONPath
``SelectPage`` applies the selector after the checked download (every digit kept: no JSONata
between the download and the store), and a compressed page is refused in the download, before
anything is stored. These pages went through ``NextRequest``'s JSONata ``Output``, which stored
``12345678901234567`` as ``12345678901234568``.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from local_helpers import Answer, Seen, Upstream, memos, received_from
from sfn_downloader import (
    Archive,
    DownloaderPattern,
    ItemField,
    Pagination,
    Records,
    RetryAfter,
    StatusAction,
    Store,
)
from sfn_downloader.local import LocalRunner

API = "https://api.example.com"
T = ["2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"]
BIG = 12345678901234567
"""Beyond 2^53: JSONata's doubles make it 12345678901234568."""
SELECTOR = {"rows.$": "$.ResponseBody.results", "source": "api",
            "count.$": "States.ArrayLength($.ResponseBody.results)"}  # fmt: skip


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Selected")
    DownloaderPattern(
        stack, "Whole", endpoint=API, path="/v1/rows", pagination=Pagination.next_url(),
        result_selector=SELECTOR, item={"page": ItemField.json("$")}, downloader_id="whole",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Recorded", endpoint=API, path="/v1/rows", pagination=Pagination.next_url(),
        result_selector={"rows.$": "$.ResponseBody.results[?(@.id > 0)]"},
        item={"rows": ItemField.json("$.rows")},
        records=Records.merge(items="$.rows", key="id"), downloader_id="recorded",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Changes", endpoint=API, path="/v1/rows", pagination=Pagination.next_url(),
        result_selector=SELECTOR, store=Store.changes_only(),
        item={"rows": ItemField.json("$.rows")}, downloader_id="changes",
    )  # fmt: skip
    # One request (issue 25 item 14): the checked download, then SelectDownload.
    DownloaderPattern(
        stack, "One", endpoint=API, path="/v1/rows", result_selector=SELECTOR,
        item={"page": ItemField.json("$")}, downloader_id="one",
    )  # fmt: skip
    # One request with the whole body and a constant, and what follows the download or its
    # store: SelectDownload (or SelectResult, where states after Persist read it) first.
    body = {"body.$": "$.ResponseBody", "source": "api"}
    item = {"body": ItemField.json("$.body"), "source": ItemField.string("$.source")}
    common: dict[str, Any] = {"endpoint": API, "path": "/v1/rows", "result_selector": body,
                              "item": item}  # fmt: skip
    DownloaderPattern(stack, "Rec", records=Records.merge(items="$.body.results", key="id"),
                      downloader_id="rec", **common)  # fmt: skip
    DownloaderPattern(stack, "Status", on_status={404: StatusAction.SKIP},
                      retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
                      downloader_id="status", **common)  # fmt: skip
    queue = sqs.Queue(stack, "Sent")
    send = tasks.SqsSendMessage(stack, "Send", queue=queue,
                                message_body=sfn.TaskInput.from_json_path_at("$"))  # fmt: skip
    DownloaderPattern(stack, "Post", post_process=send, archive=Archive.to_new_bucket(),
                      downloader_id="post", **common)  # fmt: skip
    return app


def pages(last: int, big: int = BIG, compressed: int | None = None) -> Callable[[Seen], Answer]:
    """``/v1/rows?page=N``: ``{"results": [{"id": big + N}], "next": ...}``, written with every
    digit; page ``compressed`` gzip-compressed."""

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        nxt = f"/v1/rows?page={page + 1}" if page < last else None
        body = json.dumps({"results": [{"id": big + page}], "next": nxt}).encode()
        if page == compressed:
            return Answer(200, gzip.compress(body), {"Content-Encoding": "gzip"})
        return Answer(200, body)

    return answer


def kept(runner: LocalRunner, pk: str) -> list[dict[str, Any]]:
    return sorted(
        (i for i in runner.items() if i["pk"] == pk and not str(i["sk"]).startswith("#")),
        key=lambda i: str(i["sk"]),
    )


def test_a_whole_selection_with_a_constant_and_an_intrinsic_keeps_every_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Selected/Whole")
    upstream.respond(pages(2))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert [json.loads(str(i["page"])) for i in kept(runner, "whole")] == [
        {"rows": [{"id": BIG + n}], "source": "api", "count": 1} for n in (1, 2)
    ]
    assert runner.states_entered(run) == [
        "FirstRequest", "DownloadPage", "SelectPage", "PersistPage", "MorePages",
        "DownloadPage", "SelectPage", "PersistPage", "MorePages", "MarkDelivered",
    ]  # fmt: skip


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_a_compressed_page_is_refused_before_it_is_selected(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Selected/Whole")
    upstream.respond(pages(3, compressed=2))
    run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert "page 2 (/v1/rows?page=2) is gzip-compressed" in (run.cause or "")
    assert len(kept(runner, "whole")) == 1


def test_records_of_a_selection_no_plain_path_reads_keep_every_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Selected/Recorded")
    upstream.respond(pages(2))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    records = sorted(
        (json.loads(str(i["record"])) for i in runner.items() if i["pk"] == "recorded#records"),
        key=lambda r: int(r["id"]),
    )
    assert records == [{"id": BIG + 1}, {"id": BIG + 2}]
    assert "SelectPage" in runner.states_entered(run)
    assert "NextRequest" not in runner.states_entered(run)


def test_changes_only_over_such_a_selection_sees_the_17th_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Selected/Changes")
    upstream.respond(pages(1))
    assert runner.run(T[0]).succeeded
    upstream.respond(pages(1))
    same = runner.run(T[1])
    assert same.status == "SUCCEEDED", same.cause
    assert "RememberUnchanged" in runner.states_entered(same)
    upstream.respond(pages(1, big=BIG + 1))
    changed = runner.run(T[2])
    assert changed.status == "SUCCEEDED", changed.cause
    assert [json.loads(str(i["rows"])) for i in kept(runner, "changes")] == [
        [{"id": BIG + 1}],
        [{"id": BIG + 2}],
    ]
    assert len(memos(runner, "changes")) == 1


def test_one_request_selects_after_the_checked_download_and_keeps_every_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """A constant in the selector, the whole selection as an attribute: Download (JSONata,
    checked) → SelectDownload (JSONPath) → Persist: one state more than the JSONPath download
    with its ResultSelector, which stored a compressed answer as text."""
    runner = open_runner("Selected/One")
    upstream.respond(pages(1))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert [json.loads(str(i["page"])) for i in kept(runner, "one")] == [
        {"rows": [{"id": BIG + 1}], "source": "api", "count": 1}
    ]
    assert runner.states_entered(run) == ["Download", "SelectDownload", "Persist"]


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_one_request_refuses_a_compressed_answer_before_it_is_selected(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """It was stored as text: the JSONPath download had no state that read the answer."""
    runner = open_runner("Selected/One")
    upstream.respond(pages(1, compressed=1))
    run = runner.run(T[1])
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert "The answer to /v1/rows is gzip-compressed" in (run.cause or "")
    assert [i for i in kept(runner, "one") if str(i["sk"]).startswith(T[1])] == []


BODY = {"results": [{"id": BIG}]}
TEXT = json.dumps(BODY).encode()
"""Written with every digit (``12345678901234567``)."""


@pytest.mark.parametrize(
    ("name", "states"),
    [
        ("Rec", ["Download", "SelectDownload", "Persist", "ReadRecords", "RecordsValid",
                 "WriteRecords", "PutRecord"]),
        ("Status", ["Download", "DownloadThrottled", "SelectDownload", "Persist"]),
        ("Post", ["Download", "SelectResult", "Persist", "Archive", "Send"]),
    ],
)  # fmt: skip
def test_one_request_with_a_constant_selector_and_more_keeps_every_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, name: str, states: list[str]
) -> None:
    """A constant beside the whole body, with records, on_status + retry_after, or an archive
    + post_process: the selection is applied after the checked download by a JSONPath Pass
    (no state more than with a selector Persist reads through, where states follow)."""
    runner = open_runner(f"Selected/{name}")
    upstream.respond(lambda seen: Answer(200, TEXT))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert runner.states_entered(run) == states
    [answer] = kept(runner, name.lower())
    assert json.loads(str(answer["body"])) == BODY and answer["source"] == "api"
    if name == "Rec":
        [record] = [i for i in runner.items() if i["pk"] == "rec#records"]
        assert json.loads(str(record["record"])) == {"id": BIG}
    if name == "Post":
        [archived] = runner.objects().values()  # the stack's one archive
        assert archived == {"body": BODY, "source": "api"}
        [message] = received_from(runner, "Selected/Sent")
        assert message["result"] == {"body": BODY, "source": "api"}
        assert message["key"] == {"pk": "post", "sk": T[0]}


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
@pytest.mark.parametrize("name", ["Rec", "Status", "Post"])
def test_one_request_with_a_constant_selector_and_more_refuses_a_compressed_answer(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, name: str
) -> None:
    """These runs succeeded with the gzip bytes stored (and archived, sent) as text."""
    runner = open_runner(f"Selected/{name}")
    upstream.respond(lambda seen: Answer(200, gzip.compress(TEXT), {"Content-Encoding": "gzip"}))
    run = runner.run(T[1])
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert runner.states_entered(run) == ["Download", "AnswerCompressed"]
    assert [i for i in runner.items() if str(i["sk"]).startswith(T[1])] == []


def test_on_status_with_a_constant_selector_skips_and_waits(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """A 404 is skipped (nothing stored, no SelectDownload on its body); a 429 waits its
    Retry-After, then the 200 is selected and stored."""
    runner = open_runner("Selected/Status")
    upstream.respond(lambda seen: Answer(404, b'{"message": "gone"}'))
    skipped = runner.run(T[2])
    assert skipped.status == "SUCCEEDED", skipped.cause
    assert runner.states_entered(skipped) == ["Download", "Skipped"]
    answers = iter([Answer(429, b'{"message": "slow"}', {"Retry-After": "1"})])
    upstream.respond(lambda seen: next(answers, Answer(200, TEXT)))
    waited = runner.run("2026-11-27T08:00:00Z")
    assert waited.status == "SUCCEEDED", waited.cause
    assert runner.states_entered(waited) == [
        "Download", "DownloadThrottled", "ComputeRetryAfter", "RetryAfterAllowed",
        "WaitRetryAfter", "Download", "DownloadThrottled", "SelectDownload", "Persist",
    ]  # fmt: skip
    [answer] = [i for i in kept(runner, "status") if str(i["sk"]).startswith("2026-11-27T08")]
    assert json.loads(str(answer["body"])) == BODY
