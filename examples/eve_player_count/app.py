"""The article's example: store EVE Online's player count every minute, and, composed with it,
a paginated downloader of The Forge's market listing sharing the same table.

``python app.py`` writes ``cdk.out``; ``npx cdk synth`` (aws-cdk CLI) works too.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from sfn_downloader import Concurrency, DownloaderPattern, ItemField, Pagination

THE_FORGE = 10000002
"""The region of Jita, EVE's busiest market."""


def player_count(
    scope: Construct,
    construct_id: str = "PlayerCount",
    *,
    downloader_id: str = "eve/player-count",
    dashboard: cloudwatch.Dashboard | None = None,
) -> DownloaderPattern:
    """The article's downloader: GET https://esi.evetech.net/v2/status every minute; its
    widgets go on ``dashboard`` when given."""
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
        dashboard=dashboard,
    )


class EvePlayerCountStack(cdk.Stack):
    """Two downloaders sharing one table.

    * ``PlayerCount``: GET https://esi.evetech.net/v2/status every minute; players and version.
    * ``MarketTypes``: every page of The Forge's traded item types (ESI's ``X-Pages``), a small
      summary per page.

    Both are watched on one CloudWatch dashboard; the table's name is a stack output
    (``PlayerCountTable``), for ``sfn_downloader.read`` after deploy.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard")
        self.player_count = player_count(self, dashboard=self.dashboard)
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
            dashboard=self.dashboard,
        )
        # The library adds no outputs; the example does, to read the items back after deploy:
        # python -m sfn_downloader.read <PlayerCountTable> --downloader-id eve/player-count ...
        cdk.CfnOutput(
            self, "PlayerCountTable", value=self.player_count.table.table_name,
            description="The table of both downloaders (sfn_downloader.read.DownloaderTable).",
        )  # fmt: skip


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    EvePlayerCountStack(app, "EvePlayerCount")
    return app


if __name__ == "__main__":
    build_app().synth()
