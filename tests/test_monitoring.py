"""Watching a downloader: ``metric_*`` (aws-cdk-lib's convention), the alarms built on them, and
the dashboard (its own, or one shared by several downloaders)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch

from sfn_downloader import DownloaderConfigError, DownloaderPattern

from scenarios import EVE_PROPS, Scenario, _literal


def logical_id(scenario: Scenario, construct: Any) -> str:
    return scenario.stack.get_logical_id(construct.node.default_child)  # type: ignore[no-any-return]


def resolved(scenario: Scenario, metric: cloudwatch.Metric) -> dict[str, Any]:
    return {
        "namespace": metric.namespace,
        "name": metric.metric_name,
        "dimensions": scenario.resolve(metric.dimensions),
        "statistic": metric.statistic,
        "period": metric.period.to_seconds(),
    }


def widgets(scenario: Scenario, dashboard: cloudwatch.Dashboard) -> list[dict[str, Any]]:
    """The dashboard's widgets, its body rendered as CloudFormation would (tokens as names)."""
    body = scenario.json["Resources"][logical_id(scenario, dashboard)]["Properties"]
    return json.loads(_literal(body["DashboardBody"]))["widgets"]  # type: ignore[no-any-return]


def metric_rows(widget: dict[str, Any]) -> list[list[Any]]:
    return widget["properties"].get("metrics", [])


# --- metrics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "name", "statistic"),
    [
        ("metric_failed", "ExecutionsFailed", "Sum"),
        ("metric_succeeded", "ExecutionsSucceeded", "Sum"),
        ("metric_timed_out", "ExecutionsTimedOut", "Sum"),
        ("metric_duration", "ExecutionTime", "Average"),
        ("metric_throttled", "ExecutionThrottled", "Sum"),
    ],
)
def test_each_metric_is_the_state_machine_s(
    default: Scenario, method: str, name: str, statistic: str
) -> None:
    pattern = default.patterns["p"]

    metric = getattr(pattern, method)()

    assert isinstance(metric, cloudwatch.Metric)
    assert resolved(default, metric) == {
        "namespace": "AWS/States",
        "name": name,
        "dimensions": {"StateMachineArn": {"Ref": logical_id(default, pattern.state_machine)}},
        "statistic": statistic,
        "period": 300,
    }


def test_metric_props_override_period_statistic_and_label(default: Scenario) -> None:
    metric = default.patterns["p"].metric_duration(
        period=cdk.Duration.minutes(1), statistic="p99", label="slow runs"
    )

    assert (metric.period.to_seconds(), metric.statistic, metric.label) == (60, "p99", "slow runs")
    assert metric.metric_name == "ExecutionTime"


def test_the_alarms_watch_the_metric_methods(default: Scenario) -> None:
    pattern = default.patterns["p"]
    five_minutes = cdk.Duration.minutes(5)
    for key, method in (("failed", pattern.metric_failed), ("timed_out", pattern.metric_timed_out)):
        alarm_metric = pattern.alarms[key].metric
        assert isinstance(alarm_metric, cloudwatch.Metric)
        assert resolved(default, alarm_metric) == resolved(default, method(period=five_minutes))
    # An Express workflow's state transitions are not throttled ("Choosing workflow type"): its
    # throttling alarm watches the schedule's throttled starts, not metric_throttled().
    throttled = pattern.alarms["throttled"].metric
    assert isinstance(throttled, cloudwatch.Metric)
    assert throttled.metric_name == "TargetErrorThrottledCount"
    assert pattern.metric_throttled().metric_name == "ExecutionThrottled"


# --- the dashboard ----------------------------------------------------------------------------


def test_no_dashboard_unless_asked(default: Scenario) -> None:
    default.template.resource_count_is("AWS::CloudWatch::Dashboard", 0)
    assert default.patterns["p"].dashboard is None


def test_a_dashboard_of_its_own_has_every_widget(dashboards: Scenario) -> None:
    pattern = dashboards.patterns["p"]
    assert pattern.dashboard is not None and pattern.dashboard.node.scope is pattern
    machine = logical_id(dashboards, pattern.state_machine)
    api = logical_id(dashboards, pattern.api)

    found = widgets(dashboards, pattern.dashboard)

    assert [w["type"] for w in found[:1]] == ["text"]
    assert "`TestStack/PlayerCount`" in found[0]["properties"]["markdown"]
    by_title = {w["properties"].get("title"): w for w in found[1:]}
    assert list(by_title) == [
        "Runs", "Run duration (ms)", "Alarms", "Proxy errors (4xx, 5xx)", "Proxy latency (ms)",
        "Table write throttles", "Dead-letter queue",
    ]  # fmt: skip
    runs = metric_rows(by_title["Runs"])
    assert [row[:4] for row in runs] == [
        ["AWS/States", name, "StateMachineArn", machine]
        for name in ("ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut")
    ]
    assert [row[-1]["stat"] for row in metric_rows(by_title["Run duration (ms)"])] == [
        "p50", "p99",
    ]  # fmt: skip
    assert len(by_title["Alarms"]["properties"]["alarms"]) == 4
    errors = metric_rows(by_title["Proxy errors (4xx, 5xx)"])
    assert [row[:2] for row in errors] == [["AWS/ApiGateway", "4XXError"],
                                           ["AWS/ApiGateway", "5XXError"]]  # fmt: skip
    api_name = dashboards.json["Resources"][api]["Properties"]["Name"]
    assert all(row[2:4] == ["ApiName", api_name] for row in errors)
    latency = metric_rows(by_title["Proxy latency (ms)"])
    assert [(row[1], row[-1]["stat"]) for row in latency] == [
        ("Latency", "p50"), ("Latency", "p99"), ("IntegrationLatency", "p99"),
    ]  # fmt: skip
    [throttles] = metric_rows(by_title["Table write throttles"])
    assert throttles[:3] == ["AWS/DynamoDB", "WriteThrottleEvents", "TableName"]
    [depth] = metric_rows(by_title["Dead-letter queue"])
    assert depth[:3] == ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName"]
    assert depth[-1]["stat"] == "Maximum"
    assert "Requests per run" not in by_title  # one request a run


def test_one_dashboard_shared_by_two_downloaders(dashboards: Scenario) -> None:
    pages, http = dashboards.patterns["pages"], dashboards.patterns["http"]
    assert pages.dashboard is http.dashboard is not None
    dashboards.template.resource_count_is("AWS::CloudWatch::Dashboard", 2)

    found = widgets(dashboards, pages.dashboard)

    headers = [i for i, w in enumerate(found) if w["type"] == "text"]
    assert len(headers) == 2
    first, second = found[headers[0] : headers[1]], found[headers[1] :]
    assert "`TestStack/Orders`" in first[0]["properties"]["markdown"]
    assert "`TestStack/Status`" in second[0]["properties"]["markdown"]
    assert [w["properties"]["title"] for w in first[1:]] == [
        "Runs", "Run duration (ms)", "Alarms", "Proxy errors (4xx, 5xx)", "Proxy latency (ms)",
        "Table write throttles", "Dead-letter queue", "Requests per run",
    ]  # fmt: skip
    per_run = metric_rows(first[-1])
    assert per_run[0][0]["expression"] == "requests / runs"
    assert {row[1] for row in per_run[1:]} == {"Count", "ExecutionsStarted"}
    # The HTTP Task: no proxy; on demand: no dead-letter queue; no request metric of its own.
    assert [w["properties"]["title"] for w in second[1:]] == [
        "Runs", "Run duration (ms)", "Alarms", "Table write throttles",
    ]  # fmt: skip
    machine = logical_id(dashboards, http.state_machine)
    assert all(row[3] == machine for row in metric_rows(second[1]))


def test_a_widget_row_is_never_wider_than_the_dashboard(dashboards: Scenario) -> None:
    for pattern in dashboards.patterns.values():
        assert pattern.dashboard is not None
        for widget in widgets(dashboards, pattern.dashboard):
            assert widget["x"] + widget["width"] <= 24


@pytest.mark.parametrize("value", ["yes", 1])
def test_a_bad_dashboard_is_refused(value: object) -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(DownloaderConfigError, match=r"dashboard.*is not True, False or a cloud"
                       r"watch\.Dashboard.*pass dashboard=True"):  # fmt: skip
        DownloaderPattern(stack, "P", **EVE_PROPS, dashboard=value)  # type: ignore[arg-type]
