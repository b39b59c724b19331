"""End-to-end, locally: requests found in another answer (``FanOut.from_answer``).

EVE's market types (an X-Pages list), then the history of the first three types; a list of
objects by field, each detail paginated; an empty list; a list over the limit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Run, Seen, Upstream, answers
from sfn_downloader import DownloaderPattern, FanOut, ItemField, Pagination, Trim

from scenarios import EXAMPLE_API, build_from_answer

T0 = "2026-11-27T05:30:00Z"
TRANSPORTS = ("Proxy", "Http")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    build_from_answer(cdk.Stack(app, "Proxy"))
    build_from_answer(cdk.Stack(app, "Http"), http_task=True, only=("History", "Things"))
    # Through a non-proxy integration (trim), which passes only the query names it maps: the
    # list's page, and each request's type_id, must be among them.
    DownloaderPattern(
        cdk.Stack(app, "Trimmed"), "History", endpoint=EXAMPLE_API,
        fan_out=FanOut.from_answer(
            path="/v1/markets/10000002/types/", items="$.ResponseBody",
            each="/v1/markets/10000002/history/?type_id={item}", max_items=3,
            pages=Pagination.page_count(),
        ),
        trim=Trim.template("$input.json('$')"), item={"page": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    # 1,000 object items of 400 B over 5 list pages (issue 25, item 4).
    DownloaderPattern(
        cdk.Stack(app, "Objects"), "Objects", endpoint=EXAMPLE_API,
        fan_out=FanOut.from_answer(
            path="/v1/objects", items="$.ResponseBody",
            each="/v1/objects/{item.id}?region={item.region}",
            pages=Pagination.page_count(header="X-Pages"),
        ),
        item={"page": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    return app


def keys(runner: Run) -> list[str]:
    return [item["sk"].removeprefix(f"{runner.when}#") for item in answers(runner)]


def market(seen: Seen) -> Answer:
    """Three pages of type ids (X-Pages), then each type's history."""
    if seen.path.endswith("/types/"):
        page = int(seen.query["page"][0])
        return Answer(200, [10 * page + 1, 10 * page + 2], {"X-Pages": "3"})
    return Answer(200, [{"type_id": int(seen.query["type_id"][0]), "average": 5.5}])


@pytest.mark.parametrize("transport", [*TRANSPORTS, "Trimmed"])
def test_the_list_answer_drives_the_requests(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(market)
    runner = open_run(transport, "History")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    requests = [(s.path, s.raw_query) for s in upstream.requests]
    # The list's pages are read until 3 items are found (max_items=3): page 3 is not needed.
    assert requests[:2] == [("/v1/markets/10000002/types/", "page=1"),
                            ("/v1/markets/10000002/types/", "page=2")]  # fmt: skip
    assert sorted(requests[2:]) == [
        ("/v1/markets/10000002/history/", f"type_id={t}") for t in (11, 12, 21)
    ]
    assert keys(runner) == [f"/v1/markets/10000002/history/?type_id={t}" for t in (11, 12, 21)]
    assert json.loads(answers(runner)[0]["page"]) == [{"type_id": 11, "average": 5.5}]


def things(count: int) -> Callable[[Seen], Answer]:
    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/things":
            return Answer(200, {"things": [{"id": f"t/{n}", "name": "x"} for n in range(count)]})
        if seen.query.get("page") == ["2"]:
            return Answer(200, [])
        return Answer(200, [seen.path])

    return answer


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_object_items_fill_each_by_field_encoded(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(things(2))
    runner = open_run(transport, "Things")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert upstream.requests[0].raw_query == "kind=all"
    # A '/' in an item is encoded: an item never changes the path's shape.
    assert keys(runner) == ["/v1/things/t%2F0/detail", "/v1/things/t%2F1/detail"]


HOSTILE = ["..", ".", "a/b", "../../admin", "%2e%2e", "..\\x", "ok"]
"""Items a third party's list could hold to move the requests elsewhere on its host."""


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_no_item_changes_the_paths_segments(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    """Dot segments (also encoded, or between the item's own '/' or '\\') are never
    requested: those requests fail as recorded failures and the others go on; a '/' reaches the
    API encoded, inside its one segment, through the proxy too (it was decoded into Path)."""

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/things":
            return Answer(200, {"things": [{"id": item} for item in HOSTILE]})
        return Answer(200, [seen.target])

    upstream.respond(answer)
    runner = open_run(transport, "Things")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    seen = sorted(s.target for s in upstream.requests[1:])
    assert seen == ["/v1/things/a%2Fb/detail", "/v1/things/ok/detail"]
    for target in seen:  # /v1/things/<one segment>/detail, no dot segment
        assert len(target.split("/")) == 5 and not {".", ".."} & set(target.split("/"))
    failed = json.loads((execution.cause or "")[(execution.cause or "").index("[") :])
    assert sorted(failed, key=lambda f: f["key"]) == sorted(
        (
            {"ok": False, "key": f"/v1/things/{quote(item, safe='')}/detail",
             "error": "Downloader.UnsafeItem"}
            for item in HOSTILE if item not in ("a/b", "ok")
        ),
        key=lambda f: f["key"],
    )  # fmt: skip
    assert keys(runner) == ["/v1/things/a%2Fb/detail", "/v1/things/ok/detail"]


def test_each_request_may_be_paginated(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.respond(things(2))
    runner = open_run("Proxy", "PagedThings")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert keys(runner) == [
        "/v1/things/t%2F0/detail#1", "/v1/things/t%2F0/detail#2",
        "/v1/things/t%2F1/detail#1", "/v1/things/t%2F1/detail#2",
    ]  # fmt: skip


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_an_empty_list_stores_nothing_and_succeeds(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(things(0))
    runner = open_run(transport, "Things")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 1 and answers(runner) == []


def test_a_list_over_the_limit_fails_before_any_item_is_requested(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.respond(things(1001))
    runner = open_run("Proxy", "Things")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.TooManyItems")
    assert "1001 items" in (execution.cause or "")
    assert len(upstream.requests) == 1 and answers(runner) == []


@pytest.mark.parametrize(
    "answer",
    [Answer(200, {"things": [{"name": "no id"}]}), Answer(200, {"nothing": []})],
    ids=["no-field", "no-list"],
)
def test_a_list_without_the_items_fails_with_the_constructs_error(
    open_run: Callable[[str, str], Run], upstream: Upstream, answer: Answer
) -> None:
    upstream.respond(lambda seen: answer)
    runner = open_run("Proxy", "Things")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.ListItemsNotFound")
    assert len(upstream.requests) == 1


OBJECT_PAGES, OBJECTS_A_PAGE = 5, 200


def listed_object(number: int) -> dict[str, Any]:
    """An item of about 400 bytes, as an API lists it: two of its fields make the request."""
    item = {"id": number, "region": f"r{number % 3}", "name": f"object {number}"}
    return {**item, "description": "d" * (400 - len(json.dumps(item)) - 19)}


@pytest.mark.slow  # 1,000 requests: about 32 s of CPU (moto's Map copies its input per item)
def test_a_thousand_object_items_over_list_pages_are_all_requested(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    """Before, every page's items were kept whole in the state: 1,000 of 400 B are 400 KB,
    over the 256 KiB a state holds (900 of 330 B failed with States.DataLimitExceeded after
    8 pages). Now a page keeps of each item the fields ``each`` reads."""
    assert len(json.dumps(listed_object(999))) >= 400

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/objects":
            page = int(seen.query["page"][0])
            first = (page - 1) * OBJECTS_A_PAGE
            listed = [listed_object(n) for n in range(first, first + OBJECTS_A_PAGE)]
            return Answer(200, listed, {"X-Pages": str(OBJECT_PAGES)})
        return Answer(200, [1])

    upstream.respond(answer)
    runner = open_run("Objects", "Objects")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    details = sorted((s.path, s.raw_query) for s in upstream.requests[OBJECT_PAGES:])
    total = OBJECT_PAGES * OBJECTS_A_PAGE
    assert details == sorted((f"/v1/objects/{n}", f"region=r{n % 3}") for n in range(total))
    assert len(runner.items()) == total
