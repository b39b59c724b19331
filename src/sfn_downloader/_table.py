"""Table: the DynamoDB table downloaded items land in (made here unless the user brings one)."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from constructs import Construct

from ._props import PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, Props


def build_table(scope: Construct, props: Props) -> dynamodb.ITable:
    """Return the user's table, or a new one keyed (downloader id, scheduled time).

    Defaults: on-demand billing (no cost while idle), point-in-time recovery, RETAIN on stack
    deletion (downloaded data is never deleted unless asked), AWS-managed encryption, or the
    customer-managed ``encryption_key`` when given; with ``retention``, time to live on
    ``expiresAt``.
    """
    if props.table is not None:
        return props.table
    key = props.encryption_key
    return dynamodb.Table(
        scope,
        "Table",
        partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name=SORT_KEY, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=props.point_in_time_recovery is not False
        ),
        encryption=(
            dynamodb.TableEncryption.CUSTOMER_MANAGED
            if key is not None
            else dynamodb.TableEncryption.AWS_MANAGED
        ),
        encryption_key=key,
        removal_policy=props.removal_policy or RemovalPolicy.RETAIN,
        time_to_live_attribute=TTL_ATTRIBUTE if props.retention is not None else None,
    )
