"""What every ``make demo`` stand-in shares: a loopback HTTP server, its URL, and serving it for
the duration of a run (the demo's stand-ins differ only in what they answer)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer
from typing import Self


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
