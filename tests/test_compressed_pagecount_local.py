"""``Pagination.page_count()``'s pages with ``records``, an archive or ``on_status`` refuse a
compressed answer (issue 25 item 14): every page goes through the checked download (its
``Assign`` refuses a compressed answer), so a compressed first page fails the run with
``Downloader.CompressedAnswer`` before anything of it is stored, archived or recorded, and a
compressed page 2..N fails that page's iteration alone (``Downloader.RequestsFailed``), as the
plain shape's pages do; every digit of what is stored is kept (no JSONata writes it).

The API Gateway proxy passes a compressed answer on as text; the HTTP Task fails on a gzip body
itself (``States.Runtime``), so its runs send a readable body labelled ``br``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, definition_states, gzipped
from sfn_downloader import (
    Archive,
    DownloaderPattern,
    ItemField,
    Pagination,
    Records,
    StatusAction,
    Transport,
)

from scenarios import api_key_connection

T0 = "2026-11-27T05:30:00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it
PAGES = {"1": [{"id": BIG, "name": "a"}], "2": [{"id": 2, "name": "b"}]}
SELECTOR = {"things.$": "$.ResponseBody"}
STACKS = ["Api", "Http"]
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """Each shape on the proxy (``Api``) and on the HTTP Task (``Http``)."""
    app = cdk.App()
    for name in STACKS:
        stack = cdk.Stack(app, name)
        props: dict[str, Any] = {
            "endpoint": "https://api.example.com", "path": "/v1/things",
            "pagination": Pagination.page_count(),
        }  # fmt: skip
        if name == "Http":
            props["transport"] = Transport.http_task(api_key_connection(stack, "Connection"))
        page = {"page": ItemField.json("$.ResponseBody")}
        things = {"things": ItemField.json("$.things")}
        DownloaderPattern(
            stack, "Merged", **props, item=page, downloader_id="merged",
            records=Records.merge(items="$.ResponseBody", key="id"),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Only", **props, downloader_id="only", item=things, result_selector=SELECTOR,
            records=Records.append(items="$.things", key="id", keep_answers=False),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Archived", **props, downloader_id="archived", item=things,
            result_selector=SELECTOR, archive=Archive.to_new_bucket(),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Whole", **props, downloader_id="whole", item=page,
            archive=Archive.to_new_bucket(),
            records=Records.merge(items="$.ResponseBody", key="id"),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Skips", **props, downloader_id="skips", item=page,
            on_status={404: StatusAction.SKIP, 204: StatusAction.SKIP},
        )  # fmt: skip
        DownloaderPattern(
            stack, "All", **props, downloader_id="all", item=things, result_selector=SELECTOR,
            on_status={404: StatusAction.SKIP, 204: StatusAction.SKIP},
            archive=Archive.to_new_bucket(), records=Records.merge(items="$.things", key="id"),
        )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"example/api-key": "local-key"}}


def _pages(stack: str, compressed: str = "", other: Answer | None = None) -> Callable[..., Any]:
    """Two pages (``X-Pages: 2``), page ``compressed`` compressed (gzip through the proxy, a
    readable body labelled ``br`` through the HTTP Task), page 2 ``other`` if given."""

    def answer(seen: Seen) -> Answer:
        page = seen.query.get("page", ["1"])[0]
        if page == "2" and other is not None:
            return other
        body, headers = PAGES[page], {"X-Pages": "2"}
        if page != compressed:
            return Answer(200, json.dumps(body).encode(), headers)
        if stack == "Http":
            return Answer(200, json.dumps(body).encode(), {**headers, "Content-Encoding": "br"})
        coded = gzipped(body)
        return Answer(200, coded.body, {**coded.headers, **headers})

    return answer


def _stored(runner: Any, attribute: str) -> dict[str, Any]:
    """The stored pages, by page number."""
    return {
        i["sk"].rsplit("#", 1)[1]: json.loads(i[attribute])
        for i in runner.items() if attribute in i
    }  # fmt: skip


def _records(runner: Any) -> list[Any]:
    return sorted(json.loads(i["record"])["id"] for i in runner.items() if "record" in i)


def _archived(runner: Any, stack: str, name: str) -> dict[str, Any]:
    bucket = runner.resource_name(f"{stack}/{name}/Bucket")
    return {
        key.rsplit("#", 1)[1].removesuffix(".json"): body
        for key, body in runner.objects().items() if key.startswith(f"{bucket}/")
    }  # fmt: skip


def _first_refused(run: Any) -> None:
    assert (run.status, run.error) == ("FAILED", ERROR), run.cause
    assert "The answer to /v1/things is " in run.cause and "-compressed" in run.cause


def _second_refused(run: Any) -> None:
    assert (run.status, run.error) == ("FAILED", "Downloader.RequestsFailed"), run.cause
    assert json.loads(run.cause) == [{"ok": False, "key": 2, "error": ERROR}], run.cause


@pytest.mark.parametrize("stack", STACKS)
def test_records_refuse_a_compressed_page_and_keep_every_digit(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """PersistFirstPage passes the raw first page on to its records (read through the
    selector); a page of the Map likewise: a compressed first page records nothing, a
    compressed page 2 nothing of it."""
    runner = open_runner(f"{stack}/Merged")
    upstream.respond(_pages(stack, compressed="1"))
    _first_refused(runner.run(T0))
    assert list(runner.items()) == []
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _stored(runner, "page") == {"1": PAGES["1"]}
    assert _records(runner) == [BIG]
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "page") == PAGES
    assert _records(runner) == [2, BIG]
    assert runner.states_entered(run)[:3] == [
        "DownloadFirstPage", "PersistFirstPage", "FirstPageReadRecords",
    ]  # fmt: skip


@pytest.mark.parametrize("stack", STACKS)
def test_records_alone_refuse_a_compressed_page(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """``keep_answers=False`` with a selector: the records read the raw pages through it."""
    runner = open_runner(f"{stack}/Only")
    upstream.respond(_pages(stack, compressed="1"))
    _first_refused(runner.run(T0))
    assert list(runner.items()) == []
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _records(runner) == [BIG]
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _records(runner) == [2, BIG]  # (appended under the run's time: one time here)


@pytest.mark.parametrize("stack", STACKS)
def test_an_archive_refuses_a_compressed_page_and_keeps_every_digit(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """Persist (through the selector) → SelectFirstPage/SelectPage (JSONPath) → Archive: a
    compressed page is neither stored nor archived (the run used to succeed with both)."""
    runner = open_runner(f"{stack}/Archived")
    upstream.respond(_pages(stack, compressed="1"))
    _first_refused(runner.run(T0))
    assert list(runner.items()) == [] and _archived(runner, stack, "Archived") == {}
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _stored(runner, "things") == {"1": PAGES["1"]}
    assert _archived(runner, stack, "Archived") == {"1": {"things": PAGES["1"]}}
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "things") == PAGES
    assert _archived(runner, stack, "Archived") == {p: {"things": b} for p, b in PAGES.items()}
    entered = runner.states_entered(run)
    assert entered[:4] == [
        "DownloadFirstPage", "PersistFirstPage", "SelectFirstPage", "ArchiveFirstPage",
    ]  # fmt: skip
    assert entered.count("SelectPage") == 1 and entered.count("ArchivePage") == 1


@pytest.mark.parametrize("stack", STACKS)
def test_an_archive_with_records_and_no_selector_refuses_a_compressed_page(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """No selector: the archive's body is the whole answer, as before (no Select state); the
    records follow it."""
    runner = open_runner(f"{stack}/Whole")
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _stored(runner, "page") == {"1": PAGES["1"]} and _records(runner) == [BIG]
    [(page, body)] = _archived(runner, stack, "Whole").items()
    assert page == "1" and body["ResponseBody"] == PAGES["1"]
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _records(runner) == [2, BIG]
    archived = _archived(runner, stack, "Whole")
    assert {p: b["ResponseBody"] for p, b in archived.items()} == PAGES
    assert "SelectPage" not in runner.states_entered(run)


@pytest.mark.parametrize("stack", STACKS)
def test_on_status_refuses_a_compressed_page_2_and_skips_a_404_or_a_204(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """Pages 2..N through the checked download too: a compressed page 2 fails its iteration
    (it went through the JSONPath download and was stored); a 404 or a 204 skips it."""
    runner = open_runner(f"{stack}/Skips")
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _stored(runner, "page") == {"1": PAGES["1"]}
    for skipped in (Answer(404, b'{"message": "none"}'), Answer(204, b"")):
        upstream.respond(_pages(stack, other=skipped))
        run = runner.run(T0)
        assert run.status == "SUCCEEDED", run.cause
        assert _stored(runner, "page") == {"1": PAGES["1"]}
        assert "SkippedPage" in runner.states_entered(run)
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "page") == PAGES
    entered = runner.states_entered(run)
    i = entered.index("DownloadPage")  # no SelectDownloadPage: one state less a page
    assert entered[i : i + 3] == ["DownloadPage", "DownloadPageStatus", "PersistPage"], entered


@pytest.mark.parametrize("stack", STACKS)
def test_on_status_records_and_an_archive_together_refuse_a_compressed_page(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """Every feature of the brief at once: a first page 404 ends the run (nothing stored), a
    compressed page (first or second) is refused, a 204 page 2 is skipped, and a 200 run
    stores, archives and records every digit."""
    runner = open_runner(f"{stack}/All")
    upstream.respond(lambda seen: Answer(404, b'{"message": "none"}'))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    upstream.respond(_pages(stack, compressed="1"))
    _first_refused(runner.run(T0))
    # (the skipped first page marked its delivery, as before: no page, no record)
    assert _stored(runner, "things") == {} and _records(runner) == []
    assert _archived(runner, stack, "All") == {}
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    upstream.respond(_pages(stack, other=Answer(204, b"")))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "things") == {"1": PAGES["1"]} and _records(runner) == [BIG]
    assert _archived(runner, stack, "All") == {"1": {"things": PAGES["1"]}}
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "things") == PAGES and _records(runner) == [2, BIG]
    assert _archived(runner, stack, "All") == {p: {"things": b} for p, b in PAGES.items()}
    assert runner.states_entered(run)[:5] == [
        "DownloadFirstPage", "DownloadFirstPageStatus", "PersistFirstPage", "SelectFirstPage",
        "ArchiveFirstPage",
    ]  # fmt: skip


def _states(app: cdk.App, stack: str, name: str) -> dict[str, Any]:
    return definition_states(app, stack, name, iterations=True)


def _checked(state: dict[str, Any]) -> None:
    assert state["QueryLanguage"] == "JSONata"
    assert any(name.endswith("Checked") for name in state["Assign"]), state["Assign"]


def test_every_page_of_these_shapes_is_downloaded_checked(app: cdk.App) -> None:
    """The first page's and the Map's downloads are the JSONata ones; no JSONPath
    ``SelectDownload...`` state; Persist passes the raw answer on."""
    for stack in STACKS:
        for name in ("Merged", "Only", "Archived", "Whole", "Skips"):
            states = _states(app, stack, name)
            _checked(states["DownloadFirstPage"])
            _checked(states["DownloadPage"])
            assert not [s for s in states if s.startswith("SelectDownload")], name
        merged = _states(app, stack, "Merged")
        assert merged["PersistFirstPage"]["Next"] == "FirstPageReadRecords"
        assert merged["PersistFirstPage"]["ResultPath"] is None
        assert merged["FirstPageWriteRecords"]["ItemsPath"] == "$.ResponseBody"
        assert merged["PersistPage"]["Next"] == "ReadRecords"
        assert merged["WriteRecords"]["ResultSelector"] == {"ok": True}
        only = _states(app, stack, "Only")
        assert "PersistFirstPage" not in only and "PersistPage" not in only
        assert only["DownloadPage"]["Next"] == "ReadRecords"
        assert only["WriteRecords"]["ItemsPath"] == "$.ResponseBody"  # "things.$" read through
        archived = _states(app, stack, "Archived")
        select = archived["SelectFirstPage"]
        assert select["Parameters"] == {"Headers.$": "$.Headers", "selected": SELECTOR}
        body = archived["ArchiveFirstPage"]["Parameters"]["Body.$"]
        assert body == "States.JsonToString($.selected)"
        assert archived["SelectFirstPage"]["Next"] == "ArchiveFirstPage"
        assert archived["SelectPage"]["Parameters"] == SELECTOR
        assert archived["ArchivePage"]["ResultSelector"] == {"ok": True}
        assert archived["ArchivePage"]["Parameters"]["Body.$"] == "States.JsonToString($)"
        skips = _states(app, stack, "Skips")
        catches = {tuple(c["ErrorEquals"]): c for c in skips["DownloadPage"]["Catch"]}
        [skip] = [c for errors, c in catches.items() if errors[0].endswith("404")]
        assert skip["Next"] == "SkippedPage"
        assert list(catches)[-1] == ("States.ALL",)  # after the status actions
        assert skips["DownloadPage"]["Next"] == "DownloadPageStatus"
        assert skips["DownloadPageStatus"]["Default"] == "PersistPage"
