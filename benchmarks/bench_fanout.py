"""Fan-out locally: requests per second of ``LocalRunner.run()`` at 100, 1,000 and 10,000
requests, on both Map kinds, against a loopback HTTP stand-in (issue 28).

``python benchmarks/bench_fanout.py [--quick] [--in-process]``. Every downloader is synthesized
once (one App, one stack each; synthesis, runner start-up and reading the items back are not
timed); each run is timed from ``run()``'s call to its return. The stand-in is an HTTP server
in a process of its own (the third party is not the runner's CPU), answering ``/t/<n>`` with
``{"value": n}`` and, for the paged runs, a ``Link`` to the next page on all but the last.
``--in-process`` answers through a WSGI application in the runner's process instead
(``upstream=<app>``).

What is run (``--quick``: the first four only):

- 100 and 1,000 paths, inline Map (``Concurrency.inline(40)``);
- 1,000 paths, ``Concurrency.inline(1)`` (one at a time: moto recursed once an item);
- 1,000 paths, ``Concurrency.distributed(100)`` (Standard children: moto's grammar refuses
  Express ones; the runner runs Express children as Standard);
- 1,000 and 10,000 requests as paths x 4 pages (``Pagination.link_header()``) on a
  Distributed Map: 10,000 *paths* do not fit the state (the list of requests travels in the
  state data, 256 KiB; ``FanOut.paths`` refuses more than 200 KiB of them at synth, printed
  below; with pagination a request takes ~61 bytes of it, so ~4,000 paths fit), 2,500 paths x 4
  pages do. The last page of one path of the 10,000 answers 404: 9,999 answers are stored and
  the run fails with ``Downloader.RequestsFailed`` naming that path.

Printed per run: requests, wall seconds, requests/s, CPU seconds of this process during the
run, items stored, status; then the checks (targets of issue 28) with PASS/FAIL. Not a test:
figures depend on the machine (2 shared cores here).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import SHARED_MACHINE_NOTE, SOURCE, verdict

FAILING_PATH = "/t/1234"
FAILING_FLAT_PATH = "/t/4321"
"""The 404 of the 10,000 paths read from S3 (not among the paged run's 2,500 paths)."""
"""In the 10,000-request run, this path's last page answers 404."""
PAGES = 4
"""Pages of each path in the paged runs."""
TIME_LIMIT_SECONDS = 60.0
LINEAR_RATIO = 0.8
TARGET_REQUESTS_PER_SECOND = 200.0


Answer = tuple[int, list[tuple[str, str]], bytes]


def answer(path: str, query: dict[str, list[str]], fail: bool) -> Answer:
    """The stand-in's answer to ``GET path?query``."""
    page = int(query.get("page", ["1"])[0])
    if fail and ((path == FAILING_PATH and page == PAGES) or path == FAILING_FLAT_PATH):
        return 404, [("Content-Type", "application/json")], b'{"message": "not found"}'
    body = json.dumps({"value": int(path.rsplit("/", 1)[1]), "page": page}).encode()
    headers = [("Content-Type", "application/json")]
    if page < PAGES:
        headers.append(("Link", f'<{path}?page={page + 1}>; rel="next"'))
    return 200, headers, body


def _serve(port: Any, fail: bool) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            status, headers, body = answer(url.path, parse_qs(url.query), fail)
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port.value = server.server_port
    server.serve_forever()


@contextmanager
def stand_in(*, fail: bool, in_process: bool) -> Iterator[Any]:
    """A loopback HTTP server in a process of its own (its URL), or a WSGI application."""
    if in_process:

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            status, headers, body = answer(environ["PATH_INFO"], query, fail)
            start_response(f"{status} X", headers)
            return [body]

        yield app
        return
    port = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(target=_serve, args=(port, fail), daemon=True)
    process.start()
    try:
        while not port.value:
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port.value}"
    finally:
        process.terminate()
        process.join()


@dataclass(frozen=True)
class Shape:
    """One benchmarked downloader."""

    name: str
    paths: int
    pages: int
    distributed: bool
    concurrency: int
    fail: bool = False
    from_s3: bool = False

    @property
    def requests(self) -> int:
        return self.paths * self.pages


SHAPES = (
    Shape("100 paths, inline", 100, 1, False, 40),
    Shape("1,000 paths, inline", 1_000, 1, False, 40),
    Shape("1,000 paths, inline(1)", 1_000, 1, False, 1),
    Shape("1,000 paths, distributed", 1_000, 1, True, 100),
    Shape("250 paths x 4 pages, distributed", 250, PAGES, True, 100),
    Shape("2,500 paths x 4 pages, distributed, one 404", 2_500, PAGES, True, 100, fail=True),
    Shape("10,000 paths from S3, distributed, one 404", 10_000, 1, True, 100, True, True),
)


def _app(shapes: tuple[Shape, ...]) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn

    from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField, Pagination

    app = cdk.App()
    for index, shape in enumerate(shapes):
        concurrency = (
            Concurrency.distributed(
                shape.concurrency,
                child_workflow_type=sfn.StateMachineType.STANDARD,
                items_from_s3=shape.from_s3,
            )
            if shape.distributed
            else Concurrency.inline(shape.concurrency)
        )
        DownloaderPattern(
            cdk.Stack(app, f"Fanout{index}"), "Many", endpoint="https://api.example.com",
            fan_out=FanOut.paths([f"/t/{n}" for n in range(shape.paths)]),
            concurrency=concurrency,
            pagination=Pagination.link_header(max_pages=PAGES) if shape.pages > 1 else None,
            result_selector={"value.$": "$.ResponseBody.value"},
            item={"value": ItemField.number("$.value")},
        )  # fmt: skip
    return app


def _ten_thousand_paths_refusal() -> str:
    """What ``FanOut.paths`` says of 10,000 paths (no synthesis)."""
    import aws_cdk as cdk

    from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField
    from sfn_downloader.errors import DownloaderConfigError

    try:
        DownloaderPattern(
            cdk.Stack(cdk.App(), "TenThousand"), "Many", endpoint="https://api.example.com",
            fan_out=FanOut.paths([f"/t/{n}" for n in range(10_000)]),
            concurrency=Concurrency.distributed(100), item={"v": ItemField.json("$.ResponseBody")},
        )  # fmt: skip
    except DownloaderConfigError as error:
        return str(error).splitlines()[-1].strip()
    return "accepted"


@dataclass(frozen=True)
class Result:
    shape: Shape
    seconds: float
    cpu: float
    items: int
    status: str
    error: str | None
    cause: str | None

    @property
    def per_second(self) -> float:
        return self.shape.requests / self.seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the first four runs only")
    parser.add_argument("--in-process", action="store_true", help="a WSGI stand-in")
    parser.add_argument("--s3-only", action="store_true", help="the run from S3 only")
    args = parser.parse_args()
    shapes = SHAPES[:4] if args.quick else SHAPES
    if args.s3_only:
        shapes = tuple(shape for shape in SHAPES if shape.from_s3)

    from sfn_downloader._contract import DELIVERED_SORT_KEY_PREFIX
    from sfn_downloader.local import LocalRunner

    print("== Local fan-out: requests per second of LocalRunner.run() ==")
    print(SHARED_MACHINE_NOTE)
    where = "a WSGI app in the process" if args.in_process else "loopback HTTP, own process"
    print(f"Measuring {SOURCE}; stand-in: {where}")
    started = time.perf_counter()
    app = _app(shapes)
    app.synth()
    print(f"synthesized {len(shapes)} downloaders in {time.perf_counter() - started:.1f} s")
    header = f"{'run':<46}{'requests':>9}{'s':>8}{'req/s':>8}{'CPU s':>7}{'items':>7}  status"
    print(header)
    results = []
    for index, shape in enumerate(shapes):
        with (
            stand_in(fail=shape.fail, in_process=args.in_process) as upstream,
            LocalRunner(app, upstream=upstream, pattern=f"Fanout{index}/Many") as runner,
        ):
            cpu = time.process_time()
            begun = time.perf_counter()
            execution = runner.run("2026-11-27T05:30:00Z")
            seconds = time.perf_counter() - begun
            cpu = time.process_time() - cpu
            # The answers stored: the run's delivery marker (a successful run's) aside.
            stored = [item for item in runner.items()
                      if not str(item["sk"]).startswith(DELIVERED_SORT_KEY_PREFIX)]  # fmt: skip
        result = Result(shape, seconds, cpu, len(stored), execution.status, execution.error,
                        execution.cause)  # fmt: skip
        results.append(result)
        status = result.status + (f" {result.error}" if result.error else "")
        print(f"{shape.name:<46}{shape.requests:>9,}{seconds:>8.1f}{result.per_second:>8.0f}"
              f"{cpu:>7.1f}{result.items:>7,}  {status}")  # fmt: skip
    print(f"10,000 paths, FanOut.paths: {_ten_thousand_paths_refusal()}")
    return _checks(results)


def _checks(results: list[Result]) -> int:
    by_name = {r.shape.name: r for r in results}
    checks: list[tuple[str, bool]] = []
    for result in results:
        if result.shape.requests >= 1_000 and result.shape.concurrency > 1 and result.items:
            checks.append(
                (f"{result.shape.name}: at least {TARGET_REQUESTS_PER_SECOND:.0f} requests/s "
                 f"({result.per_second:.0f})", result.per_second >= TARGET_REQUESTS_PER_SECOND)
            )  # fmt: skip
    one_at_a_time = by_name.get("1,000 paths, inline(1)")
    if one_at_a_time is not None:
        checks.append(
            ("inline(1) over 1,000 paths succeeds, 1,000 stored",
             one_at_a_time.status == "SUCCEEDED" and one_at_a_time.items == 1_000)
        )  # fmt: skip
    big = by_name.get("2,500 paths x 4 pages, distributed, one 404")
    small = by_name.get("250 paths x 4 pages, distributed")
    if big is not None:
        checks.append(
            (f"10,000 requests, one 404: 9,999 stored ({big.items:,}), "
             "Downloader.RequestsFailed naming the path",
             big.items == 9_999 and big.error == "Downloader.RequestsFailed"
             and FAILING_PATH in str(big.cause))
        )  # fmt: skip
        checks.append(
            (f"10,000 requests within {TIME_LIMIT_SECONDS:.0f} s ({big.seconds:.1f} s)",
             big.seconds <= TIME_LIMIT_SECONDS)
        )  # fmt: skip
    if big is not None and small is not None:
        ratio = big.per_second / small.per_second
        checks.append(
            (f"linear: requests/s at 10,000 / at 1,000 = {ratio:.2f} (at least {LINEAR_RATIO})",
             ratio >= LINEAR_RATIO)
        )  # fmt: skip
    from_s3 = by_name.get("10,000 paths from S3, distributed, one 404")
    if from_s3 is not None:
        checks.append(
            (f"10,000 paths from S3, one 404: 9,999 stored ({from_s3.items:,}), "
             "Downloader.RequestsFailed naming the path",
             from_s3.items == 9_999 and from_s3.error == "Downloader.RequestsFailed"
             and FAILING_FLAT_PATH in str(from_s3.cause))
        )  # fmt: skip
        checks.append(
            (f"10,000 paths from S3 within {TIME_LIMIT_SECONDS:.0f} s ({from_s3.seconds:.1f} s)",
             from_s3.seconds <= TIME_LIMIT_SECONDS)
        )  # fmt: skip
    for text, ok in checks:
        print(f"{verdict(ok)}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
