"""Local values for a synthesized stack: the account, region and partition of the local run,
stable stand-ins for generated names, and CloudFormation intrinsics resolved to them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import LocalRunnerError

LOCAL_ACCOUNT = "123456789012"
"""moto's default account."""
LOCAL_REGION = "us-east-1"
PARTITION = "aws"
URL_SUFFIX = "amazonaws.com"


@dataclass(frozen=True)
class SynthesizedStack:
    """One stack's template and, where known, the construct path of each logical ID."""

    name: str
    template: Mapping[str, Any]
    paths: Mapping[str, str] = field(default_factory=dict)
    assets: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """The stack's file assets: (bucket name as the asset manifest writes it, e.g.
    ``cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}``, object key) → the staged file
    in the cloud assembly, which ``cdk deploy`` uploads there."""


def physical_id(stack: str, logical_id: str, length: int = 12) -> str:
    """A stable stand-in for the random suffix CloudFormation gives generated names."""
    digest = hashlib.sha256(f"{stack}/{logical_id}".encode()).hexdigest()
    return digest[:length]


class Resolver:
    """Resolves CloudFormation intrinsics to the values the local run gives each resource."""

    def __init__(self, stack: SynthesizedStack) -> None:
        self._stack = stack
        self._resources: Mapping[str, Any] = stack.template.get("Resources", {})

    def ref(self, logical_id: str) -> str:
        """What ``{"Ref": logical_id}`` returns for the local resource."""
        pseudo = {
            "AWS::Partition": PARTITION,
            "AWS::Region": LOCAL_REGION,
            "AWS::AccountId": LOCAL_ACCOUNT,
            "AWS::URLSuffix": URL_SUFFIX,
            "AWS::StackName": self._stack.name,
            "AWS::NoValue": "",
        }
        if logical_id in pseudo:
            return pseudo[logical_id]
        resource = self._resources.get(logical_id)
        if resource is None:
            raise LocalRunnerError(f"Ref to unknown resource or parameter {logical_id!r}")
        kind = resource.get("Type", "")
        props = resource.get("Properties", {})
        suffix = physical_id(self._stack.name, logical_id)
        if kind == "AWS::ApiGateway::RestApi":
            return suffix[:10]  # API ids are 10 lowercase alphanumerics
        if kind == "AWS::DynamoDB::Table":
            return str(props.get("TableName") or f"{self._stack.name}-{logical_id}-{suffix}")
        if kind == "AWS::StepFunctions::StateMachine":
            name = props.get("StateMachineName") or f"{logical_id}-{suffix}"
            return f"arn:{PARTITION}:states:{LOCAL_REGION}:{LOCAL_ACCOUNT}:stateMachine:{name}"
        if kind == "AWS::SecretsManager::Secret":
            name = props.get("Name") or f"{logical_id}-{suffix}"
            return secret_arn(f"{name}-{suffix[:6]}")
        if kind == "AWS::Events::Connection":
            return str(props.get("Name") or f"{logical_id}-{suffix}")
        if kind == "AWS::S3::Bucket":
            return str(props.get("BucketName") or generated_name(self._stack.name, logical_id, 63))
        if kind == "AWS::SQS::Queue":
            name = props.get("QueueName") or generated_name(self._stack.name, logical_id, 80)
            return f"https://sqs.{LOCAL_REGION}.{URL_SUFFIX}/{LOCAL_ACCOUNT}/{name}"
        if kind == "AWS::SNS::Topic":
            name = props.get("TopicName") or generated_name(self._stack.name, logical_id, 256)
            return f"arn:{PARTITION}:sns:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{name}"
        return str(props.get("Name") or f"{self._stack.name}-{logical_id}-{suffix}")

    def get_att(self, logical_id: str, attribute: str) -> str:
        """What ``{"Fn::GetAtt": [logical_id, attribute]}`` returns locally."""
        resource = self._resources.get(logical_id)
        if resource is None:
            raise LocalRunnerError(f"Fn::GetAtt of unknown resource {logical_id!r}")
        kind = resource.get("Type", "")
        ref = self.ref(logical_id)
        if attribute == "RootResourceId":
            return f"{ref}-root"
        if kind == "AWS::SQS::Queue":
            name = ref.rsplit("/", 1)[-1]
            attributes = {
                "Arn": f"arn:{PARTITION}:sqs:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{name}",
                "QueueName": name,
                "QueueUrl": ref,
            }
            return attributes.get(attribute, f"{ref}.{attribute}")
        if kind == "AWS::SNS::Topic" and attribute in ("TopicArn", "TopicName"):
            return ref if attribute == "TopicArn" else ref.rsplit(":", 1)[-1]
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:{PARTITION}:s3:::{ref}"
        if kind == "AWS::Events::EventBus" and attribute == "Arn":
            return f"arn:{PARTITION}:events:{LOCAL_REGION}:{LOCAL_ACCOUNT}:event-bus/{ref}"
        if kind == "AWS::Events::EventBus" and attribute == "Name":
            return ref
        if attribute == "Arn":
            if ref.startswith("arn:"):
                return ref
            service = kind.split("::")[1].lower() if "::" in kind else "local"
            if kind == "AWS::IAM::Role":
                return f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT}:role/{ref}"
            if kind == "AWS::DynamoDB::Table":
                return f"arn:{PARTITION}:dynamodb:{LOCAL_REGION}:{LOCAL_ACCOUNT}:table/{ref}"
            if kind == "AWS::Events::Connection":
                uuid = physical_id(self._stack.name, logical_id, 32)
                uuid = f"{uuid[:8]}-{uuid[8:12]}-{uuid[12:16]}-{uuid[16:20]}-{uuid[20:]}"
                return (
                    f"arn:{PARTITION}:events:{LOCAL_REGION}:{LOCAL_ACCOUNT}:connection/{ref}/{uuid}"
                )
            return f"arn:{PARTITION}:{service}:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{ref}"
        return f"{ref}.{attribute}"

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its local value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(str(arg))
            if key == "Fn::GetAtt":
                parts = arg.split(".", 1) if isinstance(arg, str) else arg
                return self.get_att(str(parts[0]), str(parts[1]))
            if key == "Fn::Join":
                separator, items = arg
                return str(separator).join(str(self.resolve(item)) for item in items)
            if key == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(self.resolve(index))]
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key.startswith("Fn::"):
                raise LocalRunnerError(f"{key} is not supported by the local runner")
        return {name: self.resolve(item) for name, item in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name:
                logical_id, attribute = name.split(".", 1)
                return self.get_att(logical_id, attribute)
            return self.ref(name)

        return re.sub(r"\$\{([^!}][^}]*)\}", substitute, str(text))


def generated_name(stack: str, logical_id: str, length: int) -> str:
    """A name like CloudFormation generates (``stack-logicalid-suffix``), valid for S3, SQS
    and SNS: lowercase letters, digits and '-'."""
    suffix = physical_id(stack, logical_id)
    base = re.sub(r"[^a-z0-9-]", "-", f"{stack}-{logical_id}".lower())
    return f"{base[: length - len(suffix) - 1]}-{suffix}"


def secret_arn(name_with_suffix: str) -> str:
    """The ARN of a secret in the local account."""
    return (
        f"arn:{PARTITION}:secretsmanager:{LOCAL_REGION}:{LOCAL_ACCOUNT}:secret:{name_with_suffix}"
    )
