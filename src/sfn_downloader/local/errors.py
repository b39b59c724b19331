"""The error type of the local runner."""

from __future__ import annotations


class LocalRunnerError(RuntimeError):
    """The local run cannot be set up as asked (what is wrong, and how to fix it)."""
