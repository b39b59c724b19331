"""The times of a schedule, as far as they can be enumerated: a fixed step and its phase.

``rate(N unit)`` steps by N units from when the schedule was created (the phase is not known at
synth time). A ``cron`` of every day, every hour or every k minutes at fixed minutes is a fixed
step too, with a known phase (``cron(0 1 * * ? *)``: a day, at 01:00 UTC). Anything else (days of
the week, months, ``L``, ``W``, ``#``, lists) has no fixed step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE | re.DOTALL)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_ANY = ("*", "?")


@dataclass(frozen=True)
class Step:
    """A schedule's times: ``phase + k * seconds`` (epoch seconds, UTC)."""

    seconds: int
    """The interval between two scheduled times."""
    phase: int | None
    """Seconds into each interval the times fall on (from the epoch); ``None`` when unknown
    (a rate schedule starts when it is created)."""


def step_of(expression: str | None) -> Step | None:
    """The fixed step of ``expression``; ``None`` when its times have none (or no schedule)."""
    if expression is None:
        return None
    text = expression.strip()
    if match := _RATE.match(text):
        value = int(match.group(1))
        seconds = value * _UNIT_SECONDS[match.group(2).lower().rstrip("s")]
        return Step(seconds, None) if seconds > 0 else None
    if match := _CRON.match(text):
        return _cron_step(match.group(1).split())
    return None


def _cron_step(fields: list[str]) -> Step | None:
    if len(fields) != 6:
        return None
    minute, hour, day_of_month, month, day_of_week, year = fields
    if day_of_month not in _ANY or day_of_week not in _ANY or month != "*" or year != "*":
        return None
    minutes = _every(minute, 60)
    hours = _every(hour, 24)
    if minutes is None or hours is None:
        return None
    (minute_step, minute_start), (hour_step, hour_start) = minutes, hours
    if minute_step == 1:  # every minute
        return Step(60, 0) if hour_step == 1 else None
    if minute_step != 60:  # every k minutes: every hour of the day
        if hour_step != 1:
            return None
        return Step(minute_step * 60, (minute_start or 0) * 60)
    # One fixed minute: every hour, every k hours, or once a day.
    minute_offset = (minute_start or 0) * 60
    if hour_step == 1:
        return Step(3600, minute_offset)
    return Step(hour_step * 3600, (hour_start or 0) * 3600 + minute_offset)


def _every(field: str, size: int) -> tuple[int, int | None] | None:
    """``(step, start)`` of a cron field: ``*`` → (1, None); ``n`` → (size, n);
    ``*/k`` or ``n/k`` with k dividing ``size`` → (k, n or 0), (1, None) for k = 1; else
    ``None``. So a step of 1 always has no start: "every one" is tested on the step alone."""
    if field == "*":
        return 1, None
    if field.isdigit():
        value = int(field)
        return (size, value) if value < size else None
    base, _, step = field.partition("/")
    if not step.isdigit() or not (base == "*" or base.isdigit()):
        return None
    every = int(step)
    start = 0 if base == "*" else int(base)
    if every < 1 or size % every != 0 or start >= every:
        return None
    return (1, None) if every == 1 else (every, start)
