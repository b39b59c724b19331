"""Records, run locally: each record its own item in the downloader's records partition, merged
by version or appended by run, from one answer or from every page, on both transports."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from local_helpers import Answer, Seen, Upstream, gzipped
from local_helpers import answers as stored_answers
from sfn_downloader import (
    Archive,
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
    stack = cdk.Stack(app, "Recs")
    DownloaderPattern(
        stack, "Merged", endpoint="https://api.example.com", path="/issues",
        result_selector={"issues.$": "$.ResponseBody"},
        item={"issues": ItemField.json("$.issues")},
        records=Records.merge(items="$.issues", key="number", version="updated_at"),
        downloader_id="merged",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Compound", endpoint="https://api.example.com", path="/orders",
        item={"status": ItemField.number("$.StatusCode")},
        records=Records.merge(items="$.ResponseBody.data", key=("region", "id"),
                              keep_answers=False),
        downloader_id="compound",
    )  # fmt: skip
    DownloaderPattern(
        stack, "History", endpoint="https://api.example.com", path="/prices",
        item={"prices": ItemField.json("$.ResponseBody")},
        records=Records.append(items="$.ResponseBody", key="id"),
        downloader_id="history",
    )  # fmt: skip
    connection = events.Connection(
        stack, "Connection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.unsafe_plain_text("k")
        ),
    )  # fmt: skip
    DownloaderPattern(
        stack, "Pages", endpoint="https://api.example.com", path="/items?per_page=2",
        pagination=Pagination.page_number(param="page", items_path="$.ResponseBody"),
        item={"items": ItemField.json("$.ResponseBody")},
        records=Records.merge(items="$.ResponseBody", key="id", version="rev"),
        transport=Transport.http_task(connection),
        downloader_id="pages",
    )  # fmt: skip
    DownloaderPattern(
        stack, "Linked", endpoint="https://api.example.com", path="/linked",
        pagination=Pagination.link_header(),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody", key="id", keep_answers=False),
        downloader_id="linked",
    )  # fmt: skip
    # The checked page loop (issue 28(a)): records read from the raw page through the selector.
    DownloaderPattern(
        stack, "Digits", endpoint="https://api.example.com", path="/digits",
        pagination=Pagination.next_url(), result_selector={"rows.$": "$.ResponseBody.results"},
        item={"rows": ItemField.json("$.rows")},
        records=Records.merge(items="$.rows", key="id"), downloader_id="digits",
    )  # fmt: skip
    DownloaderPattern(
        stack, "DigitPaths", endpoint="https://api.example.com",
        fan_out=FanOut.paths(["/d/a", "/d/b"]), pagination=Pagination.next_url(),
        item={"n": ItemField.number("$.StatusCode")},
        records=Records.append(items="$.ResponseBody.results", key="id", keep_answers=False),
        downloader_id="digitpaths",
    )  # fmt: skip
    # The GitHub example's shape: Link pages, an ETag a page, records, every page archived
    # (issue 25 item 14: a memory per page on the checked loop).
    DownloaderPattern(
        stack, "Remembered", endpoint="https://api.example.com", path="/issues?per_page=1",
        pagination=Pagination.link_header(), conditional=True,
        item={"issues": ItemField.json("$.ResponseBody")},
        records=Records.merge(items="$.ResponseBody", key="id", version="v"),
        archive=Archive.to_new_bucket(), downloader_id="remembered",
    )  # fmt: skip
    return app


def records(runner: LocalRunner, pk: str) -> dict[str, dict[str, Any]]:
    """The records partition, sk → item (the record parsed from its JSON text)."""
    return {
        i["sk"]: {**i, "record": json.loads(i["record"])}
        for i in stored_answers(runner)
        if i["pk"] == f"{pk}#records"
    }


def answers(runner: LocalRunner, pk: str) -> list[dict[str, Any]]:
    return [i for i in stored_answers(runner) if i["pk"] == pk]


def issue(number: int, updated: str, title: str = "t") -> dict[str, Any]:
    return {"number": number, "updated_at": updated, "title": title}


def test_merge_keeps_the_newest_version(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/Merged", fast_retries=True)
    upstream.script(
        Answer(200, [issue(1, "2026-03-01T10:00:00Z", "new"), issue(2, "2026-01-01T00:00:00Z")])
    )
    first = runner.run(T[0])
    assert first.status == "SUCCEEDED", first.cause
    # An older version of 1 (10:30+01:00 is 09:30 UTC) delivered after the newer: kept out; 2 newer.
    older = Answer(
        200,
        [issue(1, "2026-03-01T10:30:00+01:00", "old"), issue(2, "2026-02-01T00:00:00Z", "v2"),
         issue(3, "2026-01-01T00:00:00Z")],
    )  # fmt: skip
    upstream.script(older)
    second = runner.run(T[1])
    assert second.status == "SUCCEEDED", second.cause
    stored = records(runner, "merged")
    assert sorted(stored) == ["1", "2", "3"]
    assert stored["1"]["record"]["title"] == "new"
    assert stored["1"]["scheduledTime"] == T[0]
    assert stored["1"]["versionOrder"] == 1772359200000
    assert stored["2"]["record"]["title"] == "v2"
    # The answers are still stored, one item a run.
    assert [i["sk"] for i in answers(runner, "merged")] == T[:2]
    # A re-delivery of the same scheduled time is harmless: same versions, nothing changes.
    upstream.script(older)
    again = runner.run(T[1])
    assert again.status == "SUCCEEDED", again.cause
    assert records(runner, "merged") == stored


def test_a_record_without_its_key_fails_the_run_naming_it(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/Merged", fast_retries=True)
    upstream.script(
        Answer(
            200,
            [
                issue(1, "2026-03-01T10:00:00Z"),
                {"title": "no number", "updated_at": "2026-03-01T10:00:00Z"},
            ],
        )
    )
    run = runner.run(T[0])
    assert run.status == "FAILED"
    assert run.error == "Downloader.BadRecord"
    assert "Record 1 has no key field 'number'" in run.cause
    assert records(runner, "merged") == {}  # none of that answer's records written


def test_a_key_of_the_wrong_type_or_a_missing_version_fails(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/Merged", fast_retries=True)
    upstream.script(Answer(200, [{"number": [1], "updated_at": "2026-03-01T10:00:00Z"}]))
    run = runner.run(T[0])
    assert (run.error, run.status) == ("Downloader.BadRecord", "FAILED")
    assert "Record 0: its key field 'number' is a array" in run.cause
    upstream.script(Answer(200, [issue(1, "2026-03-01T10:00:00Z"), {"number": 2}]))
    run = runner.run(T[1])
    assert run.error == "Downloader.BadRecord"
    assert "Record 1 has no version field 'updated_at'" in run.cause
    upstream.script(Answer(200, issue(1, "2026-03-01T10:00:00Z")))  # one record, not a list
    run = runner.run(T[2])
    assert run.error == "Downloader.BadRecord"
    assert run.cause == "The records at $.issues are not a list (JSON type object)."
    upstream.script(Answer(200, [issue(1, "2026-03-01T10:00:00+25:00")]))
    run = runner.run(T[2])
    assert run.error == "Downloader.BadRecord"
    assert "its version field 'updated_at' is neither a number nor an ISO 8601 time" in run.cause
    assert records(runner, "merged") == {}


def test_compound_keys_and_long_numbers_are_exact(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/Compound", fast_retries=True)
    body = (
        b'{"data": [{"region": "eu", "id": 12345678901234567, "v": 1},'
        b' {"region": "eu,\\"x", "id": 1, "v": 2}, {"region": "us", "id": 12345678901234567}]}'
    )
    upstream.script(Answer(200, body))
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    stored = records(runner, "compound")
    assert sorted(stored) == sorted(
        ['["eu",12345678901234567]', '["eu,\\"x",1]', '["us",12345678901234567]']
    )
    assert stored['["eu",12345678901234567]']["record"]["id"] == 12345678901234567
    assert answers(runner, "compound") == []  # keep_answers=False: no answer item


def test_append_keeps_every_version_over_three_runs(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/History", fast_retries=True)
    for n, when in enumerate(T):
        upstream.script(Answer(200, [{"id": "a", "price": n}, {"id": 7, "price": 10 * n}]))
        run = runner.run(when)
        assert run.status == "SUCCEEDED", run.cause
    stored = records(runner, "history")
    assert sorted(stored) == sorted([f"a#{t}" for t in T] + [f"7#{t}" for t in T])
    assert [stored[f"a#{t}"]["record"]["price"] for t in T] == [0, 1, 2]
    # A re-delivery of the same scheduled time writes the same keys again.
    upstream.script(Answer(200, [{"id": "a", "price": 2}, {"id": 7, "price": 20}]))
    assert runner.run(T[2]).succeeded
    assert len(records(runner, "history")) == 6


def test_records_of_every_page_http_task(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/Pages", fast_retries=True)
    upstream.script(
        Answer(200, [{"id": 1, "rev": 1}, {"id": 2, "rev": 5}]),
        Answer(200, [{"id": 2, "rev": 3}, {"id": 3, "rev": 1}]),
        Answer(200, []),
    )
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    stored = records(runner, "pages")
    assert sorted(stored) == ["1", "2", "3"]
    assert stored["2"]["record"]["rev"] == 5  # page 2's older revision did not overwrite it
    assert len(answers(runner, "pages")) == 3


def test_records_of_link_header_pages_without_answers(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Recs/Linked", fast_retries=True)
    upstream.script(
        Answer(200, [{"id": 1}, {"id": 2}], headers={"Link": '</linked?page=2>; rel="next"'}),
        Answer(200, [{"id": 3}]),
    )
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert sorted(records(runner, "linked")) == sorted(f"{n}#{T[0]}" for n in (1, 2, 3))
    assert answers(runner, "linked") == []


def test_reading_records_back(
    open_runner: Callable[..., Any], upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    """``DownloaderTable.records()``, ``record(key)``, ``history(key)`` and the CLI, paginated
    (``page_size=1``: one item a Query request)."""
    history_runner = open_runner("Recs/History", fast_retries=True)
    for n, when in enumerate(T):
        upstream.script(
            Answer(200, [{"id": "a", "price": n}, {"id": "a#b", "price": 1.5}, {"id": 7}])
        )
        assert history_runner.run(when).succeeded
    table = history_runner.table(page_size=1)
    assert table.records().to_rows() == [
        {"id": 7},
        {"id": "a", "price": 2},
        {"id": "a#b", "price": Decimal("1.5")},
    ]
    assert table.record("a") == {"id": "a", "price": 2}
    assert table.record(7) == {"id": 7}
    assert table.record("zz") is None
    assert table.history("a") == [(t, {"id": "a", "price": n}) for n, t in enumerate(T)]
    assert [t for t, _ in table.history("a#b")] == T  # not mixed with "a"'s versions

    merged = open_runner("Recs/Compound", fast_retries=True)
    upstream.script(Answer(200, b'{"data": [{"region": "eu", "id": 12345678901234567}]}'))
    assert merged.run(T[0]).succeeded
    reader = merged.table()
    assert reader.record(("eu", 12345678901234567)) == {"region": "eu", "id": 12345678901234567}
    assert reader.record(("eu", 1)) is None
    assert reader.history(("eu", 12345678901234567)) == [
        (T[0], {"region": "eu", "id": 12345678901234567})
    ]
    with pytest.raises(ValueError, match="must be a string or an integer"):
        reader.record(True)

    from sfn_downloader.read.__main__ import main

    args = [reader.table_name, "records", "--downloader-id", "compound"]
    assert main(args, client=reader._client) == 0
    assert capsys.readouterr().out == '{"region":"eu","id":12345678901234567}\n'
    assert main([*args, "--format", "csv"], client=reader._client) == 0
    assert capsys.readouterr().out == "region,id\neu,12345678901234567\n"


BIG = 12345678901234567  # a double holds 12345678901234568: JSONata would change it


def big_page(path: str, page: int, last: int) -> dict[str, Any]:
    """Page ``page`` of ``path``: one record whose key and value are 17-digit numbers."""
    return {
        "results": [{"id": BIG + page, "v": BIG}],
        "next": f"{path}?page={page + 1}" if page < last else None,
    }


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_records_of_pages_keep_every_digit_and_a_compressed_page_writes_none(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """Issue 25 item 14 + 28(a): a page's records are read from the raw page (no JSONata
    between the download and the records Map), so their keys and values keep every digit; a
    compressed page fails the run with ``Downloader.CompressedAnswer`` before its page or
    records are stored."""
    runner = open_runner("Recs/Digits", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        body = big_page(seen.path, page, 3)
        return gzipped(body) if page == 3 else Answer(200, json.dumps(body).encode())

    upstream.respond(answer)
    run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert "page 3 (/digits?page=3) is gzip-compressed" in (run.cause or "")
    stored = records(runner, "digits")
    assert sorted(stored) == [str(BIG + 1), str(BIG + 2)]  # not ...568, not page 3's
    assert [r["record"] for r in stored.values()] == [{"id": BIG + n, "v": BIG} for n in (1, 2)]
    pages = answers(runner, "digits")
    assert [json.loads(p["rows"]) for p in pages] == [[{"id": BIG + n, "v": BIG}] for n in (1, 2)]
    assert runner.states_entered(run)[:6] == [
        "FirstRequest", "DownloadPage", "PersistPage", "ReadRecords", "RecordsValid",
        "WriteRecords",
    ]  # fmt: skip


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_records_of_a_fan_outs_pages_keep_every_digit_and_a_compressed_path_fails_alone(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """In a fan-out's iteration (``$pathLoop``), without the answers: each path's pages'
    records exact; a compressed page fails its path only, naming it."""
    runner = open_runner("Recs/DigitPaths", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        body = big_page(seen.path, page, 2)
        if (seen.path, page) == ("/d/b", 2):
            return gzipped(body)
        return Answer(200, json.dumps(body).encode())

    upstream.respond(answer)
    run = runner.run(T[1])
    assert (run.status, run.error) == ("FAILED", "Downloader.RequestsFailed"), run.cause
    assert "/d/b" in (run.cause or "") and "Downloader.CompressedAnswer" in (run.cause or "")
    stored = records(runner, "digitpaths")
    # /d/a's two pages and /d/b's first: the same keys (each path's pages number alike)
    assert sorted(stored) == [f"{BIG + 1}#{T[1]}", f"{BIG + 2}#{T[1]}"]
    assert stored[f"{BIG + 2}#{T[1]}"]["record"] == {"id": BIG + 2, "v": BIG}
    assert answers(runner, "digitpaths") == []


@pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")
def test_github_shaped_pages_with_an_etag_keep_every_digit_and_a_compressed_page_writes_none(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    """Link pages with a memory per page, records and an archive: the checked loop.
    A page's item, records and archived object keep every digit (NextRequest's Output made
    them 12345678901234568); a compressed page fails the run before its page, records, object
    or memory are written."""
    runner = open_runner("Recs/Remembered", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        body = [{"id": BIG + page, "v": BIG}]
        link = f'</issues?per_page=1&page={page + 1}>; rel="next"'
        if page == 3:
            return gzipped(body)
        return Answer(200, json.dumps(body).encode(), {"ETag": f'"{page}"', "Link": link})

    upstream.respond(answer)
    run = runner.run(T[0])
    assert (run.status, run.error) == ("FAILED", "Downloader.CompressedAnswer"), run.cause
    assert "page 3 (/issues?per_page=1&page=3) is gzip-compressed" in (run.cause or "")
    stored = records(runner, "remembered")
    assert sorted(stored) == [str(BIG + 1), str(BIG + 2)]
    assert [r["record"] for r in stored.values()] == [{"id": BIG + n, "v": BIG} for n in (1, 2)]
    pages = [p for p in answers(runner, "remembered") if not p["sk"].startswith("#")]
    assert [json.loads(p["issues"]) for p in pages] == [[{"id": BIG + n, "v": BIG}] for n in (1, 2)]
    archived = sorted((o["ResponseBody"] for o in runner.objects().values()), key=str)
    assert archived == [[{"id": BIG + n, "v": BIG}] for n in (1, 2)]
    remembered = {
        i["sk"].removeprefix("#memo#"): i for i in runner.items()
        if i["pk"] == "remembered" and i["sk"].startswith("#memo#")
    }  # fmt: skip
    assert sorted(remembered) == ["/issues?per_page=1", "/issues?per_page=1&page=2"]
    assert runner.states_entered(run)[:8] == [
        "FirstRequest", "ReadMemo", "DownloadPage", "PersistPage", "ArchivePage", "ReadRecords",
        "RecordsValid", "WriteRecords",
    ]  # fmt: skip
