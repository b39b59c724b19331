"""Hardening (issue 26): one customer-managed key for everything the construct creates that holds
data (the table, the log groups, the dead-letter queue, the archive bucket), with the key policy
statements the services need.

- CloudWatch Logs encrypts a log group with a key only if the key policy lets the regional
  service principal ``logs.<region>.amazonaws.com`` use it, scoped by the encryption context
  ``kms:EncryptionContext:aws:logs:arn`` to this account's log groups in this region
  (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using AWS Key Management
  Service").
- The dead-letter queue's sender is the schedule's role ("Configuring a schedule's dead-letter
  queue"): aws-cdk-lib grants it ``sqs:SendMessage`` and, for a queue on a customer-managed key,
  the key's ``kms:Decrypt`` / ``kms:GenerateDataKey*`` (``Queue.grant_send_messages``).
- The state machine's role gets the key's encrypt actions for the archive (``Archive.grant``)
  and the table (``ItemSink.grant``) as before.

A key this app does not manage (imported) cannot get statements added: synth warns, and the
README's Security model gives the statement to add. Also here: each downloader's role may write
only its own partition of a shared table (``own_partition_only``).
"""

from __future__ import annotations

from typing import cast

from aws_cdk import Annotations, ArnFormat, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

LOGS_KEY_ACTIONS = (
    "kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*",
)  # fmt: skip
"""What CloudWatch Logs needs of a log group's key (its user guide's key policy), sorted as
aws-cdk-lib's ``minimizePolicies`` flag would sort them (the template is the same with it)."""


def encrypt_log_groups(scope: Construct, key: kms.IKey) -> None:
    """Put every log group the construct created under ``scope`` (the run's and a backfill's
    state machine logs, the proxy's access logs) on ``key``, and let CloudWatch Logs use it.

    Done once, after everything is built, so that no builder needs to know about the key."""
    created = [c for c in scope.node.find_all() if isinstance(c, logs.CfnLogGroup)]
    if not created:
        return
    let_logs_use_key(scope, key)
    for log_group in created:
        if log_group.kms_key_id is None:
            log_group.kms_key_id = key.key_arn


def let_logs_use_key(scope: Construct, key: kms.IKey) -> None:
    """Let CloudWatch Logs use ``key`` for this account's log groups in this region (once per
    key: the statement has a fixed id); warn when the key is not in the app."""
    stack = Stack.of(scope)
    statement = iam.PolicyStatement(
        sid="AllowCloudWatchLogsOfThisAccountAndRegion",
        principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
        actions=list(LOGS_KEY_ACTIONS),
        resources=["*"],
        conditions={
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                    service="logs",
                    resource="log-group",
                    resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            }
        },
    )
    if key.node.try_find_child(_MARK) is not None:
        return
    if key.add_to_resource_policy(statement).statement_added:
        Construct(cast(Construct, key), _MARK)  # a key in the app is a construct
        return
    Annotations.of(scope).add_warning_v2(
        "sfn-downloader:encryption-key-logs",
        f"encryption_key {key.node.path} is not managed by this app: CloudWatch Logs can only "
        "encrypt the downloader's log groups with it if the key policy lets "
        f"logs.<region>.amazonaws.com use it ({', '.join(LOGS_KEY_ACTIONS)}) for this "
        "account's log groups. Add that statement (see README, Security model), or the "
        "deployment fails.",
    )


def dead_letter_sender_role(scope: Construct, key: kms.IKey) -> iam.Role:
    """The schedule's role when its dead-letter queue is on ``key``: the queue's sender must use
    the key ("Configuring a schedule's dead-letter queue"), and aws-cdk-lib's shared role per
    stack cannot be reached, so the schedule gets a role of its own, assumable by EventBridge
    Scheduler for this account only."""
    role = iam.Role(
        scope, "ScheduleRole",
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(scope).account}},
        ),
    )  # fmt: skip
    key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
    return role


def own_partition_only(
    table: dynamodb.ITable, downloader_id: str, *also: str
) -> iam.PolicyStatement:
    """Deny every item write on ``table`` whose partition key (``dynamodb:LeadingKeys``) is not
    ``downloader_id`` (or one of ``also``, the downloader's other partitions: its records'):
    downloaders sharing a table cannot write each other's items, whatever the tasks' own
    table-wide grants allow."""
    return iam.PolicyStatement(
        sid="WriteOnlyThisDownloadersPartition",
        effect=iam.Effect.DENY,
        actions=[f"dynamodb:{action}" for action in _ITEM_WRITES],
        resources=[table.table_arn],
        conditions={
            "ForAnyValue:StringNotEquals": {"dynamodb:LeadingKeys": [downloader_id, *also]}
        },
    )


_ITEM_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
"""The item writes a downloader's role may make in its own partition only."""
_MARK = "SfnDownloaderLogsStatement"
"""A child construct marking a key whose policy already has the statement."""
