"""One request's remaining shapes through the checked download (issue 25 item 14): an archive
with a ``result_selector``, ``post_process``, ``retry_after`` through the proxy and ``trim``
refuse a compressed answer before anything is stored, archived or sent
(``Downloader.CompressedAnswer``, the cause naming the request), and keep every digit of what
they store, archive and send.

The API Gateway proxy passes a compressed answer on as text ("Receive an API response with a
compressed payload"); the HTTP Task fails on a gzip body itself (``States.Runtime``), so its
runs send a readable body labelled ``br``. ``trim`` and ``retry_after``'s proxy are non-proxy
integrations: they hand ``Content-Encoding`` over because the 200 maps it (``trim.py``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from local_helpers import Answer, Upstream, archived_in, gzipped, received_from
from sfn_downloader import (
    Archive,
    DownloaderPattern,
    ItemField,
    RetryAfter,
    Transport,
    Trim,
)

from scenarios import api_key_connection

T0 = "2026-11-27T05:30:00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it
BODY = [{"id": BIG, "name": "a"}]
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """Each shape on the proxy (``Api``) and, where it has no proxy of its own, on the HTTP
    Task (``Http``)."""
    app = cdk.App()
    for name in ("Api", "Http"):
        stack = cdk.Stack(app, name)
        props: dict[str, Any] = {"endpoint": "https://api.example.com", "path": "/v1/things"}
        if name == "Http":
            props["transport"] = Transport.http_task(api_key_connection(stack, "Connection"))
        DownloaderPattern(
            stack, "Archived", **props, result_selector={"things.$": "$.ResponseBody"},
            item={"things": ItemField.json("$.things")}, archive=Archive.to_new_bucket(),
            downloader_id="archived",
        )  # fmt: skip
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        send = tasks.SqsSendMessage(
            stack, "Send", queue=queue, message_body=sfn.TaskInput.from_json_path_at("$"),
            result_path=sfn.JsonPath.DISCARD,
        )  # fmt: skip
        DownloaderPattern(
            stack, "Posted", **props, item={"things": ItemField.json("$.ResponseBody")},
            post_process=send, downloader_id="posted",
        )  # fmt: skip
        if name == "Api":
            DownloaderPattern(
                stack, "Waits", **props, item={"things": ItemField.json("$.ResponseBody")},
                retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)), downloader_id="waits",
            )  # fmt: skip
            for trimmed, vtl in (("Passed", "$input.body"), ("Read", "$input.json('$')")):
                DownloaderPattern(
                    stack, trimmed, **props, item={"things": ItemField.json("$.ResponseBody")},
                    trim=Trim.template(vtl), downloader_id=trimmed.lower(),
                )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    # Retries at once: a 500 the default policy retries (the trim template) waits no 6 s.
    return {"secrets": {"example/api-key": "local-key"}, "fast_retries": True}


def _compressed(stack: str) -> Answer:
    """A compressed answer: gzip through the proxy; through the HTTP Task (which fails on a
    gzip body itself) a readable body labelled ``br``."""
    if stack == "Http":
        return Answer(200, json.dumps(BODY).encode(), {"Content-Encoding": "br"})
    return gzipped(BODY)


def _stored(runner: Any, pk: str) -> list[Any]:
    return [json.loads(i["things"]) for i in runner.items() if i["pk"] == pk]


def _archived(runner: Any, stack: str) -> list[Any]:
    return archived_in(runner, f"{stack}/Archived/Bucket")


def _received(runner: Any, stack: str) -> list[Any]:
    return received_from(runner, f"{stack}/Queue")


def _refused(run: Any) -> None:
    assert (run.status, run.error) == ("FAILED", ERROR), run.cause
    assert "The answer to /v1/things is " in run.cause and "-compressed" in run.cause


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_an_archived_selection_keeps_every_digit_and_a_compressed_one_is_not_stored(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """Download (checked) → Persist (through the selector) → SelectResult (a JSONPath Pass: the
    selection, the key) → Archive: the object is the selection's JSON text, every digit."""
    runner = open_runner(f"{stack}/Archived")
    upstream.respond(lambda seen: _compressed(stack))
    _refused(runner.run(T0))
    assert _stored(runner, "archived") == [] and _archived(runner, stack) == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "archived") == [BODY]
    assert _archived(runner, stack) == [{"things": BODY}]
    assert runner.states_entered(run) == ["Download", "Persist", "SelectResult", "Archive"]
    assert run.output["result"] == {"things": BODY}
    assert run.output["key"] == {"pk": "archived", "sk": T0}


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_post_process_gets_every_digit_and_nothing_of_a_compressed_answer(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """The user's states read their documented input (``scheduledTime``, ``result``, ``key``),
    written by ``SelectResult`` from the raw answer; a compressed answer sends nothing."""
    runner = open_runner(f"{stack}/Posted")
    upstream.respond(lambda seen: _compressed(stack))
    _refused(runner.run(T0))
    assert _stored(runner, "posted") == [] and _received(runner, stack) == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "posted") == [BODY]
    [message] = _received(runner, stack)
    assert message["result"]["ResponseBody"] == BODY
    assert message["key"] == {"pk": "posted", "sk": T0} and message["scheduledTime"] == T0
    assert runner.states_entered(run) == ["Download", "Persist", "SelectResult", "Send"]


def test_retry_after_refuses_a_compressed_answer_and_waits_on_a_throttled_one(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """Through the proxy's non-proxy integration, whose 200 now maps ``Content-Encoding``: a
    compressed answer is refused; a 429 then a 200 waits, asks again with the state it kept
    (``$downloadAsked``) and stores every digit."""
    runner = open_runner("Api/Waits", fast_retries=True)
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(runner.run(T0))
    assert _stored(runner, "waits") == []
    answers = iter([Answer(429, b'{"message": "slow"}', {"Retry-After": "1"})])
    upstream.respond(lambda seen: next(answers, Answer(200, json.dumps(BODY).encode())))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(runner, "waits") == [BODY]
    assert runner.states_entered(run) == [
        "Download", "DownloadThrottled", "ComputeRetryAfter", "RetryAfterAllowed",
        "WaitRetryAfter", "Download", "DownloadThrottled", "Persist",
    ]  # fmt: skip


def test_trim_hands_content_encoding_over_and_the_answer_is_refused(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """A template that renders the compressed body (``$input.body``: API Gateway passes it on
    as UTF-8 text) hands ``Content-Encoding`` over: refused, nothing stored. A template that
    reads it as JSON: what AWS renders is not documented; the local runner answers 500 naming
    the compression (``ApiGateway.500``), nothing stored either."""
    passed = open_runner("Api/Passed")
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(passed.run(T0))
    assert _stored(passed, "passed") == []
    read = open_runner("Api/Read")
    run = read.run(T0)
    assert (run.status, run.error) == ("FAILED", "ApiGateway.500"), run.cause
    assert "Content-Encoding: gzip" in run.cause and "not documented" in run.cause
    assert _stored(read, "read") == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = read.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert _stored(read, "read") == [BODY]
