"""A server that compresses although the proxy asks ``Accept-Encoding: identity`` (issue 25,
item 14): where a state already follows the download, the answer is not stored and the run
fails with ``Downloader.CompressedAnswer`` naming the request.

API Gateway passes a compressed integration response on undecompressed ("Receive an API
response with a compressed payload") and, without binary media types, as UTF-8 text ("Content
type conversions in API Gateway"): what reaches the state machine is not the JSON the server
compressed. The stand-in gzips whatever it is asked, as a server that ignores
``Accept-Encoding`` does; the local runner warns (``CompressedAnswerWarning``) each time.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from local_helpers import Answer, Run, Seen, Upstream, gzipped
from sfn_downloader import (
    Archive,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Store,
    Transport,
)
from sfn_downloader.local import CompressedAnswerWarning

T0 = "2026-11-27T05:30:00Z"
ERROR = "Downloader.CompressedAnswer"
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """One page loop, a paged fan-out, both lists of ``from_answer``, one GraphQL request."""
    app = cdk.App()
    stack = cdk.Stack(app, "Compressed")
    endpoint = "https://api.example.com"
    item = {"answer": ItemField.json("$.ResponseBody")}  # a garbled body would be stored as is
    DownloaderPattern(
        stack, "Pages", endpoint=endpoint, path="/v1/items", pagination=Pagination.next_url(),
        item=item,
    )  # fmt: skip
    DownloaderPattern(
        stack, "Many", endpoint=endpoint, fan_out=FanOut.paths(["/v1/a", "/v1/b"]),
        pagination=Pagination.next_url(), item=item,
    )  # fmt: skip
    DownloaderPattern(
        stack, "List", endpoint=endpoint,
        fan_out=FanOut.from_answer(path="/v1/types", each="/v1/types/{item}"), item=item,
    )  # fmt: skip
    DownloaderPattern(
        stack, "PagedList", endpoint=endpoint,
        fan_out=FanOut.from_answer(
            path="/v1/types", items="$.ResponseBody.results", each="/v1/types/{item}",
            pages=Pagination.next_url(),
        ),
        item=item,
    )  # fmt: skip
    DownloaderPattern(
        stack, "Graph", endpoint=endpoint, path="/graphql", method="POST",
        body={"query": "{ viewer { login } }"}, item=item,
    )  # fmt: skip
    DownloaderPattern(stack, "Single", endpoint=endpoint, path="/v1/status", item=item)
    DownloaderPattern(
        stack, "Polite", endpoint=endpoint, path="/v1/status", conditional=True,
        store=Store.changes_only(), result_selector={"body.$": "$.ResponseBody"},
        item={"answer": ItemField.json("$.body")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Tagged", endpoint=endpoint, path="/v1/status", conditional=True,
        item={"answer": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "ProxyPaths", endpoint=endpoint, fan_out=FanOut.paths(["/v1/a", "/v1/b", "/v1/c"]),
        item={"answer": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Counted", endpoint=endpoint, path="/v1/items",
        pagination=Pagination.page_count(header="X-Pages"), item=item,
    )  # fmt: skip
    connection = events.Connection(
        stack, "Key", authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.unsafe_plain_text("not-a-secret")
        ),
    )  # fmt: skip
    DownloaderPattern(
        stack, "Http", endpoint=endpoint, path="/v1/status", item=item,
        transport=Transport.http_task(connection),
    )  # fmt: skip
    # The same through the HTTP Task.
    paths_connection = events.Connection(
        stack, "PathsKey", authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.unsafe_plain_text("not-a-secret")
        ),
    )  # fmt: skip
    DownloaderPattern(
        stack, "Paths", endpoint=endpoint, fan_out=FanOut.paths(["/v1/a", "/v1/b", "/v1/c"]),
        result_selector={"body.$": "$.ResponseBody"}, item={"answer": ItemField.json("$.body")},
        transport=Transport.http_task(paths_connection),
    )  # fmt: skip

    DownloaderPattern(
        stack, "Selected", endpoint=endpoint, path="/v1/status",
        result_selector={"body.$": "$.ResponseBody",
                         "meta": {"server.$": "$.Headers['X-Server'][0]"}},
        item={"answer": ItemField.json("$.body"), "players": ItemField.number("$.body.players"),
              "server": ItemField.string("$.meta.server")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Archived", endpoint=endpoint, path="/v1/status", item=item,
        archive=Archive.to_new_bucket(),
    )  # fmt: skip
    return app


def squeezed(body: object, name: str = "Content-Encoding", value: str = "gzip") -> Answer:
    """``body`` gzip-compressed, the coding named ``name: value``."""
    return Answer(200, gzip.compress(json.dumps(body).encode()), {name: value})


def paged(compressed_page: int, **spelling: str) -> Callable[[Seen], Answer]:
    """``/v1/...?page=N`` answers ``{"results": [N], "next": ...}`` for 3 pages; one page is
    gzip-compressed."""

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        nxt = f"{seen.path}?page={page + 1}" if page < 3 else None
        body = {"results": [page], "next": nxt}
        return squeezed(body, **spelling) if page == compressed_page else Answer(200, body)

    return answer


def stored_pages(run: Run) -> list[str]:
    return sorted(item["sk"].split("#", 1)[1] for item in run.items())


@pytest.mark.parametrize(
    ("name", "value"),
    [("Content-Encoding", "gzip"), ("content-encoding", "GZIP"), ("CONTENT-ENCODING", " x-Gzip ")],
)
def test_a_compressed_page_fails_the_run_naming_it_and_is_not_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream, name: str, value: str
) -> None:
    upstream.respond(paged(2, name=name, value=value))
    run = open_run("Compressed", "Pages")

    with pytest.warns(CompressedAnswerWarning):
        execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    coding = value.strip().lower()
    assert f"page 2 (/v1/items?page=2) is {coding}-compressed" in execution.cause
    assert stored_pages(run) == ["1"]  # page 1 stored, page 2 not, page 3 never asked
    assert [seen.raw_query for seen in upstream.requests] == ["", "page=2"]
    assert upstream.requests[0].headers["accept-encoding"] == "identity"


def test_identity_is_not_a_compression(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        nxt = f"/v1/items?page={page + 1}" if page < 3 else None
        return Answer(200, {"results": [page], "next": nxt}, {"Content-Encoding": "Identity"})

    upstream.respond(answer)
    run = open_run("Compressed", "Pages")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    assert stored_pages(run) == ["1", "2", "3"]


def test_in_a_fan_out_a_compressed_page_fails_its_path_only(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        body = {"results": [page], "next": f"{seen.path}?page=2" if page < 2 else None}
        return squeezed(body) if (seen.path, page) == ("/v1/b", 2) else Answer(200, body)

    upstream.respond(answer)
    run = open_run("Compressed", "Many")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    assert "/v1/b" in (execution.cause or "") and ERROR in (execution.cause or "")
    assert stored_pages(run) == ["/v1/a#1", "/v1/a#2", "/v1/b#1"]


def test_a_compressed_list_fails_before_any_item_is_requested(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(default=gzipped(["a", "b"]))
    run = open_run("Compressed", "List")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/types is gzip-compressed" in execution.cause
    assert [seen.path for seen in upstream.requests] == ["/v1/types"]
    assert run.items() == []


def test_a_compressed_list_page_fails_before_any_item_is_requested(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.respond(paged(2))
    run = open_run("Compressed", "PagedList")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "list page 2 (/v1/types?page=2) is gzip-compressed" in execution.cause
    assert [seen.raw_query for seen in upstream.requests] == ["", "page=2"]
    assert run.items() == []


def test_a_compressed_graphql_answer_fails_where_its_errors_are_checked(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # AnswerHasErrors already follows the download: one rule more, no state.
    upstream.script(default=gzipped({"data": {"viewer": {"login": "octocat"}}}))
    run = open_run("Compressed", "Graph")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /graphql is gzip-compressed" in execution.cause
    assert run.items() == []


def test_an_uncompressed_graphql_answer_is_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {"data": {"viewer": {"login": "octocat"}}}))
    run = open_run("Compressed", "Graph")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(run.items()) == 1


@pytest.mark.parametrize("name", ["Single", "Selected"])
def test_a_compressed_single_answer_fails_the_run_and_is_not_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream, name: str
) -> None:
    # One request: Download -> Persist, no state between them; the JSONata download's
    # Assign raises, its Catch fails the run.
    upstream.script(default=squeezed({"players": 30000}, "content-encoding", "br"))
    run = open_run("Compressed", name)

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/status is br-compressed" in execution.cause
    assert run.items() == []


def test_a_single_answer_is_stored_through_the_selector_in_two_states(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {"players": 30000}, {"X-Server": "tranquility"}))
    run = open_run("Compressed", "Selected")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    [item] = run.items()
    assert json.loads(item["answer"]) == {"players": 30000}
    assert (item["players"], item["server"]) == (30000, "tranquility")
    assert run.runner.states_entered(execution) == ["Download", "Persist"]


def test_through_the_proxy_a_compressed_path_fails_alone_and_the_others_are_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        body = {"path": seen.path}
        return squeezed(body) if seen.path == "/v1/b" else Answer(200, body)

    upstream.respond(answer)
    run = open_run("Compressed", "ProxyPaths")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    assert "/v1/b" in (execution.cause or "") and ERROR in (execution.cause or "")
    stored = {item["sk"].split("#", 1)[1]: json.loads(item["answer"]) for item in run.items()}
    assert stored == {"/v1/a": {"path": "/v1/a"}, "/v1/c": {"path": "/v1/c"}}


def test_in_a_plain_fan_out_a_compressed_path_fails_alone_and_the_others_are_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        # readable text labelled compressed (a gzip body fails the HTTP Task itself)
        coded = {"Content-Encoding": "br"} if seen.path == "/v1/b" else {}
        return Answer(200, {"path": seen.path}, coded)

    upstream.respond(answer)
    run = open_run("Compressed", "Paths")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    assert "/v1/b" in (execution.cause or "") and ERROR in (execution.cause or "")
    stored = {item["sk"].split("#", 1)[1]: json.loads(item["answer"]) for item in run.items()}
    assert stored == {"/v1/a": {"path": "/v1/a"}, "/v1/c": {"path": "/v1/c"}}
    entered = run.runner.states_entered(execution)
    assert entered.count("Download") == 3 and entered.count("Persist") == 2


def test_a_compressed_page_of_page_count_fails_its_page_only(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # page_count's pages 2..n run in a Map: each page's download is checked for free.
    def answer(seen: Seen) -> Answer:
        page = seen.query.get("page", ["1"])[0]
        body, headers = {"page": page}, {"X-Pages": "3"}
        if page == "3":
            return Answer(200, gzip.compress(json.dumps(body).encode()),
                          {**headers, "Content-Encoding": "gzip"})  # fmt: skip
        return Answer(200, body, headers)

    upstream.respond(answer)
    run = open_run("Compressed", "Counted")

    execution = run.run()

    assert execution.error == "Downloader.RequestsFailed", execution.cause
    assert ERROR in (execution.cause or ""), execution.cause
    assert stored_pages(run) == ["1", "2"]


def test_a_compressed_first_page_of_page_count_fails_the_run_before_anything_is_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(default=squeezed({"page": "1"}, "Content-Encoding", "deflate"))
    run = open_run("Compressed", "Counted")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/items is deflate-compressed" in execution.cause
    assert run.items() == []
    assert len(upstream.requests) == 1


def test_through_the_http_task_an_answer_labelled_compressed_is_not_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # A gzip body is not a valid string: the HTTP Task itself fails (States.Runtime, "Call
    # HTTPS APIs": unsupported responses). A text body labelled compressed is readable, and
    # the check refuses it all the same.
    upstream.script(default=Answer(200, {"players": 1}, {"Content-Encoding": "br"}))
    run = open_run("Compressed", "Http")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/status is br-compressed" in execution.cause
    assert run.items() == []


def test_a_single_answer_keeps_every_digit_through_the_checked_download(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # The JSONata download has no Output: the raw answer is never evaluated as JSONata (whose
    # numbers are doubles: 12345678901234567 would become 12345678901234568).
    upstream.script(default=Answer(200, b'{"id": 12345678901234567}'))
    run = open_run("Compressed", "Single")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    [item] = run.items()
    assert json.loads(item["answer"]) == {"id": 12345678901234567}


def test_with_polite_memory_a_compressed_answer_fails_where_the_answer_is_read(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # conditional + changes_only: ReadAnswer (a JSONata Choice, as many events as the Pass it
    # was) refuses it before IsUnchanged and Persist; nothing stored, nothing remembered.
    upstream.script(default=squeezed({"players": 1}, "Content-Encoding", "gzip"))
    run = open_run("Compressed", "Polite")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/status is gzip-compressed" in execution.cause
    assert run.items() == []
    assert "Persist" not in run.runner.states_entered(execution)


def test_conditional_alone_refuses_a_compressed_answer_in_the_download(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # conditional alone (issue 28(a)): no ReadAnswer; the download's own Assign refuses it,
    # before it assigns the memory's update: nothing stored, nothing remembered.
    upstream.script(default=squeezed({"players": 1}))
    run = open_run("Compressed", "Tagged")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/status is gzip-compressed" in execution.cause
    assert run.items() == []
    assert run.runner.states_entered(execution) == ["ReadState", "Download", "AnswerCompressed"]


def test_a_page_keeps_every_digit(open_run: Callable[[str, str], Run], upstream: Upstream) -> None:
    upstream.script(default=Answer(200, b'{"results": [12345678901234567], "next": null}'))
    run = open_run("Compressed", "Pages")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    [item] = run.items()
    assert json.loads(item["answer"])["results"] == [12345678901234567]


def test_a_fan_out_paths_pages_keep_every_digit(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    """Issue 28(a): a fan-out path's page loop (a Map iteration, ``$pathLoop``) stores the raw
    page unevaluated too: no number of it passes through JSONata."""
    upstream.script(default=Answer(200, b'{"results": [12345678901234567], "next": null}'))
    run = open_run("Compressed", "Many")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    items = run.items()
    assert len(items) == 2
    assert [json.loads(item["answer"])["results"] for item in items] == [[12345678901234567]] * 2


def test_an_archived_single_answer_that_is_compressed_is_neither_stored_nor_archived(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # The archive alone (no result_selector) reads the raw answer the checked download leaves
    # at $: the download refuses a compressed answer before Persist and Archive (it stored and
    # archived the bytes as text).
    upstream.script(default=squeezed({"players": 1}))
    run = open_run("Compressed", "Archived")

    execution = run.run()

    assert (execution.status, execution.error) == ("FAILED", ERROR), execution.cause
    assert "The answer to /v1/status is gzip-compressed" in execution.cause
    assert run.items() == []
    assert run.runner.objects() == {}


def test_an_archived_single_answer_keeps_every_digit_in_three_states(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, b'{"id": 12345678901234567}'))
    run = open_run("Compressed", "Archived")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    assert run.runner.states_entered(execution) == ["Download", "Persist", "Archive"]
    [item] = run.items()
    assert json.loads(item["answer"]) == {"id": 12345678901234567}
    [(name, body)] = run.runner.objects().items()
    assert name.split("/", 1)[1].startswith("Compressed/Archived/"), name
    assert body["ResponseBody"] == {"id": 12345678901234567}
    assert body["StatusCode"] == 200
