"""One request's last shapes and ``page_count``'s first page refuse a compressed answer (issue
25 item 14): ``records`` on one request, and ``Pagination.page_count()`` with ``on_status``,
fail the run with ``Downloader.CompressedAnswer`` (the cause naming the request) before
anything is stored, and keep every digit of what they store.

The API Gateway proxy passes a compressed answer on as text ("Receive an API response with a
compressed payload"); the HTTP Task fails on a gzip body itself (``States.Runtime``), so its
runs send a readable body labelled ``br``.
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

from local_helpers import Answer, Upstream, archived_in, definition_states, gzipped, received_from
from sfn_downloader import (
    Archive,
    DownloaderPattern,
    ItemField,
    Pagination,
    Records,
    RetryAfter,
    StatusAction,
    Transport,
)

from scenarios import api_key_connection

T0 = "2026-11-27T05:30:00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it
BODY = [{"id": BIG, "name": "a"}, {"id": 2, "name": "b"}]
SKIP = {404: StatusAction.SKIP, 204: StatusAction.SKIP}
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """Each shape on the proxy (``Api``) and on the HTTP Task (``Http``)."""
    app = cdk.App()
    for name in ("Api", "Http"):
        stack = cdk.Stack(app, name)
        props: dict[str, Any] = {"endpoint": "https://api.example.com"}
        if name == "Http":
            props["transport"] = Transport.http_task(api_key_connection(stack, "Connection"))
        page = {"page": ItemField.json("$.ResponseBody")}
        DownloaderPattern(
            stack, "Merged", **props, path="/v1/things", item=page, downloader_id="merged",
            records=Records.merge(items="$.ResponseBody", key="id"),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Only", **props, path="/v1/things", downloader_id="only",
            item={"things": ItemField.json("$.things")},
            result_selector={"things.$": "$.ResponseBody"},
            records=Records.append(items="$.things", key="id", keep_answers=False),
        )  # fmt: skip
        DownloaderPattern(
            stack, "Orders", **props, path="/v1/orders", item=page, downloader_id="orders",
            pagination=Pagination.page_count(), on_status=SKIP,
        )  # fmt: skip
        DownloaderPattern(
            stack, "Archived", **props, path="/v1/things", downloader_id="archived",
            on_status=SKIP, result_selector={"things.$": "$.ResponseBody"},
            item={"things": ItemField.json("$.things")}, archive=Archive.to_new_bucket(),
        )  # fmt: skip
        queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
        send = tasks.SqsSendMessage(
            stack, "Send", queue=queue, message_body=sfn.TaskInput.from_json_path_at("$"),
            result_path=sfn.JsonPath.DISCARD,
        )  # fmt: skip
        DownloaderPattern(
            stack, "Posted", **props, path="/v1/things", item=page, downloader_id="posted",
            on_status=SKIP, post_process=send,
        )  # fmt: skip
        if name == "Api":  # (the HTTP Task has no proxy: retry_after is a Retry rule there)
            DownloaderPattern(
                stack, "Waits", **props, path="/v1/things", item=page, downloader_id="waits",
                on_status={404: StatusAction.SKIP},
                retry_after=RetryAfter(max_wait=cdk.Duration.minutes(1)),
            )  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"example/api-key": "local-key"}}


def _compressed(stack: str, body: Any = BODY, headers: dict[str, str] | None = None) -> Answer:
    """A compressed answer: gzip through the proxy; through the HTTP Task (which fails on a
    gzip body itself) a readable body labelled ``br``."""
    if stack == "Http":
        extra = {"Content-Encoding": "br", **(headers or {})}
        return Answer(200, json.dumps(body).encode(), extra)
    answer = gzipped(body)
    return Answer(answer.status, answer.body, {**answer.headers, **(headers or {})})


def _items(runner: Any) -> list[dict[str, Any]]:
    return list(runner.items())


def _refused(run: Any, path: str) -> None:
    assert (run.status, run.error) == ("FAILED", ERROR), run.cause
    assert f"The answer to {path} is " in run.cause and "-compressed" in run.cause


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_records_of_one_request_refuse_a_compressed_answer_and_keep_every_digit(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """Download (checked) → Persist (the raw answer passed on) → ReadRecords → RecordsValid →
    WriteRecords, the records read from the raw answer: a compressed answer stores nothing."""
    runner = open_runner(f"{stack}/Merged")
    upstream.respond(lambda seen: _compressed(stack))
    _refused(runner.run(T0), "/v1/things")
    assert _items(runner) == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    items = _items(runner)
    [answer] = [i for i in items if i["pk"] == "merged"]
    assert json.loads(answer["page"]) == BODY
    records = sorted(json.loads(i["record"])["id"] for i in items if i["pk"] != "merged")
    assert records == [2, BIG]
    assert runner.states_entered(run)[:2] == ["Download", "Persist"]


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_records_alone_refuse_a_compressed_answer(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """``keep_answers=False`` with a selector: Download (checked) → the records, read from the
    raw answer through the selector."""
    runner = open_runner(f"{stack}/Only")
    upstream.respond(lambda seen: _compressed(stack))
    _refused(runner.run(T0), "/v1/things")
    assert _items(runner) == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    records = sorted(json.loads(i["record"])["id"] for i in _items(runner))
    assert records == [2, BIG]
    assert runner.states_entered(run)[0] == "Download"


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_page_count_with_on_status_refuses_a_compressed_first_page(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """The first page's download checked (on_status caught into the run's end, a 204 routed by
    a Choice): a compressed first page stores nothing; a 404 stores nothing and succeeds; two
    pages store every digit."""
    runner = open_runner(f"{stack}/Orders")

    def pages() -> list[Any]:  # (a skipped first page marks its delivery, as before)
        return [json.loads(i["page"]) for i in _items(runner) if "page" in i]

    upstream.respond(lambda seen: _compressed(stack, headers={"X-Pages": "2"}))
    _refused(runner.run(T0), "/v1/orders")
    assert _items(runner) == []
    for skipped in (Answer(404, b'{"message": "none"}'), Answer(204, b"")):
        upstream.respond(lambda seen, answer=skipped: answer)  # type: ignore[misc]
        run = runner.run(T0)
        assert run.status == "SUCCEEDED", run.cause
        assert pages() == []
        assert runner.states_entered(run)[0] == "DownloadFirstPage"
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode(), {"X-Pages": "2"}))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert pages() == [BODY, BODY]
    assert runner.states_entered(run)[:4] == [
        "DownloadFirstPage", "DownloadFirstPageStatus", "PersistFirstPage", "CountPages",
    ]  # fmt: skip


def _states(app: cdk.App, stack: str, name: str) -> dict[str, Any]:
    return definition_states(app, stack, name)


def test_records_follow_the_checked_download(app: cdk.App) -> None:
    """The download is the JSONata one (its Assign refuses a compressed answer, a Catch fails
    the run); the records read the raw answer through the selector."""
    for stack in ("Api", "Http"):
        merged = _states(app, stack, "Merged")
        assert merged["Download"]["QueryLanguage"] == "JSONata"
        assert "answerChecked" in merged["Download"]["Assign"]
        assert merged["Download"]["Catch"][0]["Next"] == "AnswerCompressed"
        assert merged["Download"]["Next"] == "Persist"
        assert (merged["Persist"]["Next"], merged["Persist"]["ResultPath"]) == ("ReadRecords", None)
        only = _states(app, stack, "Only")
        assert "Persist" not in only
        assert only["Download"]["Next"] == "ReadRecords"
        assert only["WriteRecords"]["ItemsPath"] == "$.ResponseBody"  # "things.$" read through
        assert only["WriteRecords"]["ResultPath"] is None


def test_page_count_with_on_status_checks_its_first_page(app: cdk.App) -> None:
    """The first page's download is the JSONata one; the statuses with an action are caught
    into the run's end (its input passed on), a 204 routed by a Choice on the raw answer; no
    ``SelectDownloadFirstPage`` (one state less than the JSONPath first page)."""
    for stack in ("Api", "Http"):
        states = _states(app, stack, "Orders")
        first = states["DownloadFirstPage"]
        assert first["QueryLanguage"] == "JSONata" and "answerChecked" in first["Assign"]
        catches = {tuple(c["ErrorEquals"]): c for c in first["Catch"]}
        assert catches[("States.QueryEvaluationError",)]["Next"] == "AnswerCompressed"
        [skipped] = [c for errors, c in catches.items() if errors[0].endswith("404")]
        assert skipped["Output"] == "{% $states.input %}"
        assert first["Next"] == "DownloadFirstPageStatus"
        status = states["DownloadFirstPageStatus"]
        assert status["Choices"][0]["Variable"] == "$.StatusCode"
        assert status["Default"] == "PersistFirstPage"
        assert "SelectDownloadFirstPage" not in states


def _archived(runner: Any, stack: str) -> list[Any]:
    return archived_in(runner, f"{stack}/Archived/Bucket")


def _received(runner: Any, stack: str) -> list[Any]:
    return received_from(runner, f"{stack}/Queue")


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_on_status_with_an_archive_refuses_a_compressed_answer(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """Download (checked; 404 caught into Skipped) → DownloadStatus (204) → Persist →
    SelectResult → Archive: a compressed answer stores and archives nothing, a 404 or a 204
    neither (the run succeeds), a 200 every digit."""
    runner = open_runner(f"{stack}/Archived")
    upstream.respond(lambda seen: _compressed(stack))
    _refused(runner.run(T0), "/v1/things")
    for skipped in (Answer(404, b'{"message": "none"}'), Answer(204, b"")):
        upstream.respond(lambda seen, answer=skipped: answer)  # type: ignore[misc]
        run = runner.run(T0)
        assert run.status == "SUCCEEDED", run.cause
        assert runner.states_entered(run)[-1] == "Skipped"
    assert _items(runner) == [] and _archived(runner, stack) == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    [item] = _items(runner)
    assert json.loads(item["things"]) == BODY
    assert _archived(runner, stack) == [{"things": BODY}]
    assert runner.states_entered(run) == [
        "Download", "DownloadStatus", "Persist", "SelectResult", "Archive",
    ]  # fmt: skip


@pytest.mark.parametrize("stack", ["Api", "Http"])
def test_on_status_with_post_process_sends_nothing_of_a_compressed_answer(
    open_runner: Callable[..., Any], upstream: Upstream, stack: str
) -> None:
    """The user's states get every digit of a 200 and nothing of a compressed answer or of a
    skipped 404."""
    runner = open_runner(f"{stack}/Posted")
    upstream.respond(lambda seen: _compressed(stack))
    _refused(runner.run(T0), "/v1/things")
    upstream.respond(lambda seen: Answer(404, b'{"message": "none"}'))
    assert runner.run(T0).status == "SUCCEEDED"
    assert _items(runner) == [] and _received(runner, stack) == []
    upstream.respond(lambda seen: Answer(200, json.dumps(BODY).encode()))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    [item] = _items(runner)
    assert json.loads(item["page"]) == BODY
    [message] = _received(runner, stack)
    assert message["result"]["ResponseBody"] == BODY and message["key"]["sk"] == T0


def test_on_status_with_retry_after_refuses_a_compressed_answer_and_waits_on_a_throttled_one(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """Through the proxy: a compressed answer is refused; a 404 is skipped; a 429 then a 200
    waits, asks again and stores every digit."""
    runner = open_runner("Api/Waits", fast_retries=True)
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(runner.run(T0), "/v1/things")
    upstream.respond(lambda seen: Answer(404, b'{"message": "none"}'))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert runner.states_entered(run) == ["Download", "Skipped"]
    assert _items(runner) == []
    answers = iter([Answer(429, b'{"message": "slow"}', {"Retry-After": "1"})])
    upstream.respond(lambda seen: next(answers, Answer(200, json.dumps(BODY).encode())))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    [item] = _items(runner)
    assert json.loads(item["page"]) == BODY
    assert runner.states_entered(run) == [
        "Download", "DownloadThrottled", "ComputeRetryAfter", "RetryAfterAllowed",
        "WaitRetryAfter", "Download", "DownloadThrottled", "Persist",
    ]  # fmt: skip
