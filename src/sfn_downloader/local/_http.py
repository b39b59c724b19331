"""One HTTP exchange with the stand-in third party, shared by both transports' emulations.

Each caller turns a failure into what its AWS service reports: API Gateway answers 504
(``INTEGRATION_FAILURE``/``INTEGRATION_TIMEOUT``), the HTTP Task fails with
``States.Http.Socket``. The answer's body is returned as received: neither API Gateway nor the
HTTP Task is documented to decompress a ``Content-Encoding: gzip`` answer (see
``content_coding``).
"""

from __future__ import annotations

import http.client
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from ._invoke import ApiResponse

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
