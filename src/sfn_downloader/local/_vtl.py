"""API Gateway's mapping templates (Velocity), locally: one isolated adapter over airspeed-ext.

moto 5.2.5's API Gateway mock stores mapping templates but renders none (and the runner does
not use it: ``_api_gateway.py`` emulates the synthesized REST API). This module renders an
integration response template as the API Gateway developer guide's "mapping template and
access logging variable reference" defines it: ``$input`` (``body``, ``json(x)``, ``path(x)``,
``params()``, ``params(x)``), ``$util`` (``escapeJavaScript``, ``parseJson``, ``urlEncode``,
``urlDecode``, ``base64Encode``, ``base64Decode``), ``$context`` (with ``responseOverride``)
and ``$stageVariables``, with the documented limits: a template of at most 300 KB and at most
1,000 iterations a ``#foreach`` loop.

The engine is airspeed-ext, LocalStack's fork of airspeed: it renders ``true``/``false`` and an
undefined reference as AWS does (its test suite is recorded against real API Gateway), and it
runs the developer guide's own ``.replaceAll("\\\\'","'")`` idiom, which upstream airspeed does
not. What it lacks fails before the run (``check_template``): ``#break``, ``#include``,
``#parse``, ``#evaluate``, ``#return``, and any method this adapter does not provide.

DELETE THIS MODULE (and ``_vtl_values.py``, its Java-like values and ``$util``) if moto gains a
VTL renderer with these variables; keep ``check_template``'s refusals in front of it.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

from .._contract import FOREACH_MAX_ITERATIONS, MAPPING_TEMPLATE_MAX_BYTES
from ._vtl_values import JavaMap, Util, VtlError, java
from .errors import LocalRunnerError

__all__ = ["JavaMap", "Rendered", "VtlError", "check_template", "context_variables", "render"]

SUPPORTED_AIRSPEED_EXT = "0.6.9"
"""The airspeed-ext version this adapter was written against (it patches one of its methods)."""

_UNSUPPORTED_DIRECTIVES = ("break", "include", "parse", "evaluate", "return")
_BLOCKS = ("if", "foreach", "macro", "define")
_DIRECTIVE = re.compile(r"(?<!\\)#\{?([a-zA-Z]+)")
_CALL = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_COMMENTS = re.compile(r"#\*.*?\*#|##[^\n]*", re.S)
_SIMPLE_PATH = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")


# Methods a template may call: the ones airspeed-ext gives strings, lists and maps, the ones
# JavaMap/JavaList add, and those of $input, $util and the #foreach/#define helpers.
SUPPORTED_METHODS = frozenset(
    {
        "length", "replaceAll", "startsWith", "contains", "indexOf", "substring", "matches",
        "size", "get", "add", "isEmpty", "set", "put", "putAll", "keySet", "toString",
        "containsKey", "entrySet", "remove",
        "json", "path", "params",
        "escapeJavaScript", "parseJson", "urlEncode", "urlDecode", "base64Encode",
        "base64Decode",
    }
)  # fmt: skip


@dataclass
class Rendered:
    """A template's output and what it set in ``$context.responseOverride``."""

    body: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)


def check_installed(installed: str | None = None) -> None:
    """Fail clearly unless airspeed-ext ``SUPPORTED_AIRSPEED_EXT`` provides ``airspeed``."""
    if installed is None:
        try:
            installed = metadata.version("airspeed-ext")
        except metadata.PackageNotFoundError:
            installed = None
    if installed != SUPPORTED_AIRSPEED_EXT:
        found = f"airspeed-ext {installed} is installed" if installed else "it is not installed"
        raise LocalRunnerError(
            f"Mapping templates (trim=...) run locally with airspeed-ext=={SUPPORTED_AIRSPEED_EXT}"
            f", but {found}. Fix: pip install 'sfn-downloader[local]' (and not the upstream "
            "'airspeed', which installs the same module)."
        )


def check_template(vtl: str, where: str) -> None:
    """Raise ``LocalRunnerError`` before any run for a template this adapter cannot render as
    API Gateway would: over 300 KB, not valid Velocity, or using what is not emulated."""
    check_installed()
    import airspeed  # type: ignore[import-untyped]

    size = len(vtl.encode())
    if size > MAPPING_TEMPLATE_MAX_BYTES:
        raise LocalRunnerError(
            f"{where}: the mapping template has {size:,} bytes; API Gateway takes at most "
            f"{MAPPING_TEMPLATE_MAX_BYTES:,} (300 KB)."
        )
    code = _COMMENTS.sub("", vtl)
    for match in _DIRECTIVE.finditer(code):
        if match.group(1).lower() in _UNSUPPORTED_DIRECTIVES:
            raise LocalRunnerError(
                f"{where}: #{match.group(1)} is not emulated by the local runner's Velocity "
                "engine (airspeed-ext). Fix: write the template without it."
            )
    directives = [m.group(1) for m in _DIRECTIVE.finditer(code)]
    opened = sum(d in _BLOCKS for d in directives)
    if opened != directives.count("end"):
        raise LocalRunnerError(
            f"{where}: the mapping template opens {opened} #if/#foreach/#macro/#define "
            f"block(s) and closes {directives.count('end')} with #end; Velocity refuses it."
        )
    unknown = sorted({m.group(1) for m in _CALL.finditer(code)} - SUPPORTED_METHODS)
    if unknown:
        raise LocalRunnerError(
            f"{where}: the local runner does not emulate the method(s) "
            f"{', '.join(unknown)}() (supported: {', '.join(sorted(SUPPORTED_METHODS))})."
        )
    try:
        airspeed.Template(vtl).ensure_compiled()
    except airspeed.TemplateSyntaxError as error:
        raise LocalRunnerError(
            f"{where}: the mapping template is not valid Velocity: {error}"
        ) from None


def render(
    vtl: str,
    *,
    body: bytes,
    params: Mapping[str, Mapping[str, str]],
    context: Mapping[str, Any],
) -> Rendered:
    """Render an integration response template over the third party's ``body``.

    ``params``: the method request's ``path``, ``querystring`` and ``header`` parameters.
    ``context``: the ``$context`` variables (see ``context_variables``).
    Raises ``VtlError`` where API Gateway would fail the request or no document says what it
    does (``$input.json`` of a path that matches nothing, a ``#foreach`` over 1,000 items).
    """
    check_installed()
    import airspeed

    text = body.decode("utf-8", "replace")
    override = JavaMap(status=None, header=JavaMap())
    variables = {
        "input": _Input(text, params),
        "util": Util(),
        "context": JavaMap({**java(dict(context)), "responseOverride": override}),
        "stageVariables": JavaMap(),
    }
    try:
        with _foreach_limit():
            output = airspeed.Template(vtl).merge(variables)
    except airspeed.TemplateExecutionError as error:
        cause = error.__cause__
        if isinstance(cause, VtlError):
            raise cause from None
        raise VtlError(f"the mapping template failed: {error}") from None
    status = override.get("status")
    headers = override.get("header") or {}
    return Rendered(
        body=output,
        status=int(status) if status not in (None, "") else None,
        headers={str(k): str(v) for k, v in headers.items()},
    )


def context_variables(
    *, api_id: str, account: str, region: str, stage: str, method: str, path: str,
    resource_path: str, headers: Mapping[str, str],
) -> dict[str, Any]:  # fmt: skip
    """The ``$context`` variables of a request signed by the state machine's role."""
    now = time.time()
    request_id = str(uuid.uuid4())
    domain = f"{api_id}.execute-api.{region}.amazonaws.com"
    return {
        "accountId": account, "apiId": api_id, "httpMethod": method, "stage": stage,
        "path": f"/{stage}{path}", "resourcePath": resource_path, "resourceId": api_id[:6],
        "protocol": "HTTP/1.1", "requestId": request_id,
        "extendedRequestId": uuid.uuid4().hex[:16], "domainName": domain,
        "domainPrefix": api_id, "awsEndpointRequestId": str(uuid.uuid4()),
        "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
        "requestTimeEpoch": int(now * 1000),
        "identity": {
            "accountId": account, "caller": None, "user": None, "userArn": None,
            "sourceIp": "127.0.0.1", "userAgent": headers.get("user-agent"), "apiKey": None,
        },
    }  # fmt: skip


class _Input:
    """``$input`` of an integration response: the third party's body, the method request's
    parameters."""

    def __init__(self, text: str, params: Mapping[str, Mapping[str, str]]) -> None:
        self.body = text
        self._params = params
        self._parsed: Any = _UNPARSED

    def _document(self) -> Any:
        if self._parsed is _UNPARSED:
            try:
                self._parsed = json.loads(self.body) if self.body.strip() else None
            except ValueError:
                self._parsed = _NOT_JSON
        return self._parsed

    def path(self, expression: str) -> Any:
        """The value at ``expression`` as a template object (``null`` when nothing matches)."""
        found = _evaluate(self._document(), expression)
        return None if found is _MISSING else java(found)

    def json(self, expression: str) -> str:
        """The value at ``expression`` as JSON text."""
        found = _evaluate(self._document(), expression)
        if found is _MISSING:
            raise VtlError(
                f"$input.json({expression!r}) matches nothing in the answer; no API Gateway "
                "document says what it returns then, so the local runner stops here."
            )
        return json.dumps(found, ensure_ascii=False, separators=(",", ":"))

    def params(self, name: str | None = None) -> Any:
        """All parameters, or the one named ``name`` (path, then query string, then header)."""
        if name is None:
            return java({kind: dict(values) for kind, values in self._params.items()})
        for kind in ("path", "querystring", "header"):
            values = self._params.get(kind, {})
            found = values.get(name)
            if found is None and kind == "header":
                found = {k.lower(): v for k, v in values.items()}.get(name.lower())
            if found is not None:
                return found
        return ""


_UNPARSED = object()
_NOT_JSON = object()
_MISSING = object()


def _evaluate(document: Any, expression: str) -> Any:
    """JSONPath over the parsed body: ``$``, ``.name``, ``['name']``, ``[n]`` directly (fast:
    a trimming template evaluates thousands), anything else through jsonpath-ng."""
    if document is _NOT_JSON:
        raise VtlError("the answer is not JSON, so $input.path/$input.json cannot read it")
    if not isinstance(expression, str) or not expression.startswith("$"):
        raise VtlError(f"{expression!r} is not a JSONPath (it must start with '$')")
    rest, position, value = expression[1:], 0, document
    while position < len(rest):
        match = _SIMPLE_PATH.match(rest, position)
        if match is None:
            return _jsonpath_ng(document, expression)
        name, quoted, index = match.groups()
        key: str | int = int(index) if index is not None else (name or quoted.replace("\\'", "'"))
        in_list = isinstance(key, int) and isinstance(value, list) and key < len(value)
        if not (in_list or (isinstance(key, str) and isinstance(value, dict) and key in value)):
            return _MISSING
        value = value[key]
        position = match.end()
    return value


def _jsonpath_ng(document: Any, expression: str) -> Any:
    from jsonpath_ng.ext import parse  # type: ignore[attr-defined]  # moto's dependency

    try:
        matches = [m.value for m in parse(expression).find(document)]
    except Exception as error:  # jsonpath-ng raises several kinds
        raise VtlError(f"JSONPath {expression!r}: {error}") from None
    if not matches:
        return _MISSING
    return matches if len(matches) > 1 or "*" in expression or ".." in expression else matches[0]


_limit = threading.local()
_patch_lock = threading.Lock()
_patched = False


@contextmanager
def _foreach_limit() -> Iterator[None]:
    """Within: a ``#foreach`` over more than 1,000 items raises ``VtlError``."""
    global _patched
    with _patch_lock:
        if not _patched:
            from airspeed.operators import ForeachDirective  # type: ignore[import-untyped]

            original = ForeachDirective.evaluate_raw

            def limited(self: Any, stream: Any, namespace: Any, loader: Any) -> Any:
                if getattr(_limit, "active", 0):
                    items = self.value.calculate(namespace, loader)
                    if hasattr(items, "__len__") and len(items) > FOREACH_MAX_ITERATIONS:
                        raise VtlError(
                            f"#foreach over {len(items):,} items: API Gateway runs at most "
                            f"{FOREACH_MAX_ITERATIONS:,} iterations a loop."
                        )
                return original(self, stream, namespace, loader)

            ForeachDirective.evaluate_raw = limited
            _patched = True
    _limit.active = getattr(_limit, "active", 0) + 1
    try:
        yield
    finally:
        _limit.active -= 1
