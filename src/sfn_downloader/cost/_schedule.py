"""Runs a month of an EventBridge Scheduler expression (rate, cron, at)."""

from __future__ import annotations

import re

from ._errors import CostModelError

DAYS_PER_MONTH = 30
"""The month of every estimate: 30 days, so one run a minute is 43,200 runs."""
MINUTES_PER_MONTH = DAYS_PER_MONTH * 24 * 60

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minutes?|hours?|days?)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE | re.DOTALL)
_AT = re.compile(r"^at\(\s*\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\s*\)$", re.IGNORECASE)
_UNIT_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# How often day N of a month occurs, averaged over the 400-year Gregorian cycle, by month:
# day 29 exists in every month but February of common years (303 in 400).
_FEBRUARY_DAY_29 = 97 / 400
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def count_runs(expression: str) -> float:
    """Runs in a 30-day month of an EventBridge Scheduler expression.

    ``rate(N minutes|hours|days)``: exactly 43,200 / (N minutes). ``at(...)``: 1.
    ``cron(min hour day-of-month month day-of-week year)``: the minute and hour fields (``*``,
    lists, ranges, steps) times the days matched: ``*``/``?`` in both day fields is 30 days;
    days of the week count 30/7 each (``nL`` and ``n#k``: once a month); days of the month
    count as often as they occur in the calendar (``L``, ``nW``: once a month). A month field
    keeps its share of the year; the year field is ignored.
    """
    text = expression.strip()
    if match := _RATE.match(text):
        value = int(match.group(1))
        if value == 0:
            raise CostModelError(f"{expression!r}: a rate must be at least 1.")
        unit = match.group(2).lower().rstrip("s")
        return MINUTES_PER_MONTH / (value * _UNIT_MINUTES[unit])
    if _AT.match(text):
        return 1.0
    if match := _CRON.match(text):
        return _count_cron(expression, match.group(1).split())
    raise CostModelError(
        f"cannot read schedule expression {expression!r}: expected rate(N minutes|hours|days), "
        "cron(...) or at(yyyy-mm-ddThh:mm:ss)."
    )


def _count_cron(expression: str, fields: list[str]) -> float:
    if len(fields) != 6:
        raise CostModelError(
            f"{expression!r}: cron needs 6 fields (minutes hours day-of-month month "
            f"day-of-week year), got {len(fields)}."
        )
    minute, hour, day_of_month, month, day_of_week, year = fields
    try:
        minutes = _values(minute, 0, 59)
        hours = _values(hour, 0, 23)
        months = _values(month, 1, 12, _MONTHS)
        _values(year, 1970, 2199)  # checked, not counted
        days = _days_per_month(day_of_month, day_of_week, months)
    except ValueError as error:
        raise CostModelError(f"{expression!r}: {error}") from None
    return len(minutes) * len(hours) * days


def _days_per_month(day_of_month: str, day_of_week: str, months: set[int]) -> float:
    share = len(months) / 12
    any_day = ("*", "?")
    if day_of_month in any_day and day_of_week in any_day:
        return DAYS_PER_MONTH * share
    if day_of_month in any_day:
        days = 0.0
        for part in day_of_week.split(","):
            if part.upper() == "L":  # the last day of the week: every Saturday
                days += DAYS_PER_MONTH / 7
            elif re.fullmatch(r"[^#L]+#[1-5]|[^#L]+L", part, re.IGNORECASE):
                _values(re.split(r"[#L]", part, flags=re.IGNORECASE)[0], 1, 7, _WEEKDAYS)
                days += 1  # the n-th or the last such weekday: once a month
            else:
                days += len(_values(part, 1, 7, _WEEKDAYS)) * DAYS_PER_MONTH / 7
        return days * share
    if day_of_week not in any_day:
        raise ValueError("one of day-of-month and day-of-week must be '?'.")
    days = 0.0
    for part in day_of_month.split(","):
        if re.fullmatch(r"L|LW|\d{1,2}W", part, re.IGNORECASE):
            if part[0].isdigit():
                _values(part[:-1], 1, 31)
            days += share  # last day, or the weekday nearest a date: once a month
            continue
        for day in _values(part, 1, 31):
            days += sum(_month_has_day(m, day) for m in months) / 12
    return days


def _month_has_day(month: int, day: int) -> float:
    """How often (0-1) ``day`` exists in ``month``, over the leap-year cycle."""
    if month == 2 and day == 29:
        return _FEBRUARY_DAY_29
    return 1.0 if day <= _MONTH_DAYS[month - 1] else 0.0


def _values(field: str, low: int, high: int, names: list[str] | None = None) -> set[int]:
    """The values a cron field matches: ``*``, ``?``, ``a``, ``a-b``, ``*/n``, ``a/n``, lists."""
    result: set[int] = set()
    for part in field.split(","):
        base, _, step_text = part.partition("/")
        step = _number_in(step_text, 1, high - low + 1, "step") if step_text else 1
        if base in ("*", "?"):
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start, end = _value(first, low, high, names), _value(last, low, high, names)
            if start > end:
                raise ValueError(f"range {base!r} runs backwards.")
        else:
            start = _value(base, low, high, names)
            end = high if step_text else start
        result.update(range(start, end + 1, step))
    return result


def _value(text: str, low: int, high: int, names: list[str] | None) -> int:
    if names is not None and text.upper() in names:
        return names.index(text.upper()) + 1
    return _number_in(text, low, high, "value")


def _number_in(text: str, low: int, high: int, what: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"{what} {text!r} is not a number from {low} to {high}.")
    return int(text)
