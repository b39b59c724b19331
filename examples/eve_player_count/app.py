"""The article's example: store EVE Online's player count every minute, and, composed with it,
paginated downloaders of The Forge's market sharing the same table: the traded types, the
orders themselves, trimmed at the proxy (pages of about 300 KB, over Step Functions' 256 KiB),
and a daily download of the price history of a few of its item types.

``python app.py`` writes ``cdk.out``; ``npx cdk synth`` (aws-cdk CLI) works too.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_sns as sns
from constructs import Construct

from sfn_downloader import (
    Concurrency,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
    Trim,
)

THE_FORGE = 10000002
"""The region of Jita, EVE's busiest market."""
ORDER_FIELDS = ("type_id", "price", "volume_remain", "is_buy_order", "location_id")
"""What MarketOrders keeps of each order (ESI sends 12 fields)."""
ORDERS_PATH = f"/v1/markets/{THE_FORGE}/orders/?datasource=tranquility&order_type=all"
ORDER_SUMMARY_TEMPLATE = """\
## One page of orders -> {"count", "minSell", "maxBuy"}, computed by API Gateway.
#set($orders = $input.path('$'))
#set($minSell = $null)
#set($maxBuy = $null)
#foreach($order in $orders)
#if($order.is_buy_order)
#if($maxBuy == $null)#set($maxBuy = $order.price)\
#elseif($order.price > $maxBuy)#set($maxBuy = $order.price)#end
#else
#if($minSell == $null)#set($minSell = $order.price)\
#elseif($order.price < $minSell)#set($minSell = $order.price)#end
#end
#end
{"count": $orders.size(), "minSell": #if($minSell == $null)null#else$minSell#end, \
"maxBuy": #if($maxBuy == $null)null#else$maxBuy#end}
"""
"""Trim.template: per page, how many orders, the lowest sell price, the highest buy price."""
HISTORY_TYPES = 5
"""How many of The Forge's item types get their price history downloaded each day."""


def player_count(
    scope: Construct,
    construct_id: str = "PlayerCount",
    *,
    downloader_id: str = "eve/player-count",
    dashboard: cloudwatch.Dashboard | None = None,
    polite: bool = True,
    encryption_key: kms.IKey | None = None,
    alarm_topic: sns.ITopic | None = None,
) -> DownloaderPattern:
    """The article's downloader: GET https://esi.evetech.net/v2/status every minute, politely
    (ETag and Expires honoured); its widgets go on ``dashboard`` when given. ``polite=False``
    is the article's downloader as it was, which ``benchmarks/handwritten_app.py`` writes by
    hand."""
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
        encryption_key=encryption_key,
        alarm_topic=alarm_topic,
        # ESI asks clients to send the ETag back (If-None-Match: a 304 stores nothing) and to
        # respect Expires (a run while the last answer is fresh makes no request at all).
        conditional=polite,
        respect_expires=polite,
    )


class EvePlayerCountStack(cdk.Stack):
    """Four downloaders sharing one table.

    * ``PlayerCount``: GET https://esi.evetech.net/v2/status every minute; players and version.
    * ``MarketTypes``: every page of The Forge's traded item types (ESI's ``X-Pages``), a small
      summary per page.
    * ``MarketHistory``: once a day, the price history of the first ``HISTORY_TYPES`` of those
      types: the type list is read first (``FanOut.from_answer``), then each type's history.
    * ``MarketOrders``: every page of The Forge's orders, hourly, each order trimmed at the
      proxy to five fields (``Trim.fields``).
    * ``MarketOrderSummary``: the same pages, each summarized by API Gateway
      (``Trim.template``): order count, lowest sell price, highest buy price.

    Both are watched on one CloudWatch dashboard; the table's name is a stack output
    (``PlayerCountTable``), for ``sfn_downloader.read`` after deploy.
    """

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.dashboard = cloudwatch.Dashboard(self, "Dashboard")
        # One customer-managed key for everything that holds data (the table, the log groups,
        # the dead-letter queues, the alarm topic), and one topic every alarm notifies:
        # subscribe to it (e-mail, chat) after deploy.
        self.key = kms.Key(
            self,
            "Key",
            enable_key_rotation=True,
            description="EVE downloaders: table, logs, queues, alarm topic",
        )
        self.alarms = sns.Topic(self, "Alarms", enforce_ssl=True, master_key=self.key)
        shared = {"encryption_key": self.key, "alarm_topic": self.alarms}
        self.player_count = player_count(self, dashboard=self.dashboard, **shared)
        # The types endpoint pages like the orders (X-Pages, ?page=N), 1,000 integers a page
        # (about 8 KB): its summary fits ASL alone. Orders follow, trimmed at the proxy.
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
            **shared,
            downloader_id="eve/market-types/the-forge",
            dashboard=self.dashboard,
        )
        # The library adds no outputs; the example does, to read the items back after deploy:
        # python -m sfn_downloader.read <PlayerCountTable> --downloader-id eve/player-count ...
        cdk.CfnOutput(
            self, "PlayerCountTable", value=self.player_count.table.table_name,
            description="The table of both downloaders (sfn_downloader.read.DownloaderTable).",
        )  # fmt: skip
        # A full page of orders is about 300 KB: Step Functions refuses a task result over
        # 256 KiB before result_selector runs (States.DataLimitExceeded). Trimmed at the proxy,
        # an order is about 105 bytes, a page about 105 KB (docs/features/trim.md).
        hourly = scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))
        self.market_orders = DownloaderPattern(
            self,
            "MarketOrders",
            endpoint="https://esi.evetech.net",
            path=ORDERS_PATH,
            pagination=Pagination.page_count(header="X-Pages", max_pages=1_000),
            concurrency=Concurrency.inline(10),
            trim=Trim.fields(*ORDER_FIELDS),
            item={"orders": ItemField.json("$.ResponseBody")},
            headers={"Accept": "application/json"},
            starts=Starts.scheduled(hourly),
            table=self.player_count.table,
            **shared,
            downloader_id="eve/market-orders/the-forge",
        )
        self.market_order_summary = DownloaderPattern(
            self,
            "MarketOrderSummary",
            endpoint="https://esi.evetech.net",
            path=ORDERS_PATH,
            pagination=Pagination.page_count(header="X-Pages", max_pages=1_000),
            concurrency=Concurrency.inline(10),
            trim=Trim.template(ORDER_SUMMARY_TEMPLATE),
            item={
                "orderCount": ItemField.number("$.ResponseBody.count"),
                "minSellPrice": ItemField.json("$.ResponseBody.minSell"),
                "maxBuyPrice": ItemField.json("$.ResponseBody.maxBuy"),
                "pages": ItemField.string("$.Headers['X-Pages'][0]"),
            },
            headers={"Accept": "application/json"},
            starts=Starts.scheduled(hourly),
            table=self.player_count.table,
            **shared,
            downloader_id="eve/market-order-summary/the-forge",
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
            **shared,
            downloader_id="eve/market-history/the-forge",
        )


def build_app(outdir: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    EvePlayerCountStack(app, "EvePlayerCount")
    return app


if __name__ == "__main__":
    build_app().synth()
