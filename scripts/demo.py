"""``make demo``: an hour of EVE Online player counts, downloaded by the synthesized state machine.

Synthesizes the EVE example (examples/eve_player_count), starts a loopback stand-in for
esi.evetech.net, runs the downloader once per scheduled minute for a simulated hour on moto,
then reads what landed in the table back with ``sfn_downloader.read.DownloaderTable``: a
terminal table and a chart PNG. Then the composed downloaders (The Forge's market types, its
orders trimmed at the proxy, a few types' price history) run once, and the GitHub example
(examples/github_issues) reads the issues changed since its mark (each kept as a record; a
rate-limit 403 waited out; an ETag a page, so the fourth run, asking what the third asked, gets
304), four times, from a stand-in for api.github.com that pages with a ``Link`` header.

Then (``scripts/demo_graphql.py``) the same issues through GitHub's GraphQL API
(examples/github_graphql): ``POST /graphql`` pages, the cursor written into the body.

Offline by default. ``--live`` points the proxy at the real https://esi.evetech.net instead.
Then (``scripts/demo_rates.py``) November's exchange rates, backfilled by the exchange-rates
example's backfill state machine, drawn next to it (``exchange-rates.png``). Last
(``scripts/demo_oauth.py``), an OAuth2 API with a time window (examples/oauth_window): the HTTP
Task with an EventBridge OAuth connection, three hourly windows.
"""

from __future__ import annotations

import argparse
import email.utils
import hashlib
import importlib.util
import json
import math
import os
import random
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _stand_in import LoopbackStandIn, QuietHandler

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

ROOT = Path(__file__).resolve().parent.parent
EVE_APP = ROOT / "examples" / "eve_player_count" / "app.py"
GITHUB_APP = ROOT / "examples" / "github_issues" / "app.py"
GITHUB_API = "https://api.github.com"
GITHUB_TOKEN = "github_pat_local_demo"
"""The local value of the example's github/token secret: the stand-in checks it arrives."""
LIVE_ENDPOINT = "https://esi.evetech.net"
START = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)  # EU evening: the daily peak builds up
MINUTES = 60
MARKET_TYPES_PATH = "/v1/markets/10000002/types/"
MARKET_TYPE_PAGES = 3
MARKET_ORDERS_PATH = "/v1/markets/10000002/orders/"
MARKET_ORDER_PAGES = 3
ORDERS_A_PAGE = 1_000
MARKET_HISTORY_PATH = "/v1/markets/10000002/history/"


class EsiStandIn(LoopbackStandIn):
    """Answers ``GET /v2/status?datasource=tranquility`` like ESI: a slowly rising evening crowd.

    One request in the script is a transient 503 (the run retries it), and three minutes of
    outage (four 503s in a row) make one run fail, as the real API sometimes does.

    Like ESI it is a polite server: each answer has an ``ETag`` (a hash of the body) and a
    ``Cache-Control: max-age`` (here 2 minutes); a request whose ``If-None-Match`` is the
    current ETag gets ``304 Not Modified``; every fourth refresh finds the count unchanged.
    """

    def __init__(self, seed: int = 7) -> None:
        self._random = random.Random(seed)
        self._players = 31_200.0
        self._lock = threading.Lock()
        self._calls = 0
        self._failing_calls = {12} | {20, 21, 22, 23}
        self._last: dict[str, Any] | None = None
        self.status_requests = 0
        """Requests for /v2/status received (retries included)."""
        self.not_modified = 0
        """Of them, answered 304 Not Modified."""
        self.order_page_bytes: dict[int, int] = {}
        """Bytes of each order page served (the size before trimming)."""
        stand_in = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                extra: dict[str, str] = {}
                if self.path.startswith(MARKET_TYPES_PATH):
                    status, body, extra = stand_in.market_types(self.path)
                elif self.path.startswith(MARKET_ORDERS_PATH):
                    status, body, extra = stand_in.market_orders(self.path)
                elif self.path.startswith(MARKET_HISTORY_PATH):
                    status, body = stand_in.market_history(self.path)
                else:
                    status, body, extra = stand_in.answer(
                        self.path, self.headers.get("If-None-Match")
                    )
                payload = json.dumps(body).encode() if status != 304 else b""
                if self.path.startswith(MARKET_ORDERS_PATH):
                    stand_in.order_page_bytes[int(extra["X-Page"])] = len(payload)
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                if status != 304:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                    self.send_header("Content-Length", str(len(payload)))
                if "Cache-Control" not in extra:
                    self.send_header("Cache-Control", "public, max-age=30")
                    self.send_header(
                        "Expires", email.utils.formatdate(time.time() + 30, usegmt=True)
                    )
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def answer(
        self, path: str, if_none_match: str | None = None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The status code, JSON body and caching headers for one request."""
        if not path.startswith("/v2/status") or "datasource=tranquility" not in path:
            return 404, {"error": "Not found"}, {}
        with self._lock:
            self.status_requests += 1
            self._calls += 1
            if self._calls in self._failing_calls:
                error = {"error": "The datasource tranquility is temporarily unavailable"}
                return 503, error, {}
            if self._last is None or self._calls % 4:
                # A slow evening rise with a little noise.
                self._players += 55 + self._random.gauss(0, 140)
                players = int(self._players + 400 * math.sin(self._calls / 9))
                self._last = {
                    "players": players,
                    "server_version": "2989401",
                    "start_time": "2026-11-27T11:00:47Z",
                }
            body = self._last
            tag = '"' + hashlib.sha256(json.dumps(body).encode()).hexdigest()[:16] + '"'
            caching = {"ETag": tag, "Cache-Control": "public, max-age=120"}
            if if_none_match == tag:
                self.not_modified += 1
                return 304, {}, caching
        return 200, body, caching

    def market_types(self, path: str) -> tuple[int, Any, dict[str, str]]:
        """``GET /v1/markets/10000002/types/?page=N`` like ESI: 1,000 ascending type ids a page,
        ``X-Pages`` announcing the count (here 3 pages, the last one partial)."""
        query = parse_qs(urlsplit(path).query)
        page = int(query.get("page", ["1"])[0])
        ids = list(range(18 + (page - 1) * 1000 * 3, 18 + page * 1000 * 3, 3))
        if page == MARKET_TYPE_PAGES:
            ids = ids[:412]
        if page > MARKET_TYPE_PAGES:
            ids = []
        return 200, ids, {"X-Pages": str(MARKET_TYPE_PAGES)}

    def market_orders(self, path: str) -> tuple[int, Any, dict[str, str]]:
        """``GET /v1/markets/10000002/orders/?order_type=all&page=N`` like ESI: 1,000 orders a
        page with all 12 fields (about 270 KB, over 256 KiB), ``X-Pages`` announcing 3 pages."""
        query = parse_qs(urlsplit(path).query)
        page = int(query.get("page", ["1"])[0])
        if page > MARKET_ORDER_PAGES:
            return 404, {"error": "Requested page does not exist!"}, {"X-Page": str(page)}
        return 200, market_orders(page), {"X-Pages": str(MARKET_ORDER_PAGES), "X-Page": str(page)}

    def market_history(self, path: str) -> tuple[int, Any]:
        """``GET /v1/markets/10000002/history/?type_id=N`` like ESI: a year of daily prices."""
        type_id = int(parse_qs(urlsplit(path).query)["type_id"][0])
        days = [
            {
                "date": (START - timedelta(days=365 - day)).strftime("%Y-%m-%d"),
                "average": round(4.0 + type_id / 100 + 0.3 * math.sin(day / 9), 2),
                "volume": 1_000_000 + 1_000 * day,
                "order_count": 900 + day,
            }
            for day in range(365)
        ]
        return 200, days


def market_orders(page: int) -> list[dict[str, Any]]:
    """One page of The Forge's orders as ESI sends them (made up, the same for a page)."""
    rnd = random.Random(1_000 + page)
    stations = [60003760, 1028858195912, 60000361, 60008494]
    orders = []
    for n in range(ORDERS_A_PAGE):
        buy = rnd.random() < 0.4
        orders.append({
            "duration": rnd.choice([1, 3, 7, 14, 30, 90]),
            "is_buy_order": buy,
            "issued": f"2026-11-{rnd.randint(1, 27):02d}T{rnd.randint(0, 23):02d}:"
            f"{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}Z",
            "location_id": rnd.choice(stations),
            "min_volume": rnd.choice([1, 1, 1, 10]),
            "order_id": 6_700_000_000 + page * 10_000 + n,
            "price": round(rnd.lognormvariate(11, 3) * (0.9 if buy else 1.1), 2),
            "range": rnd.choice(["region", "station", "solarsystem", "1", "5", "40"]),
            "system_id": rnd.choice([30000142, 30000144, 30002187]),
            "type_id": rnd.randint(18, 60_000),
            "volume_remain": rnd.randint(1, 10_000_000),
            "volume_total": 10_000_000,
        })  # fmt: skip
    return orders


class GitHubStandIn(LoopbackStandIn):
    """Answers ``GET /repos/aws/aws-cdk/issues`` like api.github.com: 237 issues, 100 a page,
    only those updated at or after ``since``, next pages linked with ``Link: <...>;
    rel="next"`` under ``/repositories/4139637/issues`` (as GitHub's own links are, ``since``
    kept); 401 without the token the proxy must inject. ``touch`` updates issues.
    ``rate_limit_page``: that page answers once with GitHub's primary rate limit (``403``,
    ``x-ratelimit-remaining: 0``, the reset 2 s away)."""

    ISSUES = 237

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.updated = {n: f"2026-11-{1 + n % 27:02d}T10:00:00Z" for n in range(1, self.ISSUES + 1)}
        self.rate_limit_page: int | None = None
        self.statuses: list[int] = []
        stand_in = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                stand_in.requests.append(self.path)
                status, body, extra = stand_in.answer(self.path, self.headers.get("Authorization"))
                # GitHub's conditional requests: the page's ETag, a 304 (no body, no Link) when
                # If-None-Match names it.
                tag = '"' + hashlib.sha1(json.dumps([body, extra]).encode()).hexdigest() + '"'
                if status == 200 and self.headers.get("If-None-Match") == tag:
                    stand_in.statuses.append(304)
                    self.send_response(304)
                    self.send_header("ETag", tag)
                    self.end_headers()
                    return
                stand_in.statuses.append(status)
                extra = {**extra, "ETag": tag} if status == 200 else extra
                self.send_json(status, body, extra, "application/json; charset=utf-8")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def answer(self, path: str, authorization: str | None) -> tuple[int, Any, dict[str, str]]:
        """The status, JSON body and Link header of one page."""
        if authorization != f"Bearer {GITHUB_TOKEN}":
            return 401, {"message": "Requires authentication"}, {}
        parts = urlsplit(path)
        query = parse_qs(parts.query)
        page, per_page = int(query.get("page", ["1"])[0]), int(query["per_page"][0])
        if page == self.rate_limit_page:
            self.rate_limit_page = None
            reset = str(int(time.time()) + 2)
            limited = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
            return 403, {"message": "API rate limit exceeded for user ID 1."}, limited
        since = query.get("since", [""])[0]
        changed = sorted((at, n) for n, at in self.updated.items() if at >= since)
        last = max(1, -(-len(changed) // per_page))
        issues = [
            {"number": n, "title": f"Issue {n}", "state": "open" if n % 3 else "closed",
             "updated_at": at}
            for at, n in changed[(page - 1) * per_page : page * per_page]
        ]  # fmt: skip
        base = f"{GITHUB_API}/repositories/4139637/issues?state=all&sort=updated&direction=asc" + (
            f"&since={since}" if since else ""
        )
        links = [f'<{base}&per_page={per_page}&page={p}>; rel="{rel}"'
                 for p, rel in ((page + 1, "next"), (last, "last")) if page < last]  # fmt: skip
        if page > 1:
            links.append(f'<{base}&per_page={per_page}&page=1>; rel="first"')
        return 200, issues, {"Link": ", ".join(links)} if links else {}


def _synthesize(path: Path, name: str, outdir: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.build_app(outdir)
    app.synth()
    return app


def synthesize_eve(outdir: str) -> Any:
    """The EVE example app, synthesized into ``outdir``."""
    return _synthesize(EVE_APP, "eve_player_count_app", outdir)


def run_github_example() -> None:
    """The GitHub example against its stand-in: every page of the issues changed since the
    mark, two runs an hour apart (three issues updated in between)."""
    from sfn_downloader.local import LocalRunner

    with tempfile.TemporaryDirectory(prefix="github-cdk-out-") as outdir:
        app = _synthesize(GITHUB_APP, "github_issues_app", outdir)
        stand_in = GitHubStandIn()
        with (
            stand_in.serving(),
            LocalRunner(
                app, upstream={GITHUB_API: stand_in.url}, secrets={"github/token": GITHUB_TOKEN}
            ) as runner,
        ):
            print(
                "\nGitHub issues of aws/aws-cdk (Link pages, incremental since, records, rate "
                "limits waited, an ETag per page), four runs:"
            )
            # Run 2: 3 issues updated, #238 new. Runs 3 and 4: nothing changed; run 3 asks from
            # the new mark (a new URL), run 4 the same URL again: GitHub answers 304.
            for hour, touched in ((0, ()), (1, (5, 42, 199, 238)), (2, ()), (3, ())):
                for number in touched:
                    stand_in.updated[number] = "2026-11-27T18:30:00Z"  # between the runs
                stand_in.requests.clear()
                stand_in.statuses.clear()
                stand_in.rate_limit_page = 2 if hour == 0 else None
                began = time.monotonic()
                run = runner.run(START + timedelta(hours=hour))
                took = time.monotonic() - began
                items = [i for i in runner.items() if i["sk"] != "#state"
                         and i["sk"].startswith(run.scheduled_time)]  # fmt: skip
                [state] = [i for i in runner.items() if i["sk"] == "#state"]
                print(
                    f"  run {hour + 1}: {_status(run)} in {took:.1f} s, mark now "
                    f"since={state['mark']}"
                )
                said = {
                    403: "  -> 403 rate limit, waited until the reset",
                    304: "  -> 304 Not Modified (If-None-Match): nothing stored",
                }
                for path, status in zip(stand_in.requests, stand_in.statuses, strict=True):
                    print(f"    GET {path}{said.get(status, '')}")
                for item in sorted(items, key=lambda i: int(i["sk"].rsplit("#", 1)[1])):
                    issues = json.loads(item["issues"])
                    print(f"    page {item['sk'].rsplit('#', 1)[1]}: {len(issues):>3} issues")
                records = list(runner.table().records())
                print(f"    records: {len(records)} issues, one item each")
            for number in (5, 42, 199, 238):
                record = runner.table().record(number)
                assert record is not None
                print(f"    record #{number}: updated_at {record['updated_at']}")


def check_live() -> None:
    """Fail clearly, before any run, when the real API cannot be reached."""
    url = f"{LIVE_ENDPOINT}/v2/status?datasource=tranquility"
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            answer.read()
    except OSError as error:
        sys.exit(
            f"--live: cannot reach {url} ({error}).\n"
            "The live demo needs network access to esi.evetech.net; run without --live to use "
            "the offline stand-in."
        )


def print_table(rows: list[dict[str, Any]]) -> None:
    """One line per scheduled minute: players, server version, run status."""
    print(f"{'scheduled time':<22}{'players':>9}  {'server':<9} run")
    for row in rows:
        count = f"{row['count']:>9,}" if row.get("count") is not None else f"{'-':>9}"
        print(f"{row['sk']:<22}{count}  {row.get('serverVersion', '-'):<9} {row['status']}")


def draw_chart(rows: list[dict[str, Any]], path: Path, source: str) -> None:
    """Player count per scheduled minute; failed runs marked as gaps."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    def when(row: dict[str, Any]) -> datetime:
        return datetime.strptime(row["sk"], "%Y-%m-%dT%H:%M:%SZ")

    stored = [row for row in rows if row.get("count") is not None]
    failed = [row for row in rows if row["status"].startswith("FAILED")]
    # A run that stored nothing on purpose (fresh, 304) means "the same as the last item":
    # the chart carries the last count forward as a step; a failed run stays a gap.
    carried, last = [], math.nan
    for row in rows:
        last = row["count"] if row.get("count") is not None else last
        carried.append(math.nan if row in failed else last)
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=120)
    # NaN for a failed minute breaks the line there: no item, no interpolated value.
    ax.plot(
        [when(r) for r in rows], carried, drawstyle="steps-post",
        color="#1f77b4", linewidth=1.8, label="players online (last stored answer)",
    )  # fmt: skip
    ax.plot(
        [when(r) for r in stored], [r["count"] for r in stored], linestyle="none",
        color="#1f77b4", marker="o", markersize=3, label="item stored",
    )  # fmt: skip
    for index, row in enumerate(failed):
        ax.axvspan(
            when(row) - timedelta(seconds=30), when(row) + timedelta(seconds=30),
            color="#d62728", alpha=0.18, label="run failed (no item)" if index == 0 else None,
        )  # fmt: skip
    if stored:
        peak = max(stored, key=lambda r: r["count"])
        ax.annotate(
            f"peak {peak['count']:,}", (when(peak), peak["count"]),
            xytext=(-95, -3), textcoords="offset points", fontsize=9,
            arrowprops={"arrowstyle": "-", "color": "#555"},
        )  # fmt: skip
    ax.set_title(
        f"EVE Online (Tranquility) players online, one run a minute\n{source}", fontsize=11
    )
    ax.set_xlabel("scheduled time (UTC)")
    ax.set_ylabel("players")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def main() -> int:
    """Run the demo; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--live", action="store_true", help="call the real esi.evetech.net")
    parser.add_argument("--runs", type=int, default=MINUTES, help="scheduled minutes (60)")
    parser.add_argument("--out", type=Path, default=ROOT / "demo-output" / "player-count.png")
    args = parser.parse_args()

    from sfn_downloader.local import LocalRunner

    if args.live:
        check_live()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="eve-cdk-out-") as outdir:
        app = synthesize_eve(outdir)
        print(f"synthesized the EVE example in {time.perf_counter() - started:.1f} s")
        stand_in = EsiStandIn()
        with stand_in.serving():
            upstream = LIVE_ENDPOINT if args.live else stand_in.url
            # Retry waits are skipped (fast_retries) so an hour of minutes takes seconds;
            # every attempt still runs.
            with LocalRunner(
                app, upstream=upstream, pattern="EvePlayerCount/PlayerCount", fast_retries=True
            ) as runner:
                started = time.perf_counter()
                executions = [
                    runner.run(START + timedelta(minutes=minute)) for minute in range(args.runs)
                ]
                elapsed = time.perf_counter() - started
                # Read back as after a deploy: sfn_downloader.read's Queries, on the local table.
                hour = runner.table().between(START, START + timedelta(minutes=args.runs))
                items = {item["sk"]: item for item in hour}
            # The composed downloader: every page of The Forge's market types, once.
            with LocalRunner(
                app, upstream=upstream, pattern="EvePlayerCount/MarketTypes"
            ) as market:
                market_run = market.run(START)
                market_items = market.table().pages(START)  # the run's pages, in page order
            # The orders themselves, trimmed at the proxy: every page in full, and summarized.
            if not args.live:
                with LocalRunner(
                    app, upstream=upstream, pattern="EvePlayerCount/MarketOrders"
                ) as orders:
                    orders_run = orders.run(START)
                    order_items = orders.table(consistent_read=True).pages(START)
                with LocalRunner(
                    app, upstream=upstream, pattern="EvePlayerCount/MarketOrderSummary"
                ) as summary:
                    summary_run = summary.run(START)
                    summary_items = summary.table(consistent_read=True).pages(START)
            # Requests found in another answer: the type list, then a few types' history.
            with LocalRunner(
                app, upstream=upstream, pattern="EvePlayerCount/MarketHistory"
            ) as history:
                history_run = history.run(START)
                history_items = history.table(consistent_read=True).pages(START)
    rows = [
        {**items.get(e.scheduled_time, {}), "sk": e.scheduled_time, "status": _status(e)}
        for e in executions
    ]
    print_table(rows)
    ok = sum(e.succeeded for e in executions)
    outcomes = [(e.output or {}).get("outcome") for e in executions if e.succeeded]
    fresh, not_modified = outcomes.count("fresh"), outcomes.count("notModified")
    print(
        f"\n{ok}/{len(executions)} runs succeeded in {elapsed:.1f} s "
        f"({len(executions) / elapsed:.0f} runs/s); retries waited (skipped): "
        f"{sum(runner.retry_intervals):.1f} s"
    )
    print(
        f"polite (conditional, respect_expires): {ok - fresh - not_modified} items stored; "
        f"{fresh} runs still fresh made no request, {not_modified} got 304 Not Modified: "
        f"{fresh} requests and {fresh + not_modified} writes saved "
        f"({stand_in.status_requests} requests reached the stand-in, retries included)"
    )
    print(
        f"\nmarket types of The Forge, one run at {market_run.scheduled_time}: "
        f"{_status(market_run)}"
    )
    for item in market_items:
        print(
            f"  page {_page(item)}/{item['pages']}: {item['typeCount']:>5} types, "
            f"ids {item['firstTypeId']}..{json.loads(item['lastTypeId'])[0]}"
        )
    if not args.live:
        print_orders(stand_in.order_page_bytes, orders_run, order_items, summary_run, summary_items)
    print(
        f"\nprice history of {len(history_items)} of those types, one run: {_status(history_run)}"
    )
    for item in history_items:
        [latest] = json.loads(item["latest"])
        print(
            f"  type {item['sk'].rsplit('=', 1)[1]:>5}: {item['days']} days, "
            f"{latest['date']} average {latest['average']}"
        )
    source = "live esi.evetech.net" if args.live else "offline stand-in for esi.evetech.net"
    draw_chart(
        rows, args.out,
        f"local run of the synthesized state machine, {source}; read with DownloaderTable",
    )  # fmt: skip
    print(f"chart: {args.out}")
    if not args.live:
        run_github_example()
        # POST: the same issues through GitHub's GraphQL API, the cursor in the body.
        import demo_graphql

        if demo_graphql.run() != 0:
            return 1
        # Downloads that follow time: November's exchange rates, backfilled (offline stand-in).
        import demo_rates

        if demo_rates.run(args.out.with_name("exchange-rates.png")) != 0:
            return 1
        # The HTTP Task with an OAuth2 connection, a window computed each run.
        import demo_oauth

        return demo_oauth.run()
    return 0


def print_orders(
    served: dict[int, int],
    orders_run: Any,
    order_items: list[dict[str, Any]],
    summary_run: Any,
    summary_items: list[dict[str, Any]],
) -> None:
    """Each order page: bytes served, bytes stored after trimming; then each page's summary."""
    print(
        f"\nmarket orders of The Forge, trimmed at the proxy (Trim.fields), one run at "
        f"{orders_run.scheduled_time}: {_status(orders_run)}"
    )
    for item in sorted(order_items, key=lambda i: _page(i)):
        page = _page(item)
        stored = len(item["orders"].encode())
        before = served.get(page, 0)
        print(
            f"  page {page}: {len(json.loads(item['orders'])):,} orders, {before:,} bytes from "
            f"ESI (over 256 KiB: {before > 256 * 1024}) -> {stored:,} bytes stored "
            f"({stored / before:.0%})"
            if before
            else f"  page {page}: {stored:,} bytes stored"
        )
    print(
        f"market order summary (Trim.template), one run at {summary_run.scheduled_time}: "
        f"{_status(summary_run)}"
    )
    for item in sorted(summary_items, key=lambda i: _page(i)):
        print(
            f"  page {_page(item)}: {item['orderCount']:,} orders, lowest sell "
            f"{json.loads(item['minSellPrice']):,.2f} ISK, highest buy "
            f"{json.loads(item['maxBuyPrice']):,.2f} ISK"
        )


def _page(item: Any) -> int:
    """A page's number: the last part of its key (``<t>#<delivery>#<page>``)."""
    return int(str(item["sk"]).rsplit("#", 1)[1])


def _status(execution: Any) -> str:
    if execution.succeeded:
        outcome = (execution.output or {}).get("outcome")
        return f"SUCCEEDED ({outcome}: no item)" if outcome else "SUCCEEDED"
    return f"FAILED {execution.error}"


if __name__ == "__main__":
    sys.exit(main())
