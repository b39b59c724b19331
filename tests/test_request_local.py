"""End-to-end, locally: POST requests with a JSON body, on both transports.

The stand-in is shaped like GitHub's GraphQL API: it answers ``POST /graphql`` only, checks
the query and the variables it receives, pages a repository's issues by the ``after`` variable,
and answers the last page with a non-null ``endCursor`` and ``hasNextPage: false`` (as GitHub
does). It answers GraphQL errors with HTTP 200, as GraphQL servers do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Run, Seen, Upstream

from scenarios import EXAMPLE_API, GRAPHQL_QUERY, build_graphql

TRANSPORTS = ("Proxy", "Http")
CURSORS = ["Y3Vyc29yOnYyOpHOAAAAAg==", "Y3Vyc29yOnYyOpHOAAAABA==", "Y3Vyc29yOnYyOpHOAAAABQ=="]
"""GitHub's endCursor after pages 1, 2 and 3 (the last one is not null)."""
ISSUES = [{"number": n, "title": f"Issue {n}", "updatedAt": f"2026-11-0{n}T00:00:00Z"}
          for n in range(1, 6)]  # fmt: skip
"""Five issues, two a page: pages of 2, 2 and 1."""


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """The POST downloaders on the proxy and on the HTTP Task, synthesized once."""
    app = cdk.App()
    build_graphql(cdk.Stack(app, "Proxy"))
    build_graphql(cdk.Stack(app, "Http"), http_task=True)
    return app


@pytest.fixture(scope="module")
def upstream_routes(upstream: Upstream) -> dict[str, str]:
    return {EXAMPLE_API: upstream.url}


def graphql(seen: Seen, *, errors_on: int | None = None, no_cursor_on: int | None = None) -> Answer:
    """GitHub's GraphQL endpoint for ``repository.issues``: refuses what GitHub refuses."""
    if seen.method != "POST" or seen.path != "/graphql":
        return Answer(404, {"message": "Not Found"})
    if not seen.headers.get("content-type", "").startswith("application/json"):
        return Answer(400, {"message": "Body should be a JSON object"})
    request = seen.json()
    variables = request.get("variables", {})
    if request.get("query") != GRAPHQL_QUERY or {k: variables.get(k) for k in
                                                 ("owner", "name", "first")} != {
        "owner": "aws", "name": "cdk", "first": 2
    }:  # fmt: skip
        return Answer(200, {"errors": [{"message": f"unexpected request {request!r}"}]})
    after = variables.get("after")
    page = 1 if after is None else CURSORS.index(after) + 2
    if page == errors_on:
        limited = {"type": "RATE_LIMITED", "message": "API rate limit exceeded for user ID 1."}
        return Answer(200, {"data": None, "errors": [limited]})
    nodes = ISSUES[2 * (page - 1) : 2 * page]
    more = page < 3
    cursor = None if page == no_cursor_on else CURSORS[page - 1]
    return Answer(200, {"data": {"repository": {"issues": {
        "nodes": nodes, "pageInfo": {"endCursor": cursor, "hasNextPage": more}}}}})  # fmt: skip


def bodies(upstream: Upstream) -> list[dict[str, Any]]:
    return [seen.json() for seen in upstream.requests]


def pages_of(run: Run, attribute: str) -> list[tuple[int, Any]]:
    pages = [(int(i["sk"].rsplit("#", 1)[1]), json.loads(i[attribute])) for i in run.items()]
    return sorted(pages)


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_graphql_cursor_in_the_body_pages_until_has_next_page_is_false(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(graphql)
    run = open_run(transport, "Issues")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    variables = {"owner": "aws", "name": "cdk", "first": 2}
    assert bodies(upstream) == [
        {"query": GRAPHQL_QUERY, "variables": variables},  # the first: as declared, no cursor
        {"query": GRAPHQL_QUERY, "variables": {**variables, "after": CURSORS[0]}},
        {"query": GRAPHQL_QUERY, "variables": {**variables, "after": CURSORS[1]}},
    ]
    assert {(s.method, s.target) for s in upstream.requests} == {("POST", "/graphql")}
    assert {s.headers["content-type"] for s in upstream.requests} == {"application/json"}
    # The last page's endCursor is not null: hasNextPage false ended the loop.
    assert pages_of(run, "issues") == [(1, ISSUES[0:2]), (2, ISSUES[2:4]), (3, ISSUES[4:5])]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_graphql_errors_answer_is_not_stored_and_fails_the_run_naming_its_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(lambda seen: graphql(seen, errors_on=2))
    run = open_run(transport, "Issues")

    execution = run.run()

    assert execution.status == "FAILED"
    assert execution.error == "Downloader.AnswerErrors"
    assert execution.cause.startswith("Page 2 answered errors: ")
    assert json.loads(execution.cause.split(": ", 1)[1])[0]["type"] == "RATE_LIMITED"
    assert len(upstream.requests) == 2
    assert pages_of(run, "issues") == [(1, ISSUES[0:2])]  # the errors page is not stored


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_more_pages_without_a_cursor_stores_the_page_then_fails(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(lambda seen: graphql(seen, no_cursor_on=2))
    run = open_run(transport, "Issues")

    execution = run.run()

    assert execution.status == "FAILED"
    assert execution.error == "Downloader.CursorMissing"
    assert "Page 2 of /graphql says there are more pages but gives no cursor" in execution.cause
    assert len(upstream.requests) == 2  # never the first page again
    assert pages_of(run, "issues") == [(1, ISSUES[0:2]), (2, ISSUES[2:4])]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_json_post_keeps_its_body_on_every_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    def search(seen: Seen) -> Answer:
        if seen.method != "POST":
            return Answer(405, {"message": "Method Not Allowed"})
        page = int(seen.query["page"][0])
        return Answer(200, {"results": [page] * (2 if page < 3 else 0)})

    upstream.respond(search)
    run = open_run(transport, "Search")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    assert [(s.method, s.path, s.raw_query) for s in upstream.requests] == [
        ("POST", "/v1/search", f"per_page=2&page={n}") for n in (1, 2, 3)
    ]
    # Braces that are not a time placeholder are sent as written.
    body = {"filter": {"state": "open", "labels": ["bug"]}, "note": "{not a placeholder}"}
    assert bodies(upstream) == [body] * 3


def test_time_placeholders_in_a_graphql_body_are_filled_and_other_braces_kept(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(Answer(200, {"data": {"viewer": {"issues": {"totalCount": 7}}}}))
    run = open_run("Proxy", "Since")

    execution = run.run()

    assert execution.status == "SUCCEEDED", execution.cause
    [sent] = bodies(upstream)
    scheduled = datetime.fromisoformat(run.when.replace("Z", "+00:00"))
    hour_before = (scheduled - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sent["variables"] == {"since": hour_before, "until": run.when[:10]}
    assert [json.loads(item["answer"]) for item in run.items()] == [
        {"viewer": {"issues": {"totalCount": 7}}}
    ]


def test_a_graphql_errors_answer_of_a_single_request_is_not_stored(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    upstream.script(Answer(200, {"errors": [{"message": "Field 'viewer' is missing"}]}))
    run = open_run("Proxy", "Since")

    execution = run.run()

    assert execution.status == "FAILED"
    assert execution.error == "Downloader.AnswerErrors"
    assert execution.cause.startswith("The answer holds errors: [")
    assert run.items() == []
