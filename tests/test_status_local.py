"""End-to-end, locally: fan-out with pagination, and the actions on answer statuses.

A fan-out of three repositories, each paged with GitHub's Link header, one of them gone
(404); ``on_status={404: StatusAction.SKIP}`` lets the others' pages be stored and the run
succeed. The page loop, cursor and X-Pages pagination and a one-request run each meet their
actions (a 404 and a 204 without a body), on both transports where the shape is the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Run, Seen, Upstream, answers, gzipped
from sfn_downloader import DownloaderPattern, FanOut, ItemField, Pagination

from scenarios import EXAMPLE_API, build_status_actions

TRANSPORTS = ("Proxy", "Http")
HTTP_KINDS = ("One", "Repos", "Events")
REPOS = ("/repos/a/issues", "/repos/b/issues", "/repos/c/issues?state=all")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    build_status_actions(cdk.Stack(app, "Proxy"))
    build_status_actions(cdk.Stack(app, "Http"), http_task=True, only=HTTP_KINDS)
    plain = cdk.Stack(app, "Plain")  # the same fan-out, without on_status
    DownloaderPattern(
        plain, "Repos", endpoint=EXAMPLE_API, fan_out=FanOut.paths(list(REPOS)),
        pagination=Pagination.link_header(), item={"page": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    return app


T0 = "2026-11-27T05:30:00Z"
EMPTY = Answer(204, b"")
"""No content: a success without a body."""


def keys(runner: Run) -> list[str]:
    return [item["sk"].removeprefix(f"{runner.when}#") for item in answers(runner)]


# --- fan-out with pagination -----------------------------------------------------------------


def repositories(seen: Seen) -> Answer:
    """Repository a has 3 pages, c has 2, b is gone. Next links keep the query and add page."""
    if seen.path == "/repos/b/issues":
        return Answer(404, {"message": "Not Found"})
    pages = 3 if seen.path == "/repos/a/issues" else 2
    page = int(seen.query.get("page", ["1"])[0])
    query = "state=all&" if "state" in seen.query else ""
    link = f'<{EXAMPLE_API}{seen.path}?{query}page={page + 1}>; rel="next"'
    return Answer(200, [{"repo": seen.path, "page": page}], {"Link": link} if page < pages else {})


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_every_page_of_every_path_and_a_gone_path_skipped(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(repositories)
    runner = open_run(transport, "Repos")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert sorted((s.path, s.raw_query) for s in upstream.requests) == [
        ("/repos/a/issues", ""), ("/repos/a/issues", "page=2"), ("/repos/a/issues", "page=3"),
        ("/repos/b/issues", ""),
        ("/repos/c/issues", "state=all"), ("/repos/c/issues", "state=all&page=2"),
    ]  # fmt: skip
    assert keys(runner) == [
        "/repos/a/issues#1", "/repos/a/issues#2", "/repos/a/issues#3",
        "/repos/c/issues?state=all#1", "/repos/c/issues?state=all#2",
    ]  # fmt: skip
    stored = json.loads(answers(runner)[2]["page"])
    assert stored == [{"repo": "/repos/a/issues", "page": 3}]
    assert {"ok": True} in execution.output["outcomes"]


def test_without_an_action_the_gone_path_fails_alone(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.respond(repositories)
    runner = open_run("Plain", "Repos")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    [failed] = json.loads(execution.cause or "")
    assert (failed["key"], failed["error"]) == ("/repos/b/issues", "ApiGateway.404")
    assert len(keys(runner)) == 5  # the other paths' pages are all stored


# --- one request -----------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("answer", [Answer(404, {"message": "gone"}), EMPTY], ids=["404", "204"])
def test_a_skipped_answer_stores_nothing_and_the_run_succeeds(
    open_run: Callable[[str, str], Run],
    upstream: Upstream,
    transport: str,
    answer: Answer,
) -> None:
    upstream.script(answer)
    runner = open_run(transport, "One")

    execution = runner.run(T0)

    # The result_selector reads $.ResponseBody.value: a 204 has no body, and is decided first.
    assert execution.status == "SUCCEEDED", execution.cause
    assert answers(runner) == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_other_answers_are_stored_or_fail_as_before(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    runner = open_run(transport, "One")

    upstream.script(Answer(200, {"value": 7}))
    stored = runner.run(T0)
    upstream.script(Answer(403, {"message": "Forbidden"}))
    forbidden = runner.run("2026-11-27T05:31:00Z")

    assert stored.status == "SUCCEEDED", stored.cause
    assert [item["value"] for item in answers(runner)] == ["7"]
    error = "ApiGateway.403" if transport == "Proxy" else "States.Http.StatusCode.403"
    assert (forbidden.status, forbidden.error) == ("FAILED", error)


# --- ending a page loop ----------------------------------------------------------------------


def events(empty_at: int, status: int = 204) -> Callable[[Seen], Answer]:
    def answer(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        if page == empty_at:
            return EMPTY if status == 204 else Answer(status, {"message": "no such page"})
        return Answer(200, {"items": [page]})

    return answer


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", [204, 404])
def test_end_stops_the_page_loop_with_the_pages_before_stored(
    open_run: Callable[[str, str], Run],
    upstream: Upstream,
    transport: str,
    status: int,
) -> None:
    upstream.respond(events(empty_at=3, status=status))
    runner = open_run(transport, "Events")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.raw_query for s in upstream.requests] == ["page=1", "page=2", "page=3"]
    assert keys(runner) == ["1", "2"]


@pytest.mark.parametrize("status", [204, 404])
def test_end_stops_cursor_pagination(
    open_run: Callable[[str, str], Run], upstream: Upstream, status: int
) -> None:
    def feed(seen: Seen) -> Answer:
        if "cursor" not in seen.query:
            return Answer(200, {"next": "c2"})
        return EMPTY if status == 204 else Answer(404, {})

    upstream.respond(feed)
    runner = open_run("Proxy", "Feed")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 2 and keys(runner) == ["1"]


def test_x_pages_skips_a_missing_or_empty_page_and_keeps_the_others(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    def orders(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        if page == 2:
            return Answer(404, {})
        return EMPTY if page == 3 else Answer(200, [page], {"X-Pages": "4"})

    upstream.respond(orders)
    runner = open_run("Proxy", "Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert keys(runner) == ["1", "4"]


def test_x_pages_with_an_empty_first_answer_stores_nothing(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: EMPTY)
    runner = open_run("Proxy", "Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 1 and answers(runner) == []


BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_with_on_status_pages_keep_every_digit_and_a_compressed_page_is_refused(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    """Issue 25 item 14 + 28(a): with ``on_status`` the page loop is the checked one
    (``PageStatus`` a JSONata Choice on the raw page, no ``NextRequest``): every digit of a page
    is stored, and a compressed page fails the run with ``Downloader.CompressedAnswer``."""

    def answer(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        body = {"items": [BIG, BIG + page]}
        if page < 3:
            return Answer(200, json.dumps(body).encode())
        # The HTTP Task fails on a gzip body itself (States.Runtime, "Call HTTPS APIs"): there a
        # readable body labelled compressed, which the check refuses all the same.
        return (
            gzipped(body) if transport == "Proxy" else Answer(200, body, {"Content-Encoding": "br"})
        )

    upstream.respond(answer)
    runner = open_run(transport, "Events")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.CompressedAnswer")
    coding = "gzip" if transport == "Proxy" else "br"
    assert f"page 3 (/v1/events?page=3) is {coding}-compressed" in (execution.cause or "")
    assert [json.loads(item["value"]) for item in answers(runner)] == [
        [BIG, BIG + 1], [BIG, BIG + 2]
    ]  # fmt: skip
    assert runner.runner.states_entered(execution)[:5] == [
        "FirstRequest", "DownloadPage", "PageStatus", "PersistPage", "MorePages"
    ]  # fmt: skip


# --- issue 25 item 14: a compressed answer refused on one request with on_status --------------


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_a_compressed_answer_with_on_status_is_refused_and_not_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    # Before, the JSONPath download stored the gzip bytes as text; now the checked download's
    # Assign refuses them: nothing stored, Downloader.CompressedAnswer naming the request.
    upstream.script(gzipped({"value": 7}))
    runner = open_run("Proxy", "One")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.CompressedAnswer")
    assert "The answer to /v1/thing is gzip-compressed" in (execution.cause or "")
    assert answers(runner) == []


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_with_on_status_a_stored_answer_takes_three_states_and_keeps_every_digit(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    # Download → DownloadStatus → Persist (SelectDownload gone: Persist reads through the
    # selector), the raw answer never evaluated as JSONata.
    upstream.script(Answer(200, b'{"value": 12345678901234567}'))
    runner = open_run(transport, "One")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert runner.runner.states_entered(execution) == ["Download", "DownloadStatus", "Persist"]
    assert [item["value"] for item in answers(runner)] == ["12345678901234567"]
