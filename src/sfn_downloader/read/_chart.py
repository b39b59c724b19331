"""The command line's chart: one numeric attribute over scheduled time (matplotlib, PNG)."""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from .._contract import SORT_KEY
from ._table import Item
from ._values import answer_suffix, key_time

GAP_FACTOR = 1.5
"""A step between two runs over 1.5 times the usual one is a gap: the line breaks there."""


class ChartError(ValueError):
    """The items cannot be drawn (no number in the field, nothing in the range)."""


def draw_chart(items: Iterable[Item], *, field: str, out: Path, title: str) -> int:
    """Draw ``field`` of ``items`` over their scheduled time into ``out``; one line per path
    or page when runs have several answers. Returns the number of points drawn."""
    series: dict[str | None, list[tuple[datetime, float]]] = {}
    for item in items:
        if field not in item or item[field] is None:
            continue
        value = item[field]
        if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
            raise ChartError(
                f"field {field!r} of item sk={item[SORT_KEY]!r} is {value!r}, not a number."
            )
        sort_key = str(item[SORT_KEY])
        series.setdefault(answer_suffix(item), []).append((key_time(sort_key), float(value)))
    points = sum(len(line) for line in series.values())
    if not points:
        raise ChartError(f"no item in the range has the field {field!r}.")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=120)
    for suffix, line in sorted(series.items(), key=lambda entry: str(entry[0])):
        times, values = _with_gaps(line)
        ax.plot(
            cast(Any, times), values, linewidth=1.6, marker="o", markersize=2.5,
            label=field if suffix is None else f"{field} #{suffix}",
        )  # fmt: skip
    ax.set_title(title, fontsize=11)
    ax.set_xlabel("scheduled time (UTC)")
    ax.set_ylabel(field)
    locator = mdates.AutoDateLocator()  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(True, alpha=0.3)
    if len(series) > 1 or None not in series:
        ax.legend(loc="best", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return points


def _with_gaps(line: list[tuple[datetime, float]]) -> tuple[list[datetime], list[float]]:
    """The points in time order, with a NaN where runs are missing (the line breaks there)."""
    line = sorted(line)
    steps = [(b[0] - a[0]).total_seconds() for a, b in itertools.pairwise(line)]
    usual = statistics.median(steps) if steps else 0.0
    times: list[datetime] = []
    values: list[float] = []
    for index, (when, value) in enumerate(line):
        if index and usual and steps[index - 1] > GAP_FACTOR * usual:
            times.append(when)
            values.append(math.nan)
        times.append(when)
        values.append(value)
    return times, values
