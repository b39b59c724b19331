"""A real loopback HTTP server standing in for the third party in local end-to-end tests."""

from __future__ import annotations

import email.utils
import json
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Answer:
    """What the upstream answers: status, JSON (or raw bytes) body, extra headers."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Seen:
    """One request the upstream received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names lower-cased."""
    target: str = ""
    """The request target as sent (path and query, percent-encoded)."""


class Upstream:
    """Answers from a script (one answer per request, then ``default``); records requests."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.default = Answer()
        self.responder: Callable[[Seen], Answer] | None = None
        """Answers by request (path, query) instead of the script, when set."""
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                seen = Seen(
                    "GET",
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.path,
                )
                with upstream._lock:
                    upstream.requests.append(seen)
                    responder = upstream.responder
                    answer = upstream._script.popleft() if upstream._script else upstream.default
                if responder is not None:
                    answer = responder(seen)
                payload = answer.payload()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def respond(self, responder: Callable[[Seen], Answer]) -> None:
        """Answer each request with ``responder(request)``; forget past requests."""
        with self._lock:
            self._script = deque()
            self.requests = []
            self.responder = responder

    def script(self, *answers: Answer, default: Answer | None = None) -> None:
        """Answer the next requests with ``answers``, then ``default``; forget past requests."""
        with self._lock:
            self.responder = None
            self._script = deque(answers)
            self.requests = []
            if default is not None:
                self.default = default

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_upstream() -> Iterator[Upstream]:
    """An ``Upstream`` serving on 127.0.0.1 (a free port) for the duration."""
    upstream = Upstream()
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()


def http_date() -> str:
    """An RFC 7231 date, as servers put in ``Date``."""
    return email.utils.formatdate(usegmt=True)
