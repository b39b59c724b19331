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
    Starts,
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
        ({"path": "/one", "pagination": Pagination.page_count()}, "this run has no fan-out"),
    ],
)
def test_what_a_list_read_from_s3_cannot_do_is_refused(props: dict[str, Any], match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        make(**props, concurrency=Concurrency.distributed(10, items_from_s3=True))


def test_pages_of_a_batch_must_fit_an_express_child_with_the_arithmetic() -> None:
    """Each listed path is a page loop of up to max_pages pages in its child: batches of 20
    paths x 100 pages one after another do not fit an Express child's 5 minutes."""
    with pytest.raises(
        DownloaderConfigError,
        match=r"batches of 20 paths x 100 pages.*2,000 x 0.3 s = 600 s.*fewer max_pages",
    ):
        make(
            fan_out=FanOut.paths([f"/p/{n}" for n in range(40)]),
            pagination=Pagination.page_number(page_size=10, max_pages=100),
            concurrency=Concurrency.distributed(10, items_from_s3=True, requests_per_child=20),
        )  # fmt: skip
    # The default batch takes the pages into account: what an Express child runs in its five
    # minutes (1,000 requests: 10 paths of 100 pages), at least one path.
    pattern = make(
        fan_out=FanOut.paths([f"/p/{n}" for n in range(40)]),
        pagination=Pagination.page_number(page_size=10, max_pages=100),
        concurrency=Concurrency.distributed(10, items_from_s3=True),
    )  # fmt: skip
    assert _s3.batch_size([_target(n) for n in range(40)], None, 100) == 10
    least = [_s3.min_batch(pages) for pages in (1, 5, 100, 1_000, 2_000)]
    assert least == [50, 50, 10, 1, 1]
    assert pattern.state_machine is not None


def test_pages_of_a_batch_must_fit_a_standard_childs_history() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"batches of 20 paths x 100 pages, and a Standard child execution would need "
        r"38,080 history events \(20 x \(2 \+ 100 x 16 \+ 300",
    ):
        make(
            fan_out=FanOut.paths([f"/p/{n}" for n in range(40)]),
            pagination=Pagination.page_number(page_size=10, max_pages=100),
            concurrency=Concurrency.distributed(
                10, items_from_s3=True, requests_per_child=20,
                child_workflow_type=sfn.StateMachineType.STANDARD,
            ),
        )  # fmt: skip


def test_a_batch_without_room_for_the_query_overrides_is_refused() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"requests_per_child=200.*17 characters for the run's query values at 36 bytes each",
    ):
        make(
            fan_out=FanOut.paths([f"/p/{n}?state=open" for n in range(800)]),
            starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
            concurrency=Concurrency.distributed(10, items_from_s3=True, requests_per_child=200),
        )  # fmt: skip


def test_computed_requests_are_measured_filled_in() -> None:
    """A time placeholder is measured as its longest text (``:iso``, 20 characters), in the
    path and the URL; the key keeps the placeholder."""
    from sfn_downloader._parts import Target

    target = Target("/a/{scheduled_time}", {}, "/a/{scheduled_time}")
    measured = _s3.computed_bytes([target])
    request = {"path": "/a/" + _s3.SAMPLE_TIME, "query": {}, "key": "/a/{scheduled_time}",
               "url": "/a/" + _s3.SAMPLE_TIME}  # fmt: skip
    assert measured == len(json.dumps({"request": request}, separators=(",", ":"))) + 512


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
