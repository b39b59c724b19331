"""Shared fixtures: each scenario is synthesized once per session."""

from __future__ import annotations

import pytest

from scenarios import (
    Scenario,
    build_default,
    build_from_secret,
    build_full,
    build_shared_table,
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
