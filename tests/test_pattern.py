"""DownloaderPattern as a whole: exposed resources, composition, snapshots."""

from __future__ import annotations

import subprocess
import sys

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

import sfn_downloader
from sfn_downloader import DownloaderPattern

from scenarios import EVE_PROPS, Scenario


def test_public_surface() -> None:
    assert sorted(sfn_downloader.__all__) == [
        "Archive", "AuthHeader", "Concurrency", "Constant", "CostEstimate", "DownloaderConfigError",
        "DownloaderPattern", "FanOut", "Incremental", "ItemField", "Pagination", "Prices",
        "Problem", "Records", "RetryAfter", "Starts", "StatusAction", "Store", "Transport", "Trim",
        "Window",
        "estimate_backfill_cost", "estimate_monthly_cost",
    ]  # fmt: skip
    assert sfn_downloader.__version__ == "0.2.0"


def test_props_are_keyword_only() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(TypeError, match="positional"):
        DownloaderPattern(stack, "P", "https://esi.evetech.net")  # type: ignore[misc]


def test_resources_are_exposed_read_only(default: Scenario) -> None:
    pattern = default.patterns["p"]
    assert isinstance(pattern.table, dynamodb.Table)
    assert isinstance(pattern.state_machine, sfn.StateMachine)
    assert isinstance(pattern.api, apigw.RestApi)
    assert isinstance(pattern.schedule, scheduler.Schedule)
    assert isinstance(pattern.log_group, logs.LogGroup)
    assert pattern.downloader_id == "TestStack/PlayerCount"
    with pytest.raises(AttributeError):
        pattern.table = pattern.table  # type: ignore[misc]


def test_construct_ids_are_stable(default: Scenario) -> None:
    children = sorted(child.node.id for child in default.patterns["p"].node.children)
    assert children == [
        "AnswerCompressed", "DeadLetterQueue", "DeadLetterQueueAlarm", "DefaultScheduleGroup",
        "Download",
        "ExecutionsFailedAlarm", "ExecutionsTimedOutAlarm", "Logs", "Persist", "Proxy",
        "Schedule", "StartsThrottledAlarm", "StateMachine", "Table",
    ]  # fmt: skip


def test_two_patterns_in_one_stack(shared_table: Scenario) -> None:
    template = shared_table.template
    template.resource_count_is("AWS::StepFunctions::StateMachine", 2)
    template.resource_count_is("AWS::ApiGateway::RestApi", 2)
    template.resource_count_is("AWS::Scheduler::Schedule", 2)
    template.resource_count_is("AWS::Logs::LogGroup", 2)
    ids = {p.downloader_id for p in shared_table.patterns.values()}
    assert ids == {"TestStack/PlayerCount", "TestStack/ServerVersion"}


def test_cross_stack_table_reference() -> None:
    app = cdk.App()
    data = cdk.Stack(app, "Data")
    table = dynamodb.Table(
        data, "Shared",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
    )  # fmt: skip
    downloaders = cdk.Stack(app, "Downloaders")
    DownloaderPattern(downloaders, "PlayerCount", **EVE_PROPS, table=table)
    assembly = app.synth()
    template = assembly.get_stack_by_name("Downloaders").template
    assert "Fn::ImportValue" in str(template)


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_snapshot_default(default: Scenario, snapshot_json: SnapshotAssertion) -> None:
    assert default.json == snapshot_json


def test_snapshot_fully_configured(full: Scenario, snapshot_json: SnapshotAssertion) -> None:
    assert full.json == snapshot_json


@pytest.mark.slow  # a fresh interpreter imports aws-cdk-lib
def test_import_loads_no_aws_cdk_module_until_a_name_is_used() -> None:
    code = (
        "import sys, sfn_downloader;"
        "assert not [m for m in sys.modules if m.startswith('aws_cdk')], 'eager';"
        "sfn_downloader.DownloaderPattern;"
        "assert 'aws_cdk.aws_stepfunctions' in sys.modules;"
        "assert 'moto' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_every_exported_name_resolves() -> None:
    for name in sfn_downloader.__all__:
        assert getattr(sfn_downloader, name).__name__ == name
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        sfn_downloader.Nope  # type: ignore[attr-defined]  # noqa: B018
