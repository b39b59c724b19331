"""End-to-end, locally: ``FanOut.from_answer`` in batches (``Concurrency.distributed``, issue 28).

A list of 60 ids over 3 pages (X-Pages); a Distributed Map over the ids themselves, 20 a child
execution, each child computing its requests (``BatchRequests``); one id answers 404. Then a
list of hostile items (dot segments), refused one by one as on the inline path, and a list
holding an item longer than a batch has room for; per-item features in a batch (an
``incremental`` mark per item, ``records``, ``retry_after``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from local_helpers import Answer, Seen, Upstream
from sfn_downloader import (
    Concurrency,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Pagination,
    Records,
    RetryAfter,
)
from sfn_downloader.local import LocalRunner

T0 = "2026-11-27T05:30:00Z"
IDS = list(range(1, 61))
MISSING = 37
EACH = "/v1/history/{item}?kind=daily"


def each_key(item: object) -> str:
    return EACH.replace("{item}", str(item))


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    for name, child in (("Express", None), ("Standard", sfn.StateMachineType.STANDARD)):
        DownloaderPattern(
            cdk.Stack(app, name), "Types", endpoint="https://api.example.com",
            fan_out=FanOut.from_answer(
                path="/v1/types", each=EACH, pages=Pagination.page_count(header="X-Pages"),
            ),
            concurrency=Concurrency.distributed(
                3, child_workflow_type=child, requests_per_child=20
            ),
            item={"page": ItemField.json("$.ResponseBody")},
        )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Short"), "Types", endpoint="https://api.example.com",
        fan_out=FanOut.from_answer(path="/v1/types", each=EACH, max_items=5),
        concurrency=Concurrency.distributed(2, requests_per_child=128,
                                            child_workflow_type=sfn.StateMachineType.STANDARD),
        item={"page": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Combined"), "Types", endpoint="https://api.example.com",
        fan_out=FanOut.from_answer(path="/v1/types", each="/v1/h/{item}", max_items=50),
        concurrency=Concurrency.distributed(3, requests_per_child=8),
        incremental=Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                                initial="2026-01-01T00:00:00Z"),
        records=Records.merge(items="$.ResponseBody", key="id", version="rev"),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
        item={"page": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    return app


def listed(items: list[object]) -> Callable[[Seen], Answer]:
    """``/v1/types``: ``items`` in pages of 20 (X-Pages); each item's history, 404 for one."""

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/types":
            page = int((seen.query.get("page") or ["1"])[0])
            pages = max(1, -(-len(items) // 20))
            return Answer(200, items[20 * (page - 1) : 20 * page], {"X-Pages": str(pages)})
        if seen.path == f"/v1/history/{MISSING}":
            return Answer(404, {"error": "no such type"})
        return Answer(200, {"path": seen.path})

    return answer


@pytest.mark.parametrize("stack", ["Express", "Standard"])
def test_sixty_ids_in_batches_of_twenty_store_59_and_name_the_missing_one(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, stack: str
) -> None:
    upstream.respond(listed(list(IDS)))
    runner = open_runner(f"{stack}/Types", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    [batch] = json.loads(execution.cause or "")
    assert batch == {
        "ok": False, "stored": 19, "failedCount": 1, "key": each_key(MISSING),
        "error": "ApiGateway.404",
    }  # fmt: skip
    pages = [s.raw_query for s in upstream.requests if s.path == "/v1/types"]
    assert pages == ["page=1", "page=2", "page=3"]
    histories = sorted(s.path for s in upstream.requests if s.path != "/v1/types")
    assert histories == sorted(f"/v1/history/{n}" for n in IDS)
    assert all(s.raw_query == "kind=daily" for s in upstream.requests if s.path != "/v1/types")
    # Each answer under its delivery's key (issue 26); no completion marker: an item failed.
    assert sorted(i["sk"] for i in runner.items()) == sorted(
        f"{T0}#{execution.name}#{each_key(n)}" for n in IDS if n != MISSING
    )


def test_every_item_stored_marks_the_delivery(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(listed([n for n in IDS if n != MISSING][:45]))
    runner = open_runner("Express/Types")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    items = runner.items()
    stored = [i for i in items if i["sk"].count("#") == 2]
    assert len(stored) == 45
    assert len(items) == 46  # and the delivery's completion item (MarkDelivered)


def test_hostile_items_are_refused_one_by_one_in_their_batch(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(listed(["..", "ok", "%2e%2e", 5]))
    runner = open_runner("Short/Types")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    batches = json.loads(execution.cause or "")
    assert [b["error"] for b in batches] == ["Downloader.UnsafeItem"]
    assert sum(b["failedCount"] for b in batches) == 2
    assert sorted(s.path for s in upstream.requests if s.path != "/v1/types") == [
        "/v1/history/5", "/v1/history/ok",
    ]  # fmt: skip


def test_an_item_longer_than_a_batch_has_room_for_fails_before_any_request(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(listed([1, "x" * 40, 3]))
    runner = open_runner("Short/Types")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.ItemTooLarge")
    assert "is 40 characters long" in (execution.cause or "")
    assert [s.path for s in upstream.requests] == ["/v1/types"]


def test_each_item_keeps_its_mark_and_records_in_a_batch(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/types":
            return Answer(200, list(range(1, 11)))
        return Answer(200, [{"id": seen.path, "rev": 1, "updated_at": "2026-11-27T05:00:00Z"}])

    upstream.respond(answer)
    runner = open_runner("Combined/Types")

    first = runner.run(T0)
    second = runner.run("2026-11-27T06:30:00Z")

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED"), first.cause
    items = runner.items()
    marks = {i["sk"]: i["mark"] for i in items if i["sk"].startswith("#mark#")}
    assert marks == {f"#mark#/v1/h/{n}": "2026-11-27T05:00:00Z" for n in range(1, 11)}
    assert len([i for i in items if i["pk"].endswith("#records")]) == 10
    asked = [(s.path, s.raw_query) for s in upstream.requests if s.path != "/v1/types"]
    # Each item from its own mark: the initial one, then what its answer advanced it to.
    assert sorted(asked[:10]) == sorted(
        (f"/v1/h/{n}", "since=2026-01-01T00%3A00%3A00Z") for n in range(1, 11)
    )
    assert sorted(asked[10:]) == sorted(
        (f"/v1/h/{n}", "since=2026-11-27T05%3A00%3A00Z") for n in range(1, 11)
    )
