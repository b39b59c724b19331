"""Table: keys, billing, recovery, encryption and deletion behaviour."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk.assertions import Match, Template

from sfn_downloader import DownloaderPattern

from scenarios import EVE_PROPS, Scenario

KEY_SCHEMA = [
    {"AttributeName": "pk", "KeyType": "HASH"},
    {"AttributeName": "sk", "KeyType": "RANGE"},
]


def test_default_table_is_keyed_by_downloader_and_scheduled_time(default: Scenario) -> None:
    default.template.has_resource_properties("AWS::DynamoDB::Table", {
        "KeySchema": KEY_SCHEMA,
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST",
    })  # fmt: skip


def test_default_table_has_point_in_time_recovery_and_aws_managed_encryption(
    default: Scenario,
) -> None:
    default.template.has_resource_properties("AWS::DynamoDB::Table", {
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    })  # fmt: skip
    sse = next(iter(default.template.find_resources("AWS::DynamoDB::Table").values()))
    assert "SSEType" not in sse["Properties"]["SSESpecification"]  # KMS key owned by AWS


def test_default_table_is_retained_when_the_stack_is_deleted(default: Scenario) -> None:
    default.template.has_resource("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
    })  # fmt: skip


def test_table_settings_apply(full: Scenario) -> None:
    full.template.has_resource("AWS::DynamoDB::Table", {
        "DeletionPolicy": "Delete",
        "Properties": Match.object_like({
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS",
                                 "KMSMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^Key"),
                                                                   "Arn"]}},
        }),
    })  # fmt: skip


def test_a_shared_table_is_not_created_twice(shared_table: Scenario) -> None:
    shared_table.template.resource_count_is("AWS::DynamoDB::Table", 1)
    first, second = shared_table.patterns["first"], shared_table.patterns["second"]
    assert second.table is first.table


def test_point_in_time_recovery_can_be_turned_off() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(stack, "P", **EVE_PROPS, point_in_time_recovery=False)
    Template.from_stack(stack).has_resource_properties("AWS::DynamoDB::Table", {
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": False},
    })  # fmt: skip
