"""A request value written like a JSONata expression (``"{% 1 + 1 %}"``) is sent as written.

A JSONata state evaluates every string of its ``Arguments`` that is ``{% ... %}`` ("Transforming
data with JSONata in Step Functions"); a JSONPath task sends it as it is (found by h-loop,
session 9: the checked download sent ``2`` for ``"{% 1 + 1 %}"``). Such a request kept the
JSONPath download, which nothing checked: a compressed answer was stored as text (one request,
``page_count``'s pages), and the page loop's pages went through JSONata (a 17-digit id stored
changed). Now the checked download writes such a value as a JSONata string literal's
expression (``transport/_base.sent_as_written``): sent as written, and the answer checked
(issue 25 item 14)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from local_helpers import Answer, Seen, Upstream, definition_states
from sfn_downloader import DownloaderPattern, ItemField, Pagination, Transport
from sfn_downloader.local import LocalRunner

from scenarios import api_key_connection, rendered_definition, state_machines

T0 = "2026-11-27T05:30:00Z"
NOTE = "{% 1 + 1 %} and %}"
"""Evaluated by a JSONata field it would be ``2``; a JSONPath task sends it as written."""
BODY = {"q": "{% $states.input %}", "n": 1}
BIG = 12345678901234567
ANSWER = json.dumps({"rows": [{"id": BIG}]}).encode()
LISTED = json.dumps({"rows": [{"id": BIG}], "next": "/v1/list?page=2"}).encode()
"""The loop's first page, which links to the second (``ANSWER``, no link)."""
STACKS = ["Api", "Http"]
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    for name in STACKS:
        stack = cdk.Stack(app, name)
        props: dict[str, Any] = {
            "endpoint": "https://api.example.com", "headers": {"X-Note": NOTE},
            "item": {"rows": ItemField.json("$.ResponseBody.rows")},
        }  # fmt: skip
        if name == "Http":
            props["transport"] = Transport.http_task(api_key_connection(stack, "Connection"))
        DownloaderPattern(stack, "One", path="/v1/rows", downloader_id="one", **props)
        DownloaderPattern(
            stack, "Pages", path="/v1/search", method="POST", body=BODY,
            pagination=Pagination.page_count(), downloader_id="pages", **props,
        )  # fmt: skip
        DownloaderPattern(
            stack, "Loop", path="/v1/list", method="POST", body=BODY,
            pagination=Pagination.next_url(), downloader_id="loop", **props,
        )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"example/api-key": "local-key"}}


def answer(stack: str, *, compressed: bool = False) -> Callable[[Seen], Answer]:
    """The rows (with ``X-Pages: 2`` for the search); ``compressed``: gzip through the proxy,
    and a readable body labelled ``br`` through the HTTP Task (a gzip body fails the HTTP Task
    itself with ``States.Runtime``, before any state of ours)."""

    def respond(seen: Seen) -> Answer:
        headers = {"X-Pages": "2"} if seen.path == "/v1/search" else {}
        if seen.path == "/v1/list" and not seen.query and not compressed:
            return Answer(200, LISTED)
        if compressed and stack == "Api":
            return Answer(200, gzip.compress(ANSWER), {**headers, "Content-Encoding": "gzip"})
        if compressed:
            return Answer(200, ANSWER, {**headers, "Content-Encoding": "br"})
        return Answer(200, ANSWER, headers)

    return respond


def stored(runner: LocalRunner) -> list[Any]:
    return [json.loads(str(i["rows"])) for i in runner.items() if "rows" in i]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", ["One", "Pages", "Loop"])
def test_a_marked_value_is_sent_as_written_and_every_digit_stored(
    app: cdk.App,
    open_runner: Callable[..., LocalRunner],
    upstream: Upstream,
    stack: str,
    name: str,
) -> None:
    runner = open_runner(f"{stack}/{name}")
    upstream.respond(answer(stack))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    seen = upstream.requests
    assert seen and all(request.headers["x-note"] == NOTE for request in seen)
    if name != "One":  # the body on every page
        assert [request.json() for request in seen] == [BODY, BODY]
    assert stored(runner) == [[{"id": BIG}]] * len(seen)
    # the checked download, a JSONata task, writes the value as a string literal's expression
    states = definition_states(app, stack, name, iterations=True)
    download = states[{"One": "Download", "Pages": "DownloadFirstPage"}.get(name, "DownloadPage")]
    assert download["QueryLanguage"] == "JSONata"
    note = download["Arguments"]["Headers"]["X-Note"]
    [note] = note if isinstance(note, list) else [note]  # apigateway:invoke takes lists
    # one expression, a string literal: no "%" but its own delimiters
    assert note.startswith("{% ") and note.endswith(" %}") and "%" not in note[2:-2]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", ["One", "Pages", "Loop"])
def test_a_marked_value_no_longer_lets_a_compressed_answer_be_stored(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, stack: str, name: str
) -> None:
    runner = open_runner(f"{stack}/{name}")
    upstream.respond(answer(stack, compressed=True))
    run = runner.run(T0)
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert stored(runner) == []


def test_asl_validator_and_the_language_service_accept_the_encoded_values(
    app: cdk.App, tmp_path: Path
) -> None:
    """Outside checks on the encoding: asl-validator 4.0.0 (JSONata strings ``^{% .+ %}$``) and
    AWS's amazon-states-language-service find nothing in these definitions."""
    from test_cfn_lint import asl_language_service, asl_validator

    definitions = {}
    for stack in STACKS:
        template = Template.from_stack(app.node.find_child(stack)).to_json()  # type: ignore[arg-type]
        for logical_id in state_machines(template):
            definitions[f"{stack}-{logical_id}"] = rendered_definition(template, logical_id)
    assert len(definitions) == 6
    assert asl_validator(definitions, tmp_path) == {}
    assert asl_language_service(definitions, tmp_path) == {}
