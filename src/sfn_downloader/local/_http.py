"""One HTTP exchange with the stand-in third party, shared by both transports' emulations.

Each caller turns a failure into what its AWS service reports: API Gateway answers 504/500,
the HTTP Task fails with ``States.Http.Socket``.
"""

from __future__ import annotations

import http.client
import socket

from ._moto_apigateway import ApiResponse

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
