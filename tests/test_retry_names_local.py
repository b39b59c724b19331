"""Locally: DynamoDB's transient errors, under the name the runner reports them
(``DynamoDB.<code>``), are retried by Persist and the answer is stored."""

from __future__ import annotations

from typing import Any
from unittest import mock

import aws_cdk as cdk
import pytest
from moto.dynamodb.exceptions import ERROR_TYPE_PREFIX, DynamodbException
from moto.dynamodb.models import DynamoDBBackend

from local_helpers import Answer, Upstream
from sfn_downloader import DownloaderPattern
from sfn_downloader.local import LocalRunner

from scenarios import EVE_PROPS

T0 = "2026-11-27T05:30:00Z"


class Transient(DynamodbException):
    """A DynamoDB error botocore does not retry on its own (so Step Functions' retrier must)."""

    def __init__(self, code: str) -> None:
        super().__init__(ERROR_TYPE_PREFIX + code, message=f"{code} (injected)")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    DownloaderPattern(cdk.Stack(app, "Local"), "Status", **EVE_PROPS)
    return app


@pytest.mark.parametrize("code", ["InternalServerError", "RequestLimitExceeded"])
def test_a_transient_dynamodb_error_is_retried_and_the_answer_stored(
    app: cdk.App, upstream: Upstream, code: str
) -> None:
    """On main the retrier named DynamoDB.InternalServerErrorException only: this run failed."""
    upstream.script(default=Answer(200, {"players": 24449}))
    original = DynamoDBBackend.put_item
    failures = [code]

    def flaky(self: DynamoDBBackend, *args: Any, **kwargs: Any) -> Any:
        if failures:
            raise Transient(failures.pop())
        return original(self, *args, **kwargs)

    with (
        LocalRunner(app, upstream=upstream.url, fast_retries=True) as runner,
        mock.patch.object(DynamoDBBackend, "put_item", flaky),
    ):
        execution = runner.run(T0)
        items = runner.items()

    assert execution.status == "SUCCEEDED", (execution.error, execution.cause)
    assert len(runner.retry_intervals) == 1
    assert [item["count"] for item in items] == [24449]
