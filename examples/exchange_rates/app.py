"""The day's exchange rates: one date's euro rates every day at 01:00 UTC, from a
Frankfurter-like API (``GET /v1/2026-11-27?base=EUR``), and a backfill for past days.

The request follows the run's scheduled time (``{scheduled_time:date}``), so the backfill state
machine can run the same download for every day of November and store each under the key the
schedule would have used. ``python app.py`` writes ``cdk.out``; ``make demo`` runs it locally
against a stand-in and draws November.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from sfn_downloader import Concurrency, DownloaderPattern, ItemField, Starts

ENDPOINT = "https://api.frankfurter.example"
CURRENCIES = ("USD", "GBP", "JPY", "CHF")


def exchange_rates(
    scope: Construct, construct_id: str = "Rates", *, downloader_id: str = "rates/eur"
) -> DownloaderPattern:
    """Every day at 01:00 UTC, the euro's rates of that date; ``backfill=True``."""
    return DownloaderPattern(
        scope,
        construct_id,
        endpoint=ENDPOINT,
        path="/v1/{scheduled_time:date}?base=EUR&symbols=" + ",".join(CURRENCIES),
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(hour="1", minute="0")),
        # The API answers a weekend or holiday with the last working day's rates, and says
        # which day they are: keep that date next to the scheduled one (the sort key).
        result_selector={"date.$": "$.ResponseBody.date", "rates.$": "$.ResponseBody.rates"},
        item={
            "rateDate": ItemField.string("$.date"),
            **{code.lower(): ItemField.number(f"$.rates.{code}") for code in CURRENCIES},
        },
        backfill=True,
        # The backfill runs at most 5 days at once: polite to a free API.
        concurrency=Concurrency.inline(5),
        downloader_id=downloader_id,
    )


class ExchangeRatesStack(cdk.Stack):
    """One daily downloader with its backfill state machine."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.rates = exchange_rates(self)


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    ExchangeRatesStack(app, "ExchangeRates")
    return app


if __name__ == "__main__":
    build_app().synth()
