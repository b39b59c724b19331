"""Placeholders and windows, run locally: what reaches the upstream for each format, windows of
consecutive runs, and the role's grant of a computed path (the runner's IAM check)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_scheduler as scheduler

from local_helpers import Answer, Upstream
from sfn_downloader import DownloaderPattern, ItemField, Starts, Window
from sfn_downloader.local import LocalRunner

T0 = "2026-11-27T05:30:00Z"
T0_EPOCH = int(datetime(2026, 11, 27, 5, 30, tzinfo=UTC).timestamp())
HOURLY = Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1)))
ITEM = {"body": ItemField.json("$.ResponseBody")}


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """One stack, one downloader a case: synthesized once for the module."""
    app = cdk.App()
    stack = cdk.Stack(app, "Timed")

    def downloader(construct_id: str, path: str, **props: Any) -> DownloaderPattern:
        return DownloaderPattern(
            stack,
            construct_id,
            endpoint="https://api.example.com",
            path=path,
            item=ITEM,
            **props,
        )

    downloader("Iso", "/v1/at?t={scheduled_time}&t2={scheduled_time:iso}")
    downloader("Date", "/v1/{scheduled_time:date}?base=EUR")
    downloader("Epoch", "/v1/epoch/{scheduled_time:epoch}")
    downloader("EpochMs", "/v1/ms?at={scheduled_time:epoch_ms}")
    downloader(
        "Range",
        "/v1/range?in=[{window_start},{window_end})",
        starts=HOURLY,
        window=Window.last(cdk.Duration.hours(1)),
    )
    downloader(
        "Events",
        "/v2/events?from={window_start}&to={window_end}",
        starts=HOURLY,
        window=Window.last(cdk.Duration.hours(1), lookback=cdk.Duration.minutes(5)),
    )
    return app


def run_once(runner: LocalRunner, upstream: Upstream, when: str = T0) -> Any:
    upstream.script(default=Answer(200, {"ok": True}))
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    return seen


def test_iso_is_utc_whole_seconds_in_the_query(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    seen = run_once(open_runner("Timed/Iso"), upstream)
    assert seen.path == "/v1/at"
    assert seen.query == {"t": [T0], "t2": [T0]}  # no ".000" that $fromMillis would add


def test_iso_of_an_on_demand_time_with_an_offset_and_a_fraction_is_normalized(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Timed/Iso")
    upstream.script(default=Answer(200, {"ok": True}))
    execution = runner.run(input={"scheduledTime": "2026-11-27T06:30:00.250+01:00"})
    assert execution.status == "SUCCEEDED", execution.cause
    assert upstream.requests[0].query["t"] == [T0]


def test_date_in_the_path(open_runner: Callable[..., LocalRunner], upstream: Upstream) -> None:
    seen = run_once(open_runner("Timed/Date"), upstream)
    assert (seen.path, seen.query) == ("/v1/2026-11-27", {"base": ["EUR"]})


def test_epoch_seconds_in_the_path(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    seen = run_once(open_runner("Timed/Epoch"), upstream)
    assert seen.path == f"/v1/epoch/{T0_EPOCH}"


def test_epoch_milliseconds_in_the_query(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    seen = run_once(open_runner("Timed/EpochMs"), upstream)
    assert seen.query == {"at": [str(T0_EPOCH * 1000)]}


def test_a_value_that_needs_url_encoding_arrives_intact(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    seen = run_once(open_runner("Timed/Range"), upstream)
    # '[', ',', ':' and ')' are percent-encoded on the wire, and decode to the exact value.
    assert seen.query == {"in": ["[2026-11-27T04:30:00Z,2026-11-27T05:30:00Z)"]}
    assert "%5B2026-11-27T04%3A30%3A00Z%2C" in seen.target


def test_consecutive_windows_overlap_by_exactly_the_lookback(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Timed/Events")
    first = run_once(runner, upstream, T0)
    second = run_once(runner, upstream, "2026-11-27T06:30:00Z")

    def bounds(seen: Any) -> tuple[datetime, datetime]:
        start, end = (datetime.fromisoformat(seen.query[k][0]) for k in ("from", "to"))
        return start, end

    (start1, end1), (start2, end2) = bounds(first), bounds(second)
    assert (start1, end1) == (
        datetime(2026, 11, 27, 4, 25, tzinfo=UTC),
        datetime(2026, 11, 27, 5, 30, tzinfo=UTC),
    )
    assert end1 - start2 == timedelta(minutes=5)  # the overlap: exactly the lookback
    assert end2 - end1 == timedelta(hours=1)
    assert end2 - start2 == timedelta(hours=1, minutes=5)


def test_the_role_may_request_the_computed_path_and_nothing_else(
    app: cdk.App, open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """The IAM check of the local proxy is what lets the computed path through: without the
    pattern's wildcard statement (aws-cdk-lib's own, GET$requestPath, matches nothing) the run is
    denied, as API Gateway would deny it."""
    stack = app.node.find_child("Timed")
    template = json.loads(json.dumps(cdk.assertions.Template.from_stack(stack).to_json()))
    removed = 0
    for resource in template["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        statements = resource["Properties"]["PolicyDocument"]["Statement"]
        kept = [s for s in statements if not json.dumps(s["Resource"]).endswith('/GET/v1/*"]]}')]
        removed += len(statements) - len(kept)
        resource["Properties"]["PolicyDocument"]["Statement"] = kept
    assert removed == 1  # Timed/Date's grant, the only computed path here
    upstream.script(default=Answer(200, {"ok": True}))
    date: Any = stack.node.find_child("Date")
    logical_id = cdk.Stack.of(date).get_logical_id(date.state_machine.node.default_child)
    denied = open_runner(cdk.Stack.of(date).resolve(logical_id), source=template).run(T0)
    assert denied.status == "FAILED"
    assert denied.error == "ApiGateway.403"
    assert "not authorized to perform: execute-api:Invoke" in (denied.cause or "")
    assert upstream.requests == []
