"""One request with query overrides and an archive or ``post_process`` refuses a compressed
answer (issue 25 item 14): the run fails with ``Downloader.CompressedAnswer``, the cause
naming the request asked (the run's own query), before anything is stored, archived or sent;
a readable answer is stored, archived and sent with every digit, keyed by the run's values.

The download is the checked one (a JSONata task whose ``Assign`` refuses a compressed answer
and computes the overrides): Download → Persist → SelectResult → [Archive] → your states, no
override state before it (on main, the JSONPath override states, and the gzip bytes stored as
text under ``<scheduled time>#state=open``).
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

from local_helpers import Answer, Upstream, definition_states, gzipped, received_from
from sfn_downloader import Archive, DownloaderPattern, ItemField, Starts

T0 = "2026-11-27T05:00:00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it
BODY = [{"id": BIG, "name": "a"}, {"id": 2, "name": "b"}]
PATH = "/v1/things?state=open&per=2"
CLOSED = {"scheduledTime": T0, "query": {"state": "closed"}}
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """An archive of the whole answer; ``post_process`` after a selector."""
    app = cdk.App()
    stack = cdk.Stack(app, "Over")
    starts = Starts.scheduled_and_on_demand(overridable_query=["state"])
    DownloaderPattern(
        stack, "Archived", endpoint="https://api.example.com", path=PATH, starts=starts,
        downloader_id="archived", item={"page": ItemField.json("$.ResponseBody")},
        archive=Archive.to_new_bucket(),
    )  # fmt: skip
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    send = tasks.SqsSendMessage(
        stack, "Send", queue=queue, message_body=sfn.TaskInput.from_json_path_at("$"),
        result_path=sfn.JsonPath.DISCARD,
    )  # fmt: skip
    DownloaderPattern(
        stack, "Posted", endpoint="https://api.example.com", path=PATH,
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
        downloader_id="posted", result_selector={"things.$": "$.ResponseBody"},
        item={"things": ItemField.json("$.things")}, post_process=send,
    )  # fmt: skip
    DownloaderPattern(
        stack, "Plain", endpoint="https://api.example.com", path=PATH, downloader_id="plain",
        item={"page": ItemField.json("$.ResponseBody")},
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
    )  # fmt: skip
    return app


def _items(runner: Any) -> dict[str, Any]:
    return {i["sk"]: i for i in runner.items()}


def _archived(runner: Any) -> dict[str, Any]:
    return runner.objects()  # type: ignore[no-any-return]


def _received(runner: Any) -> list[Any]:
    return received_from(runner, "Over/Queue")


def _refused(run: Any, asked: str) -> None:
    assert (run.status, run.error) == ("FAILED", ERROR), run.cause
    assert f"The answer to {asked} is gzip-compressed" in (run.cause or "")


def _answering(upstream: Upstream) -> list[dict[str, list[str]]]:
    """Every request answered readably; the queries asked, in order."""
    asked: list[dict[str, list[str]]] = []

    def answer(seen: Any) -> Answer:
        asked.append(dict(seen.query))
        return Answer(200, json.dumps(BODY).encode())

    upstream.respond(answer)
    return asked


# A run started on demand or on schedule checks its input first. Measured on main (03a3698),
# with the JSONPath override states: CheckInput → HasQueryOverrides → DefaultQuery (an
# overridden run: QueryDefaults → MergeQuery → OverrideQuery) → Download → Persist → StoredKey
# → your states; now two states fewer on a scheduled run, four on an overridden one.
ENTERED = {
    "Archived": ["CheckInput", "Download", "Persist", "SelectResult", "Archive", "ArchivedObject"],
    "Posted": ["CheckInput", "Download", "Persist", "SelectResult", "Send"],
}


def test_an_archive_refuses_a_compressed_answer_to_a_scheduled_run(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Over/Archived")
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(runner.run(T0), "/v1/things?state=open&per=2")
    assert _items(runner) == {} and _archived(runner) == {}
    asked = _answering(upstream)
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert asked == [{"state": ["open"], "per": ["2"]}]
    item = _items(runner)[f"{T0}#state=open"]
    assert json.loads(item["page"]) == BODY and item["query"] == {"state": "open"}
    [(name, body)] = _archived(runner).items()
    assert name.endswith(f"/archived/{T0}#state=open.json")
    assert body["ResponseBody"] == BODY  # every digit
    assert runner.states_entered(run) == ENTERED["Archived"]


def test_an_archive_refuses_a_compressed_answer_to_an_overridden_run(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Over/Archived")
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(runner.run(input=CLOSED), "/v1/things?state=closed&per=2")
    assert _items(runner) == {} and _archived(runner) == {}
    asked = _answering(upstream)
    run = runner.run(input=CLOSED)
    assert run.status == "SUCCEEDED", run.cause
    assert asked == [{"state": ["closed"], "per": ["2"]}]
    item = _items(runner)[f"{T0}#state=closed"]
    assert json.loads(item["page"]) == BODY and item["query"] == {"state": "closed"}
    [(name, body)] = _archived(runner).items()
    assert name.endswith(f"/archived/{T0}#state=closed.json")
    assert body["ResponseBody"] == BODY
    assert runner.states_entered(run) == ENTERED["Archived"]


@pytest.mark.parametrize("given", [None, CLOSED], ids=["scheduled", "overridden"])
def test_post_process_gets_nothing_of_a_compressed_answer(
    open_runner: Callable[..., Any], upstream: Upstream, given: Any
) -> None:
    """The user's states get every digit of a readable answer, the stored key and the query
    asked (``$.query``, as the override states wrote it), and nothing of a compressed one."""
    runner = open_runner("Over/Posted")
    state = "closed" if given else "open"
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(runner.run(T0, input=given), f"/v1/things?state={state}&per=2")
    assert _items(runner) == {} and _received(runner) == []
    _answering(upstream)
    run = runner.run(T0, input=given)
    assert run.status == "SUCCEEDED", run.cause
    item = _items(runner)[f"{T0}#state={state}"]
    assert json.loads(item["things"]) == BODY
    [message] = _received(runner)
    assert message["result"] == {"things": BODY}
    assert message["key"] == {"pk": "posted", "sk": f"{T0}#state={state}"}
    assert message["query"] == {"state": [state], "per": ["2"]}
    assert message["scheduledTime"] == T0
    assert runner.states_entered(run) == ENTERED["Posted"]


def _states(app: cdk.App, name: str) -> dict[str, Any]:
    return definition_states(app, "Over", name)


def test_the_checked_download_computes_the_overrides(app: cdk.App) -> None:
    """No override state: the JSONata download asks the run's query (its Arguments) and
    refuses a compressed answer (its Assign), then Persist → SelectResult."""
    for name in ("Archived", "Posted"):
        states = _states(app, name)
        download = states["Download"]
        assert download["QueryLanguage"] == "JSONata"
        assert {"answerChecked", "keySuffix", "queryAttribute"} <= set(download["Assign"])
        assert download["Catch"][0]["Next"] == "AnswerCompressed"
        assert download["Next"] == "Persist" and states["Persist"]["Next"] == "SelectResult"
        assert not {"HasQueryOverrides", "DefaultQuery", "OverrideQuery"} & set(states)
        select = states["SelectResult"]["Parameters"]
        assert select["key"]["sk.$"].startswith("States.Format(")
        assert "$keySuffix" in select["key"]["sk.$"]
    assert _states(app, "Posted")["SelectResult"]["Parameters"]["query.$"] == "$overrideQuery"
    assert states["Download"]["Arguments"]["QueryParameters"].startswith("{% ")


def test_the_cause_names_the_url_an_overridden_run_asked(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """Without an archive or post_process too: the run's own values (main named the path's
    defaults, ``state=open``, whatever the run asked)."""
    runner = open_runner("Over/Plain")
    upstream.respond(lambda seen: gzipped(BODY))
    _refused(runner.run(input=CLOSED), "/v1/things?state=closed&per=2")
    _refused(runner.run(T0), "/v1/things?state=open&per=2")
    assert _items(runner) == {}
