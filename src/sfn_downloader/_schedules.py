"""Schedule expressions as EventBridge Scheduler defines them, checked before deploy.

EventBridge Scheduler User Guide, "Schedule types on EventBridge Scheduler":

* ``rate(value unit)``: a positive whole ``value``; ``unit`` one of ``minute | minutes | hour |
  hours | day | days``, singular for 1 and plural above (EventBridge, "Rate expressions
  reference": ``rate(1 hours)`` and ``rate(5 hour)`` are not valid);
* ``cron(minutes hours day-of-month month day-of-week year)``: six fields, with the wildcards
  of each field; one of day-of-month and day-of-week must be ``?`` (values or ``*`` in both
  are refused);
* ``at(yyyy-mm-ddThh:mm:ss)``: one run, at a date that exists;
* the time zone (``ScheduleExpressionTimezone``) is an IANA name (``Europe/Berlin``).

A mistake here synthesizes and fails at deploy (``CreateSchedule``); ``starts`` calls
``check_schedule_expression`` to say so at synth, with the fix.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from datetime import datetime

from .errors import Problem

_UNITS = ("minute", "hour", "day")
_RATE = re.compile(r"^rate\((.*)\)$", re.DOTALL)
_CRON = re.compile(r"^cron\((.*)\)$", re.DOTALL)
_AT = re.compile(r"^at\((.*)\)$", re.DOTALL)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
# Each cron field: its name, its range, its names, and the wildcards it takes (the table of
# "Cron-based schedules").
_FIELDS: tuple[tuple[str, int, int, tuple[str, ...], str], ...] = (
    ("minutes", 0, 59, (), ",-*/"),
    ("hours", 0, 23, (), ",-*/"),
    ("day-of-month", 1, 31, (), ",-*?/LW"),
    ("month", 1, 12, _MONTHS, ",-*/"),
    ("day-of-week", 1, 7, _WEEKDAYS, ",-*?L#"),
    ("year", 1970, 2199, (), ",-*/"),
)
_FIX_CRON = (
    "write six fields, minutes hours day-of-month month day-of-week year, with '?' in one of "
    "the day fields: e.g. cron(*/5 * * * ? *), or ScheduleExpression.cron(minute='*/5')."
)


def check_schedule_expression(
    prop: str, expression: str, time_zone: str | None = None
) -> Iterator[Problem]:
    """Every way ``expression`` (and ``time_zone``) is not an EventBridge Scheduler schedule."""
    for problem in _problems(prop, expression, time_zone):
        yield Problem(problem.prop, problem.value, f"the schedule {problem.message}", problem.fix)


def _problems(prop: str, expression: str, time_zone: str | None) -> Iterator[Problem]:
    if match := _RATE.match(expression):
        yield from _check_rate(prop, expression, match.group(1))
    elif match := _CRON.match(expression):
        yield from _check_cron(prop, expression, match.group(1))
    elif match := _AT.match(expression):
        yield from _check_at(prop, expression, match.group(1))
    else:
        yield Problem(prop, expression, "is not a rate(...), cron(...) or at(...) expression.",
                      "use ScheduleExpression.rate(Duration.minutes(5)), .cron(...) or .at(...).",
                      )  # fmt: skip
    zones = zoneinfo.available_timezones()  # empty without the system's tz database: skip
    if time_zone is not None and zones and time_zone not in zones | {"UTC"}:
        yield Problem(prop, time_zone, "time zone is not an IANA time zone name.",
                      "use e.g. TimeZone.EUROPE_BERLIN, or TimeZone.of('Europe/Berlin').",
                      )  # fmt: skip


def _check_rate(prop: str, expression: str, inside: str) -> Iterator[Problem]:
    parts = inside.split(" ")
    value_text, unit = (parts[0], parts[1]) if len(parts) == 2 else ("", "")
    if (value_text.isdigit() and int(value_text) == 0) or unit.startswith("second"):
        yield Problem(prop, expression, "is more frequent than once a minute, the most "
                      "EventBridge Scheduler runs a target.",
                      "use ScheduleExpression.rate(Duration.minutes(1)) or longer.")  # fmt: skip
        return
    if not value_text.isdigit():
        yield Problem(prop, expression, "is not rate(value unit) with a positive whole value.",
                      "use e.g. rate(5 minutes), or ScheduleExpression.rate(Duration.minutes(5)).",
                      )  # fmt: skip
        return
    value = int(value_text)
    singular = unit.rstrip("s")
    known = next((u for u in _UNITS if singular and u.startswith(singular[:3])), None)
    if unit not in (*_UNITS, *(f"{u}s" for u in _UNITS)):
        word = (known or "minute") + ("" if value == 1 else "s")
        yield Problem(prop, expression,
                      f"has unit {unit!r}; EventBridge Scheduler takes minute | minutes | hour | "
                      "hours | day | days.", f"use rate({value} {word}).")  # fmt: skip
    elif (value == 1) != (unit == singular):
        word = singular + ("" if value == 1 else "s")
        yield Problem(prop, expression,
                      "has a unit that does not agree with its value: singular for 1, plural "
                      "above.", f"use rate({value} {word}).")  # fmt: skip


def _check_cron(prop: str, expression: str, inside: str) -> Iterator[Problem]:
    fields = inside.split()
    if len(fields) != 6:
        fix = _FIX_CRON
        if len(fields) == 5:  # a Unix crontab line: no year, and no '?'
            minute, hour, day, month, weekday = fields
            if weekday == "*":
                fix = f"use cron({minute} {hour} {day} {month} ? *) (six fields, '?' for any day)."
            elif day == "*":
                fix = (
                    f"use cron({minute} {hour} ? {month} {weekday} *), with days of the week "
                    "1-7 (SUN-SAT), not Unix's 0-6."
                )
        yield Problem(prop, expression, f"has {len(fields)} fields; an EventBridge Scheduler cron "
                      "expression has six (minutes hours day-of-month month day-of-week year).",
                      fix)  # fmt: skip
        return
    for text, (name, low, high, names, wildcards) in zip(fields, _FIELDS, strict=True):
        error = _field_error(text, low, high, names, wildcards)
        if error:
            yield Problem(prop, expression, f"has an invalid {name} field {text!r}: {error}",
                          _FIX_CRON)  # fmt: skip
    day, weekday = fields[2], fields[4]
    if (day == "?") == (weekday == "?"):
        yield Problem(prop, expression,
                      "must have '?' in exactly one of day-of-month and day-of-week (values or "
                      "'*' in both are refused).",
                      "put '?' in the day field you do not use, e.g. cron(0 8 * * ? *) or "
                      "cron(0 8 ? * MON-FRI *).")  # fmt: skip


def _field_error(text: str, low: int, high: int, names: tuple[str, ...], wildcards: str) -> str:
    allowed = set(wildcards) | set("0123456789")
    letters = re.sub(r"JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC|SUN|MON|TUE|WED|THU|FRI|SAT",
                     "", text.upper()) if names else text.upper()  # fmt: skip
    stray = sorted(set(letters) - allowed)
    if stray:
        also = ", names" if names else ""
        return f"{''.join(stray)!r} is not allowed here (only digits{also} and {wildcards})."
    if "?" in text and text != "?":
        return "'?' stands alone."
    for part in text.split(","):
        base = re.split(r"[/#]", part)[0].rstrip("LW") or "*"
        for value in base.split("-"):
            if value in ("*", "?", "") or value.upper() in names:
                continue
            if not value.isdigit() or not low <= int(value) <= high:
                return f"{value!r} is not from {low} to {high}."
    return ""


def _check_at(prop: str, expression: str, inside: str) -> Iterator[Problem]:
    try:
        valid = re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", inside) is not None and bool(
            datetime.strptime(inside, "%Y-%m-%dT%H:%M:%S")
        )
    except ValueError:
        valid = False
    if not valid:
        yield Problem(prop, expression, "is not at(yyyy-mm-ddThh:mm:ss) with a date that exists.",
                      "use e.g. at(2026-11-27T05:30:00), or ScheduleExpression.at(datetime(...)).",
                      )  # fmt: skip
