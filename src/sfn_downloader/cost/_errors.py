"""The cost model's error."""

from __future__ import annotations


class CostModelError(ValueError):
    """Raised when a cost cannot be estimated: unknown region, unreadable schedule or definition."""
