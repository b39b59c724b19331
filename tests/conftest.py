"""Shared fixtures: each scenario is synthesized once per session."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import AuthHeader, DownloaderPattern, ItemField

from scenarios import EVE_PROPS, Scenario, synth


@pytest.fixture(scope="session")
def default() -> Scenario:
    """The README's minimal example: every default."""
    return synth(lambda stack: {"p": DownloaderPattern(stack, "PlayerCount", **EVE_PROPS)})


@pytest.fixture(scope="session")
def full() -> Scenario:
    """Every prop set: Standard, remapped secret header, extra headers, cron, own key."""

    def build(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
        key = kms.Key(stack, "Key", enable_key_rotation=True)
        pattern = DownloaderPattern(
            stack,
            "Orders",
            endpoint="https://api.example.com:8443/",
            path="/v1/orders?region=10000002&type=sell&type=buy",
            result_selector={
                "orders.$": "$.ResponseBody.orders",
                "meta": {"date.$": "$.Headers.Date[0]", "source": "example"},
            },
            item={
                "orders": ItemField.json("$.orders"),
                "date": ItemField.string("$.meta.date"),
                "source": ItemField.string("$.meta.source"),
            },
            headers={"Accept": "application/json", "User-Agent": "sfn-downloader-test"},
            auth_header=AuthHeader.remap(
                "MyCustomAuth", cdk.SecretValue.secrets_manager("example/api-token")
            ),
            workflow_type=sfn.StateMachineType.STANDARD,
            schedule=scheduler.ScheduleExpression.cron(minute="*/15"),
            timeout=cdk.Duration.minutes(10),
            removal_policy=cdk.RemovalPolicy.DESTROY,
            encryption_key=key,
            point_in_time_recovery=False,
            downloader_id="example/orders",
            retry=sfn.RetryProps(max_attempts=5, interval=cdk.Duration.seconds(1)),
        )
        return {"p": pattern}

    return synth(build)


@pytest.fixture(scope="session")
def from_secret() -> Scenario:
    """The proxy injects a Secrets Manager secret as Authorization."""

    def build(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
        secret = secretsmanager.Secret(stack, "ApiToken")
        pattern = DownloaderPattern(
            stack, "Status", **EVE_PROPS,
            auth_header=AuthHeader.from_secret(secret, json_field="token", prefix="Bearer "),
        )  # fmt: skip
        return {"p": pattern}

    return synth(build)


@pytest.fixture(scope="session")
def shared_table() -> Scenario:
    """Two downloaders in one stack, the second writing to the first one's table."""

    def build(stack: cdk.Stack) -> dict[str, DownloaderPattern]:
        first = DownloaderPattern(stack, "PlayerCount", **EVE_PROPS)
        second = DownloaderPattern(
            stack, "ServerVersion", endpoint="https://esi.evetech.net", path="/v2/status",
            item={"version": ItemField.string("$.ResponseBody.server_version")},
            table=first.table,
        )  # fmt: skip
        return {"first": first, "second": second}

    return synth(build)
