"""What moto 5.2.5 lacks to run ``arn:aws:states:::http:invoke`` (the HTTP Task): one isolated
adapter, with the EventBridge connection's credentials applied as AWS applies them.

moto does not implement the HTTP Task: ``create_state_machine`` fails with ``Unknown service
'http'``, and its parser refuses the error names the task fails with
(``States.Http.StatusCode.404``, ``States.Http.Socket``) in Retry and Catch, because a custom
error name may not start with ``States.``. This module, while installed:

* registers a task class for the ``http`` service in moto's factory. It subclasses moto's own
  service task, so Parameters, ``TimeoutSeconds``, Retry/Catch, history events and the 256 KiB
  result check (``States.DataLimitExceeded``) stay moto's;
* lets the parser accept ``States.Http.*`` error names, so Retry and Catch match them by name;
* sends each request to the loopback server standing in for the endpoint, with the connection's
  ``InvocationHttpParameters`` and credentials (API key header, Basic, OAuth client credentials).

DELETE THIS MODULE once moto implements ``http:invoke`` (and accepts ``States.Http.*`` names):
then create the connections in moto's EventBridge mock and keep only a URL router.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .._contract import HTTP_TASK_FORBIDDEN_HEADER_PREFIXES, HTTP_TASK_FORBIDDEN_HEADERS
from ._connections import REQUEST_TIMEOUT_SECONDS as REQUEST_TIMEOUT_SECONDS
from ._connections import HttpTaskError, send_request
from ._connections import LocalConnection as LocalConnection
from ._connections import UpstreamLookup as UpstreamLookup
from ._connections import connection_from_template as connection_from_template
from ._http import content_coding, media_type
from ._invoke import ApiResponse, invoke_output
from ._patch import Patch
from .errors import LocalRunnerError

HTTP_ERROR_PREFIX = "States.Http."

# Headers an HTTP Task definition may not set: the task fails with States.Runtime instead of
# sending them (see _contract; the construct refuses them at synth too).
_FORBIDDEN_HEADERS = HTTP_TASK_FORBIDDEN_HEADERS
_FORBIDDEN_HEADER_PREFIXES = HTTP_TASK_FORBIDDEN_HEADER_PREFIXES
_BODY_METHODS = frozenset({"PATCH", "POST", "PUT", "DELETE"})
_BINARY_MEDIA_PREFIXES = ("image/", "video/", "audio/")
_PARAMETERS = frozenset(
    {"ApiEndpoint", "Method", "Authentication", "InvocationConfig", "Headers", "QueryParameters",
     "RequestBody", "Transform"}
)  # fmt: skip


_lock = threading.Lock()
_connections: dict[str, tuple[LocalConnection, UpstreamLookup]] = {}


@contextmanager
def serving(
    connections: Mapping[str, LocalConnection], upstream_for: UpstreamLookup
) -> Iterator[None]:
    """Serve ``connections`` (connection ARN → connection) meanwhile; requests go to
    ``upstream_for(origin)``. Runners side by side each serve their own connection ARNs (the
    task is taught to moto once, by ``PATCHES``)."""
    with _lock:
        clash = set(connections) & set(_connections)
        if clash:
            raise LocalRunnerError(f"Connections already served by another runner: {sorted(clash)}")
        _connections.update({arn: (c, upstream_for) for arn, c in connections.items()})
    try:
        yield
    finally:
        with _lock:
            for arn in connections:
                _connections.pop(arn, None)


def _service_for(original: Any) -> Any:
    """moto's ``state_task_service_for``, also knowing the ``http`` service."""

    def service_for(service_name: str) -> Any:
        if service_name == "http":
            return _task_class()()
        return original(service_name=service_name)

    return service_for


_classes: dict[str, Any] = {}


def _error_name_class() -> Any:
    """moto's ``CustomErrorName``, also accepting the ``States.Http.*`` names AWS defines."""
    if "error" not in _classes:
        from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
            CustomErrorName,
        )
        from moto.stepfunctions.parser.asl.component.common.error_name.error_name import (
            ErrorName,
        )

        class HttpAwareErrorName(CustomErrorName):
            def __init__(self, error_name: str | None) -> None:
                if error_name is not None and error_name.startswith(HTTP_ERROR_PREFIX):
                    ErrorName.__init__(self, error_name=error_name)  # skip the prefix check
                else:
                    super().__init__(error_name=error_name)

        _classes["error"] = HttpAwareErrorName
    return _classes["error"]


def _task_class() -> Any:
    """A moto service task for ``http:invoke`` (built lazily: importing moto is slow)."""
    if "task" not in _classes:
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (  # noqa: E501
            StateTaskServiceCallback,
        )

        class StateTaskServiceHttp(StateTaskServiceCallback):
            def __init__(self) -> None:
                super().__init__(supported_integration_patterns=set())

            def _get_supported_parameters(self) -> set[str]:
                return set(_PARAMETERS)

            def _eval_service_task(
                self,
                env: Any,
                resource_runtime_part: Any,
                normalised_parameters: dict[str, Any],
                state_credentials: Any,
            ) -> None:
                env.stack.append(invoke(normalised_parameters))

            def _from_error(self, env: Any, ex: Exception) -> Any:
                if isinstance(ex, HttpTaskError):
                    return _failure_event(self, env, ex)
                return StateTaskServiceCallback._from_error(self, env=env, ex=ex)

        _classes["task"] = StateTaskServiceHttp
    return _classes["task"]


def _failure_event(task: Any, env: Any, ex: HttpTaskError) -> Any:
    from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
    )
    from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

    return FailureEvent(
        env=env,
        error_name=_error_name(ex.error),
        event_type=HistoryEventType.TaskFailed,
        # moto declares EventDetails total=True yet fills one key, as here.
        event_details=EventDetails(  # type: ignore[typeddict-item]
            taskFailedEventDetails=TaskFailedEventDetails(
                error=ex.error,
                cause=ex.cause,
                resource=task._get_sfn_resource(),
                resourceType=task._get_sfn_resource_type(),
            )
        ),
    )


def _error_name(error: str) -> Any:
    """moto's name object for ``error``: ``States.Runtime`` is one of the States Language's own
    names (a custom name may not start with ``States.``); ``States.Http.*`` and the
    ``Events.ConnectionResource.*`` names are the HTTP Task's."""
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )

    if error.startswith("States.") and not error.startswith(HTTP_ERROR_PREFIX):
        return StatesErrorName.from_name(error)
    return _error_name_class()(error)


def invoke(parameters: Mapping[str, Any]) -> dict[str, Any]:
    """One HTTP Task call: the request AWS would send, to the local upstream; AWS's output shape.

    Non-2xx answers raise ``States.Http.StatusCode.<status>`` (the body as cause); no answer at
    all (refused, timed out, unknown host) raises ``States.Http.Socket``.
    """
    authentication = parameters.get("Authentication") or parameters.get("InvocationConfig") or {}
    arn = str(authentication.get("ConnectionArn", ""))
    with _lock:
        found = _connections.get(arn)
    if found is None:
        raise HttpTaskError(
            "Events.ConnectionResource.ResourceNotFound",
            f"Connection {arn!r} is not in the local run (known: {sorted(_connections)}).",
        )
    connection, upstream_for = found
    method = str(parameters.get("Method", "")).upper()
    url = urlsplit(str(parameters.get("ApiEndpoint", "")))
    if url.scheme not in ("http", "https") or not url.netloc:
        raise HttpTaskError("States.Runtime", f"ApiEndpoint {url.geturl()!r} is not an URL.")

    headers: dict[str, tuple[str, str]] = {}
    for name, value in dict(parameters.get("Headers") or {}).items():
        lowered = str(name).lower()
        if lowered in _FORBIDDEN_HEADERS or lowered.startswith(_FORBIDDEN_HEADER_PREFIXES):
            raise HttpTaskError(
                "States.Runtime", f"The 'Headers' field contains unsupported values: {name}"
            )
        headers[lowered] = (str(name), _scalar(value))
    # The connection's parameters win over the task's (EventBridge: "values from the
    # Connection taking precedence"); its credential comes last, so nothing overrides it.
    for parameter in connection.headers:
        headers[parameter.key.lower()] = (parameter.key, parameter.value)
    name, value = connection.credential_header(upstream_for)
    headers[name.lower()] = (name, value)

    array_format = str(
        dict(dict(parameters.get("Transform") or {}).get("RequestEncodingOptions") or {}).get(
            "ArrayFormat", "REPEAT"
        )
    )
    query: dict[str, Any] = dict(parameters.get("QueryParameters") or {})
    query.update({p.key: p.value for p in connection.query})
    body = _body(method, parameters, connection, headers, array_format)

    origin = f"{url.scheme}://{url.netloc}"
    base = upstream_for(origin)
    if base is None:
        # As an unresolvable host would on AWS: no answer at all.
        raise HttpTaskError("States.Http.Socket", f"{origin}: no local upstream for this origin.")
    target = urlsplit(base)
    path = quote(target.path.rstrip("/") + (url.path or "/"), safe="/%:@!$&'()*+,;=-._~")
    # The query written in ApiEndpoint is sent as written (AWS documents no re-encoding of
    # it: "ApiEndpoint: the URL of the HTTPS API"); QueryParameters are encoded and appended.
    added = urlencode(_query_pairs("", query, array_format))
    written = url.query
    if written or added:
        path += "?" + "&".join(part for part in (written, added) if part)
    response = send_request(
        target.scheme, target.netloc, method, path, list(headers.values()), body
    )
    if not 200 <= response.status < 300:
        raise HttpTaskError(
            f"States.Http.StatusCode.{response.status}", response.body.decode("utf-8", "replace")
        )
    text = _readable_text(response)
    output = invoke_output(response)
    if not _is_json(response):
        output["ResponseBody"] = text
    return output


def _readable_text(response: ApiResponse) -> str:
    """The answer's body as text, or ``States.Runtime`` as the HTTP Task fails on a response it
    does not support ("Call HTTPS APIs", Unsupported HTTP Task responses): a binary content type,
    or a body that can't be read as a valid string (a compressed body is not one)."""
    media = media_type(response.headers)
    if media == "application/octet-stream" or media.startswith(_BINARY_MEDIA_PREFIXES):
        raise HttpTaskError(
            "States.Runtime",
            f"The HTTP Task does not support a response of content type {media!r}.",
        )
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        coding = content_coding(response.headers)
        compressed = f" (it is {coding}-compressed: Content-Encoding: {coding})" if coding else ""
        raise HttpTaskError(
            "States.Runtime",
            f"The response can't be read as a valid string{compressed}.",
        ) from None


def _body(
    method: str,
    parameters: Mapping[str, Any],
    connection: LocalConnection,
    headers: dict[str, tuple[str, str]],
    array_format: str,
) -> bytes | None:
    raw = parameters.get("RequestBody")
    if method not in _BODY_METHODS:
        # Step Functions sends no body with GET/HEAD/OPTIONS (the connection's body
        # parameters apply to requests that have one).
        return None
    if connection.body:
        if isinstance(raw, str):
            raise HttpTaskError(
                "States.Runtime",
                "A string RequestBody cannot take the connection's body parameters.",
            )
        raw = {**dict(raw or {}), **{p.key: p.value for p in connection.body}}
    if raw is None:
        return None
    transform = dict(parameters.get("Transform") or {})
    if transform.get("RequestBodyEncoding") == "URL_ENCODED" and isinstance(raw, Mapping):
        headers.setdefault("content-type", ("Content-Type", "application/x-www-form-urlencoded"))
        return urlencode(_query_pairs("", dict(raw), array_format)).encode()
    headers.setdefault("content-type", ("Content-Type", "application/json"))
    return (raw if isinstance(raw, str) else json.dumps(raw, separators=(",", ":"))).encode()


def _query_pairs(
    existing: str, values: Mapping[str, Any], array_format: str
) -> list[tuple[str, str]]:
    """Query values are strings in ``http:invoke``; a list is encoded per ``ArrayFormat``."""
    pairs = parse_qsl(existing, keep_blank_values=True)
    for name, value in values.items():
        if not isinstance(value, list):
            pairs.append((str(name), _scalar(value)))
        elif array_format == "COMMAS":
            pairs.append((str(name), ",".join(_scalar(v) for v in value)))
        elif array_format == "BRACKETS":
            pairs += [(f"{name}[]", _scalar(v)) for v in value]
        elif array_format == "INDICES":
            pairs += [(f"{name}[{i}]", _scalar(v)) for i, v in enumerate(value)]
        else:  # REPEAT
            pairs += [(str(name), _scalar(v)) for v in value]
    return pairs


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return json.dumps(value) if isinstance(value, dict | list) else str(value)


def _is_json(response: ApiResponse) -> bool:
    for name, value in response.headers:
        if name.lower() == "content-type":
            media = value.split(";", 1)[0].strip().lower()
            return media == "application/json" or media.endswith("+json")
    return False


_SERVICE = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
PATCHES = (
    Patch(
        name="http-invoke",
        targets={
            f"{_SERVICE}.service.state_task_service_factory:state_task_service_for": _service_for,
            # state_task_factory imported the function by name: replaced there too.
            f"{_SERVICE}.state_task_factory:state_task_service_for": _service_for,
            "moto.stepfunctions.parser.asl.parse.preprocessor:CustomErrorName": (
                lambda original: _error_name_class()
            ),
        },
        reason=(
            "moto has no http:invoke task (create_state_machine: Unknown service 'http') and its "
            "parser refuses the States.Http.* error names in Retry and Catch; AWS documents the "
            "task, its connection's credentials and its errors ('Call HTTPS APIs in Step "
            "Functions workflows', 'Handling errors in Step Functions workflows')."
        ),
        upstream="moto implementing http:invoke and accepting States.Http.* error names",
    ),
)
