"""Fan-outs read from S3 (``Concurrency.distributed(n, items_from_s3=True)``): the template,
the checks with their arithmetic, and the cost (issue 28)."""

from __future__ import annotations

import functools
import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
)
from sfn_downloader.fanout import _s3

from scenarios import S3_PATHS, Scenario, definition, state_machines

PROPS: dict[str, Any] = {
    "endpoint": "https://api.example.com",
    "result_selector": {"value.$": "$.ResponseBody.value"},
    "item": {"value": ItemField.number("$.value")},
}


def make(**props: Any) -> DownloaderPattern:
    return DownloaderPattern(cdk.Stack(cdk.App(), "S"), "P", **{**PROPS, **props})


def test_100000_paths_synthesize_with_neither_definition_nor_template_holding_them(
    from_s3: Scenario,
) -> None:
    text = json.dumps(from_s3.json)
    [machine] = state_machines(from_s3.json).values()
    definition_text = json.dumps(machine["Properties"]["DefinitionString"])
    assert "/v1/items/12345" not in text
    assert len(text.encode()) < 1_000_000 and len(definition_text.encode()) < 1_000_000
    fetch_all = definition(from_s3)["States"]["FetchAll"]
    assert fetch_all["ItemReader"]["Resource"].endswith(":states:::s3:getObject")
    assert fetch_all["ItemReader"]["ReaderConfig"] == {"InputType": "JSON"}
    batch = _scenario_batch()
    assert fetch_all["ItemBatcher"] == {"MaxItemsPerBatch": batch}
    assert batch >= 50 and -(-S3_PATHS // batch) * _s3.outcome_bytes("/v1/items/99999", batch) <= (
        256 * 1024 - _s3.STATE_ROOM_BYTES
    )
    child = fetch_all["ItemProcessor"]
    assert child["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    inner = child["States"]["FetchAllBatch"]
    assert (inner["ItemsPath"], inner["MaxConcurrency"]) == ("$.Items", 1)
    assert fetch_all["ItemSelector"]["request.$"] == "$$.Map.Item.Value"


@functools.cache
def _scenario_batch() -> int:
    """The batch ``_s3.batch_size`` gives the scenario's 100,000 paths (a second to measure:
    once for the module)."""
    return _s3.batch_size([_target(n) for n in range(S3_PATHS)])


def _target(n: int) -> Any:
    from sfn_downloader._parts import Target

    return Target(f"/v1/items/{n}", {}, f"/v1/items/{n}")


def test_the_asset_holds_the_requests_and_the_role_may_read_it(from_s3: Scenario) -> None:
    statements = [
        s
        for r in from_s3.json["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy"
        for s in r["Properties"]["PolicyDocument"]["Statement"]
    ]
    reads = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert reads and "cdk-hnb659fds-assets" in json.dumps(reads)
    fetch_all = definition(from_s3)["States"]["FetchAll"]
    assert fetch_all["ItemReader"]["Parameters"]["Key"].endswith(".json")


def test_the_cost_estimate_prices_the_children_and_the_s3_read(from_s3: Scenario) -> None:
    estimate = from_s3.patterns["p"].estimate_monthly_cost()
    lines = {line.service: line for line in estimate.line_items}
    assert lines["S3 GET requests (ItemReader)"].quantity == 30
    batch = _scenario_batch()
    children = lines["Step Functions Express requests (Distributed Map children)"].quantity
    assert children == 30 * -(-S3_PATHS // batch)
    assert lines["API Gateway REST"].quantity >= 30 * S3_PATHS


def test_a_list_over_the_state_is_refused_with_its_measured_size() -> None:
    with pytest.raises(DownloaderConfigError, match=r"6,000 x ~46 bytes.*items_from_s3=True"):
        make(fan_out=FanOut.paths([f"/t/{n}" for n in range(6_000)]))


def test_five_thousand_short_paths_still_fit_the_state() -> None:
    make(fan_out=FanOut.paths([f"/t/{n}" for n in range(5_000)]))


@pytest.mark.parametrize(
    ("props", "match"),
    [
        (
            {"fan_out": FanOut.from_answer(path="/list", each="/item/{item}")},
            "from_answer's requests are known only when the run reads the list",
        ),
        (
            {"fan_out": FanOut.paths(["/a", "/b"]), "pagination": Pagination.page_count()},
            "with pagination each path is a page loop",
        ),
        ({"fan_out": FanOut.paths(["/a/{scheduled_time:date}"])}, "has time placeholders"),
        ({"fan_out": FanOut.paths(["/a"]), "post_process": "post"}, "one summary per batch"),
        ({"path": "/one", "pagination": Pagination.page_count()}, "this run has no fan-out"),
    ],
)
def test_what_a_list_read_from_s3_cannot_do_is_refused(props: dict[str, Any], match: str) -> None:
    if props.get("post_process") == "post":
        stack = cdk.Stack(cdk.App(), "S")
        props["post_process"] = sfn.Pass(stack, "After")
        with pytest.raises(DownloaderConfigError, match=match):
            DownloaderPattern(
                stack, "P", **{**PROPS, **props},
                concurrency=Concurrency.distributed(10, items_from_s3=True),
            )  # fmt: skip
        return
    with pytest.raises(DownloaderConfigError, match=match):
        make(**props, concurrency=Concurrency.distributed(10, items_from_s3=True))


def test_a_batch_too_small_for_the_parent_state_is_refused_with_the_arithmetic() -> None:
    with pytest.raises(
        DownloaderConfigError, match=r"makes 10,000 child executions.*requests_per_child=\d"
    ):
        make(
            fan_out=FanOut.paths([f"/t/{n}" for n in range(20_000)]),
            concurrency=Concurrency.distributed(10, items_from_s3=True, requests_per_child=2),
        )


def test_express_children_refuse_a_batch_longer_than_five_minutes() -> None:
    with pytest.raises(DownloaderConfigError, match=r"2,000 x 0.3 s = 600 s, more than the 5"):
        make(
            fan_out=FanOut.paths([f"/t/{n}" for n in range(2_000)]),
            concurrency=Concurrency.distributed(10, items_from_s3=True, requests_per_child=2_000),
        )


def test_requests_per_child_needs_items_from_s3() -> None:
    with pytest.raises(
        DownloaderConfigError, match="applies to a fan-out run in batches: items_from_s3=True"
    ):
        make(
            fan_out=FanOut.paths(["/a"]),
            concurrency=Concurrency.distributed(10, requests_per_child=5),
        )
