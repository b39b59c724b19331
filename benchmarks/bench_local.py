"""Local runner speed on the EVE downloader: start-up time and runs per second.

``python benchmarks/bench_local.py [--runs N]``. Synthesis is timed apart: it is the CDK's cost,
paid once per app. Start-up is entering ``LocalRunner`` (moto, table, state machine, proxy);
runs are sequential, each one scheduled minute, against a loopback stand-in for the API.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
EVE_APP = Path(__file__).resolve().parent.parent / "examples" / "eve_player_count" / "app.py"
BODY = json.dumps({"players": 24449, "server_version": "2345678"}).encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    from datetime import UTC, datetime, timedelta

    from sfn_downloader._contract import STATE_SORT_KEY
    from sfn_downloader.local import LocalRunner

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as outdir:
        spec = importlib.util.spec_from_file_location("eve_app", EVE_APP)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        started = time.perf_counter()
        app = module.build_app(outdir)
        app.synth()
        synth = time.perf_counter() - started

        started = time.perf_counter()
        runner = LocalRunner(
            app,
            upstream=f"http://127.0.0.1:{server.server_port}",
            pattern="EvePlayerCount/PlayerCount",
        )
        runner.__enter__()
        startup = time.perf_counter() - started
        try:
            first = datetime(2026, 11, 27, tzinfo=UTC)
            runner.run(first - timedelta(minutes=1))  # warm-up: first-use imports
            latencies = []
            started = time.perf_counter()
            for minute in range(args.runs):
                begun = time.perf_counter()
                execution = runner.run(first + timedelta(minutes=minute))
                latencies.append(time.perf_counter() - begun)
                if not execution.succeeded:
                    sys.exit(f"run failed: {execution.error}: {execution.cause}")
            total = time.perf_counter() - started
            # The items a run stores; the downloader's state item (sk "#state") is not one.
            stored = len([i for i in runner.items() if i["sk"] != STATE_SORT_KEY])
        finally:
            runner.__exit__(None, None, None)
    server.shutdown()
    print(f"synth (CDK, once per app)   {synth:6.2f} s")
    print(f"runner start-up             {startup:6.2f} s")
    print(f"runs                        {args.runs} ({stored - 1} items + warm-up)")
    print(f"runs per second             {args.runs / total:6.1f}")
    print(
        f"run latency median / p95    {statistics.median(latencies) * 1000:.1f} / "
        f"{sorted(latencies)[int(0.95 * len(latencies))] * 1000:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
