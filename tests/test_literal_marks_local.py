"""A request value written like a JSONata expression (``"{% 1 + 1 %}"``) is sent as written.

A JSONata state evaluates every string of its ``Arguments`` that is ``{% ... %}`` ("Transforming
data with JSONata in Step Functions"); a JSONPath task sends it as it is. So a body, query or
header value holding the mark never goes into a JSONata download (found by h-loop, session 9:
the checked download sent ``2`` for ``"{% 1 + 1 %}"``)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from local_helpers import Answer, Upstream
from sfn_downloader import DownloaderPattern, ItemField, Pagination
from sfn_downloader.local import LocalRunner

from scenarios import rendered_definition, state_machines

MARKED = "{% 1 + 1 %}"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Marks")
    item = {"answer": ItemField.json("$.ResponseBody")}
    endpoint = "https://api.example.com"
    DownloaderPattern(
        stack, "Posted", endpoint=endpoint, path="/v1/search", method="POST",
        body={"q": MARKED, "n": 1}, item=item,
    )  # fmt: skip
    DownloaderPattern(
        stack, "Headed", endpoint=endpoint, path="/v1/status", headers={"X-Note": MARKED},
        item=item,
    )  # fmt: skip
    DownloaderPattern(
        stack, "PostedPages", endpoint=endpoint, path="/v1/search", method="POST",
        body={"q": MARKED}, pagination=Pagination.next_url(), item=item,
    )  # fmt: skip
    return app


def test_a_marked_body_value_is_sent_as_written(app: cdk.App, upstream: Upstream) -> None:
    upstream.script(default=Answer(200, {"ok": True}))
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Posted") as runner:
        assert runner.run().succeeded
    assert upstream.requests[0].json() == {"q": MARKED, "n": 1}


def test_a_marked_header_value_is_sent_as_written(app: cdk.App, upstream: Upstream) -> None:
    upstream.script(default=Answer(200, {"ok": True}))
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Headed") as runner:
        assert runner.run().succeeded
    assert upstream.requests[0].headers["x-note"] == MARKED


def test_a_marked_body_value_is_sent_as_written_on_every_page(
    app: cdk.App, upstream: Upstream
) -> None:
    upstream.script(
        Answer(200, {"results": [1], "next": "/v1/search?page=2"}),
        default=Answer(200, {"results": [2], "next": None}),
    )
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/PostedPages") as runner:
        run = runner.run()
        assert run.succeeded, run.cause
    assert [seen.json() for seen in upstream.requests] == [{"q": MARKED}, {"q": MARKED}]


@pytest.mark.parametrize("name", ["Posted", "Headed"])
def test_a_marked_value_keeps_its_download_jsonpath(app: cdk.App, name: str) -> None:
    stack = app.node.find_child("Marks")
    assert isinstance(stack, cdk.Stack)
    template = Template.from_stack(stack).to_json()
    [logical_id] = [k for k in state_machines(template) if k.startswith(name + "StateMachine")]
    download = json.loads(rendered_definition(template, logical_id))["States"]["Download"]
    assert "Parameters" in download and "Arguments" not in download
