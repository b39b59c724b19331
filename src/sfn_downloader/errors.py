"""The one error type the construct raises for bad input."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One configuration problem: the prop, the value received, what is wrong and the fix."""

    prop: str
    """The prop at fault, with the key inside it where there is one (``item['count']``)."""
    value: object
    """The value received."""
    message: str
    """What is wrong with it."""
    fix: str
    """How to fix it."""

    def __str__(self) -> str:
        return f"{self.prop}={self.value!r}: {self.message} Fix: {self.fix}"


class DownloaderConfigError(ValueError):
    """Raised at construction when the props of a ``DownloaderPattern`` are invalid.

    Every problem found is reported at once; ``problems`` lists them, each naming the prop,
    the value received and the fix.
    """

    def __init__(self, construct_id: str, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        """Every problem found, in the order of the props."""
        count = len(self.problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"DownloaderPattern '{construct_id}' has {count} configuration {noun}:\n{lines}"
        )
