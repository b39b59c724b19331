"""Acknowledged cdk-nag findings, each next to the resource it concerns, with its reason.

Uses aws-cdk-lib's own ``Validations.acknowledge`` (what cdk-nag 3 reads), so the library has
no runtime dependency on cdk-nag.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, Validations
from constructs import IConstruct


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge AwsSolutions ``rule`` (e.g. ``"APIG3"``, ``"IAM5[Resource::*]"``)."""
    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions-{rule}", reason=reason))
