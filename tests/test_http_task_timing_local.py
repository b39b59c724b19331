"""Requests computed each run through the HTTP Task (issue 23), run locally: a window's bounds
as the third party receives them over two scheduled times, behind an OAuth client-credentials
connection; an incremental mark moving across runs; a path placeholder; a body placeholder; an
on-demand run overriding a query parameter. The synthesized definitions run unchanged on moto
(``http:invoke`` by ``local/_moto_http.py``, the connections by ``local/_connections.py``)."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers, running_upstream
from sfn_downloader.local import LocalRunner

from scenarios import OAUTH_TOKEN_ENDPOINT, build_timed_http

T0 = "2026-11-27T05:00:00Z"
T1 = "2026-11-27T06:00:00Z"
API_KEY = "local-api-key-5e1d"
CLIENT_SECRET = "local-client-secret-0b7a"
TOKEN = "local-access-token-93fe"
INITIAL = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    build_timed_http(cdk.Stack(app, "Timed"))
    return app


@pytest.fixture(scope="module")
def auth() -> Iterator[Upstream]:
    """The OAuth token endpoint's stand-in (another origin than the API's)."""
    with running_upstream() as server:
        yield server


@pytest.fixture(scope="module")
def upstream_routes(upstream: Upstream, auth: Upstream) -> dict[str, str]:
    origin = OAUTH_TOKEN_ENDPOINT.rsplit("/oauth/", 1)[0]
    apis = ("https://api.frankfurter.example", "https://api.example.com", "https://api.github.com")
    return {**{api: upstream.url for api in apis}, origin: auth.url}


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {
        "secrets": {"example/api-key": API_KEY, "example/oauth-client-secret": CLIENT_SECRET},
        "fast_retries": True,
    }


def token_endpoint(seen: Seen) -> Answer:
    """A client-credentials token endpoint: the client's id and secret as Basic, the grant in
    the form body (RFC 6749, 4.4)."""
    basic = base64.b64encode(f"downloader:{CLIENT_SECRET}".encode()).decode()
    form = parse_qs(seen.body.decode())
    if seen.headers.get("authorization") != f"Basic {basic}" or form != {
        "grant_type": ["client_credentials"]
    }:
        return Answer(401, {"error": "invalid_client"})
    return Answer(200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600})


def test_a_window_reaches_the_api_with_the_oauth_token_for_two_scheduled_times(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, auth: Upstream
) -> None:
    """The issue's example: an OAuth API with a time window, only reachable with the HTTP Task.
    Each run asks for the hour before its scheduled time (plus the 5-minute lookback)."""
    auth.respond(token_endpoint)

    def api(seen: Seen) -> Answer:
        if seen.headers.get("authorization") != f"Bearer {TOKEN}":
            return Answer(401, {"message": "no token"})
        return Answer(200, [{"from": seen.query["from"][0]}])

    upstream.respond(api)
    runner = open_runner("Timed/Events")

    first, second = runner.run(T0), runner.run(T1)

    assert (first.status, second.status) == ("SUCCEEDED", "SUCCEEDED"), (first.cause, second.cause)
    windows = [(s.path, s.query) for s in upstream.requests]
    assert windows == [
        ("/v2/events", {"from": ["2026-11-27T03:55:00Z"], "to": [T0], "lang": ["en"]}),
        ("/v2/events", {"from": ["2026-11-27T04:55:00Z"], "to": [T1], "lang": ["en"]}),
    ]
    # ':' is percent-encoded on the wire (QueryParameters are encoded by the task).
    assert "from=2026-11-27T03%3A55%3A00Z" in upstream.requests[0].raw_query
    # EventBridge fetched one token (client credentials) and sent it with every request.
    assert len(auth.requests) == 1 and auth.requests[0].path == "/oauth/token"
    assert [i["sk"] for i in sorted(answers(runner), key=lambda i: i["sk"])] == [T0, T1]


def test_consecutive_windows_cover_time_without_a_gap(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, auth: Upstream
) -> None:
    auth.respond(token_endpoint)
    upstream.script(default=Answer(200, []))
    runner = open_runner("Timed/Events")
    hours = [datetime(2026, 11, 28, h, tzinfo=UTC) for h in range(3)]
    for hour in hours:
        assert runner.run(hour).succeeded

    bounds = [
        tuple(datetime.fromisoformat(s.query[k][0]) for k in ("from", "to"))
        for s in upstream.requests
    ]
    assert [end for _, end in bounds] == hours
    for (_, end), (start, _) in itertools.pairwise(bounds):
        assert end - start == timedelta(minutes=5)  # each overlaps the last by the lookback


def issues(*updated: str) -> Answer:
    return Answer(200, [{"id": n, "updated_at": at} for n, at in enumerate(updated)])


def test_an_incremental_mark_moves_across_runs(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Run 1 asks from ``initial``; run 2 asks from the newest record run 1 stored, sent as
    the API wrote it (``+01:00`` survives the encoding of QueryParameters)."""
    runner = open_runner("Timed/Issues")
    upstream.script(issues("2026-02-01T00:00:00Z", "2026-03-01T11:30:00+01:00"))
    first = runner.run(T0)
    assert first.status == "SUCCEEDED", first.cause
    [seen] = upstream.requests
    assert seen.path == "/repos/aws/aws-cdk/issues"
    assert seen.query == {
        "state": ["all"], "sort": ["updated"], "direction": ["asc"], "since": [INITIAL],
    }  # fmt: skip
    assert seen.headers["x-api-key"] == API_KEY

    upstream.script(issues("2026-03-02T00:00:00Z"))
    second = runner.run(T1)
    assert second.status == "SUCCEEDED", second.cause
    [seen] = upstream.requests
    assert seen.query["since"] == ["2026-03-01T11:30:00+01:00"]
    assert "since=2026-03-01T11%3A30%3A00%2B01%3A00" in seen.raw_query
    [state] = [i for i in answers(runner) if i["sk"] == "#state"]
    assert (state["mark"], state["markSetBy"]) == ("2026-03-02T00:00:00Z", T1)
    stored = sorted(i["sk"] for i in answers(runner) if i["sk"] != "#state")
    assert stored == [f"{T0}#{first.name}", f"{T1}#{second.name}"]


def test_a_path_placeholder_is_filled_and_the_static_query_kept(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {"date": "2026-11-27", "rates": {"USD": 1.05}}))
    runner = open_runner("Timed/Rates")

    execution = runner.run("2026-11-27T01:00:00Z")

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert (seen.path, seen.query) == ("/v1/2026-11-27", {"base": ["EUR"]})
    assert [(i["sk"], i["usd"]) for i in answers(runner)] == [("2026-11-27T01:00:00Z", 1.05)]


def test_a_backfill_asks_for_each_past_day(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Backfill (a request that follows the scheduled time) over the HTTP Task: one request a
    day of the range, each stored under that day."""
    upstream.respond(
        lambda seen: Answer(200, {"date": seen.path.rsplit("/", 1)[1], "rates": {"USD": 1.0}})
    )
    runner = open_runner("Timed/Rates")

    backfill = runner.backfill("2026-11-01T01:00:00Z", "2026-11-04T00:00:00Z")

    assert backfill.execution.status == "SUCCEEDED", backfill.execution.cause
    assert sorted(s.path for s in upstream.requests) == [
        "/v1/2026-11-01", "/v1/2026-11-02", "/v1/2026-11-03",
    ]  # fmt: skip


def test_a_body_placeholder_is_filled(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, {"rows": 3}))
    runner = open_runner("Timed/Report")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert (seen.method, seen.path) == ("POST", "/v1/reports")
    assert seen.json() == {"day": "2026-11-27", "format": "json"}


def test_a_body_placeholder_stays_on_every_page_of_a_body_cursor(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """A computed body (no computed path or query) with a cursor in the body: the page loop
    carries the body in the state, so the HTTP Task pages too (``RequestBody.$``)."""

    def search(seen: Seen) -> Answer:
        body = seen.json()
        after = body.get("after")
        following = {None: "c1", "c1": "c2"}.get(after)
        return Answer(200, {"hits": [after or "first"], "next": following})

    upstream.respond(search)
    runner = open_runner("Timed/Search")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.json() for s in upstream.requests] == [
        {"day": "2026-11-27"}, {"day": "2026-11-27", "after": "c1"},
        {"day": "2026-11-27", "after": "c2"},
    ]  # fmt: skip
    assert len(answers(runner)) == 3


def test_an_on_demand_run_overrides_a_query_parameter(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """R23 lifted: the overridden query reaches the HTTP Task as QueryParameters."""
    upstream.script(default=Answer(200, []))
    runner = open_runner("Timed/Orders")

    scheduled = runner.run(T0)
    on_demand = runner.run(input={"scheduledTime": T1, "query": {"region": "10000043",
                                                                 "type": "x"}})  # fmt: skip

    assert (scheduled.status, on_demand.status) == ("SUCCEEDED", "SUCCEEDED"), on_demand.cause
    assert [(s.path, s.query) for s in upstream.requests] == [
        ("/v1/orders", {"region": ["10000002"], "type": ["all"]}),
        ("/v1/orders", {"region": ["10000043"], "type": ["all"]}),  # 'type' is not overridable
    ]
    assert sorted(i["sk"] for i in answers(runner)) == [
        f"{T0}#region=10000002", f"{T1}#region=10000043",
    ]  # fmt: skip
