"""S3 sink: each run's answer also stored as one object, ``<downloader id>/<scheduled time>.json``.

Written with the AWS SDK integration (``aws-sdk:s3:putObject``, aws-cdk-lib ``CallAwsService``):
S3 has no optimized Step Functions integration. The role may put objects under the downloader's
own key prefix only. The bucket is the user's, or one created with secure defaults.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ._acknowledge import acknowledge
from ._props import RESULT_FIELD, Props

OBJECT_FIELD = "object"
"""Where the archive task puts the stored object's location (``bucket``, ``key``) in the state."""
NONCURRENT_VERSION_DAYS = 30
"""A rewritten object (a re-delivered run) keeps its previous version this long."""
SCHEDULED_TIME = "$$.Execution.Input.scheduledTime"


def wants_archive(props: Props) -> bool:
    """True when the answer is to be stored in S3: ``archive=True`` or a ``bucket`` given."""
    return bool(props.archive) or (props.archive is None and props.bucket is not None)


def build_bucket(scope: Construct, props: Props) -> s3.IBucket | None:
    """Return the user's bucket, a new one, or ``None`` when nothing is archived.

    Defaults of the created bucket: SSE-S3 encryption, TLS-only bucket policy, all public
    access blocked, bucket owner enforced (no ACLs), versioning (a rewritten answer keeps its
    previous version 30 days), RETAIN on stack deletion (``removal_policy``), and objects expire
    after ``archive_retention`` when given.
    """
    if not wants_archive(props):
        return None
    if props.bucket is not None:
        return props.bucket
    rules = [s3.LifecycleRule(noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS))]
    if props.archive_retention is not None:
        rules.append(s3.LifecycleRule(expiration=props.archive_retention))
    bucket = s3.Bucket(
        scope,
        "Bucket",
        encryption=s3.BucketEncryption.S3_MANAGED,
        enforce_ssl=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned=True,
        lifecycle_rules=rules,
        removal_policy=props.removal_policy or RemovalPolicy.RETAIN,
    )
    acknowledge(
        bucket,
        "S1",
        "Only this downloader's state machine role writes here, under one key prefix; its "
        "writes are in the state machine's execution log. Server access logs would need a "
        "second bucket per downloader: enable them on a bucket you bring (`bucket`) if needed.",
    )
    return bucket


def object_key(downloader_id: str) -> str:
    """``<downloader id>/<scheduled time>.json`` as a States.Format intrinsic."""
    return sfn.JsonPath.format(f"{downloader_id}/{{}}.json", sfn.JsonPath.string_at(SCHEDULED_TIME))


def archive_task(scope: Construct, *, bucket: s3.IBucket, downloader_id: str) -> sfn.TaskStateBase:
    """``Archive``: put the selected result (JSON text) as the run's object.

    The body goes through ``States.JsonToString``: the SDK integration takes a string body
    (a JSON object is not serialized by moto's interpreter). The task's output, under
    ``$.object``, is the object's location (``bucket``, ``key``), for post-processing.
    """
    prefix = f"{downloader_id}/*"
    task = tasks.CallAwsService(
        scope,
        "Archive",
        service="s3",
        action="putObject",
        parameters={
            "Bucket": bucket.bucket_name,
            "Key": object_key(downloader_id),
            "Body": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(f"$.{RESULT_FIELD}")),
            "ContentType": "application/json",
        },
        # Least privilege: s3:PutObject on this downloader's prefix only.
        iam_action="s3:PutObject",
        iam_resources=[bucket.arn_for_objects(prefix)],
        result_selector={"bucket": bucket.bucket_name, "key": object_key(downloader_id)},
        result_path=f"$.{OBJECT_FIELD}",
    )
    task.add_retry(
        errors=["S3.SdkClientException", "S3.S3Exception"],
        interval=Duration.seconds(1),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return task


def grant_archive(state_machine: sfn.StateMachine, bucket: s3.IBucket, downloader_id: str) -> None:
    """The key of a bucket encrypted with KMS, and the IAM5 acknowledgment of the prefix grant."""
    if bucket.encryption_key is not None:
        bucket.encryption_key.grant_encrypt(state_machine)
    policy = state_machine.role.node.find_child("DefaultPolicy")
    arn = Stack.of(state_machine).resolve(bucket.arn_for_objects(f"{downloader_id}/*"))
    acknowledge(
        policy,
        f"IAM5[Resource::{_nag_text(arn)}]",
        "s3:PutObject on this downloader's own key prefix (<downloader id>/*): one object a run, "
        "keyed by its scheduled time, so the prefix is the narrowest resource.",
    )
    if bucket.encryption_key is not None:
        acknowledge(
            policy,
            "IAM5[Action::kms:GenerateDataKey*]",
            "aws-cdk-lib's grant_encrypt on the archive bucket's own key: the actions S3 uses "
            "to write an object encrypted with a customer-managed key.",
        )
        acknowledge(
            policy,
            "IAM5[Action::kms:ReEncrypt*]",
            "aws-cdk-lib's grant_encrypt on the archive bucket's own key.",
        )


def _nag_text(value: object) -> str:
    """A resolved token as cdk-nag writes it in finding ids (``<Id.Arn>``, ``<AWS::Region>``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_nag_text(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<" + ".".join(value["Fn::GetAtt"]) + ">"
    return str(value)
