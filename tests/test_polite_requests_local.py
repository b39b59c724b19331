"""Polite memories per request (issue 23), run locally against a GitHub-shaped stand-in (``Link``
pages, an ``ETag`` per page, ``304`` to a matching ``If-None-Match``): each page URL and each
fan-out path keeps its own memory (``#memo#<URL>``); a ``304`` goes on from the page's
remembered next request; an unchanged page is not stored; a fresh path is not asked.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, etag, memos, stored
from sfn_downloader import DownloaderPattern, FanOut, ItemField, Pagination, Store
from sfn_downloader.local import CompressedAnswerWarning, LocalRunner

API = "https://api.github.example"
T = ["2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"]
ISSUES = "/repos/octo/hello/issues"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Polite")
    body = {"issues": ItemField.json("$.ResponseBody")}
    DownloaderPattern(
        stack, "Pages", endpoint=API, path=f"{ISSUES}?per_page=2",
        pagination=Pagination.link_header(max_pages=10), conditional=True, item=body,
        downloader_id="pages",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Paths", endpoint=API, fan_out=FanOut.paths(["/repos/octo/a", "/repos/octo/b"]),
        conditional=True, respect_expires=True, item=body, downloader_id="paths",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Changes", endpoint=API, path=f"{ISSUES}?per_page=2",
        pagination=Pagination.link_header(max_pages=10), store=Store.changes_only(),
        result_selector={"body.$": "$.ResponseBody"}, item={"issues": ItemField.json("$.body")},
        downloader_id="changes",
    )  # fmt: skip
    DownloaderPattern(
        stack, "PathPages", endpoint=API, fan_out=FanOut.paths(["/v1/a", "/v1/b"]),
        pagination=Pagination.next_url(), conditional=True, item=body,
        downloader_id="pathpages",
    )  # fmt: skip
    return app


BIG = 12345678901234567
"""Beyond 2^53: JSONata's doubles would make it 12345678901234568."""


def github(pages: list[list[int]], extra: dict[str, str] | None = None) -> Callable[[Seen], Answer]:
    """The issues, two a page, linked with ``Link`` (GitHub's form); an ``ETag`` per page, and
    ``304`` (no body, no ``Link``) when ``If-None-Match`` matches it."""

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        body = [{"number": n} for n in pages[page - 1]]
        tag = etag(body)
        if seen.headers.get("if-none-match") == tag:
            return Answer(304, b"", {"ETag": tag})
        headers = {"ETag": tag, **(extra or {})}
        if page < len(pages):
            headers["Link"] = f'<{API}{ISSUES}?per_page=2&page={page + 1}>; rel="next"'
        return Answer(200, body, headers)

    return answer


def seen(upstream: Upstream) -> list[tuple[str, str | None]]:
    return [(s.raw_query, s.headers.get("if-none-match")) for s in upstream.requests]


def test_link_pages_get_304_per_page_and_go_on_by_the_remembered_next_link(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Polite/Pages")
    pages = [[1, 2], [3, 4], [5]]
    upstream.respond(github(pages))
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    assert seen(upstream) == [("per_page=2", None), ("per_page=2&page=2", None),
                              ("per_page=2&page=3", None)]  # fmt: skip
    assert stored(runner, "pages") == [f"{T[0]}#{n}" for n in (1, 2, 3)]
    remembered = memos(runner, "pages")
    assert sorted(remembered) == [f"{ISSUES}?per_page=2", f"{ISSUES}?per_page=2&page=2",
                                  f"{ISSUES}?per_page=2&page=3"]  # fmt: skip
    page1 = remembered[f"{ISSUES}?per_page=2"]
    assert page1["etag"] == etag([{"number": 1}, {"number": 2}])
    assert page1["storedAt"] == f"{T[0]}#{first.name}#1"  # the delivery's own item
    assert json.loads(page1["next"])["url"] == f"{ISSUES}?per_page=2&page=2"
    assert json.loads(remembered[f"{ISSUES}?per_page=2&page=3"]["next"])["more"] is False
    # Run 2: nothing changed: every page answers 304 (no Link) and the loop goes on from each
    # page's remembered next link; nothing is stored.
    upstream.respond(github(pages))
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    assert [q for q, _ in seen(upstream)] == ["per_page=2", "per_page=2&page=2",
                                              "per_page=2&page=3"]  # fmt: skip
    assert all(tag is not None for _, tag in seen(upstream))
    assert stored(runner, "pages") == [f"{T[0]}#{n}" for n in (1, 2, 3)]
    # Run 3: page 2 changed (and a page 4 appeared behind page 3's link, which page 3's 304
    # cannot tell: its remembered next says there was none).
    upstream.respond(github([[1, 2], [3, 40], [5]]))
    third = runner.run(T[2])
    assert third.status == "SUCCEEDED", third.cause
    assert stored(runner, "pages") == sorted([f"{T[0]}#{n}" for n in (1, 2, 3)] + [f"{T[2]}#2"])
    after = memos(runner, "pages")
    assert after[f"{ISSUES}?per_page=2&page=2"]["storedAt"] == f"{T[2]}#{third.name}#2"
    assert after[f"{ISSUES}?per_page=2"]["storedAt"] == f"{T[0]}#{first.name}#1"  # 304 kept it


def test_a_failed_page_keeps_the_memories_of_the_pages_stored_before_it(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Polite/Pages")
    answer = github([[1, 2], [3, 4], [5]])
    upstream.respond(lambda s: Answer(500, {"m": "x"}) if "page=3" in s.raw_query else answer(s))
    failed = runner.run(T[0])
    assert failed.status == "FAILED"
    assert sorted(memos(runner, "pages")) == [f"{ISSUES}?per_page=2",
                                              f"{ISSUES}?per_page=2&page=2"]  # fmt: skip
    upstream.respond(answer)
    again = runner.run(T[1])
    assert again.status == "SUCCEEDED", again.cause
    statuses = [(q, tag is not None) for q, tag in seen(upstream)]
    assert statuses == [("per_page=2", True), ("per_page=2&page=2", True),
                        ("per_page=2&page=3", False)]  # fmt: skip
    assert stored(runner, "pages") == sorted([f"{T[0]}#1", f"{T[0]}#2", f"{T[1]}#3"])


def test_a_fan_out_path_unchanged_gets_304_the_changed_one_is_stored_and_fresh_is_not_asked(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Polite/Paths")
    bodies = {"/repos/octo/a": {"v": 1}, "/repos/octo/b": {"v": 1}}

    def answer(s: Seen) -> Answer:
        body = bodies[s.path]
        tag = etag(body)
        if s.headers.get("if-none-match") == tag:
            return Answer(304, b"")
        cache = "max-age=7200" if s.path.endswith("/b") and body["v"] == 3 else "no-cache"
        return Answer(200, body, {"ETag": tag, "Cache-Control": cache})

    upstream.respond(answer)
    first = runner.run(T[0])
    assert first.succeeded
    assert sorted(memos(runner, "paths")) == ["/repos/octo/a", "/repos/octo/b"]
    bodies["/repos/octo/b"] = {"v": 2}
    upstream.respond(answer)
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    assert sorted((s.path, s.headers.get("if-none-match")) for s in upstream.requests) == [
        ("/repos/octo/a", etag({"v": 1})), ("/repos/octo/b", etag({"v": 1})),
    ]  # fmt: skip
    assert stored(runner, "paths") == sorted(
        [f"{T[0]}#/repos/octo/a", f"{T[0]}#/repos/octo/b", f"{T[1]}#/repos/octo/b"]
    )
    # the memory names the item its answer is in: the delivery's own key
    stored_at = memos(runner, "paths")["/repos/octo/a"]["storedAt"]
    assert stored_at == f"{T[0]}#{first.name}#/repos/octo/a"
    # b answers max-age=7200 now, capped by max_fresh (two intervals of the default 1-minute
    # rate): the next run, a minute later, asks only a.
    bodies["/repos/octo/b"] = {"v": 3}
    assert runner.run(T[2]).succeeded
    upstream.respond(answer)
    fourth = runner.run("2026-11-27T07:01:00Z")
    assert fourth.status == "SUCCEEDED", fourth.cause
    assert [s.path for s in upstream.requests] == ["/repos/octo/a"]
    assert memos(runner, "paths")["/repos/octo/b"]["freshUntil"] == 1795762920000  # 07:02


def test_changes_only_over_pages_stores_only_the_changed_page(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Polite/Changes")
    upstream.respond(github([[1, 2], [3, 4], [5]], extra={"X-Request-Id": "r"}))
    assert runner.run(T[0]).succeeded
    assert len(stored(runner, "changes")) == 3
    upstream.respond(github([[1, 2], [3, 44], [5]]))
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    assert len(upstream.requests) == 3  # every page asked; unchanged ones go on by their Link
    assert stored(runner, "changes") == sorted([f"{T[0]}#{n}" for n in (1, 2, 3)] + [f"{T[1]}#2"])
    hashes = {k: v["resultHash"] for k, v in memos(runner, "changes").items()}
    assert len(hashes) == 3 and all(len(h) == 64 for h in hashes.values())


def kept(runner: LocalRunner, pk: str) -> list[dict[str, object]]:
    """Downloader ``pk``'s stored answers (no memo, no delivery item)."""
    return [i for i in runner.items() if i["pk"] == pk and not str(i["sk"]).startswith("#")]


def raw_issues(numbers: list[int]) -> Callable[[Seen], Answer]:
    """One page of issues written with their exact digits (``json.dumps`` of Python ints), an
    ``ETag`` of the body, ``304`` to a matching ``If-None-Match``."""

    def answer(seen: Seen) -> Answer:
        body = json.dumps([{"number": n} for n in numbers]).encode()
        tag = '"' + str(abs(hash(body))) + '"'
        if seen.headers.get("if-none-match") == tag:
            return Answer(304, b"", {"ETag": tag})
        return Answer(200, body, {"ETag": tag})

    return answer


def test_a_remembered_page_keeps_every_digit_and_a_304_keeps_its_item(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Issue 25 item 14: the page loop with a memory per page is the checked loop (the page
    never passes through JSONata: it was stored as 12345678901234568 by NextRequest's Output),
    in 5 states a page (ReadMemo, DownloadPage, PersistPage, RememberMemo, MorePages)."""
    runner = open_runner("Polite/Pages")
    upstream.respond(raw_issues([BIG]))
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    [item] = kept(runner, "pages")
    assert json.loads(item["issues"]) == [{"number": BIG}]
    assert runner.states_entered(first) == [
        "FirstRequest", "ReadMemo", "DownloadPage", "PersistPage", "RememberMemo", "MorePages",
        "MarkDelivered",
    ]  # fmt: skip
    upstream.respond(raw_issues([BIG]))
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    assert upstream.requests[0].headers.get("if-none-match") is not None
    assert "PageNotModified" in runner.states_entered(second)
    assert stored(runner, "pages") == [f"{T[0]}#1"]


def test_changes_only_over_pages_sees_a_change_in_the_17th_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The page's hash is of its selection's JSON text as JSONPath writes it (every digit): a
    page whose only change is beyond 2^53 is a change, stored as it is."""
    runner = open_runner("Polite/Changes")
    upstream.respond(raw_issues([BIG]))
    assert runner.run(T[0]).succeeded
    upstream.respond(raw_issues([BIG]))
    unchanged = runner.run(T[1])
    assert unchanged.status == "SUCCEEDED", unchanged.cause
    assert "RememberUnchanged" in runner.states_entered(unchanged)
    upstream.respond(raw_issues([BIG + 1]))
    changed = runner.run(T[2])
    assert changed.status == "SUCCEEDED", changed.cause
    items = sorted((i["sk"], i["issues"]) for i in kept(runner, "changes"))
    assert [json.loads(body) for _, body in items] == [[{"number": BIG}], [{"number": BIG + 1}]]
    assert items[1][0].startswith(T[2])


def test_a_fan_out_paths_remembered_pages_keep_every_digit_and_a_compressed_one_fails_its_path(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Polite/PathPages")

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/b":
            return Answer(200, gzip.compress(b'{"results": []}'), {"Content-Encoding": "gzip"})
        return raw_issues([BIG])(seen)

    upstream.respond(answer)
    with pytest.warns(CompressedAnswerWarning):
        run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "Downloader.RequestsFailed"), run.cause
    assert "/v1/b" in run.cause and "Downloader.CompressedAnswer" in run.cause
    [item] = kept(runner, "pathpages")
    assert "/v1/a" in item["sk"] and json.loads(item["issues"]) == [{"number": BIG}]
    assert sorted(memos(runner, "pathpages")) == ["/v1/a"]  # the compressed page: no memory
