"""The archive: each run's answer also stored as one S3 object, ``<downloader id>/<time>.json``
(``<time>#<suffix>.json`` when the item's key has a suffix: one object per stored item). In a
run of several requests, each stored answer (a fan-out path's, a page's) is archived right
after its Persist, as ``<downloader id>/<its item's sort key>.json``
(``<time>#<path as given>.json``, ``<time>#<page>.json``, ``<time>#<path>#<page>.json``).

Written with the AWS SDK integration (``aws-sdk:s3:putObject``, aws-cdk-lib ``CallAwsService``):
S3 has no optimized Step Functions integration. The role may put objects under the downloader's
own key prefix only. The bucket is the user's (``Archive.to_bucket``), or one created with
secure defaults (``Archive.to_new_bucket``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

from aws_cdk import Duration, RemovalPolicy, Stack, Token
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._acknowledge import acknowledge
from .._contract import (
    EXECUTION_NAME_PATH,
    KEY_FIELD,
    KEY_SEPARATOR,
    OBJECT_FIELD,
    RESULT_FIELD,
    SCHEDULED_TIME_PATH,
    SORT_KEY,
)
from .._defaults import NONCURRENT_VERSION_DAYS
from .._parts import (
    Built,
    CheckContext,
    RunFeature,
    RunParts,
    StoredAnswer,
    then_afterwards,
    then_each_stored,
)
from .._states import catch_into
from ..errors import Problem

_INTRINSIC_UNSAFE = re.compile(r"['{}\\]")

ARCHIVE_RETRYABLE_ERRORS = ("S3.SdkClientException", "S3.S3Exception")
"""The Archive retrier's error names. The AWS SDK integration names an error
``S3.<exception>`` ("Learning to use AWS service SDK integrations"): a modeled error as its
shape plus ``Exception`` (``S3.NoSuchBucketException``), but every error PutObject models
(``InvalidRequest``, ``InvalidWriteOffset``, ``TooManyParts``, ``EncryptionTypeMismatch``) is
permanent. S3's transient failures (500 ``InternalError``, 503 ``SlowDown``) are not modeled:
they arrive as the SDK's generic service exception, ``S3.S3Exception``, and a request that got
no answer as ``S3.SdkClientException`` (the Java SDK's names, as public definitions retry them;
no AWS page lists them)."""


class Archive(RunFeature):
    """Also store each answer in S3. Use the static methods to create one."""

    def __init__(
        self,
        *,
        bucket: s3.IBucket | None = None,
        retention: Duration | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        self.bucket = bucket
        """The user's bucket (``None``: one is created)."""
        self.retention = retention
        """The created bucket's object expiry (``None``: kept forever)."""
        self.removal_policy = removal_policy
        """The created bucket's removal policy (``None``: RETAIN)."""

    @staticmethod
    def to_new_bucket(
        *, retention: Duration | None = None, removal_policy: RemovalPolicy | None = None
    ) -> Archive:
        """A bucket created for the archive: SSE-S3, TLS only, public access blocked, no ACLs,
        versioned (previous versions kept 30 days).

        :param retention: Objects expire this long after they are written (whole days).
            Default: kept forever.
        :param removal_policy: Default: ``RemovalPolicy.RETAIN``.
        """
        return Archive(retention=retention, removal_policy=removal_policy)

    @staticmethod
    def to_bucket(bucket: s3.IBucket) -> Archive:
        """Your own bucket (its lifecycle and removal policy are yours); a KMS key it uses is
        granted to the state machine."""
        return Archive(bucket=bucket)

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """A retention of whole days; a key the intrinsics can build."""
        if self.retention is not None and not Token.is_unresolved(self.retention.to_seconds()):
            seconds = self.retention.to_seconds()
            if seconds <= 0 or seconds % 86400:
                yield Problem(
                    "archive",
                    self.retention.to_human_string(),
                    "retention is not a positive whole number of days (S3 lifecycle rules "
                    "count days).",
                    "use e.g. Archive.to_new_bucket(retention=Duration.days(365)).",
                )
        downloader_id = context.downloader_id
        if not Token.is_unresolved(downloader_id) and _INTRINSIC_UNSAFE.search(downloader_id):
            yield Problem(
                "downloader_id",
                downloader_id,
                "contains a quote, brace or backslash, which cannot be part of the archive's "
                "object key (States.Format).",
                "use letters, digits, '/', '-', '_' or '.'.",
            )

    def build(self, scope: Construct, encryption_key: kms.IKey | None = None) -> s3.IBucket:
        """Return the user's bucket, or a new one with the secure defaults.

        :param encryption_key: The created bucket's key (SSE-KMS, with an S3 Bucket Key: fewer
            KMS requests). Default: SSE-S3.
        """
        if self.bucket is not None:
            return self.bucket
        rules = [
            s3.LifecycleRule(noncurrent_version_expiration=Duration.days(NONCURRENT_VERSION_DAYS))
        ]
        if self.retention is not None:
            rules.append(s3.LifecycleRule(expiration=self.retention))
        bucket = s3.Bucket(
            scope,
            "Bucket",
            encryption=(
                s3.BucketEncryption.S3_MANAGED
                if encryption_key is None
                else s3.BucketEncryption.KMS
            ),
            encryption_key=encryption_key,
            bucket_key_enabled=encryption_key is not None or None,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            lifecycle_rules=rules,
            removal_policy=self.removal_policy or RemovalPolicy.RETAIN,
        )
        acknowledge(
            bucket,
            "S1",
            "Only this downloader's state machine role writes here, under one key prefix; its "
            "writes are in the state machine's execution log. Server access logs would need a "
            "second bucket per downloader: enable them on a bucket you bring (`bucket`) if needed.",
        )
        return bucket

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """After a single answer is stored: ``Archive`` (the selected result kept for it),
        named as its item (with query overrides, the item's key; with ``incremental``, the
        delivery too)."""
        bucket = built.bucket
        if bucket is None:
            return parts
        name_path = f"$.{KEY_FIELD}.{SORT_KEY}" if parts.key_suffix_path is not None else None
        # incremental: one item per delivery, so one object per delivery too
        run_suffix_path = EXECUTION_NAME_PATH if parts.per_delivery else None
        archive = lambda scope: [  # noqa: E731
            self.task(scope, bucket=bucket, downloader_id=built.downloader_id,
                      name_path=name_path, run_suffix_path=run_suffix_path)
        ]  # fmt: skip
        each = lambda scope, answer: [  # noqa: E731
            self.stored_task(scope, answer, bucket=bucket, downloader_id=built.downloader_id)
        ]  # fmt: skip
        # Alone after a single answer without result_selector or key suffix, the archive can
        # read the raw answer where the checked download leaves it (``$``: the selection is the
        # whole answer), so the shape may refuse a compressed one (issue 25 item 14).
        raw = None
        if not parts.keeps_result and name_path is None and parts.result_selector is None:
            raw = lambda scope: [  # noqa: E731
                self.task(scope, bucket=bucket, downloader_id=built.downloader_id,
                          run_suffix_path=run_suffix_path, body_path="$")
            ]  # fmt: skip
        # A shape honours one of the two: afterwards (one answer), each_stored (several).
        return replace(
            parts, keeps_result=True, afterwards=then_afterwards(parts, archive),
            afterwards_raw=raw, each_stored=then_each_stored(parts, each),
        )  # fmt: skip

    def grant_run(self, state_machine: sfn.StateMachine, built: Built) -> None:
        """``s3:PutObject`` on the downloader's prefix (the task's own), the bucket's key."""
        if built.bucket is not None:
            Archive.grant(state_machine, built.bucket, built.downloader_id)

    @staticmethod
    def task(
        scope: Construct,
        *,
        bucket: s3.IBucket,
        downloader_id: str,
        name_path: str | None = None,
        run_suffix_path: str | None = None,
        body_path: str = f"$.{RESULT_FIELD}",
    ) -> sfn.IChainable:
        """``Archive``: put the selected result (JSON text) as the run's object,
        ``<downloader id>/<name>.json``, the name being the item's sort key.

        The body goes through ``States.JsonToString``: the SDK integration takes a string body
        (a JSON object is not serialized by moto's interpreter). The task's output, under
        ``$.object``, is the object's location (``bucket``, ``key``), for post-processing.

        :param name_path: Where the state holds the object's name. Default: the scheduled time.
            A ResultSelector sees only the task's result, never the state, so with a
            ``name_path`` the location is written by a Pass after the task (``ArchivedObject``).
        :param run_suffix_path: With ``incremental``, whose items are ``<scheduled time>#<
            execution name>``: the Context path of the suffix (``$$.Execution.Name``), so that
            each delivery's object has its item's name and none overwrites another's.
            Default: no suffix.
        :param body_path: Where the state holds what is archived. Default: ``$.result``, the
            selected result; ``$`` after the checked download (the raw answer, unselected).
        """
        key = _object_key(downloader_id, name_path, run_suffix_path)
        location = {"bucket": bucket.bucket_name, "key": key}
        task = tasks.CallAwsService(
            scope,
            "Archive",
            service="s3",
            action="putObject",
            parameters={
                "Bucket": bucket.bucket_name,
                "Key": key,
                "Body": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(body_path)),
                "ContentType": "application/json",
            },
            # Least privilege: s3:PutObject on this downloader's prefix only.
            iam_action="s3:PutObject",
            iam_resources=[bucket.arn_for_objects(f"{downloader_id}/*")],
            result_selector=location if name_path is None else None,
            result_path=f"$.{OBJECT_FIELD}" if name_path is None else sfn.JsonPath.DISCARD,
        )
        task.add_retry(
            errors=list(ARCHIVE_RETRYABLE_ERRORS),
            interval=Duration.seconds(1),
            max_attempts=3,
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        if name_path is None:
            return task
        written = sfn.Pass(
            scope, "ArchivedObject", parameters=location, result_path=f"$.{OBJECT_FIELD}"
        )
        return task.next(written)

    @staticmethod
    def stored_task(
        scope: Construct, answer: StoredAnswer, *, bucket: s3.IBucket, downloader_id: str
    ) -> sfn.TaskStateBase:
        """``Archive<name>``: one stored answer of a run of several requests (at
        ``answer.under``) put as ``<downloader id>/<its item's sort key>.json``, right after
        its Persist; the object's name is its item's (the sort key's intrinsic nested in the
        key's ``States.Format``: "Intrinsic functions" allows up to 10 nested). In a Map
        iteration a failure (after the retries) is a failed outcome of that request, as a
        failed Persist is; its output is the one the shape asks for (``answer``)."""
        key = sfn.JsonPath.format(f"{downloader_id}/{{}}.json", answer.sort_key)
        task = tasks.CallAwsService(
            scope,
            f"Archive{answer.name}",
            service="s3",
            action="putObject",
            parameters={
                "Bucket": bucket.bucket_name,
                "Key": key,
                "Body": sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(answer.under)),
                "ContentType": "application/json",
            },
            iam_action="s3:PutObject",
            iam_resources=[bucket.arn_for_objects(f"{downloader_id}/*")],
            result_selector=dict(answer.result_selector)
            if answer.result_selector is not None
            else None,
            result_path=answer.result_path or sfn.JsonPath.DISCARD,
            output_path=answer.output_path,
        )
        task.add_retry(
            errors=list(ARCHIVE_RETRYABLE_ERRORS),
            interval=Duration.seconds(1),
            max_attempts=3,
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        if answer.failure is not None:
            catch_into(answer.failure, task)
        return task

    @staticmethod
    def grant(state_machine: sfn.StateMachine, bucket: s3.IBucket, downloader_id: str) -> None:
        """The key of a bucket encrypted with KMS, and the IAM5 acknowledgment of the prefix."""
        if bucket.encryption_key is not None:
            bucket.encryption_key.grant_encrypt(state_machine)
        policy = state_machine.role.node.find_child("DefaultPolicy")
        arn = Stack.of(state_machine).resolve(bucket.arn_for_objects(f"{downloader_id}/*"))
        acknowledge(
            policy,
            f"IAM5[Resource::{_nag_text(arn)}]",
            "s3:PutObject on this downloader's own key prefix (<downloader id>/*): one object a "
            "stored answer, keyed by its scheduled time (and its path or page), so the prefix "
            "is the narrowest resource.",
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

    def __repr__(self) -> str:
        if self.bucket is not None:
            return f"Archive.to_bucket({self.bucket.node.path})"
        return "Archive.to_new_bucket(...)"


def _object_key(
    downloader_id: str, name_path: str | None = None, run_suffix_path: str | None = None
) -> str:
    """``<downloader id>/<scheduled time, or the name at name_path>.json`` as a States.Format
    intrinsic."""
    if run_suffix_path is not None and name_path is None:
        return sfn.JsonPath.format(
            f"{downloader_id}/{{}}{KEY_SEPARATOR}{{}}.json",
            sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
            sfn.JsonPath.string_at(run_suffix_path),
        )
    return sfn.JsonPath.format(
        f"{downloader_id}/{{}}.json", sfn.JsonPath.string_at(name_path or SCHEDULED_TIME_PATH)
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
