"""End-to-end, locally: every next-page paginator on both transports.

Each scenario's synthesized template runs unchanged on moto; the third party is a loopback
server that pages as the real APIs do (GitHub's ``Link`` header, Django REST's ``next``,
offset/limit, page numbers) and records each request's query byte for byte. A second server
stands in for another host: a next URL pointing there must never reach it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Run, Seen, Upstream, running_upstream

from scenarios import EXAMPLE_API, build_paginators

T0 = "2026-11-27T05:30:00Z"
TRANSPORTS = ("Proxy", "Http")
HTTP_KINDS = ("Issues", "People", "Offset", "Numbers")
"""Each paginator on the HTTP Task too (the options are the proxy's, the same states)."""
EVIL = "https://evil.example"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """The paginators on the proxy and on the HTTP Task, synthesized once for the module."""
    app = cdk.App()
    build_paginators(cdk.Stack(app, "Proxy"))
    build_paginators(cdk.Stack(app, "Http"), http_task=True, only=HTTP_KINDS)
    return app


@pytest.fixture(scope="module")
def elsewhere() -> Iterator[Upstream]:
    """Another host: it must receive nothing."""
    with running_upstream() as server:
        yield server


@pytest.fixture(scope="module")
def upstream_routes(upstream: Upstream, elsewhere: Upstream) -> dict[str, str]:
    return {EXAMPLE_API: upstream.url, EVIL: elsewhere.url}


@pytest.fixture(autouse=True)
def _forget_elsewhere(elsewhere: Upstream) -> None:
    elsewhere.script()


def requests_of(upstream: Upstream) -> list[tuple[str, str]]:
    return [(seen.path, seen.raw_query) for seen in upstream.requests]


def pages_of(run: Run, attribute: str = "page") -> list[tuple[str, Any]]:
    """(page number, stored attribute) of each item of the run."""
    pages = [(item["sk"].rsplit("#", 1)[1], json.loads(item[attribute])) for item in run.items()]
    return sorted(pages, key=lambda page: int(page[0]))


# --- Link header (GitHub) ----------------------------------------------------------------------

GITHUB = f"{EXAMPLE_API}/repositories/42/issues"
CURSOR = "Y3Vyc29yOnYyOpK0%2B%2Fx%3D%3D"
"""A cursor as GitHub percent-encodes it: its '+', '/' and '=' must reach the API as written."""


def github(seen: Seen) -> Answer:
    """Page 1 at /repos/..., then /repositories/42/... as GitHub's own links say; the last page
    has no rel="next"."""
    page = int(seen.query.get("page", ["1"])[0])
    last = f'<{GITHUB}?per_page=2&state=all&page=3>; rel="last"'
    first = f'<{GITHUB}?per_page=2&state=all&page=1>; rel="first"'
    links = {
        1: f'<{GITHUB}?per_page=2&state=all&page=2>; rel="next", {last}',
        2: f'<{GITHUB}?per_page=2&state=all&page=1>; rel="prev", '
        f'<{GITHUB}?per_page=2&state=all&page=3&after={CURSOR}>; rel="next", {last}, {first}',
        3: f'<{GITHUB}?per_page=2&state=all&page=2>; rel="prev", {first}',
    }[page]
    return Answer(200, [{"number": 2 * page - 1}, {"number": 2 * page}], {"Link": links})


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_link_header_follows_next_until_the_last_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(github)
    runner = open_run(transport, "Issues")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert requests_of(upstream) == [
        ("/repos/o/r/issues", "per_page=2&state=all"),
        ("/repositories/42/issues", "per_page=2&state=all&page=2"),
        ("/repositories/42/issues", f"per_page=2&state=all&page=3&after={CURSOR}"),
    ]
    assert pages_of(runner) == [
        (str(n), [{"number": 2 * n - 1}, {"number": 2 * n}]) for n in (1, 2, 3)
    ]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_link_header_stops_at_max_pages_and_stores_the_last_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    def endless(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        return Answer(200, [page], {"Link": f'<{GITHUB}?per_page=2&page={page + 1}>; rel="next"'})

    upstream.respond(endless)
    runner = open_run(transport, "Issues")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 10  # max_pages=10
    assert pages_of(runner) == [(str(n), [n]) for n in range(1, 11)]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_link_header_relations_are_read_as_rfc_8288_writes_them(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    """Unquoted, upper-case and multi-valued rel, other parameters, two header lines; a
    "next-archive" relation is not "next"."""
    links = {
        1: [f'<{GITHUB}?page=9>; rel="next-archive"', f"<{GITHUB}?page=2>; title=x; REL=Next"],
        2: [f'<{GITHUB}?page=3>; rel="prefetch next"; type="application/json"'],
        3: [f'<{GITHUB}?page=4>; rel="nextpage"'],
    }

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        return Answer(200, [page], {"Link": ", ".join(links[page])})

    upstream.respond(answer)
    runner = open_run(transport, "Issues")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert requests_of(upstream)[1:] == [("/repositories/42/issues", "page=2"),
                                         ("/repositories/42/issues", "page=3")]  # fmt: skip


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_one_page_without_a_link_header_is_the_only_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(lambda seen: Answer(200, [{"number": 1}]))
    runner = open_run(transport, "Issues")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 1
    assert pages_of(runner) == [("1", [{"number": 1}])]


# --- next URL in the body (Django REST, SWAPI) -------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_next_url_resolves_absolute_and_relative_urls_against_the_endpoint(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    nexts = {
        "1": f"{EXAMPLE_API}/api/people/?format=json&page=2",  # absolute
        "2": "/api/people/?format=json&page=3&q=Luke%20Skywalker",  # absolute path
        "3": "?format=json&page=4#top",  # query only (fragment dropped)
        "4": "HTTPS://API.EXAMPLE.COM:443/api/people/?format=json&page=5",  # same origin
        "5": "//api.example.com/api/planets/?page=6",  # network path
        "6": "../people/?page=7",  # relative to the current path
        "7": None,
    }

    def answer(seen: Seen) -> Answer:
        page = seen.query.get("page", ["1"])[0]
        return Answer(200, {"count": 7, "next": nexts[page], "results": [{"page": int(page)}]})

    upstream.respond(answer)
    runner = open_run(transport, "People")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    # The HTTP Task sends the query as the API wrote it; through the proxy the values arrive
    # decoded once, and the emulated API Gateway re-encodes a space as '+' (AWS does not
    # document its own choice): the same value for the API.
    space = "%20" if transport == "Http" else "+"
    assert requests_of(upstream) == [
        ("/api/people/", "format=json"),
        ("/api/people/", "format=json&page=2"),
        ("/api/people/", f"format=json&page=3&q=Luke{space}Skywalker"),
        ("/api/people/", "format=json&page=4"),
        ("/api/people/", "format=json&page=5"),
        ("/api/planets/", "page=6"),
        ("/api/planets/../people/", "page=7"),
    ]
    # The result_selector applies to each page.
    assert pages_of(runner, "people") == [(str(n), [{"page": n}]) for n in range(1, 8)]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    "next_url",
    [
        "https://api.example.com.evil.example/api/people/?page=2",
        "https://api.example.com@evil.example/api/people/?page=2",
        "https://api.example.com:8443/api/people/?page=2",
        "http://api.example.com/api/people/?page=2",
        f"{EVIL}/api/people/?page=2",
        "//evil.example/api/people/?page=2",
        "javascript:alert(1)",
    ],
)
def test_a_next_url_off_the_endpoints_origin_fails_the_run_and_is_never_requested(
    open_run: Callable[[str, str], Run],
    upstream: Upstream,
    elsewhere: Upstream,
    transport: str,
    next_url: str,
) -> None:
    upstream.respond(lambda seen: Answer(200, {"next": next_url, "results": [{"page": 1}]}))
    elsewhere.respond(lambda seen: Answer(200, {"next": None, "results": [{"stolen": True}]}))
    runner = open_run(transport, "People")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.NextUrlOffOrigin")
    assert next_url in (execution.cause or "")
    assert requests_of(upstream) == [("/api/people/", "format=json")]
    assert elsewhere.requests == []
    assert pages_of(runner, "people") == [("1", [{"page": 1}])]  # the page is stored


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("last", [None, "", "missing"])
def test_next_url_stops_on_a_null_empty_or_missing_url(
    open_run: Callable[[str, str], Run],
    upstream: Upstream,
    transport: str,
    last: str | None,
) -> None:
    def answer(seen: Seen) -> Answer:
        if "page" not in seen.query:
            return Answer(200, {"next": "/api/people/?page=2", "results": [1]})
        return Answer(
            200, {"results": [2]} if last == "missing" else {"next": last, "results": [2]}
        )

    upstream.respond(answer)
    runner = open_run(transport, "People")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert pages_of(runner, "people") == [("1", [1]), ("2", [2])]


# --- offset / limit --------------------------------------------------------------------------


def items_by_offset(total: int, *, start: str = "offset", count: str = "limit") -> Any:
    def answer(seen: Seen) -> Answer:
        first, size = int(seen.query[start][0]), int(seen.query[count][0])
        return Answer(
            200, {"total": total, "results": list(range(first, min(first + size, total)))}
        )

    return answer


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_offset_stops_at_a_short_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(items_by_offset(5))
    runner = open_run(transport, "Offset")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert requests_of(upstream) == [
        ("/v1/items", "sort=id&offset=0&limit=2"),
        ("/v1/items", "sort=id&offset=2&limit=2"),
        ("/v1/items", "sort=id&offset=4&limit=2"),
    ]
    assert [page["results"] for _, page in pages_of(runner)] == [[0, 1], [2, 3], [4]]


@pytest.mark.parametrize("transport", ["Proxy"])
def test_offset_with_a_total_stops_when_the_offset_reaches_it(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(items_by_offset(4, start="start", count="count"))
    runner = open_run(transport, "OffsetTotal")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert requests_of(upstream) == [
        ("/v1/items", "sort=id&start=0&count=2"),
        ("/v1/items", "sort=id&start=2&count=2"),
    ]  # a full second page, but 2 + 2 >= total
    assert [page["results"] for _, page in pages_of(runner)] == [[0, 1], [2, 3]]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_offset_fails_with_the_page_stored_when_the_items_are_not_a_list(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(lambda seen: Answer(200, {"error": "maintenance"}))
    runner = open_run(transport, "Offset")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.PageItemsNotFound")
    assert "$.ResponseBody.results" in (execution.cause or "")
    assert pages_of(runner) == [("1", {"error": "maintenance"})]


@pytest.mark.parametrize("transport", ["Proxy"])
def test_offset_total_not_a_number_fails_the_run(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(lambda seen: Answer(200, {"results": [1, 2]}))
    runner = open_run(transport, "OffsetTotal")

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.PageTotalNotFound")


# --- page numbers ----------------------------------------------------------------------------


def events_by_page(pages: dict[int, list[str]]) -> Callable[[Seen], Answer]:
    return lambda seen: Answer(200, pages[int(seen.query["page"][0])])


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_page_number_stops_at_an_empty_page_and_stores_it(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(events_by_page({1: ["a", "b"], 2: ["c"], 3: []}))
    runner = open_run(transport, "Numbers")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert requests_of(upstream) == [
        ("/v1/events", "per_page=2&page=1"),
        ("/v1/events", "per_page=2&page=2"),
        ("/v1/events", "per_page=2&page=3"),
    ]
    assert pages_of(runner) == [("1", ["a", "b"]), ("2", ["c"]), ("3", [])]


@pytest.mark.parametrize("transport", ["Proxy"])
def test_page_number_with_a_page_size_stops_at_a_short_page(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str
) -> None:
    upstream.respond(events_by_page({0: ["a", "b"], 1: ["c", "d"], 2: ["e"], 3: ["never"]}))
    runner = open_run(transport, "Sized")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [raw for _, raw in requests_of(upstream)] == [
        "per_page=2&page=0", "per_page=2&page=1", "per_page=2&page=2",
    ]  # fmt: skip
    assert [page for _, page in pages_of(runner)] == [["a", "b"], ["c", "d"], ["e"]]


MALFORMED = {
    "%ZZ": ("Proxy", "Http"),  # not a URI (RFC 3986, 2.1)
    "%": ("Proxy", "Http"),
    "%E9": ("Proxy",),  # Latin-1, not UTF-8: the proxy decodes the link once
    "%ED%A0%80": ("Proxy",),  # a UTF-16 surrogate
    "%C0%AF": ("Proxy",),  # an overlong '/'
    "a\nb": ("Proxy", "Http"),  # a control character
}


@pytest.mark.parametrize(
    ("kind", "transport", "bad"),
    [
        (kind, transport, bad)
        for bad, transports in MALFORMED.items()
        for transport in transports
        for kind in ("People", "Issues")
        if kind == "People" or "\n" not in bad  # a header value holds no line break
    ],
)
def test_a_malformed_next_link_stores_its_page_then_fails_naming_it(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str, bad: str, kind: str
) -> None:
    """A next link that cannot be made into a request (JSONata's $decodeUrlComponent, which
    the proxy's request is decoded with, throws on it; or it is no URI at all) is no reason to
    lose the page that carried it: the page is stored, then the run fails naming the page, as
    for a link off the origin, and nothing more is requested."""
    link = f"/api/people/?page=2&q={bad}"

    def answer(seen: Seen) -> Answer:
        if kind == "People":
            return Answer(200, {"next": link, "results": [{"page": 1}]})
        return Answer(200, [{"number": 1}], {"Link": f'<{link}>; rel="next"'})

    upstream.respond(answer)
    runner = open_run(transport, kind)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.NextUrlMalformed")
    assert "Page 1's next link /api/people/?page=2&q=" in (execution.cause or "")
    assert len(upstream.requests) == 1
    stored = [{"page": 1}] if kind == "People" else [{"number": 1}]
    assert pages_of(runner, "people" if kind == "People" else "page") == [("1", stored)]


def test_a_next_link_of_utf8_percent_encodings_is_requested_through_the_proxy(
    open_run: Callable[[str, str], Run], upstream: Upstream
) -> None:
    """What the check lets through: every %-sequence a UTF-8 character (2, 3 and 4 bytes) and
    an encoded '%', decoded once and encoded again on the way out."""
    nexts = {"1": "/api/people/?page=2&q=caf%C3%A9%20%E2%82%AC%F0%9F%98%80%25", "2": None}
    upstream.respond(
        lambda seen: Answer(200, {"next": nexts[seen.query.get("page", ["1"])[0]], "results": []})
    )
    runner = open_run("Proxy", "People")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert upstream.requests[1].query == {"page": ["2"], "q": ["café €😀%"]}
