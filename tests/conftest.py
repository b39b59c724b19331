"""Shared fixtures: each scenario is synthesized once per session."""

from __future__ import annotations

import pytest

from scenarios import (
    Scenario,
    build_composed,
    build_cursor,
    build_default,
    build_distributed,
    build_fanout,
    build_from_secret,
    build_full,
    build_http_task,
    build_on_demand,
    build_own_bucket,
    build_pages,
    build_retained,
    build_shared_table,
    build_timed,
    synth,
)


@pytest.fixture(scope="session")
def default() -> Scenario:
    """The README's minimal example: every default."""
    return synth(build_default)


@pytest.fixture(scope="session")
def full() -> Scenario:
    """Every prop set."""
    return synth(build_full)


@pytest.fixture(scope="session")
def from_secret() -> Scenario:
    """The proxy injects a Secrets Manager secret as Authorization."""
    return synth(build_from_secret)


@pytest.fixture(scope="session")
def shared_table() -> Scenario:
    """Two downloaders in one stack sharing one table."""
    return synth(build_shared_table)


@pytest.fixture(scope="session")
def fanout() -> Scenario:
    """A path template over three region ids (inline Map)."""
    return synth(build_fanout)


@pytest.fixture(scope="session")
def distributed() -> Scenario:
    """Paths over the inline Map's ceiling (Distributed Map)."""
    return synth(build_distributed)


@pytest.fixture(scope="session")
def pages() -> Scenario:
    """X-Pages pagination."""
    return synth(build_pages)


@pytest.fixture(scope="session")
def cursor() -> Scenario:
    """Cursor pagination."""
    return synth(build_cursor)


@pytest.fixture(scope="session")
def http_task() -> Scenario:
    """The HTTP Task with an API-key connection."""
    return synth(build_http_task)


@pytest.fixture(scope="session")
def retained() -> Scenario:
    """retention on one path and on a fan-out."""
    return synth(build_retained)


@pytest.fixture(scope="session")
def composed() -> Scenario:
    """Post-processing (SQS, SNS, EventBridge) after DynamoDB and a created bucket."""
    return synth(build_composed)


@pytest.fixture(scope="session")
def own_bucket() -> Scenario:
    """The raw answer archived in the user's KMS-encrypted bucket."""
    return synth(build_own_bucket)


@pytest.fixture(scope="session")
def on_demand() -> Scenario:
    """On demand only (granted to a role), and on a schedule plus on demand."""
    return synth(build_on_demand)


@pytest.fixture(scope="session")
def timed() -> Scenario:
    """The day's rates (placeholders, backfill), hourly windows, an incremental mark."""
    return synth(build_timed)
