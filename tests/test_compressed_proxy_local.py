"""A compressed answer on any kept success through ``trim``'s or ``retry_after``'s proxy is
refused (issue 25 item 14): their non-proxy integration maps ``Content-Encoding`` (both
spellings: API Gateway maps header names case-sensitively) on every success it keeps with a
body, not only on the 200, so a gzip ``201`` or ``206`` fails the run with
``Downloader.CompressedAnswer`` and nothing is stored as text.

API Gateway passes a compressed answer on undecompressed, as text ("Receive an API response
with a compressed payload"): ``Trim.template("$input.body")`` renders it as it came, and
``retry_after`` alone has no template. Before the mapping, both stored the gzip bytes as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Upstream, gzipped
from sfn_downloader import DownloaderPattern, ItemField, RetryAfter, Trim
from sfn_downloader.transport.trim import BODYLESS_STATUSES, ENCODING_HEADERS, TRIMMED_STATUSES

T0 = "2026-11-27T05:30:00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it
BODY = [{"id": BIG, "name": "a"}]
SHAPES = {"Trimmed": "trimmed", "Waits": "waits"}
"""Construct id → downloader id."""
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """``trim`` with a template that passes the body on as it came, and ``retry_after``
    alone: both make the proxy a non-proxy integration."""
    app = cdk.App()
    stack = cdk.Stack(app, "Api")
    props: dict[str, Any] = {
        "endpoint": "https://api.example.com", "path": "/v1/things",
        "item": {"things": ItemField.json("$.ResponseBody")},
    }  # fmt: skip
    DownloaderPattern(
        stack, "Trimmed", **props, trim=Trim.template("$input.body"), downloader_id="trimmed"
    )
    DownloaderPattern(
        stack, "Waits", **props, downloader_id="waits",
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
    )  # fmt: skip
    return app


def _stored(runner: Any, pk: str) -> list[Any]:
    return [json.loads(i["things"]) for i in runner.items() if i["pk"] == pk]


@pytest.mark.parametrize(
    ("status", "header"), [(201, "Content-Encoding"), (206, "content-encoding")]
)
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_compressed_success_other_than_200_is_refused(
    open_runner: Callable[..., Any], upstream: Upstream, shape: str, status: int, header: str
) -> None:
    """A gzip 201 (the header as most servers write it) and a gzip 206 (as HTTP/2 servers
    write it, in lower case) fail the run naming the compression; nothing is stored."""
    runner = open_runner(f"Api/{shape}")
    answer = gzipped(BODY, status)
    upstream.respond(lambda seen: Answer(answer.status, answer.body, {header: "gzip"}))
    run = runner.run(T0)
    assert (run.status, run.error) == ("FAILED", ERROR), run.cause
    assert "The answer to /v1/things is gzip-compressed" in run.cause
    assert _stored(runner, SHAPES[shape]) == []


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_an_uncompressed_201_is_still_stored(
    open_runner: Callable[..., Any], upstream: Upstream, shape: str
) -> None:
    """Every digit kept, as before the mapping."""
    runner = open_runner(f"Api/{shape}")
    upstream.respond(lambda seen: Answer(201, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, SHAPES[shape]) == [BODY]


def test_every_kept_success_with_a_body_maps_content_encoding(app: cdk.App) -> None:
    """Both proxies: each success kept with a body maps both spellings to a method response
    header it declares; the successes without a body (204, 205) have nothing to refuse."""
    resources = app.synth().get_stack_by_name("Api").template["Resources"]
    methods = [
        r["Properties"] for r in resources.values()
        if r["Type"] == "AWS::ApiGateway::Method"
        and r["Properties"]["Integration"]["Type"] == "HTTP"
    ]  # fmt: skip
    assert len(methods) == len(SHAPES)
    for method in methods:
        mapped = {
            r["StatusCode"]: r.get("ResponseParameters", {})
            for r in method["Integration"]["IntegrationResponses"]
            if r.get("SelectionPattern") == r["StatusCode"]
        }
        declared = {r["StatusCode"]: r.get("ResponseParameters") for r in method["MethodResponses"]}
        for name in ENCODING_HEADERS:
            target = f"method.response.header.{name}"
            for status in map(str, TRIMMED_STATUSES):
                assert mapped[status][target] == f"integration.response.multivalueheader.{name}"
                assert declared[status][target] is False
            for status in map(str, BODYLESS_STATUSES):
                assert target not in mapped[status] and target not in declared[status]
