"""One HTTP exchange with the stand-in third party, shared by both transports' emulations.

Each caller turns a failure into what its AWS service reports: API Gateway answers 504
(``INTEGRATION_FAILURE``/``INTEGRATION_TIMEOUT``), the HTTP Task fails with
``States.Http.Socket``. The answer's body is returned as received: neither API Gateway nor the
HTTP Task is documented to decompress a ``Content-Encoding: gzip`` answer (see
``content_coding``).

An upstream may also be a WSGI application called in the process (``register_in_process``):
it gets the request as a server would hand it over, and no socket, thread or loopback round
trip is spent on it (a fan-out's local run spent about a third of its time there).
"""

from __future__ import annotations

import http.client
import io
import itertools
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from ._invoke import ApiResponse

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
"""A WSGI application (PEP 3333): what ``LocalRunner(upstream=...)`` may call in the process."""

SEND_ERRORS = (TimeoutError, OSError, http.client.HTTPException, socket.gaierror)
"""What ``send`` raises when no answer comes back (``TimeoutError`` first: it is an OSError)."""


def send(
    scheme: str,
    netloc: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
    *,
    timeout: float,
) -> ApiResponse:
    """Send one request as given (no header added but Content-Length) and read the answer."""
    app = _in_process.get(netloc)
    if app is not None:
        return _call_wsgi(app, scheme, netloc, method, target, headers, body)
    connection_type = (
        http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_type(netloc, timeout=timeout)
    try:
        connection.putrequest(method, target, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        answer = connection.getresponse()
        return ApiResponse(answer.status, answer.getheaders(), answer.read())
    finally:
        connection.close()


def header_value(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (any case), or ``None``."""
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), None)


def content_coding(headers: Iterable[tuple[str, str]]) -> str | None:
    """The answer's ``Content-Encoding`` (``gzip``, ``br``, ...), or ``None`` for identity."""
    coding = (header_value(headers, "Content-Encoding") or "").strip().lower()
    return None if coding in ("", "identity") else coding


def media_type(headers: Iterable[tuple[str, str]]) -> str:
    """The answer's media type, lower case, without parameters (``""`` when absent)."""
    return (header_value(headers, "Content-Type") or "").split(";", 1)[0].strip().lower()


def check_base_url(url: str) -> str:
    """``url`` if it is an absolute ``http``/``https`` URL with a host; else ``ValueError``."""
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or 0 < parts.port < 65536
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError(
            f"{url!r} is not a base URL: expected http://HOST[:PORT][/PATH] or https://..."
        )
    return url


_in_process: dict[str, WsgiApp] = {}
_in_process_ids = itertools.count(1)
_in_process_lock = threading.Lock()


def in_process_url() -> str:
    """A new base URL for an in-process upstream (``serving_in_process``). Its host ends in
    ``.invalid`` (RFC 2606): no real host has it."""
    return f"http://in-process-{next(_in_process_ids)}.invalid"


def is_wsgi_app(value: object) -> bool:
    """True for what ``LocalRunner`` takes as an in-process upstream: a callable, not a URL."""
    return callable(value) and not isinstance(value, str)


@contextmanager
def serving_in_process(url: str, app: WsgiApp) -> Iterator[None]:
    """``send`` hands the requests to ``url`` to ``app`` in the process, meanwhile."""
    netloc = urlsplit(url).netloc
    with _in_process_lock:
        _in_process[netloc] = app
    try:
        yield
    finally:
        with _in_process_lock:
            _in_process.pop(netloc, None)


def _call_wsgi(
    app: WsgiApp,
    scheme: str,
    netloc: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> ApiResponse:
    """One request to a WSGI application, as a server would pass it (PEP 3333's environ); an
    application that raises gives no answer, as a server that drops the connection."""
    path, _, query = target.partition("?")
    payload = body or b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": unquote(path, encoding="latin-1"),
        "RAW_URI": target,
        "QUERY_STRING": query,
        "SERVER_NAME": netloc,
        "SERVER_PORT": "443" if scheme == "https" else "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(payload),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": netloc,
    }
    if body is not None:
        environ["CONTENT_LENGTH"] = str(len(payload))
    for name, value in headers:
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
            continue
        key = f"HTTP_{key}"
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    started: list[Any] = []

    def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> Any:
        started[:] = [status, response_headers]
        return lambda data: None

    try:
        chunks = app(environ, start_response)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
    except Exception as error:
        raise ConnectionResetError(
            f"the in-process upstream raised {type(error).__name__}: {error}"
        ) from error
    if not started:
        raise ConnectionResetError("the in-process upstream did not call start_response")
    status, response_headers = started
    return ApiResponse(int(str(status).split(" ", 1)[0]), list(response_headers), data)
