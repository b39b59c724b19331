"""A local stand-in for a synthesized API Gateway REST API: the proxy between the run and upstream.

It behaves as the template's resources say, in the order API Gateway applies them: stage and
route (``{proxy+}``), the method's authorization type, the request validator's required
parameters, then the HTTP_PROXY integration with its ``RequestParameters`` mapping, forwarded
to the loopback server that stands in for the third party.

Two readings of the API Gateway developer guide shape the integration request:

* "Set up a proxy integration with a proxy resource": with HTTP_PROXY "API Gateway simply
  passes the entire request and response between the frontend and an HTTP backend"; "HTTP
  integrations for REST APIs in API Gateway": "The request data that is passed through includes
  the request headers, query string parameters, URL path variables, and payload". So every
  request header reaches the backend, a header used as a mapping source included, and a
  mapping adds (or overrides) the integration request's header ("Parameter mapping for REST
  APIs in API Gateway": mapping works "for proxy and non-proxy integrations").
* The request path is a URI path: its percent-encoded octets are data, routed on decoded
  segments and passed on encoded, once (``/v1/names/Jita%20IV/`` reaches the backend as
  ``/v1/names/Jita%20IV/``). No AWS page says how a greedy path variable is re-encoded; this
  is the pass-through reading, to check on a real account (docs/checked-on-aws.md).
"""

from __future__ import annotations

import email.utils
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urlencode, urlsplit

from . import _http
from ._http import SEND_ERRORS, send
from ._integration_response import check_integration, respond
from ._invoke import ApiRequest, ApiResponse
from ._routing import allowed, match_resource
from ._template import LOCAL_ACCOUNT, LOCAL_REGION, PARTITION, DownloaderSpec
from .errors import LocalRunnerError

INTEGRATION_TIMEOUT_SECONDS = 29.0
"""API Gateway's default (and, for REST APIs in most accounts, maximum) integration timeout."""

# Headers API Gateway REST APIs rename in an integration's answer ("x-amzn-Remapped-<name>"):
# the caller sees API Gateway's own Date, Server, ... instead. Seen in real responses.
_REMAPPED_RESPONSE_HEADERS = frozenset(
    {"authorization", "connection", "content-length", "date", "server", "www-authenticate",
     "x-amzn-requestid"}
)  # fmt: skip
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
     "proxy-authenticate", "proxy-authorization", "host"}
)  # fmt: skip

SecretLookup = Callable[[str], str]

# Characters a path segment may hold unencoded (RFC 3986 pchar, besides unreserved ones).
_SEGMENT_SAFE = "!$&'()*+,;=:@"


def encode_path(path: str) -> str:
    """``path`` as a URI path: each segment decoded once and encoded once, so an encoded octet
    stays encoded (``Jita%20IV``), a raw space is encoded (``Jita IV`` → ``Jita%20IV``), and an
    encoded ``/`` (``%2F``) stays inside its segment."""
    return "/".join(quote(unquote(segment), safe=_SEGMENT_SAFE) for segment in path.split("/"))


@dataclass(frozen=True)
class _Method:
    http_method: str
    resource_path: str
    authorization_type: str
    request_parameters: Mapping[str, bool]
    validate_parameters: bool
    integration: Mapping[str, Any]
    method_responses: Sequence[Mapping[str, Any]] = ()


def _json_response(status: int, message: str, key: str = "message") -> ApiResponse:
    body = json.dumps({key: message}).encode()
    return ApiResponse(status, [("Content-Type", "application/json")], body)


class LocalRestApi:
    """Serves one REST API of a downloader's template; callable as an ``ApiHandler``."""

    def __init__(
        self,
        spec: DownloaderSpec,
        api_id: str,
        *,
        upstreams: Mapping[str, str],
        resolve_secrets: SecretLookup,
    ) -> None:
        self.api_id = api_id
        self._logical_id = spec.apis[api_id]
        self._spec = spec
        self._resolve_secrets = resolve_secrets
        resources = spec.stack.template.get("Resources", {})
        resolver = spec.resolver
        api_ref = {"Ref": self._logical_id}
        self.stages = {
            str(r["Properties"]["StageName"])
            for r in resources.values()
            if r.get("Type") == "AWS::ApiGateway::Stage"
            and r["Properties"].get("RestApiId") == api_ref
        }
        paths = {f"{api_id}-root": ""}  # Fn::GetAtt RootResourceId resolves to this
        pending = {
            logical_id: r["Properties"]
            for logical_id, r in resources.items()
            if r.get("Type") == "AWS::ApiGateway::Resource"
            and r["Properties"].get("RestApiId") == api_ref
        }
        while pending:
            progressed = False
            for logical_id, props in list(pending.items()):
                parent = resolver.resolve(props["ParentId"])
                if parent in paths:
                    paths[resolver.ref(logical_id)] = f"{paths[parent]}/{props['PathPart']}"
                    del pending[logical_id]
                    progressed = True
            if not progressed:
                raise LocalRunnerError(f"API {self._logical_id}: resources without a parent")
        validators = {
            resolver.ref(logical_id): bool(r["Properties"].get("ValidateRequestParameters"))
            for logical_id, r in resources.items()
            if r.get("Type") == "AWS::ApiGateway::RequestValidator"
        }
        self._methods: list[_Method] = []
        for r in resources.values():
            props = r.get("Properties", {})
            if r.get("Type") != "AWS::ApiGateway::Method" or props.get("RestApiId") != api_ref:
                continue
            validator = props.get("RequestValidatorId")
            self._methods.append(
                _Method(
                    http_method=str(props["HttpMethod"]).upper(),
                    resource_path=paths[resolver.resolve(props["ResourceId"])] or "/",
                    authorization_type=str(props.get("AuthorizationType", "NONE")),
                    request_parameters=dict(props.get("RequestParameters", {})),
                    validate_parameters=validator is not None
                    and validators.get(resolver.resolve(validator), False),
                    integration=resolver.resolve(props.get("Integration", {})),
                    method_responses=resolver.resolve(props.get("MethodResponses", [])),
                )
            )
        self._upstreams = dict(upstreams)
        for method in self._methods:
            origin = _origin(str(method.integration.get("Uri", "")))
            if method.integration.get("Type") in ("HTTP_PROXY", "HTTP") and origin not in upstreams:
                raise LocalRunnerError(
                    f"API {self._logical_id} proxies to {origin}, which has no local upstream. "
                    f"Fix: pass upstream='http://127.0.0.1:PORT' or upstream={{{origin!r}: ...}}."
                )
            if method.integration.get("Type") == "HTTP":  # non-proxy: trim=...
                check_integration(method.integration, f"API {self._logical_id}")

    @property
    def host(self) -> str:
        """The API's invoke host, as the definition's ``ApiEndpoint`` names it."""
        return f"{self.api_id}.execute-api.{LOCAL_REGION}.amazonaws.com"

    def __call__(self, request: ApiRequest) -> ApiResponse:
        """Answer ``request`` as the deployed API would."""
        if request.stage not in self.stages:
            return _json_response(403, "Forbidden")
        match = self._route(request.method, request.path)
        if match is None:
            # API Gateway's answer to an unknown resource or method, even when unsigned.
            return _json_response(403, "Missing Authentication Token")
        method, path_params = match
        if method.authorization_type == "AWS_IAM":
            denied = self._check_iam(request)
            if denied is not None:
                return denied
        headers = {name.lower(): (name, values) for name, values in request.headers.items()}
        if method.validate_parameters:
            missing = [
                key.rsplit(".", 1)[-1]
                for key, required in method.request_parameters.items()
                if required and not self._has_parameter(key, headers, request.query, path_params)
            ]
            if missing:
                return _json_response(
                    400, f"Missing required request parameters: [{', '.join(missing)}]"
                )
        return self._integrate(method, request, headers, path_params)

    def _route(self, http_method: str, path: str) -> tuple[_Method, dict[str, str]] | None:
        segments = [s for s in path.split("/") if s]
        candidates = []
        for method in self._methods:
            if method.http_method not in (http_method, "ANY"):
                continue
            params = match_resource(
                method.resource_path, segments, trailing_slash=path.endswith("/")
            )
            if params is not None:
                # Literal segments win over {param}, which wins over {proxy+}.
                greedy = "+}" in method.resource_path
                candidates.append(
                    (greedy, len(params), method.http_method == "ANY", method, params)
                )
        if not candidates:
            return None
        candidates.sort(key=lambda c: (c[0], c[1], c[2]))
        return candidates[0][3], candidates[0][4]

    def _check_iam(self, request: ApiRequest) -> ApiResponse | None:
        if request.auth_type != "IAM_ROLE":
            return _json_response(403, "Missing Authentication Token")
        # What the role may invoke is in the template: check it as IAM would.
        resource = (
            f"arn:{PARTITION}:execute-api:{LOCAL_REGION}:{LOCAL_ACCOUNT}:{self.api_id}/"
            f"{request.stage}/{request.method}{request.path}"
        )
        if allowed(self._spec.role_statements, "execute-api:Invoke", resource):
            return None
        return _json_response(
            403,
            f"User: the state machine role is not authorized to perform: execute-api:Invoke "
            f"on resource: {resource}",
            key="Message",
        )

    @staticmethod
    def _has_parameter(
        key: str,
        headers: Mapping[str, tuple[str, list[str]]],
        query: Mapping[str, list[str]],
        path_params: Mapping[str, str],
    ) -> bool:
        _, _, location, name = key.split(".", 3)
        if location == "header":
            return name.lower() in headers
        if location == "querystring":
            return name in query
        if location == "path":
            return name in path_params
        return True

    def _integrate(
        self,
        method: _Method,
        request: ApiRequest,
        headers: Mapping[str, tuple[str, list[str]]],
        path_params: Mapping[str, str],
    ) -> ApiResponse:
        integration = method.integration
        proxy = integration.get("Type") == "HTTP_PROXY"
        if not proxy and integration.get("Type") != "HTTP":
            return _json_response(500, f"Integration type {integration.get('Type')} not emulated")
        # HTTP_PROXY passes the method request's headers and query string through; a non-proxy
        # HTTP integration only what its RequestParameters map.
        out_headers: dict[str, tuple[str, list[str]]] = {
            lowered: value
            for lowered, value in headers.items()
            if lowered not in _HOP_BY_HOP and proxy
        }
        out_query = {name: list(v) for name, v in request.query.items() if proxy}
        uri_params: dict[str, str] = {}
        for target, source in dict(integration.get("RequestParameters", {})).items():
            value = self._source_value(str(source), headers, request.query, path_params)
            _, _, location, name = str(target).split(".", 3)
            if value is None:
                continue
            values = value if isinstance(value, list) else [value]
            if location == "header":
                out_headers[name.lower()] = (name, values[-1:])
            elif location == "querystring":
                out_query[name] = values
            elif location == "path":
                uri_params[name] = values[-1]
        # Path parameters hold the request's (encoded) path text: substituted as a URI path.
        uri = re.sub(
            r"\{([^}+]+)\+?\}",
            lambda m: encode_path(uri_params.get(m.group(1), "")),
            str(integration["Uri"]),
        )
        origin = _origin(uri)
        upstream = urlsplit(self._upstreams[origin])
        target_url = urlsplit(uri)
        target = target_url.path or "/"
        if upstream.path.rstrip("/"):
            target = upstream.path.rstrip("/") + target
        if out_query:
            target += "?" + urlencode(out_query, doseq=True)
        send = [(name, value) for name, values in out_headers.values() for value in values]
        if not proxy:  # trim=...: the integration and method responses shape the answer
            return respond(
                integration, method.method_responses, request=request, headers=headers,
                path_params=path_params, api_id=self.api_id, resource_path=method.resource_path,
                call=lambda: _http.send(
                    upstream.scheme, upstream.netloc,
                    str(integration.get("IntegrationHttpMethod", request.method)), target,
                    send, request.body, timeout=INTEGRATION_TIMEOUT_SECONDS,
                ),
            )  # fmt: skip
        return _forward(
            upstream.scheme,
            upstream.netloc,
            str(integration.get("IntegrationHttpMethod", request.method)),
            target,
            send,
            request.body,
        )

    def _source_value(
        self,
        source: str,
        headers: Mapping[str, tuple[str, list[str]]],
        query: Mapping[str, list[str]],
        path_params: Mapping[str, str],
    ) -> str | list[str] | None:
        if source.startswith("'") and source.endswith("'"):
            # A static value; CloudFormation resolves {{resolve:...}} in it at deploy time.
            return self._resolve_secrets(source[1:-1])
        parts = source.split(".", 3)
        if len(parts) != 4 or parts[0] != "method" or parts[1] != "request":
            raise LocalRunnerError(f"Integration request parameter source {source!r} not emulated")
        location, name = parts[2], parts[3]
        if location == "header":
            found = headers.get(name.lower())
            if found is None:
                return None
            return ",".join(found[1])
        if location == "querystring":
            values = query.get(name)
            return values[-1] if values else None
        if location == "multivaluequerystring":
            return list(query[name]) if query.get(name) else None
        if location == "path":
            return path_params.get(name)
        raise LocalRunnerError(f"Integration request parameter source {source!r} not emulated")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _forward(
    scheme: str,
    netloc: str,
    method: str,
    target: str,
    headers: list[tuple[str, str]],
    body: bytes | None,
) -> ApiResponse:
    try:
        answer = send(
            scheme, netloc, method, target, headers, body, timeout=INTEGRATION_TIMEOUT_SECONDS
        )
    except TimeoutError:
        return _json_response(504, "Endpoint request timed out")
    except SEND_ERRORS as error:
        # No answer (refused, reset, unknown host): the INTEGRATION_FAILURE gateway response,
        # 504 by default (API Gateway developer guide, "Gateway response types"). AWS does not
        # document its message text; this one names the address that could not be reached.
        return _json_response(
            504,
            f"Integration failure: no answer from {scheme}://{netloc} "
            f"({type(error).__name__}: {error})",
        )
    status, upstream_headers, payload = answer.status, answer.headers, answer.body
    out: list[tuple[str, str]] = []
    for name, value in upstream_headers:
        lowered = name.lower()
        if lowered in _REMAPPED_RESPONSE_HEADERS:
            out.append((f"x-amzn-Remapped-{name}", value))
        elif lowered not in _HOP_BY_HOP:
            out.append((name, value))
    if not any(name.lower() == "content-type" for name, _ in out):
        out.append(("Content-Type", "application/json"))
    out += [
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Content-Length", str(len(payload))),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amz-apigw-id", uuid.uuid4().hex[:16]),
        ("X-Amzn-Trace-Id", f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"),
    ]
    return ApiResponse(status, out, payload)
