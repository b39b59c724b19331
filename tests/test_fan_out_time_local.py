"""Fan-outs whose requests follow time (issue 23), run locally: each listed path's time
placeholders and a window's bounds filled per run in ``FetchAll``'s ``Items``, on both Map
kinds, with pages, through ``FanOut.from_answer`` and through the HTTP Task. The stand-ins
record every request as the third party receives it.

The acceptance case: a ``path_values`` fan-out over regions x ``page_number`` pages x an hourly
window (``from``/``to`` on every page of every region).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import (
    Concurrency,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Transport,
    Window,
)
from sfn_downloader.local import LocalRunner

from scenarios import api_key_connection

API = "https://api.example.com"
T0, T1 = "2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"
API_KEY = "local-api-key-77c1"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Jobs")
    hourly = Window.last(cdk.Duration.hours(1))
    DownloaderPattern(
        stack, "Trades", endpoint=API,
        path="/v1/regions/{region_id}/trades?from={window_start}&to={window_end}",
        fan_out=FanOut.path_values({"region_id": [10, 20]}), window=hourly,
        pagination=Pagination.page_number(items_path="$.ResponseBody.trades", page_size=2),
        item={"trades": ItemField.json("$.ResponseBody.trades")}, downloader_id="trades",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Daily", endpoint=API,
        fan_out=FanOut.paths(
            ["/v1/{scheduled_time:date}/summary", "/v1/stats?day={scheduled_time:date}&x=1"]
        ),
        concurrency=Concurrency.distributed(2),
        item={"body": ItemField.json("$.ResponseBody")}, downloader_id="daily",
    )  # fmt: skip
    DownloaderPattern(
        stack, "History", endpoint=API,
        fan_out=FanOut.from_answer(
            path="/v1/types", each="/v1/history?type_id={item}&since={window_start:epoch}"
        ),
        window=hourly,
        item={"body": ItemField.json("$.ResponseBody")}, downloader_id="history",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Metered", endpoint=API,
        path="/v1/meters/{meter}/readings?from={window_start}&to={window_end}",
        fan_out=FanOut.path_values({"meter": ["a", "b"]}), window=hourly,
        transport=Transport.http_task(api_key_connection(stack, "MeteredConnection")),
        item={"body": ItemField.json("$.ResponseBody")}, downloader_id="metered",
    )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"example/api-key": API_KEY}}


def items(runner: LocalRunner, pk: str) -> list[dict[str, Any]]:
    return sorted((i for i in answers(runner) if i["pk"] == pk and i["sk"] != "#state"),
                  key=lambda i: i["sk"])  # fmt: skip


def seen(upstream: Upstream) -> list[tuple[str, str]]:
    return sorted((s.path, s.raw_query) for s in upstream.requests)


def test_regions_times_pages_times_a_window(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Every page of every region carries the run's window; the next run, the next hour."""
    runner = open_runner("Jobs/Trades")

    def trades(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        return Answer(200, {"trades": [{"id": n} for n in range(2 if page == 1 else 1)]})

    upstream.respond(trades)
    run = runner.run(T1)
    assert run.status == "SUCCEEDED", run.cause
    window = "from=2026-11-27T05%3A00%3A00Z&to=2026-11-27T06%3A00%3A00Z"
    assert seen(upstream) == [
        (f"/v1/regions/{region}/trades", f"{window}&page={page}")
        for region in (10, 20) for page in (1, 2)
    ]  # fmt: skip
    template = "/v1/regions/{}/trades?from={{window_start}}&to={{window_end}}"
    assert [i["sk"] for i in items(runner, "trades")] == [
        f"{T1}#{template.format(region)}#{page}" for region in (10, 20) for page in (1, 2)
    ]  # fmt: skip
    upstream.respond(trades)
    assert runner.run("2026-11-27T07:00:00Z").succeeded
    later = "from=2026-11-27T06%3A00%3A00Z&to=2026-11-27T07%3A00%3A00Z"
    assert {query.split("&page=")[0] for _, query in seen(upstream)} == {later}


def test_listed_paths_get_their_date_in_the_path_and_the_query_in_a_distributed_map(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Daily")
    upstream.respond(lambda s: Answer(200, {"path": s.path}))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert seen(upstream) == [("/v1/2026-11-27/summary", ""), ("/v1/stats", "day=2026-11-27&x=1")]
    assert [i["sk"] for i in items(runner, "daily")] == [
        f"{T0}#/v1/stats?day={{scheduled_time:date}}&x=1",
        f"{T0}#/v1/{{scheduled_time:date}}/summary",
    ]


def test_from_answer_fills_the_window_and_encodes_each_item(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """An item holding a placeholder's text cannot add one: its braces are percent-encoded
    before the run's times are filled in."""
    runner = open_runner("Jobs/History")

    def api(seen: Seen) -> Answer:
        if seen.path == "/v1/types":
            return Answer(200, [34, "{window_start:epoch}"])
        return Answer(200, {"type": seen.query["type_id"][0]})

    upstream.respond(api)
    run = runner.run(T1)
    assert run.status == "SUCCEEDED", run.cause
    history = [s for s in upstream.requests if s.path == "/v1/history"]
    assert sorted(s.raw_query for s in history) == [
        "type_id=%7Bwindow_start%3Aepoch%7D&since=1795755600",
        "type_id=34&since=1795755600",
    ]
    stored = sorted(json.loads(i["body"])["type"] for i in items(runner, "history"))
    assert stored == ["34", "{window_start:epoch}"]


def test_the_http_task_fills_each_path_and_window(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Metered")
    upstream.respond(lambda s: Answer(200, {"ok": True}))
    run = runner.run(T1)
    assert run.status == "SUCCEEDED", run.cause
    window = "from=2026-11-27T05:00:00Z&to=2026-11-27T06:00:00Z"
    assert seen(upstream) == [
        ("/v1/meters/a/readings", window), ("/v1/meters/b/readings", window)
    ]  # fmt: skip
    assert all(s.headers.get("x-api-key") == API_KEY for s in upstream.requests)


def test_the_listing_is_computed_and_each_placeholder_path_is_granted_as_a_wildcard(
    app: cdk.App,
) -> None:
    """``FetchAll``'s ``Items`` is a JSONata expression only when a request holds a time
    placeholder;
    a placeholder in a path is any segment text, granted as ``*`` (the query's is not in the
    ARN)."""
    template = app.synth().get_stack_by_name("Jobs").template
    resources = template["Resources"]
    definitions = {
        logical_id: "".join(
            part if isinstance(part, str) else "<ref>"
            for part in r["Properties"]["DefinitionString"]["Fn::Join"][1]
        )
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    }
    daily = json.loads(next(d for k, d in definitions.items() if k.startswith("Daily")))
    listing = daily["States"]["FetchAll"]
    assert listing["QueryLanguage"] == "JSONata" and "$fill" in listing["Items"]
    assert "ListRequests" not in daily["States"]
    statements = [
        s for r in resources.values() if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "execute-api:Invoke"
    ]  # fmt: skip
    granted = json.dumps(statements)
    assert '/GET/v1/*/summary"' in granted and '/GET/v1/stats"' in granted
    assert "{scheduled_time" not in granted
