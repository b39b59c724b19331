"""The EventBridge connections of the HTTP Task, as the task applies them: the credential
(API key header, Basic, or an OAuth client-credentials token fetched once from the token
endpoint's local stand-in), and the connection's invocation parameters."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from ._http import SEND_ERRORS, send
from ._invoke import ApiResponse
from .errors import LocalRunnerError

REQUEST_TIMEOUT_SECONDS = 60.0
"""An HTTP Task request times out after 60 s (``States.Http.Socket``)."""

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
        raise HttpTaskError(
            "States.Runtime",
            f"Connection {self.name}: authorization type {self.authorization_type} not emulated.",
        )


class HttpTaskError(Exception):
    """The task fails with ``error`` (``States.Http.StatusCode.<n>``, ``States.Http.Socket``)."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(cause)
        self.error = error
        self.cause = cause


def send_request(
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
        raise HttpTaskError(
            "States.Http.Socket", f"{method} {scheme}://{netloc}: {type(error).__name__}: {error}"
        ) from None


def _fetch_token(name: str, oauth: OAuthClient, upstream_for: UpstreamLookup) -> str:
    """The client-credentials grant EventBridge performs against the token endpoint."""
    url = urlsplit(oauth.token_endpoint)
    base = upstream_for(f"{url.scheme}://{url.netloc}")
    if base is None:
        raise HttpTaskError(
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
        response = send_request(
            target.scheme, target.netloc, oauth.method, path, headers, urlencode(form).encode()
        )
        token = json.loads(response.body)["access_token"] if response.status < 300 else None
    except (HttpTaskError, ValueError, KeyError, TypeError):
        token = None
    if not isinstance(token, str) or not token:
        raise HttpTaskError(
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
