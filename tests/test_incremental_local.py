"""Incremental, run locally: the mark each run sends, where it is kept, and that it only ever
moves forward, after the answer is stored (runs 1-4 of the issue, and concurrent deliveries)."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import aws_cdk as cdk
import boto3
import pytest

from local_helpers import Answer, Seen, Upstream, gzipped
from sfn_downloader import Archive, DownloaderPattern, Incremental, ItemField, Store, Trim
from sfn_downloader.local import CompressedAnswerWarning, LocalExecution, LocalRunner

INITIAL = "2026-01-01T00:00:00Z"
T = ["2026-11-27T05:30:00Z", "2026-11-27T05:31:00Z", "2026-11-27T05:32:00Z", "2026-11-27T05:33:00Z"]


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Marks")
    DownloaderPattern(
        stack,
        "Issues",
        endpoint="https://api.github.com",
        path="/repos/aws/aws-cdk/issues?state=all&sort=updated&direction=asc",
        incremental=Incremental(
            cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL
        ),
        result_selector={"issues.$": "$.ResponseBody"},
        item={"issues": ItemField.json("$.issues")},
        downloader_id="github/issues",
    )
    DownloaderPattern(
        stack,
        "Ids",
        endpoint="https://api.example.com",
        path="/v1/changes",
        incremental=Incremental("$.ResponseBody.changes[*].id", "after", 0),
        item={"changes": ItemField.json("$.ResponseBody.changes")},
        downloader_id="ids",
    )
    DownloaderPattern(
        stack,
        "Archived",
        endpoint="https://api.example.com",
        path="/v1/changes",
        incremental=Incremental("$.ResponseBody.changes[*].id", "after", 0),
        item={"changes": ItemField.json("$.ResponseBody.changes")},
        archive=Archive.to_new_bucket(),
        downloader_id="archived",
    )
    DownloaderPattern(
        stack,
        "Slack",
        endpoint="https://slack.example.com",
        path="/api/conversations.history?channel=C1",
        incremental=Incremental("$.ResponseBody.messages[*].ts", "oldest", 0),
        item={"messages": ItemField.json("$.ResponseBody.messages")},
        downloader_id="slack",
    )
    DownloaderPattern(
        stack,
        "HeaderIds",
        endpoint="https://api.example.com",
        path="/v1/events",
        incremental=Incremental("$.Headers.X-Last-Id[0]", "after", 0),
        item={"events": ItemField.json("$.ResponseBody")},
        downloader_id="header-ids",
    )
    # Through a non-proxy integration (trim), which maps response headers by name.
    DownloaderPattern(
        stack,
        "TrimmedHeaderIds",
        endpoint="https://api.example.com",
        path="/v1/events",
        incremental=Incremental("$.Headers.X-Last-Id[0]", "after", 0),
        item={"events": ItemField.json("$.ResponseBody")},
        trim=Trim.template("$input.json('$')"),
        downloader_id="trimmed-header-ids",
    )
    DownloaderPattern(
        stack,
        "Unchanged",
        endpoint="https://api.example.com",
        path="/v1/changes",
        incremental=Incremental("$.ResponseBody.changes[*].id", "after", 0),
        store=Store.changes_only(),
        result_selector={"changes.$": "$.ResponseBody.changes"},
        item={"changes": ItemField.json("$.changes")},
        downloader_id="unchanged",
    )
    return app


def issues(*updated: str) -> Answer:
    return Answer(200, [{"id": n, "updated_at": at} for n, at in enumerate(updated)])


def state(runner: LocalRunner, pk: str) -> dict[str, Any]:
    [item] = [i for i in runner.items() if i["pk"] == pk and i["sk"] == "#state"]
    return item


def answers(runner: LocalRunner, pk: str) -> list[dict[str, Any]]:
    return [i for i in runner.items() if i["pk"] == pk and i["sk"] != "#state"]


def test_each_run_sends_the_mark_the_last_stored_answer_reached(
    app: cdk.App, upstream: Upstream
) -> None:
    with LocalRunner(
        app, upstream=upstream.url, pattern="Marks/Issues", fast_retries=True
    ) as runner:
        # Run 1: asks from `initial`, stores, moves the mark to the newest record.
        upstream.script(issues("2026-02-01T00:00:00Z", "2026-03-01T10:00:00Z"))
        first = runner.run(T[0])
        assert first.status == "SUCCEEDED", first.cause
        assert upstream.requests[0].query["since"] == [INITIAL]
        assert state(runner, "github/issues")["mark"] == "2026-03-01T10:00:00Z"
        # Run 2: asks from that mark; an answer written with an offset ("+" must survive the
        # query's encoding) is compared as an instant and sent back as the API wrote it.
        upstream.script(
            issues("2026-03-01T10:00:00Z", "2026-03-01T11:30:00+01:00", "2026-03-01T10:15:00Z")
        )
        second = runner.run(T[1])
        assert second.status == "SUCCEEDED", second.cause
        assert upstream.requests[0].query["since"] == ["2026-03-01T10:00:00Z"]
        mark = state(runner, "github/issues")
        assert mark["mark"] == "2026-03-01T11:30:00+01:00"  # 10:30 UTC, the newest
        assert mark["markOrder"] == 1772361000000 and mark["markSetBy"] == T[1]
        # Run 3 fails (the API is down past the retries): nothing stored, the mark stays.
        upstream.script(default=Answer(503, {"message": "down"}))
        third = runner.run(T[2])
        assert third.status == "FAILED" and third.error == "ApiGateway.503"
        assert state(runner, "github/issues") == mark
        # Run 4 asks again from the old mark: no gap.
        upstream.script(
            issues("2026-03-01T11:30:00+01:00", "2026-03-02T00:00:00Z"), default=Answer(200, [])
        )
        fourth = runner.run(T[3])
        assert fourth.status == "SUCCEEDED", fourth.cause
        assert upstream.requests[0].query["since"] == ["2026-03-01T11:30:00+01:00"]
        assert state(runner, "github/issues")["mark"] == "2026-03-02T00:00:00Z"
        # Three answers stored, each under its scheduled time and its delivery.
        stored = answers(runner, "github/issues")
        assert [i["sk"].split("#")[0] for i in stored] == [T[0], T[1], T[3]]
        assert {i["sk"].split("#", 1)[1] for i in stored} == {first.name, second.name, fourth.name}


def test_an_empty_answer_keeps_the_mark(app: cdk.App, upstream: Upstream) -> None:
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Issues") as runner:
        upstream.script(issues("2026-05-01T00:00:00Z"), default=Answer(200, []))
        assert runner.run(T[0]).succeeded
        assert runner.run(T[1]).succeeded
        assert state(runner, "github/issues")["mark"] == "2026-05-01T00:00:00Z"
        assert upstream.requests[1].query["since"] == ["2026-05-01T00:00:00Z"]


def test_numbers_compare_as_numbers(app: cdk.App, upstream: Upstream) -> None:
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Ids") as runner:
        upstream.script(Answer(200, {"changes": [{"id": 9}, {"id": 10}, {"id": 2}]}))
        assert runner.run(T[0]).succeeded
        assert upstream.requests[0].query["after"] == ["0"]
        mark = state(runner, "ids")
        assert (mark["mark"], mark["markOrder"]) == ("10", 10)  # not "9" (text order)


def test_numbers_written_as_text_compare_as_numbers(app: cdk.App, upstream: Upstream) -> None:
    """Issue 25, item 13: with a numeric ``initial``, Slack's ``ts`` ("1700000000.000100") and a
    header's id ("12345") are numbers written as text; they were skipped, so every run asked
    from the initial mark. Compared as numbers ("10.5" after "9.75", not before), sent as the
    API wrote them; a text that is not a number is still skipped."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Slack") as runner:
        messages = ["1700000000.000100", "1700000009.750000", "1700000010.500000", "soon"]
        upstream.script(
            Answer(200, {"messages": [{"ts": ts} for ts in messages]}),
            default=Answer(200, {"messages": []}),
        )
        assert runner.run(T[0]).succeeded
        assert runner.run(T[1]).succeeded
        assert [r.query["oldest"] for r in upstream.requests] == [["0"], ["1700000010.500000"]]
        assert state(runner, "slack")["mark"] == "1700000010.500000"
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/HeaderIds") as runner:
        upstream.script(
            Answer(200, [], {"X-Last-Id": "12345"}), Answer(200, [], {"X-Last-Id": "99"}),
            default=Answer(200, [], {"X-Last-Id": "12346"}),
        )  # fmt: skip
        for when in T[:4]:
            assert runner.run(when).succeeded
        sent = [r.query["after"] for r in upstream.requests]
        assert sent == [["0"], ["12345"], ["12345"], ["12346"]]  # 99 < 12345: kept
        mark = state(runner, "header-ids")
        assert (mark["mark"], mark["markOrder"]) == ("12346", 12346)


def test_concurrent_deliveries_never_move_the_mark_back(app: cdk.App, upstream: Upstream) -> None:
    """Two deliveries of one scheduled run (EventBridge Scheduler delivers at least once) both
    read the same mark. The one whose answer reaches further stores and advances first; the
    other, answered later with an older view, stores its own item and cannot move it back."""
    arrived = threading.Barrier(2, timeout=120)
    order: list[str] = []
    lock = threading.Lock()

    def answer(seen: Seen) -> Answer:
        del seen
        arrived.wait()  # both deliveries have read the mark and asked with it
        with lock:
            slow = not order
            order.append("older" if slow else "newer")
        if slow:
            time.sleep(1.0)  # answers after the other one has advanced the mark
            return issues("2026-06-01T00:00:00Z")
        return issues("2026-06-01T00:00:00Z", "2026-06-03T00:00:00Z")

    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Issues") as runner:
        upstream.script(issues("2026-05-01T00:00:00Z"))
        assert runner.run(T[0]).succeeded
        upstream.respond(answer)
        results: list[LocalExecution] = []
        threads = [
            threading.Thread(target=lambda: results.append(runner.run(T[1]))) for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], results
        assert [s.query["since"] for s in upstream.requests] == [["2026-05-01T00:00:00Z"]] * 2
        mark = state(runner, "github/issues")
        assert mark["mark"] == "2026-06-03T00:00:00Z"  # the newer one's, not moved back
        # Each delivery kept its own answer: the older one overwrote nothing.
        assert len([i for i in answers(runner, "github/issues") if i["sk"].startswith(T[1])]) == 2
        # The older delivery reached AdvanceMark and was refused by its condition.
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        entered = {result.name: _states_entered(sfn, result.name) for result in results}
        assert sorted("MarkKept" in names for names in entered.values()) == [False, True]


def _states_entered(sfn: Any, name: str) -> list[str]:
    for machine in sfn.list_state_machines()["stateMachines"]:
        for execution in sfn.list_executions(stateMachineArn=machine["stateMachineArn"])[
            "executions"
        ]:
            if execution["name"] == name:
                events = sfn.get_execution_history(executionArn=execution["executionArn"])
                return [
                    e["stateEnteredEventDetails"]["name"]
                    for e in events["events"]
                    if "stateEnteredEventDetails" in e
                ]
    raise AssertionError(f"no execution {name}")


# --- issue 25: the marks as jsonata 2.0.6 (AWS's JSONata) computes them -----------------------


def test_a_cursor_value_jsonata_cannot_read_never_becomes_the_mark(
    app: cdk.App, upstream: Upstream
) -> None:
    """Issue 25, point 2: jsonata 2.0.6's $toMillis refuses "2026-01-06 10:00:00" (D3110);
    with jsonata-python the local run moved the mark to it, a run AWS would fail. Issue 26 chose
    what happens instead: a value that is not ISO 8601 with seconds and a zone is skipped, the
    answer is stored whole and the mark follows the other values (here: none, so it stays)."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Issues") as runner:
        upstream.script(issues("2026-01-06 10:00:00"))
        execution = runner.run(T[0])
        assert execution.status == "SUCCEEDED", execution.cause
        assert [i for i in runner.items() if i["sk"] != "#state"] != []  # the answer is stored
        marks = [i.get("mark") for i in runner.items() if i["sk"] == "#state"]
        assert all(mark in (None, INITIAL) for mark in marks)


def test_a_16_digit_numeric_mark_is_sent_with_its_exact_digits(
    app: cdk.App, upstream: Upstream
) -> None:
    """Issue 25, point 3: $string(1764221400123456) is "1764221400123460" in jsonata 2.0.6 (15
    significant digits: an exclusive since_id would skip records; jsonata-python wrote
    "1.76422140012346e+15"): integers up to 2^53 - 1 are written with $formatInteger."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Ids") as runner:
        upstream.script(
            Answer(200, {"changes": [{"id": 1764221400123456}, {"id": 9}]}),
            default=Answer(200, {"changes": []}),
        )
        assert runner.run(T[0]).succeeded
        assert runner.run(T[1]).succeeded
        assert upstream.requests[1].query["after"] == ["1764221400123456"]
        mark = state(runner, "ids")
        assert (mark["mark"], mark["markOrder"]) == ("1764221400123456", 1764221400123456)


def test_a_value_to_come_or_unreadable_never_becomes_the_mark(
    app: cdk.App, upstream: Upstream
) -> None:
    """Issue 26, 3: one record dated 9999 would make every later run ask for nothing; an
    unreadable one used to fail the run after its page was stored. Both are skipped: the
    answer is stored whole, the mark follows the other values (at most the scheduled time
    + 60 s)."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Issues") as runner:
        upstream.script(
            issues("2026-05-01T00:00:00Z", "9999-12-31T23:59:59Z", "yesterday",
                   "2026-13-01T00:00:00Z", "2026-11-27T05:31:30Z", "2026-11-27T05:30:30Z"),
            Answer(200, [{"updated_at": "9999-12-31T23:59:59Z"}, {"updated_at": 7}]),
        )  # fmt: skip
        first = runner.run(T[0])
        assert first.status == "SUCCEEDED", first.cause
        assert len(json.loads(answers(runner, "github/issues")[0]["issues"])) == 6
        assert state(runner, "github/issues")["mark"] == "2026-11-27T05:30:30Z"
        second = runner.run(T[1])
        assert second.status == "SUCCEEDED", second.cause
        assert state(runner, "github/issues")["mark"] == "2026-11-27T05:30:30Z"
        assert upstream.requests[1].query["since"] == ["2026-11-27T05:30:30Z"]


def test_each_delivery_archives_its_own_object(app: cdk.App, upstream: Upstream) -> None:
    """Issue 26, 9: two deliveries of one scheduled time keep two items (keyed by time and
    execution); their objects carry the same key suffix, so neither overwrites the other."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Archived") as runner:
        upstream.script(
            Answer(200, {"changes": [{"id": 1}]}), Answer(200, {"changes": [{"id": 2}]})
        )
        first, second = runner.run(T[0]), runner.run(T[0])
        assert first.succeeded and second.succeeded
        stored = {i["sk"]: json.loads(i["changes"]) for i in answers(runner, "archived")}
        assert sorted(stored) == sorted(f"{T[0]}#{e.name}" for e in (first, second))
        objects = {key.split("/", 1)[1]: body for key, body in runner.objects().items()}
        assert {name: body["ResponseBody"]["changes"] for name, body in objects.items()} == {
            f"archived/{sk}.json": changes for sk, changes in stored.items()
        }


def test_the_archive_after_the_mark_keeps_every_digit(app: cdk.App, upstream: Upstream) -> None:
    """Issue 28(a): the mark moves before the archive is written; there it stays a JSONPath
    UpdateItem after ComputeMark, which passes the state on untouched (a JSONata task would
    pass the answer through JSONata's doubles: ...567 archived as ...568)."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Archived") as runner:
        upstream.script(Answer(200, b'{"changes": [{"id": 5, "big": 12345678901234567}]}'))
        run = runner.run(T[0])
        assert run.succeeded, run.cause
        entered = runner.states_entered(run)
        order = [entered.index(name) for name in ("ComputeMark", "AdvanceMark", "Archive")]
        assert order == sorted(order)
        [body] = runner.objects().values()
        assert body["ResponseBody"]["changes"] == [{"id": 5, "big": 12345678901234567}]
        assert state(runner, "archived")["mark"] == "5"


@pytest.mark.parametrize(
    ("pattern", "pk"), [("HeaderIds", "header-ids"), ("TrimmedHeaderIds", "trimmed-header-ids")]
)
def test_a_header_mark_is_read_whatever_the_case_of_its_name(
    app: cdk.App, upstream: Upstream, pattern: str, pk: str
) -> None:
    """``$.Headers.X-Last-Id[0]`` against an API sending ``x-last-id`` (HTTP/2 servers write
    every name in lower case): the mark follows it, through the proxy and through a trimming
    proxy (which maps the lower-case spelling too); an answer without the header keeps it
    (issue 25, item 12). Before, the JSONPath read was case-sensitive."""
    with LocalRunner(app, upstream=upstream.url, pattern=f"Marks/{pattern}") as runner:
        upstream.script(
            Answer(200, [], {"x-last-id": "12345"}), Answer(200, []),
            default=Answer(200, [], {"X-LAST-ID": "12346"}),
        )  # fmt: skip
        for when in T[:4]:
            execution = runner.run(when)
            assert execution.succeeded, execution.cause
        sent = [r.query["after"] for r in upstream.requests]
        if pattern == "HeaderIds":
            assert sent == [["0"], ["12345"], ["12345"], ["12346"]]
        else:  # a trimming proxy maps the spelling read and the lower-case one, no third
            assert sent == [["0"], ["12345"], ["12345"], ["12345"]]
        assert state(runner, pk)["mark"] == ("12346" if pattern == "HeaderIds" else "12345")


# --- issue 25 item 14: a compressed answer refused on one incremental request ------------------


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
@pytest.mark.parametrize(
    ("pattern", "pk"), [("Ids", "ids"), ("Issues", "github/issues"), ("HeaderIds", "header-ids")]
)
def test_a_compressed_answer_is_not_stored_and_keeps_the_mark(
    app: cdk.App, upstream: Upstream, pattern: str, pk: str
) -> None:
    """A gzip answer the API sends although ``identity`` was asked: before, the JSONPath
    download stored its bytes decoded as text (and the mark stayed). Now the download's own
    ``Assign`` refuses it (``Downloader.CompressedAnswer``): nothing stored, the mark as it
    was, and the next run asks from it again."""
    with LocalRunner(app, upstream=upstream.url, pattern=f"Marks/{pattern}") as runner:
        upstream.script(
            Answer(200, {"changes": [{"id": 7}]}, {"X-Last-Id": "7"}),
            gzipped({"changes": [{"id": 9}]}) if pattern != "Issues"
            else gzipped([{"updated_at": "2026-06-01T00:00:00Z"}]),
            default=Answer(200, {"changes": []}),
        )  # fmt: skip
        assert runner.run(T[0]).succeeded
        before = state(runner, pk)
        with pytest.warns(CompressedAnswerWarning):
            execution = runner.run(T[1])
        assert (execution.status, execution.error) == ("FAILED", "Downloader.CompressedAnswer")
        assert "The answer to " in (execution.cause or "")
        assert "-compressed" in (execution.cause or ""), execution.cause
        assert [i["sk"].split("#")[0] for i in answers(runner, pk)] == [T[0]]
        assert state(runner, pk) == before
        assert runner.states_entered(execution) == ["ReadState", "Download", "AnswerCompressed"]


def test_one_incremental_request_stays_at_four_states_and_keeps_every_digit(
    app: cdk.App, upstream: Upstream
) -> None:
    """The checked (JSONata) download has no ``Output``: the raw answer reaches Persist
    unevaluated (12345678901234567 stored as sent); only the cursor values, assigned from
    ``$states.result``, go through JSONata, as the mark always did."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Ids") as runner:
        upstream.script(Answer(200, b'{"changes": [{"id": 5, "big": 12345678901234567}]}'))
        execution = runner.run(T[0])
        assert execution.succeeded, execution.cause
        assert runner.states_entered(execution) == [
            "ReadState", "Download", "Persist", "AdvanceMark"
        ]  # fmt: skip
        [item] = answers(runner, "ids")
        assert json.loads(item["changes"]) == [{"id": 5, "big": 12345678901234567}]
        assert item["changes"].count("12345678901234567") == 1
        assert state(runner, "ids")["mark"] == "5"


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_with_changes_only_the_mark_follows_the_stored_answers_in_six_states(
    app: cdk.App, upstream: Upstream
) -> None:
    """incremental + ``changes_only`` on one request: the JSONPath download keeps the cursor
    values and the answer's text beside each other (``_compared``): ReadState → Download →
    ReadAnswer → Persist → Remember → AdvanceMark (was 9 with ReadDownload, SelectDownload and
    AnswerText)."""
    with LocalRunner(app, upstream=upstream.url, pattern="Marks/Unchanged") as runner:
        upstream.script(
            Answer(200, b'{"changes": [{"id": 5, "big": 12345678901234567}]}'),
            gzipped({"changes": [{"id": 9}]}),
            Answer(200, {"changes": [{"id": 8}]}),
        )
        first = runner.run(T[0])
        assert first.succeeded, first.cause
        assert runner.states_entered(first) == [
            "ReadState", "Download", "ReadAnswer", "Persist", "Remember", "AdvanceMark"
        ]  # fmt: skip
        assert state(runner, "unchanged")["mark"] == "5"
        [item] = answers(runner, "unchanged")
        assert json.loads(item["changes"]) == [{"id": 5, "big": 12345678901234567}]
        assert "12345678901234567" in item["changes"]
        # A compressed answer: the JSONPath download's Assign reads the cursor path into the
        # body, which the text is not (States.Runtime, as a selector reading into the body
        # fails, docs/features/requests.md Limits): nothing stored, the mark stays.
        with pytest.warns(CompressedAnswerWarning):
            second = runner.run(T[1])
        assert (second.status, second.error) == ("FAILED", "States.Runtime")
        assert state(runner, "unchanged")["mark"] == "5"
        assert len(answers(runner, "unchanged")) == 1
        third = runner.run(T[2])
        assert third.succeeded, third.cause
        assert [r.query["after"] for r in upstream.requests] == [["0"], ["5"], ["5"]]
        assert state(runner, "unchanged")["mark"] == "8"
