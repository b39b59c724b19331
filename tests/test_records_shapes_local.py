"""Records on every shape, run locally: each fan-out path's answer (``FanOut.paths``,
``path_values``, ``from_answer``), every page of every path (fan-out x pages), and
``page_count``'s pages 2..N in a Map, on both transports. A bad record (or a failed write)
inside a path fails that path only, as a failed request does: the run ends
``Downloader.RequestsFailed`` naming it, the other paths' records stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from local_helpers import Answer, Seen, Upstream, market_orders
from local_helpers import answers as stored_answers
from sfn_downloader import (
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Records,
    Transport,
)
from sfn_downloader.local import LocalRunner

T = ["2026-11-27T05:30:00Z", "2026-11-27T05:31:00Z", "2026-11-27T05:32:00Z"]


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Shapes")
    DownloaderPattern(
        stack, "PagedFanOut", endpoint="https://api.example.com",
        path="/regions/{region}/orders",
        fan_out=FanOut.path_values({"region": ["eu", "us"]}),
        pagination=Pagination.page_number(param="page", items_path="$.ResponseBody"),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.merge(items="$.ResponseBody", key="id", version="rev"),
        downloader_id="paged",
    )  # fmt: skip
    connection = events.Connection(
        stack, "Connection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.unsafe_plain_text("k")
        ),
    )  # fmt: skip
    DownloaderPattern(
        stack, "FromAnswer", endpoint="https://api.example.com",
        fan_out=FanOut.from_answer(path="/types", each="/history?type_id={item}"),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody", key=("type", "day"), keep_answers=False),
        transport=Transport.http_task(connection), downloader_id="answer",
    )  # fmt: skip
    DownloaderPattern(
        stack, "PageCount", endpoint="https://api.example.com", path="/markets",
        pagination=Pagination.page_count(),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.merge(items="$.ResponseBody", key="order_id", version="issued"),
        downloader_id="counted",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Big", endpoint="https://api.example.com", path="/orders",
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody", key="order_id"),
        downloader_id="big",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Paths", endpoint="https://api.example.com",
        fan_out=FanOut.paths(["/a", "/b", "/c"]),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody", key="id"),
        downloader_id="paths",
    )  # fmt: skip
    return app


def records(runner: LocalRunner, pk: str) -> dict[str, dict[str, Any]]:
    """The records partition, sk → item (the record parsed from its JSON text)."""
    return {
        i["sk"]: {**i, "record": json.loads(i["record"])}
        for i in stored_answers(runner)
        if i["pk"] == f"{pk}#records"
    }


def answers(runner: LocalRunner, pk: str) -> list[str]:
    return sorted(i["sk"] for i in stored_answers(runner) if i["pk"] == pk)


def test_records_of_every_page_of_every_path(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/PagedFanOut", fast_retries=True)
    pages = {
        ("eu", "1"): [{"id": 1, "rev": 2}, {"id": 2, "rev": 1}],
        ("eu", "2"): [{"id": 1, "rev": 1}],  # an older version of 1: kept out
        ("us", "1"): [{"id": 3, "rev": 1}],
    }

    def answer(seen: Seen) -> Answer:
        region = seen.path.split("/")[2]
        return Answer(200, pages.get((region, seen.query["page"][0]), []))

    upstream.respond(answer)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    stored = records(runner, "paged")
    assert sorted(stored) == ["1", "2", "3"]
    assert stored["1"]["record"]["rev"] == 2
    assert stored["3"]["scheduledTime"] == T[0]
    assert len(answers(runner, "paged")) == 5  # eu 1..3, us 1..2 (the empty page ends each)


def test_a_record_missing_its_key_fails_its_path_only(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/PagedFanOut", fast_retries=True)
    pages = {
        ("eu", "1"): [{"id": 1, "rev": 1}],
        ("eu", "2"): [{"id": 2, "rev": 1}, {"rev": 1}],  # record 1 has no id
        ("us", "1"): [{"id": 3, "rev": 1}],
    }

    def answer(seen: Seen) -> Answer:
        region = seen.path.split("/")[2]
        return Answer(200, pages.get((region, seen.query["page"][0]), []))

    upstream.respond(answer)
    run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "Downloader.RequestsFailed")
    failed = json.loads(run.cause)
    assert failed == [
        {
            "ok": False, "key": "/regions/eu/orders", "error": "Downloader.BadRecord",
            "cause": "Record 1 has no key field 'id'.",
        }
    ]  # fmt: skip
    # eu's first page's records were written before its second page was read; none of the bad
    # page's; us's all. No page after the bad one was requested.
    assert sorted(records(runner, "paged")) == ["1", "3"]
    assert not any(s.path == "/regions/eu/orders" and s.query["page"] == ["3"]
                   for s in upstream.requests)  # fmt: skip


def test_records_from_answer_http_task(open_runner: Callable[..., Any], upstream: Upstream) -> None:
    runner = open_runner("Shapes/FromAnswer", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        if seen.path == "/types":
            return Answer(200, [34, 35])
        kind = int(seen.query["type_id"][0])
        return Answer(200, [{"type": kind, "day": "2026-11-26", "avg": kind * 1.5},
                            {"type": kind, "day": "2026-11-27", "avg": 2}])  # fmt: skip

    upstream.respond(answer)
    for when in T[:2]:
        run = runner.run(when)
        assert run.status == "SUCCEEDED", run.cause
    stored = records(runner, "answer")
    days = ("2026-11-26", "2026-11-27")
    assert sorted(stored) == sorted(f'[{k},"{d}"]#{t}' for k in (34, 35) for d in days
                                    for t in T[:2])  # fmt: skip
    assert stored[f'[35,"2026-11-26"]#{T[1]}']["record"]["avg"] == 52.5
    assert answers(runner, "answer") == []  # keep_answers=False
    # A re-delivery of the same scheduled time writes the same keys again.
    assert runner.run(T[1]).succeeded
    assert len(records(runner, "answer")) == 8


def test_records_of_page_count_pages(open_runner: Callable[..., Any], upstream: Upstream) -> None:
    runner = open_runner("Shapes/PageCount", fast_retries=True)
    pages = {
        "1": [{"order_id": 1, "issued": "2026-11-27T05:00:00Z"}],
        "2": [{"order_id": 2, "issued": "2026-11-27T05:00:00Z"},
              {"order_id": 1, "issued": "2026-11-27T04:00:00Z"}],  # older: kept out
        "3": [{"order_id": 3, "issued": "2026-11-27T05:00:00+01:00"}],
    }  # fmt: skip

    def answer(seen: Seen) -> Answer:
        return Answer(200, pages[seen.query["page"][0]], headers={"X-Pages": "3"})

    upstream.respond(answer)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    stored = records(runner, "counted")
    assert sorted(stored) == ["1", "2", "3"]
    assert stored["1"]["record"]["issued"] == "2026-11-27T05:00:00Z"
    assert stored["3"]["versionOrder"] == 1795752000000  # 04:00Z
    assert answers(runner, "counted") == [f"{T[0]}#{n}" for n in (1, 2, 3)]
    # A bad record on page 3 fails that page only (pages 1 and 2 stored, with their records).
    pages["3"] = [{"order_id": 4}]
    run = runner.run(T[1])
    assert (run.status, run.error) == ("FAILED", "Downloader.RequestsFailed")
    assert json.loads(run.cause) == [
        {"ok": False, "key": 3, "error": "Downloader.BadRecord",
         "cause": "Record 0 has no version field 'issued'."}
    ]  # fmt: skip
    assert "4" not in records(runner, "counted")
    # A bad record on page 1 fails the run, as on one path, before any other page is read.
    pages["1"] = [{"issued": "2026-11-27T05:00:00Z"}]
    run = runner.run(T[2])
    assert (run.status, run.error) == ("FAILED", "Downloader.BadRecord")
    assert run.cause == "Record 0 has no key field 'order_id'."
    assert len(upstream.requests) == 1 + 3 + 3


def test_records_of_paths_and_redelivery(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Paths", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        name = seen.path[1:]
        return Answer(200, [{"id": f"{name}1"}, {"id": f"{name}2"}])

    upstream.respond(answer)
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    expected = sorted(f"{p}{n}#{T[0]}" for p in "abc" for n in (1, 2))
    assert sorted(records(runner, "paths")) == expected
    assert answers(runner, "paths") == [f"{T[0]}#/{p}" for p in "abc"]
    before = records(runner, "paths")
    again = runner.run(T[0])  # the same scheduled time delivered again
    assert again.succeeded
    assert sorted(records(runner, "paths")) == expected
    assert {k: v["record"] for k, v in records(runner, "paths").items()} == {
        k: v["record"] for k, v in before.items()
    }


def test_a_page_of_1000_records(open_runner: Callable[..., Any], upstream: Upstream) -> None:
    """Every record stored; one putItem a record (and one for the answer); 3 state transitions
    for the answer's records and 1 a record (``PutRecord``), as the cost model counts them."""
    import time
    from unittest import mock

    from moto.dynamodb.models import DynamoDBBackend

    runner = open_runner("Shapes/Big", fast_retries=True)
    # ESI orders cut to four fields (about 90 bytes each): the page is 88 KiB of state.
    page = [{k: o[k] for k in ("order_id", "type_id", "price", "issued")}
            for o in market_orders(1, count=1_000)]  # fmt: skip
    upstream.script(Answer(200, page))
    original = DynamoDBBackend.put_item
    calls: list[str] = []

    def counted(self: Any, table_name: str, item_attrs: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(item_attrs["pk"]["S"])
        return original(self, table_name, item_attrs, *args, **kwargs)

    with mock.patch.object(DynamoDBBackend, "put_item", counted):
        started = time.monotonic()
        run = runner.run(T[0])
        seconds = time.monotonic() - started
    assert run.status == "SUCCEEDED", run.cause
    assert len(records(runner, "big")) == 1_000
    assert (calls.count("big#records"), calls.count("big")) == (1_000, 1)
    sfn = runner._client("stepfunctions")
    arn = next(
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=runner._state_machine_arn)["executions"]
        if e["name"] == run.name
    )
    events: list[dict[str, Any]] = []
    token: dict[str, str] = {}
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **token)
        events += page["events"]
        if "nextToken" not in page:
            break
        token = {"nextToken": page["nextToken"]}
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    # Download, Persist; ReadRecords, RecordsValid, WriteRecords; 1,000 PutRecord.
    assert len(entered) == 2 + 3 + 1_000
    print(
        f"\n1,000 records: {len(entered)} transitions, {len(events)} history events, "
        f"{len(calls)} putItem, {seconds:.1f} s"
    )


def test_a_record_write_failing_fails_its_path_only(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """A putItem of one record refused (after its retries) is that path's failed outcome: the
    run ends ``Downloader.RequestsFailed`` naming the path and DynamoDB's error."""
    from unittest import mock

    from moto.dynamodb.exceptions import MockValidationException
    from moto.dynamodb.models import DynamoDBBackend

    runner = open_runner("Shapes/Paths", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, [{"id": f"{seen.path[1:]}{n}"} for n in (1, 2)]))
    original = DynamoDBBackend.put_item

    def refusing(self: Any, table_name: str, item_attrs: Any, *args: Any, **kwargs: Any) -> Any:
        if item_attrs["sk"]["S"].startswith("b2#"):
            raise MockValidationException("refused")
        return original(self, table_name, item_attrs, *args, **kwargs)

    with mock.patch.object(DynamoDBBackend, "put_item", refusing):
        run = runner.run(T[2])
    assert (run.status, run.error) == ("FAILED", "Downloader.RequestsFailed")
    # PutItem's model has no ValidationException: Step Functions names it so (as the runner).
    assert json.loads(run.cause) == [
        {"ok": False, "key": "/b", "error": "DynamoDB.AmazonDynamoDBException"}
    ]
    assert sorted(records(runner, "paths")) == sorted(
        f"{k}#{T[2]}" for k in ("a1", "a2", "b1", "c1", "c2")
    )
