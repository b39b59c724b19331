"""``Pagination.page_count()`` with a selection only a ResultSelector makes (issue 25 item 14): a
constant or an intrinsic in the ``result_selector``, or an ``item`` reading the whole
selection. Every page goes through the checked download (its ``Assign`` refuses a compressed
answer), then a JSONPath Pass applies the selector (``SelectFirstPage``, which keeps the
headers ``CountPages`` reads beside the selection, and ``SelectPage`` in the Map: every digit
kept, no JSONata), then Persist reads the selection. A compressed first page fails the run with
``Downloader.CompressedAnswer``, nothing stored; a compressed page 2 fails its iteration alone
(``Downloader.RequestsFailed``). These pages went through the JSONPath download with the
selector as its ResultSelector, which stored a compressed answer as text.

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
CONSTANT = {"v": 1, "body.$": "$.ResponseBody"}
INTRINSIC = {"body.$": "$.ResponseBody", "count.$": "States.ArrayLength($.ResponseBody)"}
WHOLE = {"body.$": "$.ResponseBody"}
ALL = {"v": 1, "things.$": "$.ResponseBody"}
SELECTORS = {"Constant": CONSTANT, "Intrinsic": INTRINSIC, "Whole": WHOLE, "All": ALL}
STACKS = ["Api", "Http"]
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """Each selection on the proxy (``Api``) and on the HTTP Task (``Http``); ``All`` adds
    ``on_status``, an archive and records to a constant and a whole-selection item."""
    app = cdk.App()
    for name in STACKS:
        stack = cdk.Stack(app, name)
        props: dict[str, Any] = {
            "endpoint": "https://api.example.com", "path": "/v1/things",
            "pagination": Pagination.page_count(),
        }  # fmt: skip
        if name == "Http":
            props["transport"] = Transport.http_task(api_key_connection(stack, "Connection"))
        DownloaderPattern(
            stack, "Constant", **props, downloader_id="constant", result_selector=CONSTANT,
            item={"v": ItemField.number("$.v"), "body": ItemField.json("$.body")},
        )  # fmt: skip
        DownloaderPattern(
            stack, "Intrinsic", **props, downloader_id="intrinsic", result_selector=INTRINSIC,
            item={"body": ItemField.json("$.body"), "count": ItemField.number("$.count")},
        )  # fmt: skip
        DownloaderPattern(
            stack, "Whole", **props, downloader_id="whole", result_selector=WHOLE,
            item={"doc": ItemField.json("$")},
        )  # fmt: skip
        DownloaderPattern(
            stack, "All", **props, downloader_id="all", result_selector=ALL,
            item={"doc": ItemField.json("$")},
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


def _stored(runner: Any) -> dict[str, dict[str, Any]]:
    """The stored pages by page number: the item's own attributes, JSON ones parsed."""
    return {
        str(i["sk"]).rsplit("#", 1)[1]: {
            k: json.loads(v) if k in ("body", "doc") else v
            for k, v in i.items() if k not in ("pk", "sk", "run", "runStartedAt")
        }
        for i in runner.items()
        if not str(i["sk"]).startswith("#") and "record" not in i
    }  # fmt: skip


def _expected(name: str, page: str) -> dict[str, Any]:
    """What page ``page`` of downloader ``name`` stores: the selection, every digit kept."""
    body = PAGES[page]
    if name == "Constant":
        return {"v": 1, "body": body}
    if name == "Intrinsic":
        return {"body": body, "count": len(body)}
    if name == "Whole":
        return {"doc": {"body": body}}
    return {"doc": {"v": 1, "things": body}}


def _records(runner: Any) -> list[Any]:
    return sorted(json.loads(i["record"])["id"] for i in runner.items() if "record" in i)


def _archived(runner: Any, stack: str) -> dict[str, Any]:
    bucket = runner.resource_name(f"{stack}/All/Bucket")
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


@pytest.mark.parametrize("name", ["Constant", "Intrinsic", "Whole"])
@pytest.mark.parametrize("stack", STACKS)
def test_a_compressed_page_is_refused_and_every_digit_of_the_others_kept(
    open_runner: Callable[..., Any], upstream: Any, stack: str, name: str
) -> None:
    """A compressed first page: the run fails, nothing stored; a compressed page 2: its
    iteration fails, page 1 stored; then both pages stored, the selection exactly."""
    runner = open_runner(f"{stack}/{name}")
    upstream.respond(_pages(stack, compressed="1"))
    _first_refused(runner.run(T0))
    assert runner.items() == []
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _stored(runner) == {"1": _expected(name, "1")}
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner) == {page: _expected(name, page) for page in PAGES}
    entered = runner.states_entered(run)
    assert entered[:4] == ["DownloadFirstPage", "SelectFirstPage", "PersistFirstPage",
                           "CountPages"], entered  # fmt: skip
    i = entered.index("DownloadPage")  # one state more a page than the JSONPath download
    assert entered[i : i + 3] == ["DownloadPage", "SelectPage", "PersistPage"], entered


@pytest.mark.parametrize("stack", STACKS)
def test_on_status_an_archive_and_records_over_such_a_selection(
    open_runner: Callable[..., Any], upstream: Any, stack: str
) -> None:
    """A first page 404 ends the run well (nothing stored), a compressed page is refused
    (first or second), a 204 page 2 is skipped, and a 200 run stores, archives and records
    the selection, every digit."""
    runner = open_runner(f"{stack}/All")
    upstream.respond(lambda seen: Answer(404, b'{"message": "none"}'))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    upstream.respond(_pages(stack, compressed="1"))
    _first_refused(runner.run(T0))
    assert _stored(runner) == {} and _records(runner) == [] and _archived(runner, stack) == {}
    upstream.respond(_pages(stack, compressed="2"))
    _second_refused(runner.run(T0))
    assert _stored(runner) == {"1": _expected("All", "1")} and _records(runner) == [BIG]
    assert _archived(runner, stack) == {"1": {"v": 1, "things": PAGES["1"]}}
    upstream.respond(_pages(stack, other=Answer(204, b"")))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert "SkippedPage" in runner.states_entered(run)
    upstream.respond(_pages(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner) == {page: _expected("All", page) for page in PAGES}
    assert _records(runner) == [2, BIG]
    assert _archived(runner, stack) == {p: {"v": 1, "things": b} for p, b in PAGES.items()}
    entered = runner.states_entered(run)
    assert entered[:5] == [
        "DownloadFirstPage", "DownloadFirstPageStatus", "SelectFirstPage", "PersistFirstPage",
        "ArchiveFirstPage",
    ], entered  # fmt: skip
    i = entered.index("DownloadPage")
    assert entered[i : i + 5] == [
        "DownloadPage", "DownloadPageStatus", "SelectPage", "PersistPage", "ArchivePage",
    ], entered  # fmt: skip


def _checked(state: dict[str, Any]) -> None:
    assert state["QueryLanguage"] == "JSONata"
    assert any(name.endswith("Checked") for name in state["Assign"]), state["Assign"]
    assert "Output" not in state  # the raw answer passes on, never evaluated


def test_every_page_is_downloaded_checked_then_selected(app: cdk.App) -> None:
    """The first page's and the Map's downloads are the JSONata ones; a JSONPath Pass applies
    the selector after each (the first page's keeps the headers beside it); Persist reads the
    selection."""
    for stack in STACKS:
        for name, selector in SELECTORS.items():
            states = definition_states(app, stack, name, iterations=True)
            _checked(states["DownloadFirstPage"])
            _checked(states["DownloadPage"])
            first, page = states["SelectFirstPage"], states["SelectPage"]
            assert first["Parameters"] == {"Headers.$": "$.Headers", "selected": selector}
            assert first["Next"] == "PersistFirstPage" and page["Next"] == "PersistPage"
            assert page["Parameters"] == selector
            assert "QueryLanguage" not in first and "QueryLanguage" not in page
        constant = definition_states(app, stack, "Constant", iterations=True)
        assert constant["DownloadFirstPage"]["Next"] == "SelectFirstPage"
        assert constant["DownloadPage"]["Next"] == "SelectPage"
        item = constant["PersistFirstPage"]["Parameters"]["Item"]
        assert item["v"] == {"N.$": "States.Format('{}', $.selected.v)"}, item
        assert constant["PersistPage"]["Parameters"]["Item"]["v"] == {
            "N.$": "States.Format('{}', $.v)"
        }
        whole = definition_states(app, stack, "Whole", iterations=True)
        assert whole["PersistPage"]["Parameters"]["Item"]["doc"] == {
            "S.$": "States.JsonToString($)"
        }
        every = definition_states(app, stack, "All", iterations=True)
        assert every["DownloadPageStatus"]["Default"] == "SelectPage"
        assert every["ArchivePage"]["Parameters"]["Body.$"] == "States.JsonToString($)"
        assert every["FirstPageWriteRecords"]["ItemsPath"] == "$.selected.things"
        assert every["WriteRecords"]["ItemsPath"] == "$.things"
