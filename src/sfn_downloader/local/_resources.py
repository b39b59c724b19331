"""The other AWS resources a run may write to, created in moto from the template.

Post-processing states and the S3 archive reach S3 buckets, SQS queues, SNS topics and
EventBridge buses; moto 5.2.5's interpreter runs ``sqs:sendMessage``, ``sns:publish``,
``events:putEvents`` and ``aws-sdk:s3:putObject`` (with a string body) on stock moto, so the
local run only needs the resources to exist, under the names the template resolves to.
Every one of them in the stack is created, by its local name; only what a run writes to is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._template import Resolver, SynthesizedStack

CREATED_TYPES = ("AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::SNS::Topic", "AWS::Events::EventBus")


def create_resources(
    stack: SynthesizedStack, resolver: Resolver, client: Callable[[str], Any]
) -> dict[str, str]:
    """Create the stack's buckets, queues, topics and buses; return logical ID → local name
    (bucket name, queue URL, topic ARN, bus name)."""
    created: dict[str, str] = {}
    resources: Mapping[str, Any] = stack.template.get("Resources", {})
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind not in CREATED_TYPES:
            continue
        props = resource.get("Properties", {})
        name = resolver.ref(logical_id)
        if kind == "AWS::S3::Bucket":
            client("s3").create_bucket(Bucket=name)
        elif kind == "AWS::SQS::Queue":
            attributes = {"FifoQueue": "true"} if props.get("FifoQueue") else {}
            client("sqs").create_queue(QueueName=name.rsplit("/", 1)[-1], Attributes=attributes)
        elif kind == "AWS::SNS::Topic":
            attributes = {"FifoTopic": "true"} if props.get("FifoTopic") else {}
            client("sns").create_topic(Name=name.rsplit(":", 1)[-1], Attributes=attributes)
        elif name != "default":
            client("events").create_event_bus(Name=name)
        created[logical_id] = name
    return created
