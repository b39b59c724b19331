"""End-to-end, locally: the HTTP Task transport (``http:invoke``) with its EventBridge connection.

Each scenario's synthesized definition runs unchanged on moto; the connection's credentials are
read from the template and applied as AWS applies them; the third party is a loopback server.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader.local import LocalRunner

from scenarios import build_http_task, build_http_task_basic, build_http_task_pages

T0 = "2026-11-27T05:30:00Z"
API_KEY = "local-api-key-7f3a"
PASSWORD = "local-password-91c2"
STATUS = {"players": 24449, "server_version": "2345678"}


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """One app, one stack per scenario: synthesized once for the module."""
    app = cdk.App()
    for name, build in (
        ("Key", build_http_task), ("Basic", build_http_task_basic), ("Pages", build_http_task_pages)
    ):  # fmt: skip
        build(cdk.Stack(app, name))
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"esi/api-key": API_KEY}}


def test_api_key_connection_sends_the_key_header_and_nothing_else_secret(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, STATUS))
    runner = open_runner("Key/Status")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    # ApiEndpoint is the full URL: its scheme and host are mapped to the stand-in.
    assert (seen.method, seen.path, seen.query) == ("GET", "/v2/status", {})
    assert seen.headers["x-api-key"] == API_KEY
    assert seen.headers["accept"] == "application/json"  # the pattern's own header
    assert "authorization" not in seen.headers
    elsewhere = [v for k, v in seen.headers.items() if k != "x-api-key"] + [str(seen.query)]
    assert not any(API_KEY in value for value in elsewhere)
    assert [(i["sk"], i["count"]) for i in answers(runner)] == [(T0, 24449)]


def test_basic_connection_sends_authorization_basic(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(200, STATUS))
    # The connection's password is a secret of the stack: keyed by its construct path.
    runner = open_runner("Basic/Status", secrets={"Basic/EsiPassword": PASSWORD})

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    expected = base64.b64encode(f"downloader:{PASSWORD}".encode()).decode()
    assert seen.headers["authorization"] == f"Basic {expected}"


def test_a_503_is_retried_then_the_run_succeeds(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(Answer(503, {"error": "busy"}), default=Answer(200, STATUS))
    runner = open_runner("Key/Status", fast_retries=True)

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 2
    assert len(runner.retry_intervals) == 1 and 0 <= runner.retry_intervals[0] <= 2
    assert [i["count"] for i in answers(runner)] == [24449]


def test_a_404_fails_at_once_with_the_http_status_error(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.script(default=Answer(404, {"error": "Not found"}))
    runner = open_runner("Key/Status", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.Http.StatusCode.404")
    assert json.loads(execution.cause or "") == {"error": "Not found"}
    assert len(upstream.requests) == 1 and runner.retry_intervals == []
    assert answers(runner) == []


def test_no_answer_is_a_socket_error_and_is_retried(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused.
    runner = open_runner("Key/Status", upstream="http://127.0.0.1:9", fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.Http.Socket")
    assert len(runner.retry_intervals) == 3


@pytest.mark.parametrize("pages", [1, 4])
def test_x_pages_over_the_http_task_fetches_every_page_once(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, pages: int
) -> None:
    def answer(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        return Answer(200, [{"page": page}], headers={"X-Pages": str(pages)})

    upstream.respond(answer)
    runner = open_runner("Pages/Orders")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert sorted(int(s.query["page"][0]) for s in upstream.requests) == list(range(1, pages + 1))
    assert all(s.query["order_type"] == ["all"] for s in upstream.requests)
    assert all(s.headers["x-api-key"] == API_KEY for s in upstream.requests)
    assert [(i["sk"], json.loads(i["orders"])) for i in answers(runner)] == [
        (f"{T0}#{n}", [{"page": n}]) for n in range(1, pages + 1)
    ]
