"""``Window``: each run asks for a time range that ends at its scheduled time.

``Window.last(duration, lookback=...)`` is ``[scheduled - duration - lookback, scheduled)``:
``{window_start}`` and ``{window_end}`` in the path or query. Consecutive runs of a schedule
every ``duration`` then cover time without a gap, and each overlaps the one before by exactly
``lookback`` (late-arriving records are asked for again; the items' keys absorb the repeat).
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import Duration, Token

from .._parts import CheckContext
from ..errors import Problem
from ._schedule import step_of

MAX_WINDOW_DAYS = 366
"""A window (with its lookback) spans at most a year: a longer one is almost surely a mistake."""


class Window:
    """The time range a run asks for. Use ``Window.last`` to create one."""

    def __init__(self, *, duration: Duration, lookback: Duration | None = None) -> None:
        self.duration = duration
        """How much time a run's window covers, up to its scheduled time."""
        self.lookback = lookback
        """How much earlier the window starts, to ask again for late records (``None``: 0)."""

    @staticmethod
    def last(duration: Duration, *, lookback: Duration | None = None) -> Window:
        """``[scheduled time - duration - lookback, scheduled time)``.

        With a schedule every ``duration`` (``Starts.scheduled(ScheduleExpression.rate(
        duration))``), consecutive windows meet (no gap) and overlap by ``lookback``.

        :param duration: The window's length up to the scheduled time, e.g.
            ``Duration.hours(1)``; at least the schedule's interval (a shorter one leaves gaps,
            and is refused).
        :param lookback: Default: none, windows meet end to start.
        """
        return Window(duration=duration, lookback=lookback)

    @property
    def duration_seconds(self) -> int:
        """The window's length (without the lookback), seconds."""
        return int(self.duration.to_seconds())

    @property
    def span_seconds(self) -> int:
        """From the window's start to the scheduled time: duration plus lookback, seconds."""
        lookback = int(self.lookback.to_seconds()) if self.lookback is not None else 0
        return self.duration_seconds + lookback

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Durations, and no gap between the windows of consecutive scheduled runs."""
        shown = repr(self)
        for name, value, required in (
            ("duration", self.duration, True),
            ("lookback", self.lookback, False),
        ):
            if value is None and not required:
                continue
            if not isinstance(value, Duration):
                yield Problem(
                    "window",
                    shown,
                    f"{name} is not a Duration.",
                    "use e.g. Window.last(Duration.hours(1), lookback=Duration.minutes(5)).",
                )
                return
            if Token.is_unresolved(value.to_seconds()):
                yield Problem(
                    "window",
                    shown,
                    f"{name} is only known at deploy time.",
                    "pass a literal Duration: the window is computed at synth time.",
                )
                return
            seconds = value.to_seconds()
            if seconds != int(seconds) or seconds < (1 if required else 0):
                yield Problem(
                    "window",
                    shown,
                    f"{name} is not a whole number of seconds"
                    + (" of at least 1." if required else " (0 or more)."),
                    "use e.g. Duration.hours(1) or Duration.minutes(5).",
                )
                return
        if self.span_seconds > MAX_WINDOW_DAYS * 86400:
            yield Problem(
                "window",
                shown,
                f"spans more than {MAX_WINDOW_DAYS} days with its lookback.",
                "use a shorter window (an API rarely answers for more than a year at once).",
            )
        step = step_of(context.schedule_expression)
        if step is not None and self.duration_seconds < step.seconds:
            gap = Duration.seconds(step.seconds - self.duration_seconds).to_human_string()
            yield Problem(
                "window",
                shown,
                f"is shorter than the schedule's interval "
                f"({context.schedule_expression}): consecutive windows would leave "
                f"a gap of {gap} that no run asks for.",
                f"use Window.last(Duration.seconds({step.seconds})) (add lookback= "
                "for an overlap), or schedule runs as often as the window is "
                "long.",
            )

    def __repr__(self) -> str:
        def shown(value: object) -> str:
            return value.to_human_string() if isinstance(value, Duration) else repr(value)

        lookback = f", lookback={shown(self.lookback)}" if self.lookback is not None else ""
        return f"Window.last({shown(self.duration)}{lookback})"
