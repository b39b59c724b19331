"""Issue 26, 11: one key for everything the construct creates, and least privilege on a shared
table. Targeted assertions on the synthesized templates (the key policy, the log groups, the
dead-letter queue, the archive bucket, the roles)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    Transport,
)

from scenarios import EVE_PROPS, Scenario


def of_type(scenario: Scenario, kind: str) -> dict[str, dict[str, Any]]:
    return scenario.template.find_resources(kind)  # type: ignore[no-any-return]


def key_arn(scenario: Scenario, prefix: str) -> dict[str, Any]:
    [logical_id] = [i for i in of_type(scenario, "AWS::KMS::Key") if i.startswith(prefix)]
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def test_encryption_key_puts_every_log_group_and_the_queue_on_the_key(full: Scenario) -> None:
    key = key_arn(full, "Key")
    log_groups = of_type(full, "AWS::Logs::LogGroup")
    assert len(log_groups) == 2  # the state machine's and the proxy's access logs
    assert all(lg["Properties"]["KmsKeyId"] == key for lg in log_groups.values())
    [queue] = of_type(full, "AWS::SQS::Queue").values()
    assert queue["Properties"]["KmsMasterKeyId"] == key
    assert "SqsManagedSseEnabled" not in queue["Properties"]


def test_the_key_policy_lets_cloudwatch_logs_use_it_for_this_accounts_log_groups(
    full: Scenario,
) -> None:
    [key] = of_type(full, "AWS::KMS::Key").values()
    [logs] = [
        s for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsOfThisAccountAndRegion"
    ]  # fmt: skip
    assert logs["Principal"] == {
        "Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }
    assert logs["Condition"] == {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {
        "Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":logs:", {"Ref": "AWS::Region"},
                          ":", {"Ref": "AWS::AccountId"}, ":log-group:*"]]}}}  # fmt: skip
    assert "kms:GenerateDataKey*" in logs["Action"] and "kms:Decrypt*" in logs["Action"]


def test_the_schedule_role_may_use_the_dead_letter_queues_key(full: Scenario) -> None:
    """ "Configuring a schedule's dead-letter queue": the sender of an encrypted queue is the
    schedule's role."""
    [schedule] = of_type(full, "AWS::Scheduler::Schedule").values()
    role = schedule["Properties"]["Target"]["RoleArn"]["Fn::GetAtt"][0]
    [policy] = [
        p for p in of_type(full, "AWS::IAM::Policy").values()
        if p["Properties"]["Roles"] == [{"Ref": role}]
    ]  # fmt: skip
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Effect": "Allow",
            "Resource": key_arn(full, "Key")} in statements  # fmt: skip
    assert {s["Action"] for s in statements if isinstance(s["Action"], str)} == {
        "states:StartExecution", "sqs:SendMessage",
    }  # fmt: skip
    trust = of_type(full, "AWS::IAM::Role")[role]["Properties"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }


def test_with_a_brought_table_the_key_covers_everything_else(shared_table: Scenario) -> None:
    key = key_arn(shared_table, "VersionKey")
    groups = of_type(shared_table, "AWS::Logs::LogGroup")
    keyed = {i for i, lg in groups.items() if lg["Properties"].get("KmsKeyId") == key}
    assert [i for i in keyed if i.startswith("ServerVersion")] == list(keyed) and len(keyed) == 1
    [bucket] = of_type(shared_table, "AWS::S3::Bucket").values()
    [rule] = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule == {"BucketKeyEnabled": True, "ServerSideEncryptionByDefault": {
        "KMSMasterKeyID": key, "SSEAlgorithm": "aws:kms"}}  # fmt: skip
    [table] = of_type(shared_table, "AWS::DynamoDB::Table").values()
    assert "KMSMasterKeyId" not in str(table)  # the first downloader's table, as it was


def test_without_encryption_key_the_log_groups_and_queue_are_as_before(
    default: Scenario,
) -> None:
    assert all("KmsKeyId" not in lg["Properties"]
               for lg in of_type(default, "AWS::Logs::LogGroup").values())  # fmt: skip
    [queue] = of_type(default, "AWS::SQS::Queue").values()
    assert queue["Properties"]["SqsManagedSseEnabled"] is True


def test_each_downloader_may_write_only_its_own_partition(shared_table: Scenario) -> None:
    """Two downloaders share a table: each role's item writes are denied on any other
    partition key (dynamodb:LeadingKeys), whatever the tasks' own table-wide grants allow."""
    for key, pattern in shared_table.patterns.items():
        role = shared_table.resolve(pattern.state_machine.role.role_name)["Ref"]
        [policy] = [
            p for p in of_type(shared_table, "AWS::IAM::Policy").values()
            if p["Properties"]["Roles"] == [{"Ref": role}]
        ]  # fmt: skip
        [deny] = [
            s for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny"
        ]  # fmt: skip
        assert deny["Action"] == [
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
        ], key
        assert deny["Condition"] == {
            "ForAnyValue:StringNotEquals": {"dynamodb:LeadingKeys": [pattern.downloader_id]}
        }
        table = shared_table.resolve(shared_table.patterns["first"].table.table_arn)
        assert deny["Resource"] == table


# --- the proxy's rate budget ----------------------------------------------------------------


def stage_throttling(scenario: Scenario, prefix: str = "") -> list[tuple[float, int]]:
    return [
        (s["ThrottlingRateLimit"], s["ThrottlingBurstLimit"])
        for i, stage in of_type(scenario, "AWS::ApiGateway::Stage").items()
        if i.startswith(prefix)
        for s in stage["Properties"]["MethodSettings"]
        if s["HttpMethod"] == "*" and s["ResourcePath"] == "/*"
    ]


def test_the_proxy_stage_has_a_rate_budget_from_what_a_run_sends_at_once(
    default: Scenario, fanout: Scenario
) -> None:
    """ceil(n / 0.3 s) requests a second, a burst of 2n: one request a run → 4/s, burst 2; a
    fan-out of 2 at once → 7/s, burst 4."""
    assert stage_throttling(default) == [(4, 2)]
    assert stage_throttling(fanout) == [(7, 4)]


def build(**props: Any) -> DownloaderPattern:
    return DownloaderPattern(cdk.Stack(cdk.App(), "S"), "P", **{**EVE_PROPS, **props})


def test_a_rate_budget_may_be_set() -> None:
    pattern = build(transport=Transport.api_gateway(rate_limit=0.5, burst=1))
    stack = cdk.Stack.of(pattern)
    assert pattern.api is not None
    stage: Any = pattern.api.deployment_stage.node.default_child
    [settings] = stack.resolve(stage.method_settings)
    assert (settings["throttlingRateLimit"], settings["throttlingBurstLimit"]) == (0.5, 1)


@pytest.mark.parametrize(
    ("props", "match"),
    [
        ({"rate_limit": 0}, r"transport=0: rate_limit is not a positive number"),
        ({"rate_limit": "fast"}, r"rate_limit is not a positive number"),
        ({"burst": 2.5}, r"transport=2.5: burst is not a positive whole number"),
        ({"burst": 3}, r"transport=3: burst is below the 4 requests a run sends at once.*"
                       r"Fix: use burst=4 or more"),
    ],
)  # fmt: skip
def test_a_rate_budget_that_cannot_work_is_refused(props: dict[str, Any], match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(
            path=None, fan_out=FanOut.paths([f"/v1/{n}" for n in range(6)]),
            concurrency=Concurrency.inline(4), transport=Transport.api_gateway(**props),
        )  # fmt: skip
