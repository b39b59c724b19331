"""What moto (5.2.5, 5.2.6) lacks to run ``arn:aws:states:::apigateway:invoke``: one adapter.

moto's handler for this integration is broken (getmoto/moto issue 10163): it is called with
``state_credentials`` but declares ``task_credentials``, builds ``FailureEvent`` without
``env`` (so every failure becomes ``States.Runtime``/``TypeError``), drops Stage, Path,
QueryParameters and Headers, and posts to a LocalStack-style URL (5.2.6 takes the
parameters but still posts to ``.../<stage>/_user_request_/<path>``). This module replaces the
broken methods of moto's own task class, so everything else (parameters, retries, timeouts,
the 256 KiB result check, history events) stays moto's, and hands each request to a handler
registered for the API's host (``<api-id>.execute-api.<region>.amazonaws.com``): the runner
registers an emulation of the synthesized REST API there.

DELETE THIS MODULE once moto ships a working ``apigateway:invoke`` (issue 10163 closed): then
register the REST API in moto's own API Gateway mock, or keep only a thin URL router, and drop
``PATCHES`` from the registry (``_moto.REGISTRY``). ``http:invoke`` (HTTP Task) is not handled here.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from ._http import content_coding
from ._invoke import ApiHandler, ApiRequest, ApiResponse, invoke_output
from ._patch import Patch, constant
from .errors import CompressedAnswerWarning, LocalRunnerError

_FORBIDDEN_HEADERS = frozenset(
    name.lower()
    for name in (
        "Authorization", "Connection", "Content-md5", "Expect", "Host", "Max-Forwards",
        "Proxy-Authenticate", "Server", "TE", "Transfer-Encoding", "Trailer", "Upgrade", "Via",
        "Www-Authenticate",
    )
)  # fmt: skip
_FORBIDDEN_HEADER_PREFIXES = ("x-forwarded", "x-amz", "x-amzn")
_BODY_METHODS = frozenset({"PATCH", "POST", "PUT"})
# The parameters AWS documents for apigateway:invoke; moto keeps only ApiEndpoint and Method.
_PARAMETERS = frozenset(
    {"ApiEndpoint", "Method", "Headers", "Stage", "Path", "QueryParameters", "RequestBody",
     "AllowNullValues", "AuthType"}
)  # fmt: skip


class _ApiGatewayStatusError(Exception):
    """A non-2xx answer: Step Functions fails the task with ``ApiGateway.<status>``."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"ApiGateway.{status}")
        self.status = status
        self.body = body


class _ApiGatewayCallError(Exception):
    """No answer at all (unknown host, bad parameters): ``ApiGateway.<Exception>``."""

    def __init__(self, name: str, cause: str) -> None:
        super().__init__(cause)
        self.name = name
        self.cause = cause


_lock = threading.Lock()
_handlers: dict[str, ApiHandler] = {}


@contextmanager
def serving(handlers: Mapping[str, ApiHandler]) -> Iterator[None]:
    """Route ``handlers`` (host → handler) meanwhile; nested or concurrent runners each serve
    their own hosts (the task itself is patched once, by ``PATCHES``)."""
    with _lock:
        clash = set(handlers) & set(_handlers)
        if clash:
            raise LocalRunnerError(f"API hosts already served by another runner: {sorted(clash)}")
        _handlers.update(handlers)
    try:
        yield
    finally:
        with _lock:
            for host in handlers:
                _handlers.pop(host, None)


def _get_supported_parameters(self: Any) -> set[str]:
    """Replacement for moto's method: keep every documented parameter."""
    return set(_PARAMETERS)


def _eval_service_task(
    self: Any,
    env: Any,
    resource_runtime_part: Any,
    normalised_parameters: dict[str, Any],
    state_credentials: Any,
) -> None:
    """Replacement for moto's method: call the registered API, push AWS's output shape."""
    request = _request_of(normalised_parameters)
    with _lock:
        handler = _handlers.get(request.host)
    if handler is None:
        raise _ApiGatewayCallError(
            "UnknownHostException",
            f"{request.host}: no REST API of this name in the local run "
            f"(known: {sorted(_handlers)}).",
        )
    response = handler(request)
    _warn_if_compressed(request, response)
    if not 200 <= response.status < 300:
        raise _ApiGatewayStatusError(response.status, response.body.decode("utf-8", "replace"))
    env.stack.append(invoke_output(response))


def _warn_if_compressed(request: ApiRequest, response: ApiResponse) -> None:
    coding = content_coding(response.headers)
    if coding is None:
        return
    warnings.warn(
        CompressedAnswerWarning(
            f"{request.method} {request.path}: the answer is {coding}-compressed "
            f"(Content-Encoding: {coding}). API Gateway passes it through undecompressed and, "
            "with no binary media types, as UTF-8 text (API Gateway developer guide: 'Receive an "
            "API response with a compressed payload', 'Content type conversions in API "
            "Gateway'), so ResponseBody is not the JSON that was compressed, locally as on AWS. "
            "Make the endpoint answer uncompressed."
        ),
        stacklevel=2,
    )


def _from_error(self: Any, env: Any, ex: Exception) -> Any:
    """Replacement for moto's method: name failures as AWS does, with ``env`` (issue 10163)."""
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
        CustomErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (  # noqa: E501
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    if isinstance(ex, _ApiGatewayStatusError):
        error, cause = f"ApiGateway.{ex.status}", ex.body
    elif isinstance(ex, _ApiGatewayCallError):
        error, cause = f"ApiGateway.{ex.name}", ex.cause
    else:
        # Timeouts, States.* failures (e.g. DataLimitExceeded) and the rest: moto's own logic.
        return StateTaskServiceCallback._from_error(self, env=env, ex=ex)
    # ApiGateway.* does not start with "States.", so CustomErrorName accepts it; Retry and
    # Catch then match it by name, as on AWS.
    return FailureEvent(
        env=env,
        error_name=CustomErrorName(error),
        event_type=HistoryEventType.TaskFailed,
        # moto declares EventDetails total=True yet fills one key, as here.
        event_details=EventDetails(  # type: ignore[typeddict-item]
            taskFailedEventDetails=TaskFailedEventDetails(
                error=error,
                cause=cause,
                resource=self._get_sfn_resource(),
                resourceType=self._get_sfn_resource_type(),
            )
        ),
    )


def _request_of(parameters: Mapping[str, Any]) -> ApiRequest:
    endpoint = str(parameters["ApiEndpoint"])
    # The documented form has no scheme; tolerate one (and a trailing slash) as AWS does.
    host = endpoint.split("://", 1)[-1].rstrip("/")
    method = str(parameters["Method"]).upper()
    headers = _lists(parameters.get("Headers"), "Headers")
    for name in headers:
        lowered = name.lower()
        if lowered in _FORBIDDEN_HEADERS or lowered.startswith(_FORBIDDEN_HEADER_PREFIXES):
            raise _ApiGatewayCallError(
                "IllegalArgumentException",
                f"The 'Headers' field contains unsupported values: {name}",
            )
    body: bytes | None = None
    if "RequestBody" in parameters and parameters["RequestBody"] is not None:
        if method not in _BODY_METHODS:
            raise _ApiGatewayCallError(
                "IllegalArgumentException",
                f"RequestBody is supported for PATCH, POST and PUT only, not {method}.",
            )
        raw = parameters["RequestBody"]
        body = (raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))).encode()
        headers = {**headers, "Content-Type": ["application/json"]}
    path = str(parameters.get("Path") or "")
    return ApiRequest(
        host=host,
        stage=str(parameters.get("Stage") or ""),
        method=method,
        path=path if path.startswith("/") else f"/{path}",
        query=_lists(parameters.get("QueryParameters"), "QueryParameters"),
        headers=headers,
        body=body,
        auth_type=str(parameters.get("AuthType") or "NO_AUTH"),
    )


def _lists(value: Any, field_name: str) -> dict[str, list[str]]:
    """Header and query values are lists of strings in apigateway:invoke."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _ApiGatewayCallError("IllegalArgumentException", f"'{field_name}' must be an object")
    result: dict[str, list[str]] = {}
    for name, values in value.items():
        if not isinstance(values, list):
            raise _ApiGatewayCallError(
                "IllegalArgumentException", f"'{field_name}.{name}' must be a list of strings"
            )
        result[str(name)] = [str(item) for item in values]
    return result


_TASK = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service."
    "state_task_service_api_gateway:StateTaskServiceApiGateway"
)
PATCHES = (
    Patch(
        name="apigateway-invoke",
        targets={
            f"{_TASK}._eval_service_task": constant(_eval_service_task),
            f"{_TASK}._from_error": constant(_from_error),
            f"{_TASK}._get_supported_parameters": constant(_get_supported_parameters),
        },
        reason=(
            "moto's apigateway:invoke task fails every call (5.2.5: TypeError, FailureEvent "
            "without env; 5.2.6: a LocalStack-style .../_user_request_/ URL) and drops Stage, "
            "Path, QueryParameters and Headers (5.2.5); AWS documents the parameters, the "
            "ApiGateway.<status> errors and the output shape ('Call API Gateway with Step "
            "Functions'). Calls go to the REST API emulation registered for the host."
        ),
        upstream="getmoto/moto#10163 (apigateway:invoke), and a router to execute-api hosts",
    ),
)
