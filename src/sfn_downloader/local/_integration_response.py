"""A non-proxy HTTP integration's answer, locally: integration responses and method responses.

For an HTTP integration (``Type: HTTP``, what ``trim`` synthesizes) API Gateway does not pass
the third party's answer on as it is (developer guide, "Set up an integration response in API
Gateway"): the integration response whose ``SelectionPattern`` matches the status code (or the
default one, without a pattern) gives the method response status; its ``ResponseParameters``
map headers by name (header names are case-sensitive: "Amazon API Gateway important notes");
its mapping template, if any, transforms the body (``_vtl.py``); without one the body passes
through. A status with no method response is a 500.
"""

from __future__ import annotations

import email.utils
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._contract import API_GATEWAY_PAYLOAD_MAX_BYTES
from ._http import SEND_ERRORS
from ._invoke import ApiRequest, ApiResponse
from ._template import LOCAL_ACCOUNT, LOCAL_REGION
from ._vtl import VtlError, check_template, context_variables, render
from .errors import LocalRunnerError

JSON = "application/json"
_SOURCES = ("integration.response.header.", "integration.response.multivalueheader.")


def check_integration(integration: Mapping[str, Any], where: str) -> None:
    """Refuse, before any run, what this emulation cannot answer as API Gateway would."""
    for response in integration.get("IntegrationResponses", []):
        for target, source in dict(response.get("ResponseParameters") or {}).items():
            if not str(target).startswith("method.response.header."):
                raise LocalRunnerError(f"{where}: response parameter {target!r} not emulated")
            text = str(source)
            if not text.startswith(_SOURCES) and not (text.startswith("'") and text.endswith("'")):
                raise LocalRunnerError(f"{where}: response parameter source {text!r} not emulated")
        for content_type, vtl in dict(response.get("ResponseTemplates") or {}).items():
            check_template(str(vtl), f"{where} ({response.get('StatusCode')}, {content_type})")


def respond(
    integration: Mapping[str, Any],
    method_responses: Sequence[Mapping[str, Any]],
    *,
    request: ApiRequest,
    headers: Mapping[str, tuple[str, list[str]]],
    path_params: Mapping[str, str],
    api_id: str,
    resource_path: str,
    call: Callable[[], ApiResponse],
) -> ApiResponse:
    """Call the third party (``call``), then answer ``request`` as the integration and method
    responses say. ``headers``: the method request's, by lower-cased name."""
    params = {
        "path": dict(path_params),
        "querystring": {name: values[-1] for name, values in request.query.items() if values},
        "header": {name: ",".join(values) for name, values in headers.values()},
    }
    context = context_variables(
        api_id=api_id, account=LOCAL_ACCOUNT, region=LOCAL_REGION, stage=request.stage,
        method=request.method, path=request.path, resource_path=resource_path,
        headers={lowered: ",".join(values) for lowered, (_, values) in headers.items()},
    )  # fmt: skip
    accept = params["header"].get("Accept") or params["header"].get("accept")
    try:
        answer = call()
    except TimeoutError:
        return _message(504, "Endpoint request timed out")
    except SEND_ERRORS:
        return _message(500, "Internal server error")
    if len(answer.body) > API_GATEWAY_PAYLOAD_MAX_BYTES:
        # The quota is documented (10 MB); the answer API Gateway gives past it is not.
        return _message(
            500,
            f"local runner: the third party's answer has {len(answer.body):,} bytes, over API "
            "Gateway's 10 MB payload quota (what API Gateway answers then is not documented)",
        )
    chosen = _select(integration.get("IntegrationResponses", []), answer.status)
    if chosen is None:
        return _message(500, "Internal server error")  # no match and no default response
    status = int(str(chosen["StatusCode"]))
    declared = {str(r.get("StatusCode")) for r in method_responses}
    body, content_type = answer.body, JSON
    out = _mapped(chosen, answer.headers)
    templates = dict(chosen.get("ResponseTemplates") or {})
    if templates:
        # The method request's Accept picks the template; else application/json, else the
        # first (an undocumented reading, as LocalStack's emulation does).
        content_type = next(
            (t for t in (accept, JSON) if t is not None and t in templates), next(iter(templates))
        )
        try:
            rendered = render(
                str(templates[content_type]), body=answer.body, params=params, context=context
            )
        except VtlError as error:
            return _message(500, f"local runner: {error}{_compressed(answer.headers)}")
        body = rendered.body.encode()
        status = rendered.status or status
        out += list(rendered.headers.items())
    if str(status) not in declared:
        return _message(500, "Internal server error")  # no method response for this status
    return ApiResponse(status, [("Content-Type", content_type), *out, *_own(body)], body)


def _select(responses: Sequence[Mapping[str, Any]], status: int) -> Mapping[str, Any] | None:
    default = None
    for response in responses:
        pattern = response.get("SelectionPattern")
        if pattern in (None, ""):
            default = response
        elif re.fullmatch(str(pattern), str(status)):
            return response
    return default


def _mapped(
    response: Mapping[str, Any], upstream: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    out = []
    for target, source in dict(response.get("ResponseParameters") or {}).items():
        name = str(target).removeprefix("method.response.header.")
        text = str(source)
        if text.startswith("'"):
            out.append((name, text[1:-1]))
            continue
        wanted = text.split(".", 3)[3]
        values = [value for header, value in upstream if header == wanted]  # case-sensitive
        if ".multivalueheader." in text:
            out += [(name, value) for value in values]
        elif values:
            out.append((name, values[-1]))
    return out


def _compressed(headers: Sequence[tuple[str, str]]) -> str:
    """Why a template could not read a compressed answer, when it is one: API Gateway passes a
    compressed integration response on undecompressed ("Receive an API response with a
    compressed payload": with a ``Content-Encoding`` it "assumes that the integration response
    payload is already compressed"), as a UTF-8 string ("Content type conversions in API
    Gateway", no binary media types); what ``$input.json``/``$input.path`` give on it is not
    documented (``scripts/verify_on_aws.py trim-compressed`` asks)."""
    codings = [
        value.strip() for name, value in headers
        if name.lower() == "content-encoding" and value.strip().lower() not in ("", "identity")
    ]  # fmt: skip
    if not codings:
        return ""
    return (
        f" (the answer is compressed, Content-Encoding: {', '.join(codings)}: API Gateway "
        "passes it on undecompressed, and what a mapping template reading it as JSON gives is "
        "not documented)"
    )


def _own(body: bytes) -> list[tuple[str, str]]:
    """The headers API Gateway adds to every answer."""
    return [
        ("Date", email.utils.formatdate(usegmt=True)),
        ("Content-Length", str(len(body))),
        ("Connection", "keep-alive"),
        ("x-amzn-RequestId", str(uuid.uuid4())),
        ("x-amz-apigw-id", uuid.uuid4().hex[:16]),
        ("X-Amzn-Trace-Id", f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]}"),
    ]


def _message(status: int, message: str) -> ApiResponse:
    body = json.dumps({"message": message}).encode()
    return ApiResponse(status, [("Content-Type", JSON), *_own(body)], body)
