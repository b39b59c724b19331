"""JSONata's cost per evaluation in a local run: npm jsonata 2.0.6 in one Node process (now)
against jsonata-python with the variables spliced into the text (before, as moto composes it).

``python benchmarks/bench_jsonata.py [--runs N]``. Two downloaders run locally: a polite one
(``conditional`` + ``respect_expires``: JSONata in its freshness and validator states) and a
page loop (``Pagination.link_header``: ``NextRequest`` over 41 KiB pages). Every evaluation of
the runs is recorded (expression, bindings) and timed as it ran (Node); the same evaluations
are then timed the old way, if jsonata-python is installed (``pip install jsonata-python``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
PAGES = 5
PAGE = json.dumps([{"id": n, "name": f"item {n}", "pad": "x" * 300} for n in range(120)]).encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/v2/status"):
            body, headers = b'{"players": 24449}', {"ETag": '"v1"', "Cache-Control": "max-age=0"}
        else:
            page = int(self.path.rsplit("page=", 1)[-1]) if "page=" in self.path else 1
            body, headers = PAGE, {}
            if page < PAGES:
                headers["Link"] = f'</v1/things?page={page + 1}>; rel="next"'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _stack() -> Any:
    import aws_cdk as cdk

    from sfn_downloader import DownloaderPattern, ItemField, Pagination

    app = cdk.App()
    stack = cdk.Stack(app, "Bench")
    DownloaderPattern(
        stack, "Polite", endpoint="https://esi.evetech.net", path="/v2/status",
        conditional=True, respect_expires=True, downloader_id="polite",
        result_selector={"body.$": "$.ResponseBody"},
        item={"players": ItemField.number("$.body.players")},
    )  # fmt: skip
    DownloaderPattern(
        stack, "Pages", endpoint="https://api.example.com", path="/v1/things",
        pagination=Pagination.link_header(max_pages=10), downloader_id="pages",
        item={"things": ItemField.json("$.ResponseBody")},
    )  # fmt: skip
    return stack


def _old_way(expression: str, bindings: dict[str, Any]) -> Any:
    """moto's composition (declarations spliced into the text) and jsonata-python."""
    import jsonata  # type: ignore[import-untyped]
    from moto.stepfunctions.parser.asl.jsonata.jsonata import (
        compose_jsonata_expression,
        encode_jsonata_variable_declarations,
    )

    declarations = encode_jsonata_variable_declarations(
        {f"${name}": value for name, value in bindings.items()}
    )
    text = compose_jsonata_expression(expression, [declarations])
    try:
        return jsonata.Jsonata(text).evaluate(None)
    except Exception as error:  # the old evaluator's failure counts as an evaluation
        return error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    from datetime import UTC, datetime, timedelta

    from sfn_downloader.local import LocalRunner
    from sfn_downloader.local import _jsonata_node as node

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stack = _stack()
    recorded: dict[str, list[tuple[str, dict[str, Any], float]]] = {}
    original = node.JsonataProcess.evaluate
    current = {"name": ""}

    def timed(self: Any, expression: str, bindings: dict[str, Any]) -> Any:
        begun = time.perf_counter()
        outcome = original(self, expression, bindings)
        seconds = time.perf_counter() - begun
        recorded.setdefault(current["name"], []).append((expression, bindings, seconds))
        return outcome

    node.JsonataProcess.evaluate = timed  # type: ignore[method-assign]
    first = datetime(2026, 11, 27, tzinfo=UTC)
    per_run: dict[str, float] = {}
    for name in ("Polite", "Pages"):
        with LocalRunner(
            stack, upstream=f"http://127.0.0.1:{server.server_port}", pattern=f"Bench/{name}"
        ) as runner:
            runner.run(first - timedelta(minutes=1))  # warm-up: first-use imports, node start
            recorded.pop("", None)
            current["name"] = name
            started = time.perf_counter()
            for minute in range(args.runs):
                execution = runner.run(first + timedelta(minutes=minute))
                if not execution.succeeded:
                    sys.exit(f"{name}: run failed: {execution.error}: {execution.cause}")
            per_run[name] = (time.perf_counter() - started) / args.runs
            current["name"] = ""
    node.JsonataProcess.evaluate = original  # type: ignore[method-assign]
    server.shutdown()

    try:
        import jsonata  # type: ignore[import-untyped]  # noqa: F401

        before = True
    except ImportError:
        before = False
    print(f"{'downloader':12} {'evals/run':>9} {'run ms':>8} {'node ms/eval':>13} "
          f"{'jsonata-python ms/eval':>23}")  # fmt: skip
    for name, evaluations in recorded.items():
        now = [seconds * 1000 for _, _, seconds in evaluations]
        old = "not installed"
        if before:
            times = []
            for expression, bindings, _ in evaluations:
                begun = time.perf_counter()
                _old_way(expression, bindings)
                times.append((time.perf_counter() - begun) * 1000)
            old = f"{statistics.median(times):.2f} (mean {statistics.mean(times):.2f})"
        print(
            f"{name:12} {len(evaluations) / args.runs:9.1f} {per_run[name] * 1000:8.1f} "
            f"{statistics.median(now):6.2f} (mean {statistics.mean(now):.2f}) {old:>23}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
