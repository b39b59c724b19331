"""Scheduled times as sort keys, and DynamoDB attribute values as plain Python values."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from .._contract import KEY_SEPARATOR

TimeValue = datetime | str
"""A scheduled time: a ``datetime`` (naive = UTC) or ISO 8601 text (``2026-11-27T05:30:00Z``)."""

KEY_TIME_LENGTH = len("2026-11-27T05:30:00Z")
"""Every answer's ``sk`` starts with its scheduled time in this fixed-width form."""
_ANSWER_KEY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z(?:#.*)?", re.S)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
"""OWASP "CSV Injection" (ASVS 1.2.10): a cell starting with one of these is a formula to a
spreadsheet."""
_TERMINAL_UNSAFE = re.compile(
    r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
"""Control characters (C0 but the line feed, DEL, C1) and bidirectional overrides: on a
terminal they move the cursor, recolour, retitle or reorder what is shown."""


def is_answer_key(sort_key: object) -> bool:
    """True for a sort key the downloader writes for an answer: ``<scheduled time>`` (a real
    instant, ``2026-11-27T05:30:00Z``) or ``<scheduled time>#<suffix>``."""
    if not isinstance(sort_key, str) or not _ANSWER_KEY.fullmatch(sort_key):
        return False
    try:
        key_time(sort_key)
    except ValueError:
        return False
    return True


def key_text(value: TimeValue, *, what: str = "time") -> str:
    """``value`` as the sort key of a run scheduled at that instant (``2026-11-27T05:30:00Z``).

    Scheduled times are whole seconds; an instant with a fraction of a second is rounded up to
    the next whole second, so that ``t1 <= s < t2`` holds for the same runs ``s`` before and
    after rounding. A naive datetime (or text without an offset) is taken as UTC.
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("z") else text)
        except ValueError:
            raise ValueError(
                f"{what} {value!r} is not an ISO 8601 time; use e.g. '2026-11-27T05:30:00Z'."
            ) from None
    elif isinstance(value, datetime):
        parsed = value
    else:
        raise TypeError(
            f"{what} {value!r} is not a datetime or ISO 8601 text; "
            "use e.g. '2026-11-27T05:30:00Z' or datetime(2026, 11, 27, 5, 30, tzinfo=UTC)."
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        parsed = parsed.astimezone(UTC)
        if parsed.microsecond:
            parsed = parsed.replace(microsecond=0) + timedelta(seconds=1)
    except OverflowError:  # 0001-01-01T00:00:00+01:00, 9999-12-31T23:59:59.5Z
        raise ValueError(
            f"{what} {value!r} is outside the years 1 to 9999 in UTC (whole seconds); "
            "use e.g. '2026-11-27T05:30:00Z'."
        ) from None
    return (
        f"{parsed.year:04d}-{parsed.month:02d}-{parsed.day:02d}T"
        f"{parsed.hour:02d}:{parsed.minute:02d}:{parsed.second:02d}Z"
    )


def key_time(sort_key: str) -> datetime:
    """The scheduled time an answer's ``sk`` starts with (UTC)."""
    return datetime.strptime(sort_key[:KEY_TIME_LENGTH], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def key_suffix(sort_key: str) -> str | None:
    """The path or page after ``#`` in an answer's ``sk``; ``None`` for one answer a run."""
    rest = sort_key[KEY_TIME_LENGTH:]
    return rest[len(KEY_SEPARATOR) :] if rest.startswith(KEY_SEPARATOR) else None


def answer_suffix(item: Mapping[str, Any]) -> str | None:
    """What an answer is within its run (its path or page), whichever delivery stored it: the
    ``sk`` suffix without the delivery's execution name (``<time>#<run>#<page>`` → ``<page>``,
    the item's ``run`` attribute naming it); ``None`` for one answer a run."""
    suffix = key_suffix(str(item.get("sk")))
    run = item.get("run")
    if suffix is not None and isinstance(run, str) and run:
        if suffix == run:
            return None
        if suffix.startswith(run + KEY_SEPARATOR):
            return suffix[len(run) + len(KEY_SEPARATOR) :]
    return suffix


def plain(value: Any) -> Any:
    """A deserialized attribute value as plain Python: integral numbers as ``int``, others as
    ``decimal.Decimal`` (exact: DynamoDB keeps up to 38 significant digits, a float 15 to 17),
    sets as ``set``, binary as ``bytes``; strings, booleans, ``None``, lists and maps as they
    are."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else value
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return {plain(item) for item in value}
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if hasattr(value, "value") and type(value).__name__ == "Binary":  # boto3's Binary
        return bytes(value.value)
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    return value


def json_text(value: Any) -> str:
    """``value`` as JSON with every number exact (``Decimal`` written as its digits, not through
    a float); sets as sorted lists, bytes as base64 text."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} has no JSON form")
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} has no JSON form")
    if value is None or isinstance(value, bool | int | float | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bytes | bytearray):
        return json.dumps(base64.b64encode(value).decode("ascii"))
    if isinstance(value, set | frozenset):
        return json_text(sorted(value, key=_sort_key))
    if isinstance(value, list | tuple):
        return "[" + ",".join(json_text(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return (
            "{"
            + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{json_text(v)}"
                       for k, v in value.items())
            + "}"
        )  # fmt: skip
    raise TypeError(f"{type(value).__name__} has no JSON form")


def cell_text(value: Any) -> str:
    """``value`` as one CSV cell: numbers exact, booleans ``true``/``false``, nothing as an
    empty cell, lists, maps and sets as JSON. A text starting with ``=``, ``+``, ``-``, ``@``,
    a tab or a carriage return gets a leading ``'`` (OWASP "CSV Injection"), so that a
    spreadsheet shows it as text instead of running it as a formula."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return str(value)
    return json_text(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Numbers by value, then strings, then binary (the three kinds of DynamoDB set)."""
    if isinstance(value, int | Decimal):
        return (0, value)
    return (1, value) if isinstance(value, str) else (2, value)


def terminal_text(text: str) -> str:
    """``text`` with every control character but the line feed (and every bidirectional
    override) written as a ``\\xNN`` / ``\\uNNNN`` escape, for a terminal."""
    return _TERMINAL_UNSAFE.sub(
        lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text
    )
