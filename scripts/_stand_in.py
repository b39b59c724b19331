"""What every ``make demo`` stand-in shares: a loopback HTTP server, its URL, and serving it for
the duration of a run (the demo's stand-ins differ only in what they answer)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class QuietHandler(BaseHTTPRequestHandler):
    """A stand-in's request handler: logs nothing, answers JSON with ``send_json``."""

    def send_json(
        self,
        status: int,
        body: Any,
        headers: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        """``status`` with ``body`` as JSON, ``headers`` first."""
        payload = json.dumps(body).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the demo prints what it measured, not each request."""


class LoopbackStandIn:
    """A stand-in for a third party on 127.0.0.1: subclasses set ``server``."""

    server: ThreadingHTTPServer

    @property
    def url(self) -> str:
        """The stand-in's base URL."""
        return f"http://127.0.0.1:{self.server.server_port}"

    @contextmanager
    def serving(self) -> Iterator[Self]:
        """Serve on loopback for the duration."""
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
