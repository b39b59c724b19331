"""Header names in any letter case (issue 25, item 12), run locally: HTTP header names are
case-insensitive (RFC 9110, 5.1) and an HTTP_PROXY integration and the HTTP Task pass them on as
the API wrote them, so a stand-in that sends ``x-next-cursor``, ``link`` and ``x-pages`` must
page as one that sends ``X-Next-Cursor``, ``Link`` and ``X-Pages``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Run, Seen, Upstream
from sfn_downloader import DownloaderPattern, ItemField, Pagination, Transport

from scenarios import EXAMPLE_API, api_key_connection

TRANSPORTS = ("Proxy", "Http")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """A header cursor, a Link header and an X-Pages count on both transports."""
    app = cdk.App()
    for name in TRANSPORTS:
        stack = cdk.Stack(app, name)

        def transport(pattern: str, stack: cdk.Stack = stack, name: str = name) -> Transport | None:
            if name != "Http":
                return None
            return Transport.http_task(api_key_connection(stack, f"{pattern}Connection"))

        body = {"page": ItemField.json("$.ResponseBody")}
        DownloaderPattern(
            stack, "Cursor", endpoint=EXAMPLE_API, path="/v1/events", item=body,
            pagination=Pagination.cursor(
                next_path="$.Headers['X-Next-Cursor'][0]", param="cursor", max_pages=10
            ),
            transport=transport("Cursor"),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Linked", endpoint=EXAMPLE_API, path="/v1/issues?per_page=2", item=body,
            pagination=Pagination.link_header(max_pages=10), transport=transport("Linked"),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Counted", endpoint=EXAMPLE_API, path="/v1/orders", item=body,
            pagination=Pagination.page_count(header="X-Pages", max_pages=10),
            transport=transport("Counted"),
        )  # fmt: skip
    return app


def cursor_pages(seen: Seen) -> Answer:
    """Three pages: the cursor in a lower-case ``x-next-cursor`` header, none on the last."""
    cursor = seen.query.get("cursor", ["c1"])[0]
    page = int(cursor[1:])
    headers = {"x-next-cursor": f"c{page + 1}"} if page < 3 else {}
    return Answer(200, [{"page": page}], headers)


def linked_pages(seen: Seen) -> Answer:
    page = int(seen.query.get("page", ["1"])[0])
    nxt = f"{EXAMPLE_API}/v1/issues?per_page=2&page={page + 1}"
    return Answer(200, [{"page": page}], {"link": f'<{nxt}>; rel="next"'} if page < 3 else {})


def pages(run: Run) -> list[Any]:
    return sorted(json.loads(item["page"])[0]["page"] for item in run.items())


def counted_pages_in_two_spellings(seen: Seen) -> Answer:
    """Three pages, each answer announcing the count under two spellings of ``X-Pages``."""
    page = int(seen.query.get("page", ["1"])[0])
    return Answer(200, [{"page": page}], {"X-Pages": "3", "x-pages": "3"})


def linked_pages_in_two_spellings(seen: Seen) -> Answer:
    """Three pages, the same ``Link`` under two spellings of its name."""
    page = int(seen.query.get("page", ["1"])[0])
    nxt = f"{EXAMPLE_API}/v1/issues?per_page=2&page={page + 1}"
    link = f'<{nxt}>; rel="next"'
    return Answer(200, [{"page": page}], {"Link": link, "link": link} if page < 3 else {})


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize(
    ("name", "responder"),
    [
        pytest.param("Cursor", cursor_pages, id="lower-case-cursor"),
        pytest.param("Linked", linked_pages, id="lower-case-link"),
        pytest.param("Counted", counted_pages_in_two_spellings, id="two-spellings-count"),
        pytest.param("Linked", linked_pages_in_two_spellings, id="two-spellings-link"),
    ],
)
def test_a_header_in_any_letter_case_or_two_spellings_pages_like_a_canonical_one(
    open_run: Callable[[str, str], Run], upstream: Upstream, transport: str, name: str,
    responder: Callable[[Seen], Answer],
) -> None:  # fmt: skip
    """A lower-case header pages as its canonical spelling does; one answer's ``Headers``
    holding ``X-Pages`` and ``x-pages`` (a server that sends both) is read once, not failed on
    the list of lists (JSONata T0412 in ``$join``, before issue 25's last fix)."""
    upstream.respond(responder)
    run = open_run(transport, name)
    execution = run.run()
    assert execution.status == "SUCCEEDED", execution.cause
    assert pages(run) == [1, 2, 3]
    assert len(upstream.requests) == 3
