"""The article's example: store EVE Online's player count every minute, and, composed with it,
a paginated downloader of The Forge's market listing and a daily download of the price history
of a few of its item types, all sharing the same table.

``python app.py`` writes ``cdk.out``; ``npx cdk synth`` (aws-cdk CLI) works too.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from sfn_downloader import (
    Concurrency,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
)

THE_FORGE = 10000002
"""The region of Jita, EVE's busiest market."""
HISTORY_TYPES = 5
"""How many of The Forge's item types get their price history downloaded each day."""


def player_count(
    scope: Construct,
    construct_id: str = "PlayerCount",
    *,
    downloader_id: str = "eve/player-count",
) -> DownloaderPattern:
    """The article's downloader: GET https://esi.evetech.net/v2/status every minute."""
    return DownloaderPattern(
        scope,
        construct_id,
        endpoint="https://esi.evetech.net",
        path="/v2/status?datasource=tranquility",
        result_selector={
            "players.$": "$.ResponseBody.players",
            "serverVersion.$": "$.ResponseBody.server_version",
            "date.$": "$.Headers.Date[0]",
        },
        item={
            "count": ItemField.number("$.players"),
            "serverVersion": ItemField.string("$.serverVersion"),
            "responseDate": ItemField.string("$.date"),
        },
        headers={"Accept": "application/json"},
        downloader_id=downloader_id,
    )


class EvePlayerCountStack(cdk.Stack):
    """Two downloaders sharing one table.

    * ``PlayerCount``: GET https://esi.evetech.net/v2/status every minute; players and version.
    * ``MarketTypes``: every page of The Forge's traded item types (ESI's ``X-Pages``), a small
      summary per page.
    * ``MarketHistory``: once a day, the price history of the first ``HISTORY_TYPES`` of those
      types: the type list is read first (``FanOut.from_answer``), then each type's history.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.player_count = player_count(self)
        # Why the type list and not the orders themselves (/v1/markets/{region}/orders/):
        # Step Functions refuses a task result over 256 KiB (States.DataLimitExceeded), and it
        # checks the whole answer before result_selector trims it. ESI pages orders 1,000 at a
        # time and cannot be asked for fewer; a full page of The Forge's orders is about 300 KB,
        # so every full page would fail the run however small the selected summary. The types
        # endpoint paginates the same way (X-Pages, ?page=N) but a page is 1,000 integers, about
        # 8 KB. Orders need a Lambda, or a Distributed Map writing raw pages to S3.
        self.market_types = DownloaderPattern(
            self,
            "MarketTypes",
            endpoint="https://esi.evetech.net",
            path=f"/v1/markets/{THE_FORGE}/types/?datasource=tranquility",
            pagination=Pagination.page_count(header="X-Pages", param="page", max_pages=50),
            concurrency=Concurrency.inline(4),
            # Per page, what ASL JSONPath can compute without a Lambda: how many types, the
            # first and last id (ESI lists them ascending), and the page count announced.
            result_selector={
                "count.$": "States.ArrayLength($.ResponseBody)",
                "firstTypeId.$": "$.ResponseBody[0]",
                "lastTypeId.$": "$.ResponseBody[-1:]",
                "pages.$": "$.Headers['X-Pages'][0]",
            },
            item={
                "typeCount": ItemField.number("$.count"),
                "firstTypeId": ItemField.number("$.firstTypeId"),
                "lastTypeId": ItemField.json("$.lastTypeId"),
                "pages": ItemField.number("$.pages"),
            },
            headers={"Accept": "application/json"},
            table=self.player_count.table,
            downloader_id="eve/market-types/the-forge",
        )
        # Requests found in another answer: list the traded types (every X-Pages page, read
        # until enough ids are found), then GET each type's daily history (about 400 days,
        # ~40 KB). ESI's history changes once a day; max_items caps the fan-out on purpose.
        self.market_history = DownloaderPattern(
            self,
            "MarketHistory",
            endpoint="https://esi.evetech.net",
            fan_out=FanOut.from_answer(
                path=f"/v1/markets/{THE_FORGE}/types/?datasource=tranquility",
                items="$.ResponseBody",
                each=f"/v1/markets/{THE_FORGE}/history/?datasource=tranquility&type_id={{item}}",
                max_items=HISTORY_TYPES,
                pages=Pagination.page_count(header="X-Pages", param="page", max_pages=50),
            ),
            concurrency=Concurrency.inline(HISTORY_TYPES),
            # The last day of each history, and how many days ESI keeps.
            result_selector={
                "days.$": "States.ArrayLength($.ResponseBody)",
                "latest.$": "$.ResponseBody[-1:]",
            },
            item={"days": ItemField.number("$.days"), "latest": ItemField.json("$.latest")},
            headers={"Accept": "application/json"},
            starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.days(1))),
            table=self.player_count.table,
            downloader_id="eve/market-history/the-forge",
        )


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    EvePlayerCountStack(app, "EvePlayerCount")
    return app


if __name__ == "__main__":
    build_app().synth()
