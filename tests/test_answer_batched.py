"""``FanOut.from_answer`` beyond 1,000 items, in batches of a Distributed Map (issue 28): the
template, the checks with their arithmetic, the features that keep the one-child-a-request
Map, and the cost."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
)
from sfn_downloader.fanout import _batched

from scenarios import Scenario, definition

EACH = "/v1/markets/10000002/history/?type_id={item}"
PROPS: dict[str, Any] = {
    "endpoint": "https://api.example.com",
    "item": {"page": ItemField.json("$.ResponseBody")},
}


def make(
    fan_out: FanOut, concurrency: Concurrency | None = None, **props: Any
) -> DownloaderPattern:
    return DownloaderPattern(
        cdk.Stack(cdk.App(), "S"), "P", fan_out=fan_out, concurrency=concurrency,
        **{**PROPS, **props},
    )  # fmt: skip


def answer(**given: Any) -> FanOut:
    return FanOut.from_answer(**{"path": "/v1/types", "each": EACH, **given})


@pytest.mark.parametrize("scenario", ["from_answer", "from_answer_http"])
def test_the_distributed_map_iterates_the_values_in_batches(
    scenario: str, request: pytest.FixtureRequest
) -> None:
    built: Scenario = request.getfixturevalue(scenario)
    states = definition(built, "Batched")["States"]
    fetch_all = states["FetchAll"]
    assert fetch_all["ItemsPath"] == "$.requests"
    assert fetch_all["ItemBatcher"] == {"MaxItemsPerBatch": _batched.batch_size(15_000, EACH)}
    assert fetch_all["ItemSelector"]["request.$"] == "$$.Map.Item.Value"
    assert "ItemReader" not in fetch_all
    child = fetch_all["ItemProcessor"]
    assert child["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"}
    assert child["StartAt"] == "BatchRequests"
    assert child["States"]["BatchRequests"]["Next"] == "FetchAllBatch"
    inner = child["States"]["FetchAllBatch"]
    assert (inner["ItemsPath"], inner["MaxConcurrency"]) == ("$.Items", 1)
    assert inner["ItemProcessor"]["StartAt"] == "ItemRefused"  # unsafe items refused one by one
    assert child["States"]["FetchAllBatch"]["Next"] == "BatchOutcome"
    # The run's state keeps the values (what each reads), no request per item: the requests
    # are computed in each child.
    listed = states["ListRequests"]["Output"]
    assert '{"requests": $append([], $taken)}' in listed
    assert "$encodeUrlComponent" not in listed
    assert "$encodeUrlComponent($string($item))" in child["States"]["BatchRequests"]["Output"]
    assert "$items[[0..14999]]" in listed
    assert "Downloader.ItemTooLarge" in listed
    assert "$count($found) < 15000" in states["CollectList"]["Output"]
    # Every item stored: the delivery is marked, as a run from S3 marks it.
    assert states["AnyFailed"]["Default"] == "MarkDelivered"


def test_without_distributed_the_run_keeps_its_inline_map(from_answer: Scenario) -> None:
    fetch_all = definition(from_answer, "Things")["States"]["FetchAll"]
    assert "ItemBatcher" not in fetch_all
    assert fetch_all["ItemProcessor"]["StartAt"] == "ItemRefused"


def test_a_page_loop_per_item_runs_in_batches() -> None:
    """Each value's page loop, one after another in its child: 100 pages a value leave an
    Express child room for 10 values (1,000 requests of 0.3 s in 5 minutes)."""
    pattern = make(
        answer(max_items=2_000), Concurrency.distributed(1_000),
        pagination=Pagination.page_number(items_path="$.ResponseBody", max_pages=100),
    )  # fmt: skip
    rendered = json.dumps(Template.from_stack(cdk.Stack.of(pattern)).to_json())
    assert '\\"MaxItemsPerBatch\\":10' in rendered and "BatchRequests" in rendered
    assert _batched.batch_size(2_000, EACH, None, 100) == 10


def test_the_default_takes_what_batches_of_fifty_hold() -> None:
    items = _batched.default_items(EACH)
    summary = _batched.summary_bytes(EACH, 50)
    assert items == (256 - 16) * 1024 // summary * 50 and items > 15_000
    assert _batched.batch_size(items, EACH) == 50
    assert _batched.batch_size(items + 50, EACH) == 51


def test_a_value_has_the_room_its_batch_leaves() -> None:
    # 50 computed requests in a child's 256 KiB: (5,242 - 512 - 512 - 4 x 46) // 36.
    assert _batched.value_chars(50, EACH) == (256 * 1024 // 50 - 1024 - 4 * len(EACH)) // 36
    # The run's query values take 128 characters of it; a time placeholder counts its longest
    # text (20 characters: {window_end} is 12).
    overridden = _batched.value_chars(50, EACH, overrides=True)
    assert overridden == _batched.value_chars(50, EACH) - 128
    timed = EACH + "&to={window_end}"
    assert _batched.each_bytes(timed) == len(EACH) + len("&to=") + 20


@pytest.mark.parametrize(
    ("fan_out", "concurrency", "props", "match"),
    [
        (answer(max_items=2_000), None, {},
         r"fan_out.max_items=2000: is more than the 1,000 items a run requests here: one Map "
         r"iteration an item.*Fix: .*Concurrency.distributed\(n\)"),
        (answer(max_items=2_000), Concurrency.distributed(10, requests_per_child=20),
         {"pagination": Pagination.page_number(items_path="$.ResponseBody")},
         r"runs 20 values x 100 pages one after another in each Express child execution: "
         r"2,000 x 0.3 s = 600 s.*Fix: use a smaller requests_per_child or max_pages"),
        (answer(each="/v1/h/{item}?state=open", max_items=2_000),
         Concurrency.distributed(10, requests_per_child=150),
         {"starts": Starts.scheduled_and_on_demand(overridable_query=["state"])},
         r"needs batches of 150 values.*\+ 36 x 128 for the run's query values \+ 36 a value's "
         r"character\).*no room"),
        (answer(max_items=200_000), Concurrency.distributed(10), {},
         r"fan_out.max_items=200000: is more than the 122,880 values a run's state holds in "
         r"batches \(240 KiB of its 256 KiB, at least 2 bytes a value"),
        (answer(max_items=100_000), Concurrency.distributed(10, requests_per_child=60), {},
         r"makes 1,667 child executions for 100,000 items; .* 1,667 x 362 bytes is more than "
         r"the 240 KiB.*Fix: use requests_per_child=148 or more"),
        (answer(), Concurrency.distributed(10, requests_per_child=1_001), {},
         r"1,001 x 0.3 s = 300 s, more than the 5 minutes"),
        (answer(), Concurrency.distributed(
            10, requests_per_child=1_500, child_workflow_type=sfn.StateMachineType.STANDARD), {},
         r"need 25,540 history events \(1,500 x \(14 \+ 3 for one retry a request\) \+ 40\)"),
        (answer(max_items=300), Concurrency.distributed(10, requests_per_child=300), {},
         r"needs batches of 300 values.*no room for even a one-character value.*Fix: use "
         r"batches of at most 212"),
        (answer(), Concurrency.distributed(
            10, requests_per_child=20, child_workflow_type=sfn.StateMachineType.STANDARD),
         {"pagination": Pagination.page_number(items_path="$.ResponseBody")},
         r"Standard child execution of 20 values x 100 pages need 38,120 history events "
         r"\(20 x \(4 \+ 100 x 16 \+ 300 for one retry a request\) \+ 40\)"),
        (FanOut.paths(["/a", "/b"]), Concurrency.distributed(10, requests_per_child=5), {},
         r"requests_per_child=5': applies to a fan-out run in batches: items_from_s3=True"),
    ],
)  # fmt: skip
def test_what_batches_cannot_hold_is_refused_with_the_arithmetic(
    fan_out: FanOut, concurrency: Concurrency | None, props: dict[str, Any], match: str
) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        make(fan_out, concurrency, **props)


def test_the_cost_model_prices_twelve_thousand_items_in_batches(from_answer: Scenario) -> None:
    pattern = from_answer.patterns["Batched"]
    estimate = pattern.estimate_monthly_cost(requests_per_run=12_000, pages_per_run=12)
    lines = {line.service: line for line in estimate.line_items}
    runs = lines["API Gateway REST"].quantity // (12_000 + 12)
    assert lines["API Gateway REST"].quantity == runs * (12_000 + 12)
    children = lines["Step Functions Express requests (Distributed Map children)"].quantity
    assert children == runs * 12_000 // _batched.batch_size(15_000, EACH)
