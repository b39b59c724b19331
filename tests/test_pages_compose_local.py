"""The pages of one path with what an ingestion job needs around them, run locally.

dlt's quick start, on GitHub: an incremental ``since`` sent on the first page, every page
followed (``?page=N``, or the ``Link`` header), a ``429`` with ``Retry-After`` waited out on
any page, and the mark moved once, to the newest record of every page, only when every page is
stored. And a time window over page numbers, and a cursor feed under a dated path with a
numeric mark. The stand-ins page as the real APIs do and record every request's query.

``retry_after`` with ``Link`` pages is refused (the proxy that hands a 429's headers over maps
query parameters by name, and a next link's are the API's choice): GitHub's lists page by
``?page=N`` as well, which is what the ``Issues`` downloader does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream
from sfn_downloader import (
    DownloaderPattern,
    Incremental,
    ItemField,
    Pagination,
    RetryAfter,
    Window,
)
from sfn_downloader.local import LocalRunner

from scenarios import rendered_definition

GITHUB = "https://api.github.com"
ISSUES = "/repos/aws/aws-cdk/issues"
INITIAL = "2026-01-01T00:00:00Z"
T = ["2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"]
SLOW_DOWN = {"message": "You have exceeded a secondary rate limit."}


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Jobs")
    DownloaderPattern(
        stack, "Issues", endpoint=GITHUB,
        path=f"{ISSUES}?state=all&sort=updated&direction=asc&per_page=2",
        pagination=Pagination.page_number(page_size=2, max_pages=10),
        incremental=Incremental(
            cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL
        ),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2), max_waits=2),
        result_selector={"issues.$": "$.ResponseBody"},
        item={"issues": ItemField.json("$.issues")},
        downloader_id="github/issues",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Linked", endpoint=GITHUB,
        path=f"{ISSUES}?state=all&sort=updated&direction=asc&per_page=2",
        pagination=Pagination.link_header(max_pages=10),
        incremental=Incremental(
            cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL
        ),
        item={"issues": ItemField.json("$.ResponseBody")},
        downloader_id="github/linked",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Trades", endpoint="https://api.example.com",
        path="/v1/trades?from={window_start}&to={window_end}",
        window=Window.last(cdk.Duration.hours(1)),
        pagination=Pagination.page_number(items_path="$.ResponseBody.trades", page_size=2),
        item={"trades": ItemField.json("$.ResponseBody.trades")},
        downloader_id="trades",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Dated", endpoint="https://api.example.com",
        path="/v1/{scheduled_time:date}/items?lang=en",
        pagination=Pagination.page_number(items_path="$.ResponseBody.items", page_size=2),
        item={"items": ItemField.json("$.ResponseBody.items")},
        downloader_id="dated",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Feed", endpoint="https://api.example.com",
        path="/v1/{scheduled_time:date}/feed",
        pagination=Pagination.cursor(next_path="$.ResponseBody.next"),
        incremental=Incremental("$.ResponseBody.events[*].id", "after", 0),
        item={"events": ItemField.json("$.ResponseBody.events")},
        downloader_id="feed",
    )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"fast_retries": True}


def github(
    pages: list[list[str]], *, throttle: dict[int, int] | None = None
) -> Callable[[Seen], Answer]:
    """GitHub's issues, ``per_page`` at a time, each page linking the next (the query as
    GitHub writes it, ``since`` kept); ``throttle``: page → how many 429s it answers first."""
    left = dict(throttle or {})

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        if left.get(page, 0) > 0:
            left[page] -= 1
            return Answer(429, SLOW_DOWN, headers={"Retry-After": "7"})
        records = [
            {"number": page * 10 + i, "updated_at": at} for i, at in enumerate(pages[page - 1])
        ]
        headers = {}
        if page < len(pages):
            query = {k: v[0] for k, v in seen.query.items()} | {"page": str(page + 1)}
            headers["Link"] = f'<{GITHUB}{ISSUES}?{urlencode(query)}>; rel="next"'
        return Answer(200, records, headers=headers)

    return answer


def definition_of(app: cdk.App, name: str) -> dict[str, Any]:
    """The parsed definition of the ``Jobs`` stack's downloader ``name``."""
    stack = app.node.find_child("Jobs")
    assert isinstance(stack, cdk.Stack)
    pattern = stack.node.find_child(name)
    assert isinstance(pattern, DownloaderPattern)
    logical_id = stack.get_logical_id(pattern.state_machine.node.default_child)  # type: ignore[arg-type]
    template = app.synth().get_stack_by_name("Jobs").template
    return json.loads(rendered_definition(template, logical_id))  # type: ignore[no-any-return]


def items(runner: LocalRunner, pk: str) -> list[dict[str, Any]]:
    return sorted((i for i in runner.items() if i["pk"] == pk and i["sk"] != "#state"),
                  key=lambda i: i["sk"])  # fmt: skip


def mark(runner: LocalRunner, pk: str) -> str | None:
    state = [i for i in runner.items() if i["pk"] == pk and i["sk"] == "#state"]
    return state[0].get("mark") if state else None


def test_pages_since_and_retry_after_together(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Issues")
    # Run 1: since=initial on the first page; page 2 is throttled once (7 s waited, not the
    # 2-4-8 s backoff); the newest record is on page 2, not on the last page.
    upstream.respond(github(
        [["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"],
         ["2026-03-05T00:00:00Z", "2026-02-03T00:00:00Z"],
         ["2026-03-01T00:00:00Z"]],
        throttle={2: 1},
    ))  # fmt: skip
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    sent = [(s.query["page"], s.query["since"]) for s in upstream.requests]
    assert sent == [(["1"], [INITIAL]), (["2"], [INITIAL]), (["2"], [INITIAL]), (["3"], [INITIAL])]
    assert runner.waits == [7]
    stored = items(runner, "github/issues")
    # Each page its own item, under the scheduled time and this delivery (a re-delivery asks
    # from another mark: it must not overwrite these pages).
    assert [i["sk"] for i in stored] == [f"{T[0]}#{first.name}#{n}" for n in (1, 2, 3)]
    assert [len(json.loads(i["issues"])) for i in stored] == [2, 2, 1]
    assert mark(runner, "github/issues") == "2026-03-05T00:00:00Z"
    # Run 2 asks from that mark, on its first page and (as GitHub writes the links) the next.
    upstream.respond(
        github([["2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z"], ["2026-03-07T00:00:00Z"]])
    )
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    assert [s.query["since"] for s in upstream.requests] == [["2026-03-05T00:00:00Z"]] * 2
    assert mark(runner, "github/issues") == "2026-03-07T00:00:00Z"


def test_a_run_whose_last_page_fails_keeps_its_pages_and_leaves_the_mark(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Issues")
    full = ["2026-04-01T00:00:00Z", "2026-04-01T12:00:00Z"]  # per_page=2: a full page
    upstream.respond(github([full, ["2026-04-02T00:00:00Z"]]))
    assert runner.run(T[0]).succeeded
    assert mark(runner, "github/issues") == "2026-04-02T00:00:00Z"

    def failing(seen: Seen) -> Answer:
        if seen.query.get("page") == ["2"]:
            return Answer(500, {"message": "Server Error"})
        return github([["2026-05-01T00:00:00Z", "2026-05-01T01:00:00Z"], []])(seen)

    upstream.respond(failing)
    failed = runner.run(T[1])
    assert failed.status == "FAILED" and failed.error == "ApiGateway.500"
    # Page 1 is stored, but the mark stays: the next run asks again for what page 2 held.
    assert [i["sk"] for i in items(runner, "github/issues")][-1] == f"{T[1]}#{failed.name}#1"
    assert mark(runner, "github/issues") == "2026-04-02T00:00:00Z"
    upstream.respond(github([["2026-05-01T00:00:00Z"]]))
    assert runner.run(T[2]).succeeded
    assert upstream.requests[0].query["since"] == ["2026-04-02T00:00:00Z"]
    assert mark(runner, "github/issues") == "2026-05-01T00:00:00Z"


def test_each_page_counts_its_own_waits(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """max_waits=2 is a request's: two pages throttled twice each is four waits in the run,
    and the run succeeds; a third 429 on one page fails it (RetryAfterExhausted)."""
    runner = open_runner("Jobs/Issues")
    full = ["2026-06-01T00:00:00Z", "2026-06-01T06:00:00Z"]  # per_page=2: a full page
    upstream.respond(github([full, ["2026-06-02T00:00:00Z"]], throttle={1: 2, 2: 2}))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert runner.waits == [7, 7, 7, 7]
    upstream.respond(
        github([["2026-06-03T00:00:00Z", "2026-06-04T00:00:00Z"], []], throttle={2: 3})
    )
    exhausted = runner.run(T[1])
    assert exhausted.status == "FAILED"
    assert exhausted.error == "Downloader.RetryAfterExhausted"
    assert mark(runner, "github/issues") == "2026-06-02T00:00:00Z"  # page 1 stored, mark kept


def test_link_pages_follow_the_since_the_api_wrote_into_them(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The first request carries the mark; each next one is the URL of the Link header, as
    GitHub wrote it (the mark in it); the mark moves to the newest record of all pages."""
    runner = open_runner("Jobs/Linked")
    upstream.respond(
        github([["2026-02-01T00:00:00Z"], ["2026-02-09T00:00:00Z"], ["2026-02-03T00:00:00Z"]])
    )
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert [(s.query.get("page"), s.query["since"]) for s in upstream.requests] == [
        (None, [INITIAL]), (["2"], [INITIAL]), (["3"], [INITIAL])
    ]  # fmt: skip
    assert mark(runner, "github/linked") == "2026-02-09T00:00:00Z"
    upstream.respond(github([["2026-02-10T00:00:00Z"]]))
    assert runner.run(T[1]).succeeded
    assert upstream.requests[0].query["since"] == ["2026-02-09T00:00:00Z"]


def test_a_window_is_sent_on_every_page(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Trades")

    def trades(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        return Answer(200, {"trades": [{"id": n} for n in range(2 if page < 3 else 1)]})

    upstream.respond(trades)
    run = runner.run(T[1])
    assert run.status == "SUCCEEDED", run.cause
    queries = [s.raw_query for s in upstream.requests]
    window = "from=2026-11-27T05%3A00%3A00Z&to=2026-11-27T06%3A00%3A00Z"
    assert queries == [f"{window}&page=1", f"{window}&page=2", f"{window}&page=3"]
    assert [i["sk"] for i in items(runner, "trades")] == [f"{T[1]}#{n}" for n in (1, 2, 3)]


def test_a_dated_path_with_a_literal_query_is_filled_on_every_page(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The path is computed, its query is not: the first page's URL is the filled path with
    the query as given (found by the HTTP Task's engineer: the template was requested)."""
    runner = open_runner("Jobs/Dated")
    upstream.respond(
        lambda seen: Answer(200, {"items": [1, 2] if seen.query["page"] == ["1"] else [3]})
    )
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert [(s.path, s.raw_query) for s in upstream.requests] == [
        ("/v1/2026-11-27/items", "lang=en&page=1"), ("/v1/2026-11-27/items", "lang=en&page=2"),
    ]  # fmt: skip


def test_a_cursor_feed_under_a_dated_path_with_a_numeric_mark(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Feed")

    def feed(seen: Seen) -> Answer:
        cursor = seen.query.get("cursor", ["a"])[0]
        events = {"a": [3, 9], "b": [12, 4]}[cursor]
        return Answer(
            200, {"events": [{"id": n} for n in events], "next": "b" if cursor == "a" else None}
        )

    upstream.respond(feed)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert [(s.path, s.raw_query) for s in upstream.requests] == [
        ("/v1/2026-11-27/feed", "after=0"), ("/v1/2026-11-27/feed", "after=0&cursor=b"),
    ]  # fmt: skip
    assert mark(runner, "feed") == "12"
    upstream.respond(feed)
    assert runner.run(T[1]).succeeded
    assert upstream.requests[0].raw_query == "after=12"


def test_the_template_folds_the_mark_over_pages_and_waits_inside_the_loop(app: cdk.App) -> None:
    """What the runs above exercise, as the template says it: the first request computed
    (JSONata, the mark folded from it), each page's values folded by NextRequest, the mark
    advanced once after the last page, the throttle check on the page's raw answer, each
    page keyed by its delivery."""
    states = definition_of(app, "Issues")["States"]
    first = states["FirstRequest"]
    assert first["QueryLanguage"] == "JSONata"
    assert first["Assign"] == {"cursorBest": "{% $requestMark %}"}
    assert '$qs($merge([$requestQuery, {"page": ["1"]}]))' in first["Output"]
    # The page's values are read where the page is kept, by a Pass that only assigns.
    assert "Assign" not in states["DownloadPage"]
    assert states["ReadPage"] == {
        "Type": "Pass", "Assign": {"cursorValues.$": "$.raw.ResponseBody[*].updated_at"},
        "Next": "NextRequest",
    }  # fmt: skip
    fold = states["NextRequest"]["Assign"]["cursorBest"]
    assert "$reduce($cursorValues, function($a, $v)" in fold and fold.endswith("$cursorBest)) %}")
    assert states["MorePages"]["Default"] == "ComputeMark"
    assert "$reduce([$cursorBest]" in states["ComputeMark"]["Assign"]["markUpdate"]
    assert states["AdvanceMark"]["Next"] == "Done" and states["MarkKept"]["Next"] == "Done"
    assert states["DownloadPage"]["Next"] == "DownloadPageThrottled"
    [throttled] = states["DownloadPageThrottled"]["Choices"]
    assert throttled["Variable"] == "$.raw.Headers['X-Downloader-Throttled']"
    assert states["DownloadPageThrottled"]["Default"] == "ReadPage"
    assert states["WaitRetryAfter"]["Next"] == "DownloadPage"
    key = states["PersistPage"]["Parameters"]["Item"]["sk"]["S.$"]
    assert key == (
        "States.Format('{}#{}#{}', $$.Execution.Input.scheduledTime, $$.Execution.Name, $.stored)"
    )
    # Without incremental, a page's key is as before: <scheduled time>#<page>.
    trades = definition_of(app, "Trades")["States"]
    assert trades["PersistPage"]["Parameters"]["Item"]["sk"]["S.$"] == (
        "States.Format('{}#{}', $$.Execution.Input.scheduledTime, $.stored)"
    )
    assert "Assign" not in trades["FirstRequest"]
