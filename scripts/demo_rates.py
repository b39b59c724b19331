"""The second half of ``make demo``: November's euro rates, backfilled by the synthesized
backfill state machine of examples/exchange_rates, then drawn next to the player count.

A loopback stand-in answers like Frankfurter (``GET /v1/2026-11-27?base=EUR&symbols=...``): a
working day's rates, or on a weekend the Friday's, with the date they are of.
"""

from __future__ import annotations

import importlib.util
import random
import tempfile
import threading
import time
from datetime import date, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _stand_in import LoopbackStandIn, QuietHandler

ROOT = Path(__file__).resolve().parent.parent
RATES_APP = ROOT / "examples" / "exchange_rates" / "app.py"
FROM, TO = "2026-11-01T01:00:00Z", "2026-11-30T01:00:00Z"
START_RATES = {"USD": 1.0530, "GBP": 0.8420, "JPY": 161.20, "CHF": 0.9380}


class FrankfurterStandIn(LoopbackStandIn):
    """Answers ``GET /v1/<date>?base=EUR&symbols=...`` like Frankfurter: rates of working days
    (a seeded random walk), and a weekend's request with the Friday before."""

    def __init__(self, seed: int = 11) -> None:
        generator = random.Random(seed)
        self._rates: dict[date, dict[str, float]] = {}
        day, rates = date(2026, 10, 30), dict(START_RATES)
        while day <= date(2026, 12, 31):
            if day.weekday() < 5:
                rates = {
                    code: round(value * (1 + generator.gauss(0, 0.0035)), 4 if code != "JPY" else 2)
                    for code, value in rates.items()
                }
                self._rates[day] = rates
            day += timedelta(days=1)
        self.requests: list[str] = []
        self._lock = threading.Lock()
        stand_in = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                status, body = stand_in.answer(self.path)
                self.send_json(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and body for one request."""
        parts = urlsplit(path)
        with self._lock:
            self.requests.append(path)
        try:
            asked = date.fromisoformat(parts.path.removeprefix("/v1/"))
        except ValueError:
            return 404, {"message": "not found"}
        query = parse_qs(parts.query)
        symbols = query.get("symbols", [",".join(START_RATES)])[0].split(",")
        day = asked
        while day not in self._rates:  # a weekend: the last working day before
            day -= timedelta(days=1)
        rates = {code: self._rates[day][code] for code in symbols if code in self._rates[day]}
        return 200, {"amount": 1.0, "base": query.get("base", ["EUR"])[0],
                     "date": day.isoformat(), "rates": rates}  # fmt: skip


def synthesize_rates(outdir: str) -> Any:
    """The exchange-rates example app, synthesized into ``outdir``."""
    spec = importlib.util.spec_from_file_location("exchange_rates_app", RATES_APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.build_app(outdir)
    app.synth()
    return app


def run(out: Path) -> int:
    """Backfill November locally; print the items; draw ``out``. Returns the exit status."""
    from sfn_downloader.local import LocalRunner

    with tempfile.TemporaryDirectory(prefix="rates-cdk-out-") as outdir:
        started = time.perf_counter()
        app = synthesize_rates(outdir)
        print(f"\nsynthesized the exchange-rates example in {time.perf_counter() - started:.1f} s")
        stand_in = FrankfurterStandIn()
        with (
            stand_in.serving(),
            LocalRunner(app, upstream=stand_in.url, pattern="ExchangeRates/Rates") as runner,
        ):
            started = time.perf_counter()
            outcome = runner.backfill(FROM, TO)
            elapsed = time.perf_counter() - started
            items = sorted(
                (i for i in runner.items() if i["pk"] == "rates/eur"), key=lambda i: i["sk"]
            )
    print(
        f"backfill {FROM} .. {TO}: {outcome.execution.status}, {len(outcome.runs)} runs "
        f"(at most 5 at once), {len(stand_in.requests)} requests, {len(items)} items, "
        f"{elapsed:.1f} s"
    )
    print(f"{'scheduled day':<15}{'rates of':<12}{'USD':>8}{'GBP':>8}{'JPY':>9}{'CHF':>8}")
    for item in items:
        print(
            f"{item['sk'][:10]:<15}{item['rateDate']:<12}{item['usd']:>8.4f}{item['gbp']:>8.4f}"
            f"{item['jpy']:>9.2f}{item['chf']:>8.4f}"
        )
    draw_chart(items, out)
    print(f"chart: {out}")
    return 0 if outcome.succeeded else 1


def draw_chart(items: list[dict[str, Any]], path: Path) -> None:
    """EUR→USD and EUR→GBP per scheduled day; a weekend's carried rate drawn hollow."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    days = [datetime.strptime(i["sk"][:10], "%Y-%m-%d") for i in items]
    carried = [i["rateDate"] != i["sk"][:10] for i in items]
    fig, left = plt.subplots(figsize=(10, 4.8), dpi=120)
    right = left.twinx()
    for axis, key, color, label in ((left, "usd", "#1f77b4", "EUR→USD"),
                                    (right, "gbp", "#2ca02c", "EUR→GBP")):  # fmt: skip
        values = [i[key] for i in items]
        axis.plot(days, values, color=color, linewidth=1.6, label=label)
        axis.scatter([d for d, c in zip(days, carried, strict=True) if not c],
                     [v for v, c in zip(values, carried, strict=True) if not c],
                     color=color, s=14, zorder=3)  # fmt: skip
        axis.scatter([d for d, c in zip(days, carried, strict=True) if c],
                     [v for v, c in zip(values, carried, strict=True) if c],
                     facecolors="white", edgecolors=color, s=18, zorder=3)  # fmt: skip
        axis.set_ylabel(label, color=color)
    left.set_title(
        "Euro exchange rates, November 2026: one backfill execution, a run a scheduled day\n"
        "local run of the synthesized state machines, offline Frankfurter-like stand-in "
        "(hollow: a weekend, the Friday's rates)",
        fontsize=10,
    )
    left.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
    left.set_xlabel("scheduled day (01:00 UTC)")
    left.grid(True, alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
