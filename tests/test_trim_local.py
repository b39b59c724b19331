"""trim, locally: the synthesized non-proxy integration and its mapping templates, end to end.

A full page of The Forge's orders (1,000 orders, about 275 KB) fails untrimmed; trimmed at the
proxy it is stored, and every kept field is the stand-in's own, value for value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers, market_orders
from sfn_downloader import DownloaderPattern, ItemField, Trim
from sfn_downloader.local import LocalRunner
from sfn_downloader.local.errors import LocalRunnerError

from scenarios import ORDER_FIELDS, build_pages, build_trimmed

T0 = "2026-11-27T05:30:00Z"
TOKEN = "local-token"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    build_trimmed(cdk.Stack(app, "Trimmed"))
    build_pages(cdk.Stack(app, "Untrimmed"))
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"example/api-token": TOKEN}}


def order_pages(pages: int, header: str = "X-Pages") -> Callable[[Seen], Answer]:
    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        return Answer(200, market_orders(page), headers={header: str(pages), "ETag": f'"{page}"'})

    return answer


def trimmed(orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{name: order[name] for name in ORDER_FIELDS} for order in orders]


def test_an_untrimmed_full_page_fails_with_data_limit_exceeded(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(order_pages(1))
    assert len(json.dumps(market_orders(1))) > 256 * 1024
    execution = open_runner("Untrimmed/Orders").run(T0)
    assert (execution.status, execution.error) == ("FAILED", "States.DataLimitExceeded")


@pytest.mark.parametrize("header", ["X-Pages", "x-pages"])
def test_trimmed_pages_are_stored_with_every_field_exact(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, header: str
) -> None:
    """``x-pages`` too (an HTTP/2 server's spelling): the proxy maps the header the downloader
    reads by its lower-case name as well (API Gateway maps names case-sensitively)."""
    upstream.respond(order_pages(3, header))
    runner = open_runner("Trimmed/JitaOrders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    items = {int(i["sk"].split("#")[1]): i for i in answers(runner) if "JitaOrders" in i["pk"]}
    assert sorted(items) == [1, 2, 3]
    for page, item in items.items():
        stored = json.loads(item["orders"])
        expected = trimmed(market_orders(page))
        assert len(stored) == len(expected) == 1_000
        for got, want in zip(stored, expected, strict=True):  # field by field, type and value
            assert list(got) == list(ORDER_FIELDS)
            for name in ORDER_FIELDS:
                assert type(got[name]) is type(want[name]) and got[name] == want[name], name
        assert len(item["orders"].encode()) < 256 * 1024
    assert sorted(s.query["page"][0] for s in upstream.requests) == ["1", "2", "3"]
    assert all(s.query["order_type"] == ["all"] for s in upstream.requests)


def test_requests_carry_the_query_headers_and_credential_by_name(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(
        lambda seen: Answer(
            200, [{"id": 1, "extra": "dropped"}],
            headers={"ETag": '"v7"', "X-Pages": "4", "X-Request-Id": "r-1", "X-Other": "x"},
        )
    )  # fmt: skip
    runner = open_runner("Trimmed/Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert seen.path == "/v1/orders"
    assert seen.query == {"type": ["sell", "buy"], "region": ["10000002"]}
    assert seen.headers["authorization"] == TOKEN
    assert seen.headers["accept"] == "application/json"
    assert seen.headers["user-agent"] == "sfn-downloader-test"
    assert "mycustomauth" not in seen.headers  # mapped onto Authorization only
    [item] = [i for i in answers(runner) if i["pk"].endswith("/Orders")]
    assert (item["etag"], item["pages"], item["requestId"]) == ('"v7"', "4", "r-1")
    assert item["status"] == 200
    assert json.loads(item["orders"]) == [{"id": 1}]


@pytest.mark.parametrize("status", [304, 404, 429, 500, 503])
def test_failures_keep_their_exact_status(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, status: int
) -> None:
    body: Any = b"" if status == 304 else {"error": f"status {status}"}
    upstream.respond(lambda seen: Answer(status, body))
    runner = open_runner("Trimmed/Orders", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", f"ApiGateway.{status}")
    if status != 304:
        assert json.loads(execution.cause or "") == {"error": f"status {status}"}
    retried = status in (429, 500, 503)
    assert len(upstream.requests) == (4 if retried else 1)


@pytest.mark.parametrize("status", [209, 250, 299])
def test_an_unlisted_success_status_fails_and_names_it(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, status: int
) -> None:
    """The 90 unregistered 2xx share one integration response (one regex): each is a 502."""
    upstream.respond(lambda seen: Answer(status, [{"id": 1}]))
    execution = open_runner("Trimmed/Orders", fast_retries=True).run(T0)
    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.502")
    assert "unregistered 2xx" in (execution.cause or "")


NAUGHTY = [
    {
        "id": 12345678901234567890,
        "name": "quotes \" and ' and \\ backslash \\' \\\" \u00e9\u65e5\U0001f600 \u2028 </script>",
        "price": 0.1,
        "note": "control \b\f\n\r\t\x00\x1f\x7f end",
        "nested": {"a": [1, 2.5, None, True, {"b": "c'd"}], "e": {}},
        "big": -9007199254740993,
        "ratio": 1.5e-300,
        "missing": None,
        "dropped": "x",
    },
    {"id": -0.0, "name": "", "price": 1e21, "note": "$input.json('$') #if( ## not VTL"},
    {"id": 0, "nested": [], "name": "${x} $!y #set($a = 1)"},
]


def test_values_that_break_naive_templates_round_trip_exactly(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, NAUGHTY, headers={"ETag": "e", "X-Pages": "1",
                                                                 "X-Request-Id": "r"}))  # fmt: skip
    runner = open_runner("Trimmed/Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [item] = [i for i in answers(runner) if i["pk"].endswith("/Orders")]
    expected = [{k: v for k, v in o.items() if k != "dropped"} for o in NAUGHTY]
    assert json.loads(item["orders"]) == expected
    stored = json.loads(item["orders"])
    assert isinstance(stored[0]["id"], int) and isinstance(stored[0]["price"], float)
    assert "missing" in stored[0] and stored[0]["missing"] is None  # null kept; absent stays absent
    assert "missing" not in stored[1]


def test_a_cursor_next_to_the_trimmed_list_is_kept(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    chain = {None: "c2", "c2": "c'3", "c'3": None}

    def answer(seen: Seen) -> Answer:
        cursor = seen.query.get("cursor", [None])[0]
        data = [{"id": f"{cursor}-{n}", "blob": "x" * 50} for n in range(3)]
        return Answer(200, {"data": data, "next": chain[cursor], "count": 3})

    upstream.respond(answer)
    runner = open_runner("Trimmed/Feed")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.query.get("cursor") for s in upstream.requests] == [None, ["c2"], ["c'3"]]
    entries = [json.loads(i["entries"]) for i in answers(runner) if i["pk"].endswith("/Feed")]
    assert entries[1] == [{"id": "c2-0"}, {"id": "c2-1"}, {"id": "c2-2"}]


def test_a_template_summarizes_each_page(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(order_pages(2))
    runner = open_runner("Trimmed/OrderSummary")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    items = sorted(
        (i for i in answers(runner) if i["pk"].endswith("/OrderSummary")), key=lambda i: i["sk"]
    )
    for page, item in enumerate(items, start=1):
        orders = market_orders(page)
        assert item["count"] == len(orders)
        assert json.loads(item["minSell"]) == min(
            o["price"] for o in orders if not o["is_buy_order"]
        )
        assert json.loads(item["maxBuy"]) == max(o["price"] for o in orders if o["is_buy_order"])


def test_more_than_1000_objects_fail_as_api_gateway_limits_foreach(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, market_orders(1, 1_001), headers={"X-Pages": "1"}))
    execution = open_runner("Trimmed/JitaOrders", fast_retries=True).run(T0)
    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.500")
    assert "#foreach over 1,001 items" in (execution.cause or "")


def test_header_names_are_matched_case_sensitively(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """API Gateway's important notes: header names are processed case-sensitively, so the
    proxy forwards the spellings it maps (X-Pages, as read, and x-pages), not a third one."""
    upstream.respond(lambda seen: Answer(200, market_orders(1, 3), headers={"X-PAGES": "1"}))
    execution = open_runner("Trimmed/JitaOrders").run(T0)
    assert execution.status == "FAILED"
    assert "X-Pages" in (execution.cause or "")


def test_vtl_the_local_runner_cannot_render_fails_before_the_run() -> None:
    stack = cdk.Stack(cdk.App(), "Unsupported")
    DownloaderPattern(
        stack, "P", endpoint="https://api.example.com", path="/v1/x",
        item={"v": ItemField.json("$.ResponseBody")},
        trim=Trim.template("#foreach($x in $input.path('$'))#break#end[]"),
    )  # fmt: skip
    with pytest.raises(LocalRunnerError, match=r"#break is not emulated"):
        LocalRunner(stack, upstream="http://127.0.0.1:9")
