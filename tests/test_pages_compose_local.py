"""The pages of one path with what an ingestion job needs around them, run locally.

dlt's quick start, on GitHub: an incremental ``since`` sent on the first page, every page
followed (``?page=N``, or the ``Link`` header), a ``429`` with ``Retry-After`` waited out on
any page, and the mark moved once, to the newest record of every page, only when every page is
stored. And a time window over page numbers, and a cursor feed under a dated path with a
numeric mark. The stand-ins page as the real APIs do and record every request's query.

``retry_after`` with ``Link`` pages goes through the proxy that hands a 429's headers over, a
non-proxy integration mapping query parameters by name: the next links' names are declared
(``query_names``, or the common ones), and a link carrying another is never requested
(``Downloader.UnmappedQueryName``, after its page is stored). GitHub answers its primary rate
limit with ``403`` and ``x-ratelimit-remaining: 0``: ``limited_statuses=[403]`` waits until
``x-ratelimit-reset``; a ``403`` without it is a failure.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers
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
        stack, "Limited", endpoint=GITHUB,
        path=f"{ISSUES}?state=all&sort=updated&direction=asc&per_page=2",
        pagination=Pagination.link_header(max_pages=10),
        incremental=Incremental(
            cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL
        ),
        retry_after=RetryAfter(
            max_wait=cdk.Duration.minutes(2), reset_header="X-RateLimit-Reset",
            remaining_header="X-RateLimit-Remaining", limited_statuses=[403],
        ),
        item={"issues": ItemField.json("$.ResponseBody")},
        downloader_id="github/limited",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Charges", endpoint="https://api.stripe.com",
        path="/v1/charges?limit=2&created[gte]={window_start:epoch}&created[lt]={window_end:epoch}",
        window=Window.last(cdk.Duration.hours(1)),
        pagination=Pagination.cursor(
            next_path="$.ResponseBody.data[-1].id", param="starting_after",
            has_more_path="$.ResponseBody.has_more",
        ),
        item={"charges": ItemField.json("$.ResponseBody.data")},
        downloader_id="stripe/charges",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Counted", endpoint="https://api.example.com",
        path="/v1/orders?region=10000002&from={window_start}",
        window=Window.last(cdk.Duration.hours(1)),
        pagination=Pagination.page_count(max_pages=5),
        incremental=Incremental(
            cursor_path="$.ResponseBody[*].issued", param="since", initial=INITIAL
        ),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
        item={"orders": ItemField.json("$.ResponseBody")},
        downloader_id="counted",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Tagged", endpoint="https://esi.evetech.net",
        path="/v1/markets/10000002/orders/?order_type=all",
        pagination=Pagination.page_count(max_pages=5), conditional=True,
        item={"orders": ItemField.json("$.ResponseBody")}, downloader_id="tagged",
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
    pages: list[list[str]],
    *,
    throttle: dict[int, int] | None = None,
    refuse: dict[int, list[Answer]] | None = None,
    extra: dict[str, str] | None = None,
) -> Callable[[Seen], Answer]:
    """GitHub's issues, ``per_page`` at a time, each page linking the next (the query as
    GitHub writes it, ``since`` kept); ``throttle``: page → how many 429s it answers first;
    ``refuse``: page → the answers it gives first; ``extra``: more parameters in the links."""
    left = dict(throttle or {})
    refusals = {page: list(answers) for page, answers in (refuse or {}).items()}

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        if left.get(page, 0) > 0:
            left[page] -= 1
            return Answer(429, SLOW_DOWN, headers={"Retry-After": "7"})
        if refusals.get(page):
            return refusals[page].pop(0)
        records = [
            {"number": page * 10 + i, "updated_at": at} for i, at in enumerate(pages[page - 1])
        ]
        headers = {}
        if page < len(pages):
            query = {k: v[0] for k, v in seen.query.items()} | {"page": str(page + 1)}
            query |= extra or {}
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
    return sorted((i for i in runner.items() if i["pk"] == pk and i["sk"][0] != "#"),
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
    # The cause names the page by its number and URL, then gives the API's answer.
    assert failed.cause.startswith("Page 2 (/repos/") and "page=2" in failed.cause.split(")")[0]
    assert "Server Error" in failed.cause
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


def rate_limited(remaining: str = "0", **headers: str) -> Answer:
    """GitHub's 403 with its rate-limit headers (the reset 9 s from now)."""
    reset = str(int(time.time()) + 9)
    return Answer(
        403, {"message": "API rate limit exceeded"},
        headers={"X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": reset, **headers},
    )  # fmt: skip


def test_link_pages_since_and_rate_limits_through_the_proxy(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """dlt's quick start on the default transport: every Link page followed with the query
    GitHub wrote (page and since through the non-proxy integration's mapped names), a 429
    waited by its Retry-After, a 403 at x-ratelimit-remaining 0 waited until the reset, a
    secondary limit's 403 with Retry-After waited, and the mark moved once."""
    runner = open_runner("Jobs/Limited")
    upstream.respond(github(
        [["2026-02-01T00:00:00Z", "2026-02-02T00:00:00Z"],
         ["2026-02-09T00:00:00Z", "2026-02-03T00:00:00Z"],
         ["2026-02-05T00:00:00Z"]],
        throttle={2: 1},
        refuse={3: [rate_limited(), rate_limited(remaining="12", **{"Retry-After": "4"})]},
    ))  # fmt: skip
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    sent = [(s.query.get("page"), s.query["since"], s.query["per_page"]) for s in upstream.requests]
    assert sent == [
        (None, [INITIAL], ["2"]), (["2"], [INITIAL], ["2"]), (["2"], [INITIAL], ["2"]),
        (["3"], [INITIAL], ["2"]), (["3"], [INITIAL], ["2"]), (["3"], [INITIAL], ["2"]),
    ]  # fmt: skip
    assert runner.waits[0] == 7 and 8 <= runner.waits[1] <= 10 and runner.waits[2] == 4
    assert len(runner.waits) == 3
    stored = items(runner, "github/limited")
    assert [len(i["issues"]) > 2 for i in stored] == [True] * 3
    assert [i["sk"].rsplit("#", 1)[1] for i in stored] == ["1", "2", "3"]
    assert mark(runner, "github/limited") == "2026-02-09T00:00:00Z"


def test_a_403_that_is_no_rate_limit_fails_the_run_and_keeps_the_mark(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """A 403 whose x-ratelimit-remaining is not 0 and that has no Retry-After is a refusal
    (a token without access): not waited, not retried; the pages before it stay stored, the
    mark stays, and the run fails as the download would have."""
    runner = open_runner("Jobs/Limited")
    upstream.respond(github(
        [["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"], ["2026-03-03T00:00:00Z"]],
        refuse={2: [rate_limited(remaining="4999")]},
    ))  # fmt: skip
    run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "ApiGateway.403")
    assert "API rate limit exceeded" in (run.cause or "")
    assert runner.waits == [] and len(upstream.requests) == 2
    assert [i["sk"].rsplit("#", 1)[1] for i in items(runner, "github/limited")] == ["1"]
    assert mark(runner, "github/limited") is None  # never moved: the next run asks again


def test_a_next_link_with_a_name_the_proxy_does_not_map_is_not_requested(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The non-proxy integration passes on only the names it maps: a link carrying another
    (``after_token``) would lose it, and the page asked would not be the one linked. Its page
    is stored, then the run fails naming the parameter and the fix; nothing else is asked."""
    runner = open_runner("Jobs/Limited")
    upstream.respond(github(
        [["2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z"], ["2026-03-03T00:00:00Z"]],
        extra={"after_token": "x1"},
    ))  # fmt: skip
    run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "Downloader.UnmappedQueryName")
    assert "after_token" in (run.cause or "") and "query_names" in (run.cause or "")
    assert len(upstream.requests) == 1
    assert [i["sk"].rsplit("#", 1)[1] for i in items(runner, "github/limited")] == ["1"]
    assert mark(runner, "github/limited") is None


def test_stripe_charges_a_window_in_bracketed_names_and_the_last_id_as_cursor(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Stripe's list API: ``created[gte]``/``created[lt]`` (brackets in the names, sent
    percent-encoded) hold the window as epoch seconds on every page; the next page starts
    after the last charge's id (``data[-1].id``) while ``has_more`` is true."""
    runner = open_runner("Jobs/Charges")
    charges = [{"id": f"ch_{n}", "amount": n} for n in range(5)]

    def stripe(seen: Seen) -> Answer:
        after = seen.query.get("starting_after", [None])[0]
        start = 0 if after is None else int(after.removeprefix("ch_")) + 1
        page = charges[start : start + 2]
        return Answer(200, {"object": "list", "data": page, "has_more": start + 2 < 5})

    upstream.respond(stripe)
    run = runner.run(T[1])
    assert run.status == "SUCCEEDED", run.cause
    window = "limit=2&created%5Bgte%5D=1795755600&created%5Blt%5D=1795759200"
    assert [s.raw_query for s in upstream.requests] == [
        window, f"{window}&starting_after=ch_1", f"{window}&starting_after=ch_3",
    ]  # fmt: skip
    assert [s.query["created[gte]"] for s in upstream.requests] == [["1795755600"]] * 3
    stored = [json.loads(i["charges"]) for i in items(runner, "stripe/charges")]
    assert [[c["id"] for c in page] for page in stored] == [
        ["ch_0", "ch_1"], ["ch_2", "ch_3"], ["ch_4"]
    ]  # fmt: skip


def test_page_count_with_a_window_a_mark_and_waits_fetches_pages_one_after_another(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """EVE-style ``X-Pages`` with what a Map cannot carry: the computed query (window and
    mark) on every page, a 429 on page 2 waited out, the mark folded over the pages and moved
    once; a missing count still fails after page 1 is stored."""
    runner = open_runner("Jobs/Counted")
    issued = {1: ["2026-11-26T01:00:00Z"], 2: ["2026-11-27T04:00:00Z"], 3: ["2026-11-26T09:00:00Z"]}
    throttled = [True]

    def esi(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        if page == 2 and throttled.pop() if throttled else False:
            return Answer(429, SLOW_DOWN, headers={"Retry-After": "5"})
        return Answer(200, [{"issued": at} for at in issued[page]], headers={"X-Pages": "3"})

    upstream.respond(esi)
    run = runner.run(T[1])
    assert run.status == "SUCCEEDED", run.cause
    sent = [(s.query["page"], s.query["from"], s.query["since"], s.query["region"])
            for s in upstream.requests]  # fmt: skip
    assert sent == [([page], ["2026-11-27T05:00:00Z"], [INITIAL], ["10000002"]) for page in "1223"]
    assert runner.waits == [5]
    assert mark(runner, "counted") == "2026-11-27T04:00:00Z"
    upstream.respond(lambda seen: Answer(200, []))  # no X-Pages: page 1 stored, then failed
    failed = runner.run(T[2])
    assert (failed.status, failed.error) == ("FAILED", "Downloader.PageCountNotFound")
    assert mark(runner, "counted") == "2026-11-27T04:00:00Z"


def test_page_count_with_an_etag_a_page_goes_on_from_the_remembered_pages(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """ESI's market orders with ``conditional``: each page's ETag is remembered; the next run
    sends ``If-None-Match`` on every page, a ``304`` (no ``X-Pages``) goes on from the page's
    remembered next request and count, and only the changed page is stored again."""
    runner = open_runner("Jobs/Tagged")
    version = {1: "a", 2: "a", 3: "a"}

    def esi(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        tag = f'"{page}{version[page]}"'
        if seen.headers.get("if-none-match") == tag:
            return Answer(304, None, headers={"ETag": tag})
        return Answer(200, [{"page": page, "v": version[page]}],
                      headers={"X-Pages": "3", "ETag": tag})  # fmt: skip

    upstream.respond(esi)
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    assert [s.query["page"] for s in upstream.requests] == [["1"], ["2"], ["3"]]
    version[2] = "b"
    upstream.respond(esi)
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    asked = [(s.query["page"], s.headers.get("if-none-match")) for s in upstream.requests]
    assert asked == [(["1"], '"1a"'), (["2"], '"2a"'), (["3"], '"3a"')]
    stored = [i["sk"] for i in answers(runner) if i["pk"] == "tagged" and i["sk"].startswith(T[1])]
    assert stored == [f"{T[1]}#2"]


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
    assert [i["sk"] for i in items(runner, "trades")] == [
        f"{T[1]}#{run.name}#{n}" for n in (1, 2, 3)
    ]


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


def test_without_waits_the_download_folds_the_mark_itself(app: cdk.App) -> None:
    """Issue 28(a): the plain loop with incremental (Linked): no ReadPage, no NextRequest; the
    download's Assign folds the mark from the page's values, read from ``$states.result`` as
    the JSONPath wildcard read them (a list, ``[]`` when none), and computes the next state;
    a page enters DownloadPage, PersistPage, MorePages."""
    states = definition_of(app, "Linked")["States"]
    assert {"ReadPage", "NextRequest", "SelectPage"}.isdisjoint(states)
    assign = states["DownloadPage"]["Assign"]
    fold = assign["cursorBest"]
    assert fold.startswith("{% ($cursorValues := ($h := $states.result.`ResponseBody`; ")
    assert "$map($h, function($e) { $e.`updated_at` })" in fold
    assert "$reduce($cursorValues, function($a, $v)" in fold and fold.endswith("$cursorBest))) %}")
    assert set(assign) == {"answerChecked", "loop", "cursorBest"}
    assert states["DownloadPage"]["Next"] == "PersistPage"
    assert states["PersistPage"]["Next"] == "MorePages"
    assert states["MorePages"]["Default"] == "AdvanceMark" and "ComputeMark" not in states


def test_the_template_folds_the_mark_over_pages_and_waits_inside_the_loop(app: cdk.App) -> None:
    """What the runs above exercise, as the template says it: the first request computed
    (JSONata, the mark folded from it), each page's values folded by the download's Assign
    (issue 28(a): no ReadPage, no NextRequest), the mark advanced once after the last page,
    the throttle check on the page's raw answer, a throttled page asked again with the state
    the download kept, each page keyed by its delivery."""
    states = definition_of(app, "Issues")["States"]
    first = states["FirstRequest"]
    assert first["QueryLanguage"] == "JSONata"
    assert first["Assign"] == {"cursorBest": "{% $requestMark %}"}
    assert '$qs($merge([$requestQuery, {"page": ["1"]}]))' in first["Output"]
    assert {"ReadPage", "NextRequest", "SelectPage"}.isdisjoint(states)
    assign = states["DownloadPage"]["Assign"]
    assert set(assign) == {"answerChecked", "loop", "cursorBest", "loopAsked"}
    assert assign["loopAsked"] == "{% $states.input %}"
    fold = assign["cursorBest"]
    # A throttled answer folds nothing: it is asked again.
    assert fold.startswith(
        "{% ($exists($states.result.Headers.`X-Downloader-Throttled`) ? $cursorBest : "
        "($cursorValues := ($h := $states.result.`ResponseBody`; "
    )
    assert "$reduce($cursorValues, function($a, $v)" in fold
    assert states["MorePages"]["Default"] == "AdvanceMark" and "ComputeMark" not in states
    values = states["AdvanceMark"]["Arguments"]["ExpressionAttributeValues"]
    assert "$reduce([$cursorBest]" in values[":mark"]["S"]
    # The mark advanced (or kept), then the delivery marked complete, last.
    assert states["AdvanceMark"]["Next"] == "MarkDelivered" == states["MarkKept"]["Next"]
    assert states["MarkDelivered"]["End"] is True and "Done" not in states
    assert states["DownloadPage"]["Next"] == "DownloadPageThrottled"
    [throttled] = states["DownloadPageThrottled"]["Choices"]
    assert throttled["Variable"] == "$.Headers['X-Downloader-Throttled']"
    assert states["DownloadPageThrottled"]["Default"] == "PersistPage"
    compute = states["ComputeRetryAfter"]["Output"]
    assert compute.startswith("{% ($a := $states.input; ")
    assert "$merge([$loopAsked, {'retryAfter'" in compute
    assert states["WaitRetryAfter"]["Next"] == "DownloadPage"
    key = states["PersistPage"]["Parameters"]["Item"]["sk"]["S.$"]
    assert key == (
        "States.Format('{}#{}#{}', $$.Execution.Input.scheduledTime, $$.Execution.Name, "
        "$loop.stored)"
    )
    assert states["PersistPage"]["Parameters"]["Item"]["issues"] == {
        "S.$": "States.JsonToString($.ResponseBody)"
    }
    # Without incremental, every delivery of pages keeps its own keys too (issue 26, round 3).
    trades = definition_of(app, "Trades")["States"]
    assert trades["PersistPage"]["Parameters"]["Item"]["sk"]["S.$"] == key
    assert "Assign" not in trades["FirstRequest"]
