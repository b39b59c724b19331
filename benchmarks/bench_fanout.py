"""Fan-out locally: one run over 100 paths (inline Map) and over 1,000 (Distributed Map).

``python benchmarks/bench_fanout.py [--sizes 100 1000]``. Each size is its own stack, synthesized
once; the run is timed from ``start_execution`` to its end, against a loopback server answering
every path with a small JSON body. Printed per size: the Map kind the construct chose, wall time
of the run, Python heap peak during the run (tracemalloc: moto, boto3 and the interpreter all
live in this process) and the process's peak resident set (ru_maxrss, whole life so far, so it
only grows from one size to the next). Not a test: figures depend on the machine (2 cores here).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
import time
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

INLINE_CEILING = 40
"""Up to this ``max_concurrency`` the construct keeps the Map inline (docs/features/fan-out.md)."""


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"value": int(self.path.rsplit("/", 1)[1])}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _serving() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def _app(sizes: list[int]) -> Any:
    import aws_cdk as cdk
    from aws_cdk import aws_stepfunctions as sfn

    from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField

    app = cdk.App()
    for size in sizes:
        # 10 at once keeps 100 paths inline; 1,000 paths at 100 at once need a Distributed Map
        # (children STANDARD: moto's grammar refuses EXPRESS children).
        concurrency = (
            Concurrency.inline(10)
            if size <= 100
            else Concurrency.distributed(100, child_workflow_type=sfn.StateMachineType.STANDARD)
        )
        DownloaderPattern(
            cdk.Stack(app, f"Fanout{size}"), "Many", endpoint="https://api.example.com",
            fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(size)]),
            concurrency=concurrency,
            result_selector={"value.$": "$.ResponseBody.value"},
            item={"value": ItemField.number("$.value")},
        )  # fmt: skip
    return app


def _map_kind(runner: Any) -> str:
    definition = json.loads(runner._definition)
    mode = definition["States"]["FetchAll"]["ItemProcessor"]["ProcessorConfig"]["Mode"]
    return "Distributed Map" if mode == "DISTRIBUTED" else "inline Map"


def main() -> None:
    """Synthesize, run each size once, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    args = parser.parse_args()

    from sfn_downloader.local import LocalRunner

    started = time.perf_counter()
    app = _app(args.sizes)
    app.synth()
    print(f"synthesized {len(args.sizes)} stacks in {time.perf_counter() - started:.1f} s")
    print(
        f"{'paths':>6}  {'map':<16}{'run s':>8}{'items':>7}{'heap peak MiB':>15}{'maxrss MiB':>12}"
    )
    with _serving() as upstream:
        for size in args.sizes:
            with LocalRunner(app, upstream=upstream, pattern=f"Fanout{size}/Many") as runner:
                tracemalloc.start()
                started = time.perf_counter()
                execution = runner.run("2026-11-27T05:30:00Z")
                elapsed = time.perf_counter() - started
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                items = len(runner.items())
                rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                status = "" if execution.succeeded else f"  {execution.status} {execution.error}"
                print(
                    f"{size:>6}  {_map_kind(runner):<16}{elapsed:>8.1f}{items:>7}"
                    f"{peak / 2**20:>15.1f}{rss:>12.0f}{status}"
                )


if __name__ == "__main__":
    main()
