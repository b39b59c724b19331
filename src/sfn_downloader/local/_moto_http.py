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

import base64
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from .._contract import HTTP_TASK_FORBIDDEN_HEADER_PREFIXES, HTTP_TASK_FORBIDDEN_HEADERS
from ._http import SEND_ERRORS, content_coding, media_type, send
from ._moto_apigateway import ApiResponse, check_moto_version, invoke_output
from .errors import LocalRunnerError

REQUEST_TIMEOUT_SECONDS = 60.0
"""An HTTP Task request times out after 60 s (``States.Http.Socket``)."""

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

UpstreamLookup = Callable[[str], str | None]
"""Origin of a URL (``https://host[:port]``) → base URL of its local stand-in, or ``None``."""


@dataclass(frozen=True)
class HttpParameter:
    """One of a connection's header, query string or body parameters (secrets resolved)."""

    key: str
    value: str


@dataclass(frozen=True)
class OAuthClient:
    """A connection's ``OAUTH_CLIENT_CREDENTIALS`` parameters (the client secret resolved)."""

    token_endpoint: str
    method: str
    client_id: str
    client_secret: str
    headers: tuple[HttpParameter, ...] = ()
    query: tuple[HttpParameter, ...] = ()
    body: tuple[HttpParameter, ...] = ()


@dataclass
class LocalConnection:
    """An ``AWS::Events::Connection`` of the template, as the HTTP Task applies it.

    :param authorization_type: ``API_KEY``, ``BASIC`` or ``OAUTH_CLIENT_CREDENTIALS``.
    """

    name: str
    authorization_type: str
    api_key: tuple[str, str] | None = None
    basic: tuple[str, str] | None = None
    oauth: OAuthClient | None = None
    headers: tuple[HttpParameter, ...] = ()
    query: tuple[HttpParameter, ...] = ()
    body: tuple[HttpParameter, ...] = ()
    _token: str | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def credential_header(self, upstream_for: UpstreamLookup) -> tuple[str, str]:
        """The header carrying the credential: the API key, Basic, or the OAuth bearer token."""
        if self.api_key is not None:
            return self.api_key
        if self.basic is not None:
            user, password = self.basic
            encoded = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            return "Authorization", f"Basic {encoded}"
        if self.oauth is not None:
            # EventBridge fetches a token once and reuses it until it is refused.
            with self._lock:
                if self._token is None:
                    self._token = _fetch_token(self.name, self.oauth, upstream_for)
                return "Authorization", f"Bearer {self._token}"
        raise _HttpTaskError(
            "States.Runtime",
            f"Connection {self.name}: authorization type {self.authorization_type} not emulated.",
        )


class _HttpTaskError(Exception):
    """The task fails with ``error`` (``States.Http.StatusCode.<n>``, ``States.Http.Socket``)."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(cause)
        self.error = error
        self.cause = cause


_lock = threading.Lock()
_connections: dict[str, tuple[LocalConnection, UpstreamLookup]] = {}
_install_count = 0
_originals: dict[str, Any] = {}


@contextmanager
def install(
    connections: Mapping[str, LocalConnection], upstream_for: UpstreamLookup
) -> Iterator[None]:
    """Teach moto the HTTP Task and serve ``connections`` (connection ARN → connection) meanwhile.

    Requests go to ``upstream_for(origin)``. Re-entrant: runners share the patch, each with its
    own connection ARNs.
    """
    check_moto_version()
    global _install_count
    with _lock:
        clash = set(connections) & set(_connections)
        if clash:
            raise LocalRunnerError(f"Connections already served by another runner: {sorted(clash)}")
        if _install_count == 0:
            _patch()
        _install_count += 1
        _connections.update({arn: (c, upstream_for) for arn, c in connections.items()})
    try:
        yield
    finally:
        with _lock:
            for arn in connections:
                _connections.pop(arn, None)
            _install_count -= 1
            if _install_count == 0:
                _unpatch()


def _patch() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )
    from moto.stepfunctions.parser.asl.parse import preprocessor

    original = factory.state_task_service_for
    task_class = _task_class()

    def service_for(service_name: str) -> Any:
        return task_class() if service_name == "http" else original(service_name=service_name)

    # state_task_factory imported the function by name: replace it there too.
    _originals["factory"] = original
    factory.state_task_service_for = service_for
    state_task_factory.state_task_service_for = service_for  # type: ignore[attr-defined]
    _originals["CustomErrorName"] = preprocessor.CustomErrorName  # type: ignore[attr-defined]
    preprocessor.CustomErrorName = _error_name_class()  # type: ignore[attr-defined]


def _unpatch() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import state_task_factory
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_factory as factory,
    )
    from moto.stepfunctions.parser.asl.parse import preprocessor

    factory.state_task_service_for = _originals.pop("factory")
    state_task_factory.state_task_service_for = factory.state_task_service_for  # type: ignore[attr-defined]
    preprocessor.CustomErrorName = _originals.pop("CustomErrorName")  # type: ignore[attr-defined]


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
                if isinstance(ex, _HttpTaskError):
                    return _failure_event(self, env, ex)
                return StateTaskServiceCallback._from_error(self, env=env, ex=ex)

        _classes["task"] = StateTaskServiceHttp
    return _classes["task"]


def _failure_event(task: Any, env: Any, ex: _HttpTaskError) -> Any:
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
        raise _HttpTaskError(
            "Events.ConnectionResource.ResourceNotFound",
            f"Connection {arn!r} is not in the local run (known: {sorted(_connections)}).",
        )
    connection, upstream_for = found
    method = str(parameters.get("Method", "")).upper()
    url = urlsplit(str(parameters.get("ApiEndpoint", "")))
    if url.scheme not in ("http", "https") or not url.netloc:
        raise _HttpTaskError("States.Runtime", f"ApiEndpoint {url.geturl()!r} is not an URL.")

    headers: dict[str, tuple[str, str]] = {}
    for name, value in dict(parameters.get("Headers") or {}).items():
        lowered = str(name).lower()
        if lowered in _FORBIDDEN_HEADERS or lowered.startswith(_FORBIDDEN_HEADER_PREFIXES):
            raise _HttpTaskError(
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
        raise _HttpTaskError("States.Http.Socket", f"{origin}: no local upstream for this origin.")
    target = urlsplit(base)
    path = quote(target.path.rstrip("/") + (url.path or "/"), safe="/%:@!$&'()*+,;=-._~")
    # The query written in ApiEndpoint is sent as written (AWS documents no re-encoding of
    # it: "ApiEndpoint: the URL of the HTTPS API"); QueryParameters are encoded and appended.
    added = urlencode(_query_pairs("", query, array_format))
    written = url.query
    if written or added:
        path += "?" + "&".join(part for part in (written, added) if part)
    response = _send(target.scheme, target.netloc, method, path, list(headers.values()), body)
    if not 200 <= response.status < 300:
        raise _HttpTaskError(
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
        raise _HttpTaskError(
            "States.Runtime",
            f"The HTTP Task does not support a response of content type {media!r}.",
        )
    try:
        return response.body.decode("utf-8")
    except UnicodeDecodeError:
        coding = content_coding(response.headers)
        compressed = f" (it is {coding}-compressed: Content-Encoding: {coding})" if coding else ""
        raise _HttpTaskError(
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
            raise _HttpTaskError(
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


def _send(
    scheme: str,
    netloc: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> ApiResponse:
    try:
        return send(scheme, netloc, method, target, headers, body, timeout=REQUEST_TIMEOUT_SECONDS)
    except SEND_ERRORS as error:
        raise _HttpTaskError(
            "States.Http.Socket", f"{method} {scheme}://{netloc}: {type(error).__name__}: {error}"
        ) from None


def _fetch_token(name: str, oauth: OAuthClient, upstream_for: UpstreamLookup) -> str:
    """The client-credentials grant EventBridge performs against the token endpoint."""
    url = urlsplit(oauth.token_endpoint)
    base = upstream_for(f"{url.scheme}://{url.netloc}")
    if base is None:
        raise _HttpTaskError(
            "Events.ConnectionResource.InvalidConnectionState",
            f"Connection {name}: no local upstream for its token endpoint {oauth.token_endpoint}.",
        )
    target = urlsplit(base)
    form = [("grant_type", "client_credentials"), *((p.key, p.value) for p in oauth.body)]
    query = [(p.key, p.value) for p in oauth.query]
    path = target.path.rstrip("/") + (url.path or "/") + (f"?{urlencode(query)}" if query else "")
    basic = base64.b64encode(f"{oauth.client_id}:{oauth.client_secret}".encode()).decode("ascii")
    headers = [
        ("Authorization", f"Basic {basic}"),
        ("Content-Type", "application/x-www-form-urlencoded"),
        *((p.key, p.value) for p in oauth.headers),
    ]
    try:
        response = _send(
            target.scheme, target.netloc, oauth.method, path, headers, urlencode(form).encode()
        )
        token = json.loads(response.body)["access_token"] if response.status < 300 else None
    except (_HttpTaskError, ValueError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not token:
        raise _HttpTaskError(
            "Events.ConnectionResource.InvalidConnectionState",
            f"Connection {name}: the token endpoint {oauth.token_endpoint} gave no access_token.",
        )
    return token


def connection_from_template(
    name: str,
    props: Mapping[str, Any],
    resolve: Callable[[str], str],
    credential: str | None = None,
) -> LocalConnection:
    """A connection from its (token-resolved) ``AWS::Events::Connection`` properties.

    ``resolve`` turns each value into its local one: ``{{resolve:secretsmanager:...}}``
    references become the runner's secret values. ``credential``, when given, is the local
    value of the connection's one credential (API key value, Basic password or OAuth client
    secret), whatever the template says.
    """

    def secret(value: Any) -> str:
        return credential if credential is not None else resolve(str(value))

    kind = str(props.get("AuthorizationType", ""))
    auth: Mapping[str, Any] = props.get("AuthParameters") or {}

    def parameters(section: Mapping[str, Any] | None, key: str) -> tuple[HttpParameter, ...]:
        return tuple(
            HttpParameter(str(p["Key"]), resolve(str(p["Value"])))
            for p in (section or {}).get(key) or []
        )

    invocation = auth.get("InvocationHttpParameters")
    connection = LocalConnection(
        name=name,
        authorization_type=kind,
        headers=parameters(invocation, "HeaderParameters"),
        query=parameters(invocation, "QueryStringParameters"),
        body=parameters(invocation, "BodyParameters"),
    )
    if kind == "API_KEY":
        key = auth.get("ApiKeyAuthParameters") or {}
        connection.api_key = (str(key["ApiKeyName"]), secret(key["ApiKeyValue"]))
    elif kind == "BASIC":
        basic = auth.get("BasicAuthParameters") or {}
        connection.basic = (resolve(str(basic["Username"])), secret(basic["Password"]))
    elif kind == "OAUTH_CLIENT_CREDENTIALS":
        oauth = auth.get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        extra = oauth.get("OAuthHttpParameters")
        connection.oauth = OAuthClient(
            token_endpoint=str(oauth["AuthorizationEndpoint"]),
            method=str(oauth.get("HttpMethod", "POST")).upper(),
            client_id=resolve(str(client["ClientID"])),
            client_secret=secret(client["ClientSecret"]),
            headers=parameters(extra, "HeaderParameters"),
            query=parameters(extra, "QueryStringParameters"),
            body=parameters(extra, "BodyParameters"),
        )
    else:
        raise LocalRunnerError(
            f"Connection {name}: AuthorizationType {kind!r} is not emulated "
            "(API_KEY, BASIC and OAUTH_CLIENT_CREDENTIALS are)."
        )
    return connection
