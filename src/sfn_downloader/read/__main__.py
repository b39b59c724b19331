"""``python -m sfn_downloader.read``: export a time range of a downloader's answers, or draw one.

    python -m sfn_downloader.read TABLE --downloader-id ID --from T1 --to T2 [--format csv|jsonl]
    python -m sfn_downloader.read TABLE --downloader-id ID --from T1 --to T2 \\
        chart --field count --out chart.png
    python -m sfn_downloader.read TABLE --downloader-id ID latest
    python -m sfn_downloader.read TABLE records --downloader-id ID [--format csv|jsonl]

The range is ``T1 <= scheduled time < T2``; ``records`` takes no range (every current record,
``records=Records.merge``/``append``). Rows go to stdout; a progress bar goes to stderr
when stderr is a terminal. The answers are third-party text: CSV cells that a spreadsheet would
run as a formula get a leading ``'`` (OWASP), and on a terminal every control character is
shown as an escape (``\\x1b``), never sent to it. Exit status: 0 done, 1 the read or the chart
failed (one line on stderr), 2 bad arguments, a bad time among them (one line on stderr).
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, Protocol

from .._contract import PARTITION_KEY, SORT_KEY
from ._table import DownloaderTable, Item, Items
from ._values import json_text, key_text, key_time, terminal_text

PROG = "python -m sfn_downloader.read"
COMMANDS = ("export", "chart", "latest", "records")


class _Parser(argparse.ArgumentParser):
    """argparse, with any mistake reported on one line (then exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, terminal_text(f"{self.prog}: error: {message} (see --help)") + "\n")


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Export or draw a downloader's answers stored in DynamoDB "
        "(the range is FROM <= scheduled time < TO).",
    )
    parser.add_argument("table", metavar="TABLE", help="the table's name (a stack output)")
    parser.add_argument(
        "command", nargs="?", choices=COMMANDS, default="export",
        help="export (default): rows to stdout; chart: a PNG of --field; latest: the newest "
        "item; records: every current record (records=Records...)",
    )  # fmt: skip
    parser.add_argument("--downloader-id", required=True, help="the downloader's partition key")
    parser.add_argument("--from", dest="start", metavar="T1", help="first scheduled time, ISO 8601")
    parser.add_argument("--to", dest="end", metavar="T2", help="first scheduled time excluded")
    parser.add_argument("--format", choices=("csv", "jsonl"), default="jsonl",
                        help="export format (default: jsonl)")  # fmt: skip
    parser.add_argument("--field", help="chart: the numeric attribute to draw")
    parser.add_argument("--out", type=Path, help="chart: the PNG file to write")
    parser.add_argument("--title", help="chart: the title (default: the downloader id and range)")
    parser.add_argument("--region", help="the table's region (default: the environment's)")
    parser.add_argument("--page-size", type=int, help="items per Query request (default: 1 MB)")
    parser.add_argument("--include-expired", action="store_true",
                        help="also items past their expiresAt not deleted yet")  # fmt: skip
    return parser


def main(argv: Sequence[str] | None = None, *, client: Any = None) -> int:
    """Run the command line; returns the exit status.

    :param argv: The arguments. Default: ``sys.argv[1:]``.
    :param client: A boto3 DynamoDB client to read with. Default: one for ``--region``.
    """
    parser = _parser()
    args = parser.parse_intermixed_args(argv)
    if args.command not in ("latest", "records"):
        for option, value in (("--from", args.start), ("--to", args.end)):
            if value is None:
                parser.error(f"{args.command} needs {option}")
        try:
            start, end = key_text(args.start, what="--from"), key_text(args.end, what="--to")
        except ValueError as error:
            parser.error(str(error))
        if start > end:
            parser.error(f"--from {start} is after --to {end}")
    if args.command == "chart" and (args.field is None or args.out is None):
        parser.error("chart needs --field and --out")
    if args.page_size is not None and args.page_size < 1:
        parser.error(f"--page-size {args.page_size} must be a positive integer")
    out: _Writer = _Escaped(sys.stdout) if sys.stdout.isatty() else sys.stdout
    try:
        table = DownloaderTable(
            args.table, downloader_id=args.downloader_id, client=client,
            region_name=args.region, page_size=args.page_size,
            include_expired=args.include_expired,
        )  # fmt: skip
        if args.command == "records":
            if args.format == "csv":
                _write_csv(iter(table.records()), out, first=())
            else:
                for record in table.records():
                    out.write(json_text(record) + "\n")
            return 0
        if args.command == "latest":
            item = table.latest()
            if item is not None:
                out.write(json_text(item) + "\n")
            return 0
        items = table.between(start, end)
        if args.command == "chart":
            from ._chart import draw_chart

            title = args.title or f"{args.downloader_id}: {args.field}, {start} to {end}"
            points = draw_chart(_progress(items), field=args.field, out=args.out, title=title)
            print(f"{args.out}: {points} points", file=sys.stderr)
        elif args.format == "csv":
            _write_csv(_progress(items), out)
        else:
            for item in _progress(items):
                out.write(json_text(item) + "\n")
    except Exception as error:  # boto3's (no credentials, no table, ...) or the chart's
        line = f"{PROG}: {type(error).__name__}: {_one_line(error)}"
        print(terminal_text(line), file=sys.stderr)
        return 1
    return 0


def _progress(items: Items) -> Iterator[Item]:
    """The items, with a bar on stderr (how much of the range is read) when it is a terminal."""
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm  # type: ignore[import-untyped]

    start, end = key_time(items.start), key_time(items.end)
    total = int((end - start).total_seconds())
    with tqdm(total=total, unit="s", file=sys.stderr, desc="reading", leave=False) as bar:
        for count, item in enumerate(items, 1):
            bar.update(int((key_time(item[SORT_KEY]) - start).total_seconds()) - bar.n)
            bar.set_postfix(items=count, refresh=False)
            yield item
        bar.update(total - bar.n)


def _write_csv(
    items: Iterator[Item], out: _Writer, first: tuple[str, ...] = (PARTITION_KEY, SORT_KEY)
) -> None:
    """One row an item; the columns are ``first`` (``pk``, ``sk``), then every other attribute
    in the order first seen (the items are read first, to know every column)."""
    from ._values import cell_text

    rows = list(items)
    columns = list(first)
    for row in rows:
        columns += [name for name in row if name not in columns]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell_text(row.get(name)) for name in columns])


class _Writer(Protocol):
    def write(self, text: str, /) -> int: ...


class _Escaped:
    """A terminal's stdout: third-party text reaches it with its control characters escaped."""

    def __init__(self, stream: _Writer) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(terminal_text(text))


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or repr(error)


if __name__ == "__main__":
    sys.exit(main())
