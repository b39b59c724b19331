"""Alarms: one for each way a downloader breaks, optionally notifying an SNS topic."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_cloudwatch as cloudwatch

from scenarios import Scenario

EXPECTED = {
    "ExecutionsFailed": "AWS/States",
    "ExecutionsTimedOut": "AWS/States",
    "ExecutionThrottled": "AWS/States",
    "ApproximateNumberOfMessagesVisible": "AWS/SQS",
}


def alarms(scenario: Scenario) -> dict[str, dict[str, Any]]:
    found = scenario.template.find_resources("AWS::CloudWatch::Alarm")
    return {a["Properties"]["MetricName"]: a["Properties"] for a in found.values()}


def test_four_alarms_fire_on_a_single_occurrence(default: Scenario) -> None:
    by_metric = alarms(default)
    assert {name: props["Namespace"] for name, props in by_metric.items()} == EXPECTED
    for props in by_metric.values():
        assert props["Threshold"] == 1
        assert props["EvaluationPeriods"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert props["TreatMissingData"] == "notBreaching"
        assert props["Period"] == 300
        assert "AlarmActions" not in props


def test_state_machine_alarms_watch_this_state_machine(default: Scenario) -> None:
    machine_id = default.stack.get_logical_id(
        default.patterns["p"].state_machine.node.default_child  # type: ignore[arg-type]
    )
    failed = alarms(default)["ExecutionsFailed"]
    assert failed["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": machine_id}}]
    assert failed["Statistic"] == "Sum"
    dlq = alarms(default)["ApproximateNumberOfMessagesVisible"]
    assert dlq["Statistic"] == "Maximum"


def test_alarms_notify_the_topic(full: Scenario) -> None:
    for props in alarms(full).values():
        assert props["AlarmActions"] == props["OKActions"]
        assert props["AlarmActions"][0]["Ref"].startswith("Alerts")


def test_alarms_are_exposed_read_only(default: Scenario) -> None:
    exposed = default.patterns["p"].alarms
    assert sorted(exposed) == ["dead_letter_queue", "failed", "throttled", "timed_out"]
    assert all(isinstance(alarm, cloudwatch.Alarm) for alarm in exposed.values())
    with pytest.raises(TypeError):
        exposed["failed"] = exposed["throttled"]  # type: ignore[index]
