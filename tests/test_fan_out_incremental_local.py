"""``incremental`` over a fan-out (issue 23), run locally: each request of the fan-out (a
``path_values`` combination, a listed path) is its own partition with its own mark, in its own
item (``#mark#<key>``): read when its iteration starts, sent as ``since``, folded over its
pages, and moved forward once its answer (every page) is stored. A failed path leaves its mark
(the next run asks it again); the others move theirs.
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
    Concurrency,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Pagination,
)
from sfn_downloader.local import LocalRunner

API = "https://api.example.com"
INITIAL = "2026-01-01T00:00:00Z"
T = ["2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z", "2026-11-27T07:00:00Z"]
TEMPLATE = "/v1/regions/{}/orders?limit=2"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Jobs")
    since = Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL)
    DownloaderPattern(
        stack, "Orders", endpoint=API, path="/v1/regions/{region}/orders?limit=2",
        fan_out=FanOut.path_values({"region": [10, 20]}), incremental=since,
        pagination=Pagination.link_header(max_pages=5),
        item={"orders": ItemField.json("$.ResponseBody")}, downloader_id="orders",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Feeds", endpoint=API, fan_out=FanOut.paths(["/v1/feeds/a", "/v1/feeds/b?x=1"]),
        incremental=Incremental(cursor_path="$.ResponseBody[*].id", param="after", initial=0),
        concurrency=Concurrency.distributed(2),
        item={"events": ItemField.json("$.ResponseBody")}, downloader_id="feeds",
    )  # fmt: skip
    return app


def marks(runner: LocalRunner, pk: str) -> dict[str, str]:
    return {
        i["sk"].removeprefix("#mark#"): i["mark"]
        for i in runner.items()
        if i["pk"] == pk and i["sk"].startswith("#mark#")
    }


def orders(pages: dict[int, list[list[str]]], fail: tuple[int, int] | None = None) -> Any:
    """Each region's pages of orders (their ``updated_at``), linked with ``Link`` as the API
    writes it (``since`` kept); ``fail``: (region, page) answers 500."""

    def answer(seen: Seen) -> Answer:
        region = int(seen.path.split("/")[3])
        page = int(seen.query.get("page", ["1"])[0])
        if (region, page) == fail:
            return Answer(500, {"message": "Server Error"})
        records = [{"id": f"{region}-{page}-{i}", "updated_at": at}
                   for i, at in enumerate(pages[region][page - 1])]  # fmt: skip
        headers = {}
        if page < len(pages[region]):
            query = {k: v[0] for k, v in seen.query.items()} | {"page": str(page + 1)}
            headers["Link"] = f'<{API}{seen.path}?{urlencode(query)}>; rel="next"'
        return Answer(200, records, headers=headers)

    return answer


def test_each_region_keeps_its_own_mark_over_its_pages(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Orders")
    upstream.respond(orders({
        10: [["2026-02-01T00:00:00Z", "2026-02-05T00:00:00Z"], ["2026-02-03T00:00:00Z"]],
        20: [["2026-03-01T00:00:00Z"]],
    }))  # fmt: skip
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    sent = sorted((s.path, s.query.get("page", ["1"]), s.query["since"]) for s in upstream.requests)
    assert sent == [
        ("/v1/regions/10/orders", ["1"], [INITIAL]), ("/v1/regions/10/orders", ["2"], [INITIAL]),
        ("/v1/regions/20/orders", ["1"], [INITIAL]),
    ]  # fmt: skip
    assert marks(runner, "orders") == {
        TEMPLATE.format(10): "2026-02-05T00:00:00Z", TEMPLATE.format(20): "2026-03-01T00:00:00Z",
    }  # fmt: skip
    # Each delivery's pages are its own: <time>#<execution>#<key>#<page>.
    stored = sorted(i["sk"] for i in runner.items() if i["pk"] == "orders" and i["sk"][0] != "#")
    assert stored == sorted(
        [f"{T[0]}#{run.name}#{TEMPLATE.format(10)}#{n}" for n in (1, 2)]
        + [f"{T[0]}#{run.name}#{TEMPLATE.format(20)}#1"]
    )
    # Run 2: each region from its own mark; region 20's second page fails.
    upstream.respond(orders(
        {10: [["2026-02-06T00:00:00Z"]],
         20: [["2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z"], ["2026-03-03T00:00:00Z"]]},
        fail=(20, 2),
    ))  # fmt: skip
    failed = runner.run(T[1])
    assert (failed.status, failed.error) == ("FAILED", "Downloader.RequestsFailed")
    assert TEMPLATE.format(20) in (failed.cause or "")
    firsts = {s.path: s.query["since"] for s in upstream.requests if "page" not in s.query}
    assert firsts == {
        "/v1/regions/10/orders": ["2026-02-05T00:00:00Z"],
        "/v1/regions/20/orders": ["2026-03-01T00:00:00Z"],
    }
    assert marks(runner, "orders") == {
        TEMPLATE.format(10): "2026-02-06T00:00:00Z",  # moved: its path succeeded
        TEMPLATE.format(20): "2026-03-01T00:00:00Z",  # kept: its page 2 failed
    }  # fmt: skip
    # Run 3 asks region 20 again from where it was.
    upstream.respond(orders({10: [[]], 20: [["2026-03-10T00:00:00Z"]]}))
    assert runner.run(T[2]).succeeded
    firsts = {s.path: s.query["since"] for s in upstream.requests}
    assert firsts["/v1/regions/20/orders"] == ["2026-03-01T00:00:00Z"]
    assert marks(runner, "orders")[TEMPLATE.format(20)] == "2026-03-10T00:00:00Z"
    assert marks(runner, "orders")[TEMPLATE.format(10)] == "2026-02-06T00:00:00Z"  # empty page


def test_listed_paths_keep_numeric_marks_in_a_distributed_map(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Jobs/Feeds")
    newest = {"/v1/feeds/a": [3, 9], "/v1/feeds/b": [12]}
    upstream.respond(lambda s: Answer(200, [{"id": n} for n in newest[s.path]]))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert sorted(s.raw_query for s in upstream.requests) == ["after=0", "x=1&after=0"]
    assert marks(runner, "feeds") == {"/v1/feeds/a": "9", "/v1/feeds/b?x=1": "12"}
    newest = {"/v1/feeds/a": [], "/v1/feeds/b": [13]}
    upstream.respond(lambda s: Answer(200, [{"id": n} for n in newest[s.path]]))
    assert runner.run(T[1]).succeeded
    assert sorted(s.raw_query for s in upstream.requests) == ["after=9", "x=1&after=12"]
    assert marks(runner, "feeds") == {"/v1/feeds/a": "9", "/v1/feeds/b?x=1": "13"}


def test_no_state_assigns_from_an_answer_it_also_shapes(app: cdk.App) -> None:
    """Each path's cursor values are read by a Pass where the answer is kept (``ReadDownload``),
    or, in a page loop, by the JSONata download's Assign from ``$states.result`` (the raw
    result, one meaning; issue 28(a)), never by a JSONPath Task whose ResultSelector or
    ResultPath would make ``$`` in its Assign ambiguous (issue 25, item 9); the mark is read
    by a JSONata GetItem."""
    from test_assign_reads import ambiguous

    template = app.synth().get_stack_by_name("Jobs").template
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::StepFunctions::StateMachine":
            continue
        parts = resource["Properties"]["DefinitionString"]["Fn::Join"][1]
        asl = json.loads("".join(p if isinstance(p, str) else "arn" for p in parts))
        assert ambiguous(asl) == []
        names = json.dumps(asl)
        assert '"ReadMark"' in names
        assert '"ReadDownload"' in names or "$cursorValues := ($h := $states.result" in names
