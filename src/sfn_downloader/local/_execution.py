"""What a local run gives back (``LocalExecution``), the scheduled time as the schedule writes
it, and which downloader of an app a runner runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ._template import DownloaderSpec
from .errors import LocalRunnerError


@dataclass(frozen=True)
class LocalExecution:
    """The outcome of one local run."""

    name: str
    """The execution's name (unique per runner)."""
    scheduled_time: str
    """The scheduled time of the run, as the schedule sends it (``2026-11-27T05:30:00Z``)."""
    input: Any
    """The execution input the schedule sent (parsed JSON)."""
    status: str
    """``SUCCEEDED``, ``FAILED``, ``TIMED_OUT`` or ``ABORTED``."""
    output: Any
    """The execution output (parsed JSON); ``None`` unless it succeeded."""
    error: str | None
    """The Step Functions error name of a failed run (``ApiGateway.500``); ``None`` otherwise."""
    cause: str | None
    """The failed run's cause (the answer's body, or the error message); ``None`` otherwise."""

    @property
    def succeeded(self) -> bool:
        """True when the run succeeded."""
        return self.status == "SUCCEEDED"


def scheduled_time_text(value: datetime | str | None = None) -> str:
    """Format a scheduled time as EventBridge Scheduler's ``<aws.scheduler.scheduled-time>``.

    Default: now (UTC) truncated to the minute, like a ``rate(1 minute)`` schedule's tick.
    A naive datetime is taken as UTC; an ISO 8601 string is parsed and normalized.
    """
    if value is None:
        value = datetime.now(UTC).replace(second=0, microsecond=0)
    elif isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"scheduled_time={value!r} is not ISO 8601: {error}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_downloader(found: list[DownloaderSpec], pattern: str | None) -> DownloaderSpec:
    """The downloader named ``pattern`` (construct path or logical ID), else the only one."""
    available = [spec.path for spec in found]
    if pattern is None:
        if len(found) == 1:
            return found[0]
        if not found:
            raise LocalRunnerError(
                "No downloader (state machine calling apigateway:invoke or http:invoke) found."
            )
        raise LocalRunnerError(f"Several downloaders found, choose one with pattern=: {available}")
    wanted = pattern.strip("/")
    for spec in found:
        if wanted in (spec.path, spec.state_machine_id):
            return spec
    raise LocalRunnerError(f"No downloader at {pattern!r}. Available: {available}")
