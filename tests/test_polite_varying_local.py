"""Polite memories of one request that varies (issue 23): a request computed each run (an
incremental mark, a window) or overridden by an on-demand run keeps one memory per URL
(``#memo#<URL>``), as a fan-out's paths and a page loop's pages do; and ``FanOut.from_answer``
with ``conditional``: each item's request sends its own validators, the list none.

Run locally against GitHub-shaped stand-ins (an ``ETag`` per answer, ``304`` to a matching
``If-None-Match``, ``Cache-Control: max-age``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, etag, memos, stored
from sfn_downloader import (
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Starts,
    Store,
    Window,
)
from sfn_downloader.local import LocalRunner

API = "https://api.github.example"
T = ["2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"]
ISSUES = "/repos/octo/hello/issues"
INITIAL = "2026-11-01T00:00:00Z"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Varying")
    body = {"issues": ItemField.json("$.ResponseBody")}
    DownloaderPattern(
        stack, "Since", endpoint=API, path=ISSUES, conditional=True, item=body,
        incremental=Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                                initial=INITIAL),
        downloader_id="since",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Window", endpoint=API, path="/v1/events?from={window_start}&to={window_end}",
        respect_expires=True, item=body, window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled(cdk.aws_scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
        downloader_id="window",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Override", endpoint=API, path=f"{ISSUES}?state=open", conditional=True,
        store=Store.changes_only(), result_selector={"body.$": "$.ResponseBody"},
        item={"issues": ItemField.json("$.body")},
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
        downloader_id="override",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Backfilled", endpoint=API, path="/v1/stats?from={window_start}&to={window_end}",
        conditional=True, store=Store.changes_only(), result_selector={"body.$": "$.ResponseBody"},
        item={"stats": ItemField.json("$.body")}, window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled(cdk.aws_scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
        backfill=True, downloader_id="backfilled",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Listed", endpoint=API, conditional=True, item=body,
        fan_out=FanOut.from_answer(path="/repos/octo/hello/pulls",
                                   items="$.ResponseBody",
                                   each="/repos/octo/hello/pulls/{item.number}"),
        downloader_id="listed",
    )  # fmt: skip
    return app


def tagged(body: Any, seen: Seen, **headers: str) -> Answer:
    """``body`` with its ``ETag``, or ``304`` when ``If-None-Match`` names it."""
    tag = etag(body)
    if seen.headers.get("if-none-match") == tag:
        return Answer(304, b"", {"ETag": tag})
    return Answer(200, body, {"ETag": tag, **headers})


def asked(upstream: Upstream) -> list[tuple[str, str | None]]:
    return [(s.target, s.headers.get("if-none-match")) for s in upstream.requests]


def mark(runner: LocalRunner, pk: str) -> Any:
    state = next(i for i in runner.items() if i["pk"] == pk and i["sk"] == "#state")
    return state.get("mark")


def test_an_incremental_request_sends_the_validators_of_its_url_and_a_304_keeps_the_mark(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Run 1 asks from the initial mark and moves it; run 2 asks from the new mark (a new
    URL: no validators); run 3 asks the same URL as run 2 (the mark did not move: run 2's
    answer held nothing newer) and gets 304: nothing stored, the mark unchanged."""
    runner = open_runner("Varying/Since")
    issues = {INITIAL: [{"number": 1, "updated_at": "2026-11-20T10:00:00Z"}]}

    def answer(seen: Seen) -> Answer:
        return tagged(issues.get(seen.query["since"][0], []), seen)

    upstream.respond(answer)
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    assert mark(runner, "since") == "2026-11-20T10:00:00Z"
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    third = runner.run(T[2])
    assert third.status == "SUCCEEDED", third.cause
    assert third.output["outcome"] == "notModified"
    since = "2026-11-20T10%3A00%3A00Z"
    assert asked(upstream) == [
        (f"{ISSUES}?since=2026-11-01T00%3A00%3A00Z", None),
        (f"{ISSUES}?since={since}", None),
        (f"{ISSUES}?since={since}", etag([])),
    ]
    # Incremental runs keep an item per delivery: <scheduled time>#<execution name>.
    assert [k.split("#")[0] for k in stored(runner, "since")] == [T[0], T[1]]
    assert mark(runner, "since") == "2026-11-20T10:00:00Z"
    remembered = memos(runner, "since")
    assert sorted(remembered) == [f"{ISSUES}?since=2026-11-01T00%3A00%3A00Z",
                                  f"{ISSUES}?since={since}"]  # fmt: skip
    assert remembered[f"{ISSUES}?since={since}"]["storedAt"].startswith(T[1] + "#")
    # The state item keeps the mark and nothing of the polite memory.
    state = next(i for i in runner.items() if i["pk"] == "since" and i["sk"] == "#state")
    assert "etag" not in state


def test_a_window_is_fresh_only_for_its_own_url(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """A re-delivery of one scheduled time asks the same window: fresh, no request. The next
    scheduled time asks another window, whatever the last answer's max-age said."""
    runner = open_runner("Varying/Window")
    upstream.respond(lambda seen: Answer(200, [{"at": seen.query["from"][0]}],
                                         {"Cache-Control": "max-age=7200"}))  # fmt: skip
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    again = runner.run(T[0])  # Scheduler delivers at least once
    assert again.status == "SUCCEEDED", again.cause
    assert again.output["outcome"] == "fresh"
    later = runner.run(T[1])
    assert later.status == "SUCCEEDED", later.cause
    assert [s.query["from"][0] for s in upstream.requests] == [
        "2026-11-27T04:00:00Z", "2026-11-27T05:00:00Z"
    ]  # fmt: skip
    assert stored(runner, "window") == [T[0], T[1]]
    assert len(memos(runner, "window")) == 2


def test_an_overridden_query_keeps_its_own_memory(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The scheduled query's memory is not compared with an on-demand run's other query, nor
    replaced by it: after an overridden run the scheduled one still gets its 304."""
    runner = open_runner("Varying/Override")
    bodies = {"open": [{"number": 1}], "closed": [{"number": 2}, {"number": 3}]}
    upstream.respond(lambda seen: tagged(bodies[seen.query["state"][0]], seen))
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    closed = runner.run(input={"scheduledTime": T[1], "query": {"state": "closed"}})
    assert closed.status == "SUCCEEDED", closed.cause
    scheduled = runner.run(T[2])
    assert scheduled.status == "SUCCEEDED", scheduled.cause
    assert scheduled.output["outcome"] == "notModified"
    assert asked(upstream) == [
        (f"{ISSUES}?state=open", None),
        (f"{ISSUES}?state=closed", None),
        (f"{ISSUES}?state=open", etag(bodies["open"])),
    ]
    assert stored(runner, "override") == [T[0] + "#state=open", T[1] + "#state=closed"]
    remembered = memos(runner, "override")
    assert remembered[f"{ISSUES}?state=open"]["storedAt"] == T[0] + "#state=open"
    assert remembered[f"{ISSUES}?state=closed"]["storedAt"] == T[1] + "#state=closed"
    # An on-demand run of the same values whose answer did not change: unchanged, not stored
    # (changes_only compares with that query's own last answer).
    upstream.respond(lambda seen: Answer(200, bodies[seen.query["state"][0]]))
    same = runner.run(input={"scheduledTime": T[2], "query": {"state": "closed"}})
    assert same.status == "SUCCEEDED", same.cause
    assert same.output["outcome"] == "unchanged"
    assert stored(runner, "override") == [T[0] + "#state=open", T[1] + "#state=closed"]


def test_from_answer_items_send_their_validators_and_the_list_sends_none(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Varying/Listed")
    pulls = {1: {"number": 1, "title": "a"}, 2: {"number": 2, "title": "b"}}

    def answer(seen: Seen) -> Answer:
        if seen.path.endswith("/pulls"):
            return tagged([{"number": n} for n in sorted(pulls)], seen)
        return tagged(pulls[int(seen.path.rsplit("/", 1)[1])], seen)

    upstream.respond(answer)
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    pulls[2] = {"number": 2, "title": "b, edited"}
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    base = "/repos/octo/hello/pulls"
    sent = sorted(asked(upstream), key=lambda a: (a[1] is not None, a[0]))
    assert sent == sorted(
        [(base, None), (f"{base}/1", None), (f"{base}/2", None),
         (base, None),  # the list: asked whole every run, never conditionally
         (f"{base}/1", etag({"number": 1, "title": "a"})),
         (f"{base}/2", etag({"number": 2, "title": "b"}))],
        key=lambda a: (a[1] is not None, a[0]),
    )  # fmt: skip
    keys = stored(runner, "listed")
    assert [k for k in keys if k.startswith(T[1])] == [f"{T[1]}#{base}/2"]  # item 1: a 304
    assert sorted(memos(runner, "listed")) == [f"{base}/1", f"{base}/2"]


def test_a_backfill_compares_each_past_time_with_its_own_url_only(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """A backfill's run for a past time asks that time's window: a window the schedule
    already stored is asked with its validators and answered 304 (nothing stored twice); a
    window never asked is stored, whatever the newest answer was."""
    runner = open_runner("Varying/Backfilled")
    upstream.respond(lambda seen: tagged({"count": 7}, seen))  # every window: the same answer
    scheduled = runner.run(T[1])
    assert scheduled.status == "SUCCEEDED", scheduled.cause
    outcome = runner.backfill(T[0], T[1])
    assert outcome.execution.status == "SUCCEEDED", outcome.execution.cause
    sent = sorted(
        ((s.query["from"][0], s.headers.get("if-none-match")) for s in upstream.requests),
        key=lambda sent: (sent[0], sent[1] or ""),
    )
    assert sent == [
        ("2026-11-27T04:00:00Z", None),  # the backfill's new window: asked in full, stored
        ("2026-11-27T05:00:00Z", None),  # the schedule's run
        ("2026-11-27T05:00:00Z", etag({"count": 7})),  # the backfill's: 304
    ]
    assert stored(runner, "backfilled") == [T[0], T[1]]
