"""A compressed answer where each request keeps its own polite memory (issue 25 item 14): a
fan-out's paths, ``from_answer``'s items, one request computed each run (``incremental``, a
query override). ``ReadMemoAnswer`` refuses it before anything stores or remembers it: a path
fails alone, naming its key; one request fails the run naming the URL it asked.

The stand-in gzips the answers it is told to, as a server that ignores ``Accept-Encoding:
identity`` does (API Gateway passes such a body on as text: "Receive an API response with a
compressed payload"). The HTTP Task cannot read a gzip body at all (``States.Runtime``, "Call
HTTPS APIs"): through it, a readable body labelled compressed stands for one.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from local_helpers import Answer, Seen, Upstream, etag, memos, stored
from sfn_downloader import (
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Starts,
    Store,
    Transport,
)
from sfn_downloader.local import LocalRunner

API = "https://api.example.com"
T = ["2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"]
INITIAL = "2026-11-01T00:00:00Z"
SINCE = "/v1/events?since=2026-11-01T00%3A00%3A00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = b'[{"id": 12345678901234567, "updated_at": "2026-11-20T10:00:00Z"}]'
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """Each shape whose requests keep their own memories, through the proxy and (where the
    HTTP Task takes the feature: it refuses ``If-None-Match``) through the HTTP Task."""
    app = cdk.App()
    stack = cdk.Stack(app, "MemoCompressed")
    body = {"answer": ItemField.json("$.ResponseBody")}
    selector, selected = {"body.$": "$.ResponseBody"}, {"answer": ItemField.json("$.body")}
    since = Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL)

    def connection(name: str) -> events.Connection:
        return events.Connection(
            stack, name, authorization=events.Authorization.api_key(
                "X-Api-Key", cdk.SecretValue.unsafe_plain_text("not-a-secret")
            ),
        )  # fmt: skip

    DownloaderPattern(
        stack, "Paths", endpoint=API, fan_out=FanOut.paths(["/v1/a", "/v1/b"]),
        conditional=True, respect_expires=True, item=body, downloader_id="paths",
    )  # fmt: skip
    DownloaderPattern(
        stack, "HttpPaths", endpoint=API, fan_out=FanOut.paths(["/v1/a", "/v1/b"]),
        store=Store.changes_only(), respect_expires=True, result_selector=selector,
        item=selected, transport=Transport.http_task(connection("PathsKey")),
        downloader_id="httppaths",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Listed", endpoint=API, conditional=True, item=body,
        fan_out=FanOut.from_answer(path="/v1/types", each="/v1/types/{item}"),
        downloader_id="listed",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Since", endpoint=API, path="/v1/events", incremental=since, conditional=True,
        item=body, downloader_id="since",
    )  # fmt: skip
    DownloaderPattern(
        stack, "HttpSince", endpoint=API, path="/v1/events", incremental=since,
        respect_expires=True, result_selector=selector, item=selected,
        transport=Transport.http_task(connection("SinceKey")), downloader_id="httpsince",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Override", endpoint=API, path="/v1/issues?state=open", conditional=True,
        store=Store.changes_only(), result_selector=selector, item=selected,
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
        downloader_id="override",
    )  # fmt: skip
    return app


def squeezed(body: bytes) -> Answer:
    return Answer(200, gzip.compress(body), {"Content-Encoding": "gzip"})


def labelled(body: bytes) -> Answer:
    """Readable text labelled compressed: what the HTTP Task can read of a compressed answer."""
    return Answer(200, body, {"Content-Encoding": "br"})


def compressing(refused: str, compressed: Callable[[bytes], Answer]) -> Callable[[Seen], Answer]:
    """``BIG`` with an ``ETag`` for every path; the path ``refused`` compressed."""

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/types":
            return Answer(200, ["a", "b"])
        if seen.path == refused:
            return compressed(BIG)
        return Answer(200, BIG, {"ETag": etag(seen.path)})

    return answer


def answers(runner: LocalRunner, pk: str) -> dict[str, Any]:
    """The stored answers by their key (without the scheduled time and the delivery)."""
    return {
        item["sk"].rsplit("#", 1)[1]: json.loads(item["answer"])
        for item in runner.items()
        if item["pk"] == pk and item["sk"][0] != "#"
    }


def state(runner: LocalRunner, pk: str) -> dict[str, Any]:
    return next((i for i in runner.items() if (i["pk"], i["sk"]) == (pk, "#state")), {})


@pytest.mark.parametrize(
    ("name", "pk", "compressed", "prefix"),
    [
        ("Paths", "paths", squeezed, "/v1/"),
        ("HttpPaths", "httppaths", labelled, "/v1/"),
        ("Listed", "listed", squeezed, "/v1/types/"),
    ],
    ids=["paths", "paths through the HTTP Task", "from_answer items"],
)
def test_a_compressed_path_fails_alone_neither_stored_nor_remembered(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, name: str, pk: str,
    compressed: Callable[[bytes], Answer], prefix: str,
) -> None:  # fmt: skip
    runner = open_runner(f"MemoCompressed/{name}")
    upstream.respond(compressing(f"{prefix}b", compressed))

    execution = runner.run(T[0])

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    cause = execution.cause or ""
    assert ERROR in cause and f"{prefix}b" in cause, cause
    assert f"{prefix}a" not in cause, cause
    # The other path is stored, every digit kept, and remembered; the compressed one neither.
    assert answers(runner, pk) == {f"{prefix}a": json.loads(BIG)}
    assert sorted(memos(runner, pk)) == [f"{prefix}a"]


def test_the_refused_path_names_its_key_and_the_compression_in_its_outcome(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("MemoCompressed/Paths")
    upstream.respond(compressing("/v1/b", squeezed))

    execution = runner.run(T[0])

    entered = runner.states_entered(execution)
    assert entered.count("MemoAnswerCompressed") == 1, entered
    assert entered.count("Persist") == 1 and entered.count("RememberMemo") == 1, entered
    assert "The answer to /v1/b is gzip-compressed" in (execution.cause or "")


@pytest.mark.parametrize(
    ("name", "pk", "compressed", "coding"),
    [("Since", "since", squeezed, "gzip"), ("HttpSince", "httpsince", labelled, "br")],
    ids=["through the proxy", "through the HTTP Task"],
)
def test_a_compressed_answer_to_a_request_computed_each_run_fails_the_run_naming_its_url(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, name: str, pk: str,
    compressed: Callable[[bytes], Answer], coding: str,
) -> None:  # fmt: skip
    runner = open_runner(f"MemoCompressed/{name}")
    upstream.respond(lambda seen: compressed(BIG))

    execution = runner.run(T[0])

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert f"The answer to {SINCE} is {coding}-compressed" in (execution.cause or "")
    assert stored(runner, pk) == []
    assert memos(runner, pk) == {}
    assert "mark" not in state(runner, pk)  # the mark not advanced past a refused answer
    assert "Persist" not in runner.states_entered(execution)


def test_a_compressed_answer_to_an_overridden_query_names_the_url_asked(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # The URL read where ReadMemoAnswer is (the query override kept in the state).
    runner = open_runner("MemoCompressed/Override")
    upstream.respond(lambda seen: squeezed(BIG))

    execution = runner.run(input={"scheduledTime": T[0], "query": {"state": "closed"}})

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/issues?state=closed is gzip-compressed" in (execution.cause or "")
    assert stored(runner, "override") == [] and memos(runner, "override") == {}


# The states a successful run enters, measured on main before ReadMemoAnswer refused anything
# (7de5ffb): the Choice that replaced the Pass is one state as the Pass was.
ENTERED = {
    "Since": ["ReadState", "ReadMemo", "Download", "MemoAnswer", "ReadMemoAnswer", "Persist",
              "RememberMemo", "AdvanceMark"],
    "HttpSince": ["ReadState", "ReadMemo", "MemoFresh", "Download", "ReadDownload",
                  "SelectDownload", "MemoAnswer", "ReadMemoAnswer", "Persist", "RememberMemo",
                  "AdvanceMark"],
    "Override": ["CheckInput", "HasQueryOverrides", "DefaultQuery", "ReadMemo", "Download",
                 "ReadDownload", "SelectDownload", "MemoAnswer", "ReadMemoAnswer",
                 "MemoUnchanged", "Persist", "RememberMemo"],
    "Paths": ["FetchAll", *["ReadMemo", "MemoFresh", "Download", "ReadDownload", "MemoAnswer",
                            "ReadMemoAnswer", "Persist", "RememberMemo"] * 2,
              "AnyFailed", "MarkDelivered"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "pk", "count"),
    [("Since", "since", 1), ("HttpSince", "httpsince", 1), ("Override", "override", 1),
     ("Paths", "paths", 2)],
)  # fmt: skip
def test_an_uncompressed_answer_is_stored_with_every_digit_in_as_many_states(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, name: str, pk: str, count: int
) -> None:
    runner = open_runner(f"MemoCompressed/{name}")
    upstream.respond(lambda seen: Answer(200, BIG, {"ETag": '"e"'}))

    execution = runner.run(T[0])

    assert execution.status == "SUCCEEDED", execution.cause
    stored_answers = list(answers(runner, pk).values())
    assert stored_answers == [json.loads(BIG)] * count
    assert all(answer[0]["id"] == 12345678901234567 for answer in stored_answers)
    assert len(memos(runner, pk)) == count
    assert sorted(runner.states_entered(execution)) == sorted(ENTERED[name])
