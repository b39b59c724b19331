"""End-to-end, locally: bad input over the HTTP Task fails as the HTTP Task fails on AWS.

What the runner reproduces is the Step Functions developer guide's "Call HTTPS APIs" page:
refused request headers and unsupported responses fail with ``States.Runtime``; no answer at
all is ``States.Http.Socket``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from local_helpers import Answer, Upstream, closed_port_url, gzipped
from sfn_downloader import DownloaderPattern, ItemField, Transport
from sfn_downloader.local import LocalRunner

T0 = "2026-11-27T05:30:00Z"
API_KEY = "local-api-key-5d1e"
PROBE_HEADER = '"X-Probe":"1"'


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    """One HTTP Task downloader (API-key connection), synthesized once for the module."""
    app = cdk.App()
    stack = cdk.Stack(app, "BadHttp")
    connection = events.Connection(
        stack, "Connection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("api/key")
        ),
    )  # fmt: skip
    DownloaderPattern(
        stack, "Amount", endpoint="https://api.example.com", path="/v1/amount",
        item={"amount": ItemField.number("$.ResponseBody.amount")},
        headers={"X-Probe": "1"}, transport=Transport.http_task(connection),
    )  # fmt: skip
    return app.synth().get_stack_by_name("BadHttp").template


@pytest.fixture(scope="module")
def local_source(template: dict[str, Any]) -> dict[str, Any]:
    return template


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"api/key": API_KEY}}


def with_task_header(template: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    """``template`` with the HTTP Task's request header ``X-Probe`` replaced by ``name``.

    Done on the synthesized template, not through the construct: a header the HTTP Task
    refuses may be refused at synth time too, and this checks the runner on its own.
    """
    text = json.dumps(template)
    escaped = json.dumps(PROBE_HEADER)[1:-1]  # as it appears inside the definition string
    assert escaped in text
    replacement = json.dumps(f'"{name}":"{value}"')[1:-1]
    return dict(json.loads(text.replace(escaped, replacement)))


@pytest.mark.parametrize(
    "header", ["If-None-Match", "Accept-Encoding", "if-modified-since", "X-Amz-Date"]
)
def test_a_header_the_http_task_refuses_fails_with_states_runtime_before_any_request(
    open_runner: Callable[..., LocalRunner],
    template: dict[str, Any],
    upstream: Upstream,
    header: str,
) -> None:
    # "Call HTTPS APIs", Headers: "If you use these headers, the HTTP Task fails with the
    # States.Runtime error."
    upstream.script(default=Answer(200, {"amount": 1}))
    runner = open_runner(source=with_task_header(template, header, "x"))

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert header in (execution.cause or "")
    assert upstream.requests == []
    assert runner.items() == []


def test_a_gzip_answer_fails_the_http_task_with_states_runtime(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    # "Call HTTPS APIs", Unsupported HTTP Task responses: States.Runtime when "the response
    # can't be read as a valid string"; a gzip body is not valid UTF-8.
    upstream.script(default=gzipped({"amount": 7}))
    runner = open_runner()

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert "can't be read as a valid string" in (execution.cause or "")
    assert "gzip" in (execution.cause or "")
    assert runner.items() == []
    # The HTTP Task refuses an Accept-Encoding header ("Call HTTPS APIs", Headers): the
    # construct cannot ask for identity there, and the local task sends none of its own.
    assert "accept-encoding" not in upstream.requests[0].headers


@pytest.mark.parametrize("media", ["application/octet-stream", "image/png", "audio/ogg"])
def test_a_binary_content_type_fails_the_http_task_with_states_runtime(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, media: str
) -> None:
    upstream.script(default=Answer(200, b'{"amount": 7}', headers={"Content-Type": media}))
    runner = open_runner()

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.Runtime")
    assert media in (execution.cause or "")


def test_an_unreachable_upstream_is_a_socket_error_naming_the_address(
    open_runner: Callable[..., LocalRunner],
) -> None:
    nowhere = closed_port_url()
    runner = open_runner(upstream=nowhere, fast_retries=True)

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "States.Http.Socket")
    assert nowhere in (execution.cause or "")
