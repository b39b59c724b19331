"""Small state builders several features share: keys, retries, failure records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._contract import DATA_LIMIT_EXCEEDED, FAILURE_PATH, KEY_SEPARATOR, RESPONSE_FIELD

SUCCEEDED = {"ok": True}
"""A Map iteration's outcome when its request was stored."""


def sort_key(time_path: str, suffix_path: str) -> str:
    """``<scheduled time>#<suffix>``: unique per answer, the same again on a re-delivered run."""
    return sfn.JsonPath.format(
        "{}" + KEY_SEPARATOR + "{}",
        sfn.JsonPath.string_at(time_path),
        sfn.JsonPath.string_at(suffix_path),
    )


def retry_kwargs(retry: sfn.RetryProps) -> dict[str, Any]:
    """``RetryProps`` as keyword arguments of ``add_retry`` (only the fields that are set)."""
    names = ("errors", "interval", "max_attempts", "backoff_rate", "max_delay", "jitter_strategy")
    return {name: getattr(retry, name) for name in names if getattr(retry, name) is not None}


def record_failure(scope: Construct, construct_id: str, *, key_path: str) -> sfn.Pass:
    """A Map iteration's outcome when its request failed: which one, and the error's name.

    The error's cause (often the third party's whole error body) is left out, so that the Map's
    output stays bounded whatever the third party answers: a few hundred failed pages with
    large error pages would otherwise exceed 256 KiB and fail the run with
    ``States.DataLimitExceeded`` instead of ``Downloader.RequestsFailed``. The cause is in the
    execution's history and its log (level ALL).
    """
    return sfn.Pass(
        scope,
        construct_id,
        parameters={
            "ok": False,
            "key": sfn.JsonPath.string_at(key_path),
            "error": sfn.JsonPath.string_at(f"{FAILURE_PATH}.Error"),
        },
    )


def catch_into(failure: sfn.Pass, *states: sfn.TaskStateBase) -> None:
    """A failure of any of ``states`` (after its retries) ends the iteration in ``failure``.

    ``States.ALL`` does not catch ``States.DataLimitExceeded`` ("Handling errors in Step
    Functions workflows"), so it is named first: one answer over 256 KiB is then recorded as a
    failed request instead of failing the whole Map. ``States.Runtime`` (e.g. a selector path
    the answer lacks) cannot be caught at all: it fails the run.
    """
    for state in states:
        state.add_catch(failure, errors=[DATA_LIMIT_EXCEEDED], result_path=FAILURE_PATH)
        state.add_catch(failure, errors=[sfn.Errors.ALL], result_path=FAILURE_PATH)


def selected(result_selector: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's selection nested under ``response`` (the whole answer without one)."""
    if result_selector is None:
        return {RESPONSE_FIELD: sfn.JsonPath.entire_payload}
    return {RESPONSE_FIELD: dict(result_selector)}
