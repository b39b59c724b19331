"""End-to-end, locally: a fan-out whose requests are read from S3 (``items_from_s3=True``).

The cloud assembly's asset (the request list) is put where ``cdk deploy`` would put it, the
Distributed Map's ``ItemReader`` reads it, and its ``ItemBatcher`` gives each child execution a
batch of requests (``local/_moto_items.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from local_helpers import Answer, Seen, Upstream
from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField
from sfn_downloader.local import LocalRunner

T0 = "2026-11-27T05:30:00Z"
PATHS = [f"/v1/items/{n}" for n in range(50)]
MISSING = "/v1/items/37"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    for name, child in (("Express", None), ("Standard", sfn.StateMachineType.STANDARD)):
        DownloaderPattern(
            cdk.Stack(app, name), "Many", endpoint="https://api.example.com",
            fan_out=FanOut.paths(PATHS),
            concurrency=Concurrency.distributed(
                4, child_workflow_type=child, items_from_s3=True, requests_per_child=10
            ),
            result_selector={"value.$": "$.ResponseBody.value"},
            item={"value": ItemField.number("$.value")},
        )  # fmt: skip
    return app


def answer(seen: Seen) -> Answer:
    path = seen.path
    if path == MISSING:
        return Answer(404, {"error": "no such item"})
    return Answer(200, {"value": int(path.rsplit("/", 1)[1])})


@pytest.mark.parametrize("stack", ["Express", "Standard"])
def test_requests_read_from_s3_in_batches_fail_naming_the_missing_path(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, stack: str
) -> None:
    upstream.respond(answer)
    runner = open_runner(f"{stack}/Many", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed")
    [batch] = json.loads(execution.cause or "")
    assert batch == {
        "ok": False, "stored": 9, "failedCount": 1, "key": MISSING,
        "error": "ApiGateway.404",
    }  # fmt: skip
    assert sorted(s.path for s in upstream.requests) == sorted(PATHS)
    items = runner.items()
    # Each answer under its delivery's key (issue 26); no completion marker: a path failed.
    assert sorted(i["sk"] for i in items) == sorted(
        f"{T0}#{execution.name}#{p}" for p in PATHS if p != MISSING
    )


def test_each_child_execution_gets_a_batch_of_ten(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"value": 1}))
    runner = open_runner("Standard/Many")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    outcomes = execution.output["outcomes"]
    assert [o["stored"] for o in outcomes] == [10] * 5
    assert all(o == {"ok": True, "stored": 10, "failedCount": 0} for o in outcomes)
    # Every path stored: the delivery marks itself complete, last.
    assert sum(i["sk"].startswith("#delivered#") for i in runner.items()) == 1
