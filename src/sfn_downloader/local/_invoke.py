"""The request and answer of one ``apigateway:invoke`` or ``http:invoke`` call, as both
transports' emulations, the REST API emulation and the HTTP exchange share them (and the task
result AWS documents, ``invoke_output``)."""

from __future__ import annotations

import http
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiRequest:
    """One ``apigateway:invoke`` call, as Step Functions sends it to API Gateway."""

    host: str
    stage: str
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, list[str]]
    body: bytes | None
    auth_type: str
    """``NO_AUTH``, ``IAM_ROLE`` (SigV4, the state machine's role) or ``RESOURCE_POLICY``."""


@dataclass(frozen=True)
class ApiResponse:
    """API Gateway's answer: status, headers in order (names may repeat), body."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


ApiHandler = Callable[[ApiRequest], ApiResponse]


def invoke_output(response: ApiResponse) -> dict[str, Any]:
    """The task result AWS documents: Headers (lists), ResponseBody (JSON or text), status."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name, []).append(value)
    text = response.body.decode("utf-8", "replace")
    body: Any
    try:
        body = json.loads(text) if text else ""
    except ValueError:
        body = text
    return {
        "Headers": headers,
        "ResponseBody": body,
        "StatusCode": response.status,
        "StatusText": _status_text(response.status),
    }


def _status_text(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""
