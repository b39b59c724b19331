"""End-to-end, locally: fan-out over paths, X-Pages and cursor pagination, the HTTP Task.

Each scenario's synthesized template runs unchanged on moto; the third party is a loopback
server answering by path and page.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField
from sfn_downloader.local import LocalRunner

from scenarios import build_cursor, build_fanout, build_pages

T0 = "2026-11-27T05:30:00Z"
REGIONS = (10000002, 10000043, 10000032)


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """One app, one stack per scenario: synthesized once for the module."""
    app = cdk.App()
    for name, build in (("Fanout", build_fanout), ("Pages", build_pages), ("Cursor", build_cursor)):
        build(cdk.Stack(app, name))
    distributed = cdk.Stack(app, "Distributed")
    DownloaderPattern(
        distributed, "Many", endpoint="https://api.example.com",
        fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(6)]),
        concurrency=Concurrency.distributed(
            50, child_workflow_type=cdk.aws_stepfunctions.StateMachineType.STANDARD
        ),
        result_selector={"value.$": "$.ResponseBody.value"},
        item={"value": ItemField.number("$.value")},
    )  # fmt: skip
    return app


def orders_of(seen: Seen) -> list[dict[str, Any]]:
    region = seen.path.split("/")[3]
    page = seen.query.get("page", ["1"])[0]
    return [{"region": region, "page": int(page), "order_id": f"{region}-{page}"}]


# --- fan-out ---------------------------------------------------------------------------------


def test_fanout_stores_one_item_per_path_and_reports_the_failed_one(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        if "10000043" in seen.path:
            return Answer(404, {"error": "Region not found"})
        return Answer(200, orders_of(seen))

    upstream.respond(answer)
    runner = open_runner("Fanout/Markets", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    [failed] = json.loads(execution.cause or "")
    assert failed["key"] == "/v1/markets/10000043/orders/?order_type=all"
    assert failed["error"] == "ApiGateway.404"
    assert sorted(s.path for s in upstream.requests) == sorted(
        f"/v1/markets/{r}/orders/" for r in REGIONS
    )
    assert all(s.query == {"order_type": ["all"]} for s in upstream.requests)
    items = answers(runner)
    assert [i["sk"] for i in items] == [
        f"{T0}#/v1/markets/10000002/orders/?order_type=all",
        f"{T0}#/v1/markets/10000032/orders/?order_type=all",
    ]
    assert json.loads(items[0]["orders"])[0]["region"] == "10000002"


def test_fanout_all_succeeding_succeeds_and_a_rerun_keeps_its_own_items(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, orders_of(seen)))
    runner = open_runner("Fanout/Markets")

    first, again = runner.run(T0), runner.run(T0)

    assert (first.status, again.status) == ("SUCCEEDED", "SUCCEEDED"), first.cause
    assert first.output["anyFailed"] is False
    # Each delivery its own keys (<t>#<execution>#<path>), each marked complete: the newest
    # complete delivery is the run's set; neither overwrote the other.
    raw = runner.items()
    assert len(raw) == 2 * len(REGIONS) + 2
    assert {i["run"] for i in raw} == {first.name, again.name}
    consistent = runner.table().pages(T0)
    assert [i["sk"] for i in consistent] == sorted(
        f"{T0}#{again.name}#/v1/markets/{r}/orders/?order_type=all" for r in REGIONS
    )


def test_distributed_map_runs_each_path_as_a_child_execution(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"value": int(seen.path.rsplit("/", 1)[1])}))
    runner = open_runner("Distributed/Many")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [(i["sk"], i["value"]) for i in answers(runner)] == [
        (f"{T0}#/v1/items/{n}", n) for n in range(6)
    ]


# --- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize("pages", [1, 7])
def test_x_pages_fetches_every_page_once(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, pages: int
) -> None:
    upstream.respond(lambda seen: Answer(200, orders_of(seen), headers={"X-Pages": str(pages)}))
    runner = open_runner("Pages/Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    requested = sorted(int(s.query["page"][0]) for s in upstream.requests)
    assert requested == list(range(1, pages + 1))  # each page once
    items = answers(runner)
    assert sorted(i["sk"] for i in items) == sorted(f"{T0}#{n}" for n in range(1, pages + 1))
    assert sorted(json.loads(i["orders"])[0]["page"] for i in items) == list(range(1, pages + 1))


def test_x_pages_in_any_letter_case_is_the_count(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, orders_of(seen), headers={"x-pages": " 3 "}))
    runner = open_runner("Pages/Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(answers(runner)) == 3


@pytest.mark.parametrize("announced", [None, "many"])
def test_a_first_page_without_a_count_is_stored_then_the_run_fails_as_in_a_fan_out(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, announced: str | None
) -> None:
    """One error name for page_count alone and in a fan-out: Downloader.PageCountNotFound,
    after the first page is stored (no States.Runtime from a path that matched nothing)."""
    headers = {"X-Pages": announced} if announced is not None else {}
    upstream.respond(lambda seen: Answer(200, orders_of(seen), headers=headers))
    runner = open_runner("Pages/Orders")

    execution = runner.run(T0)

    assert execution.status == "FAILED"
    assert execution.error == "Downloader.PageCountNotFound"
    assert "has no X-Pages header with a number of pages" in execution.cause
    assert [i["sk"] for i in answers(runner)] == [f"{T0}#1"]


def test_x_pages_stops_at_max_pages(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, orders_of(seen), headers={"X-Pages": "80"}))
    runner = open_runner("Pages/Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 50 and len(answers(runner)) == 50


def test_cursor_follows_next_until_none(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    chain = {None: "c2", "c2": "c3", "c3": None}

    def answer(seen: Seen) -> Answer:
        cursor = seen.query.get("cursor", [None])[0]
        return Answer(200, {"entries": [cursor or "first"], "next": chain[cursor]})

    upstream.respond(answer)
    runner = open_runner("Cursor/Feed")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.query.get("cursor") for s in upstream.requests] == [None, ["c2"], ["c3"]]
    assert [(i["sk"], json.loads(i["entries"])) for i in answers(runner)] == [
        (f"{T0}#1", ["first"]), (f"{T0}#2", ["c2"]), (f"{T0}#3", ["c3"]),
    ]  # fmt: skip


def test_cursor_stops_at_the_page_cap(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"entries": [], "next": "again"}))
    runner = open_runner("Cursor/Feed")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 3 and len(answers(runner)) == 3
