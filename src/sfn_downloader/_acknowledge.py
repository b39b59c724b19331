"""Acknowledged cdk-nag findings, each next to the resource it concerns, with its reason.

Uses aws-cdk-lib's own ``Validations.acknowledge`` (what cdk-nag 3 reads), so the library has
no runtime dependency on cdk-nag.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Stack, Token, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge AwsSolutions ``rule`` (e.g. ``"APIG3"``, ``"IAM5[Resource::*]"``)."""
    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))


def arn_prefix(scope: IConstruct, service: str) -> str:
    """``arn:<partition>:<service>:<region>:<account>:`` as cdk-nag writes it in a finding id:
    the stack's literal region and account when it is bound to an environment (``env=``), the
    pseudo-parameters (``<AWS::Region>``) when not, so one acknowledgment holds in both."""
    stack = Stack.of(scope)
    parts = [
        value if not Token.is_unresolved(value) else f"<AWS::{name}>"
        for name, value in (
            ("Partition", stack.partition),
            ("Region", stack.region),
            ("AccountId", stack.account),
        )
    ]
    partition, region, account = parts
    return f"arn:{partition}:{service}:{region}:{account}:"
