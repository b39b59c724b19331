"""``retry_after`` in a fan-out, run locally: each path's request (and each page of a path)
waits what the server asks, on its own; a wait the downloader refuses ends that path as a
failed outcome while the other paths are stored (then the run fails, naming it)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import (
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    RetryAfter,
)
from sfn_downloader.local import LocalRunner

T0 = "2026-11-27T05:00:00Z"
SLOW_DOWN = {"message": "slow down"}


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Waits")
    DownloaderPattern(
        stack, "Paths", endpoint="https://api.example.com",
        fan_out=FanOut.paths(["/v1/a", "/v1/b", "/v1/c"]),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
        result_selector={"value.$": "$.ResponseBody.value"},
        item={"value": ItemField.number("$.value")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "PagedPaths", endpoint="https://api.example.com",
        fan_out=FanOut.paths(["/v1/a", "/v1/b"]),
        pagination=Pagination.page_number(items_path="$.ResponseBody.items", page_size=2),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
        item={"items": ItemField.json("$.ResponseBody.items")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Listed", endpoint="https://api.example.com",
        fan_out=FanOut.from_answer(
            path="/v1/types", each="/v1/t/{item}",
            pages=Pagination.page_number(items_path="$.ResponseBody", page_size=2),
        ),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
        item={"type": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"fast_retries": True}


def throttling(
    answers: dict[str, list[Answer]], default: Callable[[Seen], Answer]
) -> Callable[[Seen], Answer]:
    """Each request key's scripted answers first (``/v1/b`` or ``/v1/b?page=2``), then
    ``default``."""
    left = {key: list(script) for key, script in answers.items()}

    def answer(seen: Seen) -> Answer:
        key = seen.path + (f"?page={seen.query['page'][0]}" if "page" in seen.query else "")
        script = left.get(key)
        if script:
            return script.pop(0)
        return default(seen)

    return answer


def test_each_path_waits_on_its_own_and_a_refused_wait_fails_only_its_path(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Waits/Paths")
    value = {"/v1/a": 1, "/v1/b": 2, "/v1/c": 3}
    upstream.respond(throttling(
        {"/v1/b": [Answer(429, SLOW_DOWN, headers={"Retry-After": "5"})],
         "/v1/c": [Answer(503, SLOW_DOWN, headers={"Retry-After": "600"})]},
        lambda seen: Answer(200, {"value": value[seen.path]}),
    ))  # fmt: skip

    execution = runner.run(T0)

    assert execution.status == "FAILED", execution.cause
    assert execution.error == "Downloader.RequestsFailed", execution.cause
    assert "/v1/c" in execution.cause and "Downloader.RetryAfterTooLong" in execution.cause
    stored = {i["sk"]: i["value"] for i in answers(runner)}
    assert stored == {f"{T0}#/v1/a": 1, f"{T0}#/v1/b": 2}  # b after its 5 s wait, not c
    assert runner.waits == [5]
    assert [s.path for s in upstream.requests].count("/v1/b") == 2


def test_each_page_of_each_path_waits_on_its_own(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Waits/PagedPaths")
    upstream.respond(throttling(
        {"/v1/a?page=2": [Answer(429, SLOW_DOWN, headers={"Retry-After": "4"})] * 2},
        lambda seen: Answer(200, {"items": [1, 2] if seen.query["page"] == ["1"] else [3]}),
    ))  # fmt: skip

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert runner.waits == [4, 4]
    keys = sorted(i["sk"] for i in answers(runner))
    assert keys == [f"{T0}#/v1/{p}#{n}" for p in "ab" for n in (1, 2)]
    assert [json.loads(i["items"]) for i in answers(runner) if i["sk"].endswith("/v1/a#2")] == [[3]]


def test_from_answer_waits_on_its_list_pages_and_on_each_item(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The list (each of its pages) and each item's request wait what the server asks: a 429
    on the list's page 2 and on one item are waited out, nothing throttled is taken for data."""
    runner = open_runner("Waits/Listed")
    upstream.respond(throttling(
        {"/v1/types?page=2": [Answer(429, SLOW_DOWN, headers={"Retry-After": "6"})],
         "/v1/t/7": [Answer(503, SLOW_DOWN, headers={"Retry-After": "3"})]},
        lambda seen: Answer(200, [7, 8] if seen.query.get("page") == ["1"] else [9])
        if seen.path == "/v1/types" else Answer(200, {"type": seen.path}),
    ))  # fmt: skip
    execution = runner.run(T0)
    assert execution.status == "SUCCEEDED", execution.cause
    assert sorted(runner.waits) == [3, 6]
    assert sorted(i["sk"] for i in answers(runner)) == [f"{T0}#/v1/t/{n}" for n in (7, 8, 9)]


def test_page_count_per_path_waits_on_each_page() -> None:
    """In a fan-out every paginator, ``page_count`` too, fetches a path's pages one after
    another, each waited on; alone, ``page_count``'s pages 2..N run in a Map that is not."""
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "P", endpoint="https://api.example.com", path="/v1/{r}",
        fan_out=FanOut.path_values({"r": [1, 2]}), pagination=Pagination.page_count(),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
        item={"x": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    definition = json.dumps(cdk.assertions.Template.from_stack(stack).to_json())
    # Inside the fan-out's iteration: each page's download (checked, JSONata), then its
    # throttle check.
    assert (
        '\\"DownloadPage\\":{\\"QueryLanguage\\":\\"JSONata\\",'
        '\\"Next\\":\\"DownloadPageThrottled\\"'
    ) in definition
