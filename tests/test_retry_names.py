"""Retriers name the errors Step Functions reports: checked against botocore's service models,
so a renamed or added error cannot drift past them (a retrier naming an error that never
occurs retries nothing)."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.retries import standard

from sfn_downloader.sinks.dynamodb import PERSIST_RETRYABLE_ERRORS, PERSIST_RETRYABLE_SHAPES
from sfn_downloader.sinks.s3 import ARCHIVE_RETRYABLE_ERRORS

from scenarios import Scenario, definition

PUT_ITEM_PERMANENT = {
    "ConditionalCheckFailedException",  # the construct writes no condition
    "ResourceNotFoundException",  # no table: a deployment error
    "ItemCollectionSizeLimitExceededException",  # only with a local secondary index, over 10 GB
    "TransactionConflictException",  # only the downloader writes its items, never in a transaction
    "ReplicatedWriteConflictException",  # multi-Region strong consistency only
}
PUT_OBJECT_PERMANENT = {"InvalidRequest", "InvalidWriteOffset", "TooManyParts",
                        "EncryptionTypeMismatch"}  # fmt: skip


@cache
def error_shapes(service: str, operation: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    return {shape.name for shape in model.operation_model(operation).error_shapes}


def retried(state: dict[str, Any]) -> list[str]:
    return [name for retrier in state["Retry"] for name in retrier["ErrorEquals"]]


def test_every_put_item_error_is_either_retried_or_known_permanent() -> None:
    """A new PutItem error in botocore's model fails this test until someone decides."""
    assert error_shapes("dynamodb", "PutItem") == set(PERSIST_RETRYABLE_SHAPES) | PUT_ITEM_PERMANENT


def test_retried_put_item_errors_are_throttling_or_server_errors() -> None:
    # botocore's own classification of throttling errors
    throttled = set(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES)
    for name in PERSIST_RETRYABLE_SHAPES:
        assert name in throttled or name == "InternalServerError", name


def test_persist_retries_each_error_under_both_names_step_functions_may_use() -> None:
    """``DynamoDB.<code>`` (what moto reports) and ``DynamoDB.<code>Exception`` (the SDK
    integration's rule); InternalServerErrorException alone, as before, matched no code."""
    for name in PERSIST_RETRYABLE_SHAPES:
        assert f"DynamoDB.{name}" in PERSIST_RETRYABLE_ERRORS
        assert f"DynamoDB.{name.removesuffix('Exception')}Exception" in PERSIST_RETRYABLE_ERRORS
    for error in PERSIST_RETRYABLE_ERRORS:
        service, _, name = error.partition(".")
        assert service == "DynamoDB"
        assert name in error_shapes("dynamodb", "PutItem") or (
            name.removesuffix("Exception") in error_shapes("dynamodb", "PutItem")
        ), error


def test_the_persist_states_use_the_checked_names(default: Scenario, pages: Scenario) -> None:
    assert retried(definition(default)["States"]["Persist"]) == list(PERSIST_RETRYABLE_ERRORS)
    fetch = definition(pages)["States"]["FetchPages"]["ItemProcessor"]["States"]
    assert retried(fetch["PersistPage"]) == list(PERSIST_RETRYABLE_ERRORS)


def test_put_object_models_only_permanent_errors_so_archive_retries_the_generic_ones(
    composed: Scenario,
) -> None:
    """S3's transient failures (500 InternalError, 503 SlowDown) are not in the model: they reach
    Step Functions as the SDK's generic exceptions, which the Archive retries."""
    assert error_shapes("s3", "PutObject") == PUT_OBJECT_PERMANENT
    assert "SlowDown" in standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES
    assert retried(definition(composed)["States"]["Archive"]) == list(ARCHIVE_RETRYABLE_ERRORS)
    assert not {f"S3.{name}Exception" for name in PUT_OBJECT_PERMANENT} & set(
        ARCHIVE_RETRYABLE_ERRORS
    )
