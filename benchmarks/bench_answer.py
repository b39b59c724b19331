"""``FanOut.from_answer`` over a 12,000-item list in 12 pages, locally (issue 28's acceptance).

``python benchmarks/bench_answer.py [--items N] [--pages P] [--in-process]``. One downloader:
``FanOut.from_answer(path="/types", each="/history/{item}", pages=Pagination.page_count(
header="X-Pages"), max_items=N)`` with ``Concurrency.distributed(100)`` (Standard children: the
runner runs Express ones as Standard), so the list's ids travel in the run's state and the
Distributed Map runs them in batches (``ItemBatcher``), each child computing its requests.
The stand-in (an HTTP server in a process of its own, or ``--in-process`` a WSGI app) answers
``/types?page=p`` with ``N / P`` ids and ``X-Pages: P``, and ``/history/<id>`` with a small
JSON body. Synthesis, runner start-up and reading the items back are not timed; the figure is
the wall time of ``LocalRunner.run()``. Checks: the run succeeds, every item requested once
and stored (N answers plus the delivery's completion item), within 90 s. Not a test: figures
depend on the machine (2 shared cores here).
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _harness import SHARED_MACHINE_NOTE, SOURCE, verdict

TIME_LIMIT_SECONDS = 90.0
FIRST_ID = 18
"""EVE type ids start low and are not contiguous: ids are ``FIRST_ID + 3 n``."""


def _ids(items: int, pages: int, page: int) -> list[int]:
    size = -(-items // pages)
    return [FIRST_ID + 3 * n for n in range(size * (page - 1), min(items, size * page))]


def answer(
    path: str, query: dict[str, list[str]], items: int, pages: int
) -> tuple[int, Any, bytes]:
    """The stand-in's answer to ``GET path?query``: a page of ids, or an id's history."""
    headers = [("Content-Type", "application/json")]
    if path == "/types":
        page = int(query.get("page", ["1"])[0])
        headers.append(("X-Pages", str(pages)))
        return 200, headers, json.dumps(_ids(items, pages, page)).encode()
    type_id = int(path.rsplit("/", 1)[1])
    return 200, headers, json.dumps([{"type_id": type_id, "average": 5.5}]).encode()


def _serve(port: Any, items: int, pages: int, counts: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            status, headers, body = answer(url.path, parse_qs(url.query), items, pages)
            with counts.get_lock():
                counts.value += 1
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
def stand_in(items: int, pages: int, *, in_process: bool) -> Iterator[tuple[Any, Any]]:
    """The stand-in (a URL, or a WSGI app) and its count of requests answered."""
    counts = multiprocessing.Value("i", 0)
    if in_process:

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            query = parse_qs(environ.get("QUERY_STRING", ""))
            status, headers, body = answer(environ["PATH_INFO"], query, items, pages)
            with counts.get_lock():
                counts.value += 1
            start_response(f"{status} X", headers)
            return [body]

        yield app, counts
        return
    port = multiprocessing.Value("i", 0)
    process = multiprocessing.Process(target=_serve, args=(port, items, pages, counts), daemon=True)
    process.start()
    try:
        while not port.value:
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port.value}", counts
    finally:
        process.terminate()
        process.join()


def _app(items: int, pages: int) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn

    from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField, Pagination

    app = cdk.App()
    DownloaderPattern(
        cdk.Stack(app, "Answer"), "Histories", endpoint="https://api.example.com",
        fan_out=FanOut.from_answer(
            path="/types", each="/history/{item}", max_items=items,
            pages=Pagination.page_count(header="X-Pages", max_pages=max(pages, 1)),
        ),
        concurrency=Concurrency.distributed(100, child_workflow_type=sfn.StateMachineType.STANDARD),
        item={"page": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    return app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=12_000, help="items in the list")
    parser.add_argument("--pages", type=int, default=12, help="pages of the list")
    parser.add_argument("--in-process", action="store_true", help="a WSGI stand-in")
    args = parser.parse_args()
    items, pages = args.items, args.pages

    from sfn_downloader.fanout import _batched
    from sfn_downloader.local import LocalRunner

    print("== FanOut.from_answer in batches: LocalRunner.run() ==")
    print(SHARED_MACHINE_NOTE)
    print(f"Measuring {SOURCE}")
    started = time.perf_counter()
    app = _app(items, pages)
    app.synth()
    batch = _batched.batch_size(items, "/history/{item}")
    print(f"synthesized in {time.perf_counter() - started:.1f} s; {items:,} items in {pages} "
          f"pages, batches of {batch} ({-(-items // batch):,} child executions)")  # fmt: skip
    with (
        stand_in(items, pages, in_process=args.in_process) as (upstream, counts),
        LocalRunner(app, upstream=upstream, pattern="Answer/Histories") as runner,
    ):
        cpu = time.process_time()
        begun = time.perf_counter()
        execution = runner.run("2026-11-27T05:30:00Z")
        seconds = time.perf_counter() - begun
        cpu = time.process_time() - cpu
        stored = runner.items()
        answered = counts.value
    answers = [i for i in stored if i["sk"].count("#") == 2]
    keys = {i["sk"].rsplit("#", 1)[1] for i in answers}
    expected = {f"/history/{FIRST_ID + 3 * n}" for n in range(items)}
    status = execution.status + (f" {execution.error}" if execution.error else "")
    print(f"{'requests':>9}{'s':>8}{'req/s':>8}{'CPU s':>7}{'items':>8}  status")
    print(f"{answered:>9,}{seconds:>8.1f}{answered / seconds:>8.0f}{cpu:>7.1f}{len(stored):>8,}"
          f"  {status}")  # fmt: skip
    checks = [
        (f"the run succeeds ({status})", execution.status == "SUCCEEDED"),
        (f"every item requested once ({answered:,} requests: {pages} list pages + {items:,})",
         answered == pages + items),
        (f"every item stored ({len(keys):,} of {items:,} keys)", keys == expected),
        (f"within {TIME_LIMIT_SECONDS:.0f} s ({seconds:.1f} s)", seconds <= TIME_LIMIT_SECONDS),
    ]  # fmt: skip
    for text, ok in checks:
        print(f"{verdict(ok)}  {text}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
