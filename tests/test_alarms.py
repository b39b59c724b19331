"""Alarms: one for each way a downloader breaks, optionally notifying an SNS topic."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match

from sfn_downloader import DownloaderConfigError, DownloaderPattern

from scenarios import EVE_PROPS, Scenario

EXPECTED = {
    "ExecutionsFailed": "AWS/States",
    "ExecutionsTimedOut": "AWS/States",
    "TargetErrorThrottledCount": "AWS/Scheduler",
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


def test_express_alarms_on_throttled_scheduled_starts_not_on_transitions(default: Scenario) -> None:
    """Express state transitions are "nearly unlimited" ("Choosing workflow type"): what can be
    throttled is the schedule's StartExecution, which EventBridge Scheduler counts per group."""
    throttled = alarms(default)["TargetErrorThrottledCount"]
    assert throttled["Dimensions"] == [{"Name": "ScheduleGroup", "Value": "default"}]
    assert throttled["Statistic"] == "Sum"
    assert "ExecutionThrottled" not in alarms(default)
    assert default.patterns["p"].alarms["throttled"].node.id == "StartsThrottledAlarm"


def test_standard_alarms_on_throttled_state_transitions(full: Scenario) -> None:
    by_metric = alarms(full)
    assert by_metric["ExecutionThrottled"]["Namespace"] == "AWS/States"
    assert "TargetErrorThrottledCount" not in by_metric


def test_express_started_on_demand_only_has_no_throttling_alarm(on_demand: Scenario) -> None:
    assert "throttled" not in on_demand.patterns["p"].alarms
    assert on_demand.patterns["both"].alarms["throttled"].node.id == "StartsThrottledAlarm"


def key_policy_statements(scenario: Scenario, key_prefix: str) -> list[dict[str, Any]]:
    keys = scenario.template.find_resources("AWS::KMS::Key")
    (key,) = [k for logical_id, k in keys.items() if logical_id.startswith(key_prefix)]
    return key["Properties"]["KeyPolicy"]["Statement"]  # type: ignore[no-any-return]


def test_a_customer_managed_alarm_topic_key_lets_this_accounts_alarms_use_it(
    full: Scenario,
) -> None:
    """SNS developer guide, "Enable compatibility between event sources from AWS services and
    encrypted topics": CloudWatch publishes only if the key policy allows it."""
    [statement] = [
        s for s in key_policy_statements(full, "Key")
        if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}
    ]  # fmt: skip
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    account = {"Ref": "AWS::AccountId"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": account}
    source = statement["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Join"][1]
    assert source[-1] == ":alarm:*" and ":cloudwatch:" in source


def test_an_imported_alarm_topic_key_is_warned_about() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    key = kms.Key.from_key_arn(stack, "Imported", arn)
    topic = sns.Topic(stack, "Alerts", master_key=key)
    DownloaderPattern(stack, "PlayerCount", **EVE_PROPS, alarm_topic=topic)
    Annotations.from_stack(stack).has_warning(
        "/TestStack/PlayerCount", Match.string_like_regexp("cloudwatch.amazonaws.com")
    )


def test_an_alarm_topic_with_the_aws_managed_key_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    topic = sns.Topic(
        stack, "Alerts", master_key=kms.Alias.from_alias_name(stack, "Managed", "alias/aws/sns")
    )
    with pytest.raises(
        DownloaderConfigError, match=r"alarm_topic=.*alias/aws/sns.*customer managed"
    ):
        DownloaderPattern(stack, "PlayerCount", **EVE_PROPS, alarm_topic=topic)


def test_an_alarm_topic_that_is_not_a_topic_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "TestStack")
    with pytest.raises(
        DownloaderConfigError, match=r"alarm_topic='alerts': is not an sns.ITopic \(it is a str\)"
    ):
        DownloaderPattern(stack, "PlayerCount", **EVE_PROPS, alarm_topic="alerts")  # type: ignore[arg-type]
