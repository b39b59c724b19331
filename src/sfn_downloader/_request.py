"""The request value: one immutable description of a request, as every transport takes it.

The run's shapes and the features produce and edit ``HttpRequest`` values (a paginator sets
its page parameter, a cursor goes into the body, a fan-out's request is read from its Map
item); a transport turns one value into one task (``Downloads.task(scope, id, request)``) and
never learns who built it. Model: httpx's ``BaseTransport.handle_request(request)`` and dlt's
paginators' ``update_request``.

Each part is a literal or read from the state: ``path`` is a literal or a JSONPath token
(``JsonPath.string_at``); the query is literal lists (``query``) plus single values read from
the state (``params``), or one object read whole (``query_at``); the body is a literal JSON
object, possibly holding JSONPath tokens (``body``), or one object read whole (``body_at``).

A request computed each run (time placeholders, an incremental mark, an on-demand run's query
overrides) is written into the state in the form its transport reads (``RequestForm``): the
features ask the transport for the form, never for its kind.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from .errors import Problem

METHODS = ("GET", "POST")
"""The methods a downloader may use: ``GET`` (the default) and ``POST`` (a JSON body, e.g. a
GraphQL query). Both ``apigateway:invoke`` and the HTTP Task take them."""

BODY_METHODS = ("POST",)
"""Methods that carry a body (``apigateway:invoke`` takes ``RequestBody`` with PATCH, POST and
PUT only; "Call API Gateway with Step Functions")."""


@dataclass(frozen=True)
class HttpRequest:
    """One request: method, path, query and body, each a literal or read from the state."""

    path: str
    """A literal path (``/v2/status``, no query string) or a JSONPath token to read it."""
    method: str = "GET"
    query: Mapping[str, list[str]] | None = None
    """Literal query parameters (values are lists)."""
    query_at: str | None = None
    """Where the whole query object is (a state path or a ``$variable``); replaces ``query``."""
    query_computed: bool = False
    """True when ``query_at`` holds a query computed each run, in the transport's
    ``RequestForm`` (``$requestQuery``, an on-demand run's overrides); False: a request the
    transport listed itself (``Downloads.listed``, ``request_from_url``), in its own form."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Query parameters whose one value is read from the state (name → JSONPath token)."""
    body: Mapping[str, Any] | None = None
    """A JSON body, as written (it may hold JSONPath tokens, e.g. a cursor)."""
    body_at: str | None = None
    """Where the whole body is (a ``$variable``); replaces ``body``."""
    static_headers: bool = False
    """True: the request sends only the downloader's static headers, never the headers a run
    computes (``$requestHeaders``: a conditional request's validators): a request without a
    memory of its own, whose state must not read a variable that only another scope assigns
    (``FanOut.from_answer``'s list, at the run's level, while each item's request assigns its
    validators in its Map iteration)."""

    def with_param(self, name: str, value: str) -> HttpRequest:
        """This request with the query parameter ``name`` read from ``value`` (a token)."""
        return replace(self, params={**self.params, name: value})

    def with_query(self, query: Mapping[str, list[str]] | None) -> HttpRequest:
        """This request with other literal query parameters."""
        return replace(self, query=query)

    def with_path(self, path: str) -> HttpRequest:
        """This request with another path (a literal or a token)."""
        return replace(self, path=path)

    def reading_query(self, query_at: str | None) -> HttpRequest:
        """This request with its whole query read from ``query_at`` (``None``: as it is), where
        a request the transport listed keeps it."""
        if query_at is None:
            return self
        return replace(self, query=None, query_at=query_at, query_computed=False)

    def reading_computed_query(self, query_at: str | None) -> HttpRequest:
        """This request with its whole query read from ``query_at`` (``None``: as it is), a
        query computed each run in the transport's ``RequestForm``."""
        if query_at is None:
            return self
        return replace(self, query=None, query_at=query_at, query_computed=True)

    def reading_body(self, body_at: str) -> HttpRequest:
        """This request with its whole body read from ``body_at``."""
        return replace(self, body=None, body_at=body_at)

    def without_computed_headers(self) -> HttpRequest:
        """This request with the static headers only (``static_headers``)."""
        return replace(self, static_headers=True)

    def with_body_value(self, pointer: tuple[str, ...], value: Any) -> HttpRequest:
        """This request with ``value`` set in its body at ``pointer`` (member names from the
        body's root; missing objects on the way are created)."""
        assert self.body_at is None, "a body read from the state takes no more values"
        return replace(self, body=_set_in(dict(self.body or {}), pointer, value))

    @property
    def has_body(self) -> bool:
        """True when the request carries a body."""
        return self.body is not None or self.body_at is not None


QUERY_STRING = (
    "$qs := function($q) { $join($reduce($keys($q), function($acc, $k) { $append($acc, "
    "$map($lookup($q, $k), function($v) { $encodeUrlComponent($k) & '=' & "
    "$encodeUrlComponent($v) })) }, []), '&') };"
)
"""JSONata ``$qs(query)``: ``{"a": ["1", "2"], "b": ["x y"]}`` → ``a=1&a=2&b=x%20y``, each name
and value percent-encoded (``encodeURIComponent``), names in their order."""


T = TypeVar("T")


@dataclass(frozen=True)
class RequestForm:
    """How a transport's task reads a request computed each run: the path and query
    ``ComputeRequest`` assigns (``$requestPath``, ``$requestQuery``) and the query an on-demand
    run's overrides put in the state (``$.query``). Each transport says its own
    (``Transport.request_form``)."""

    path_slash: bool = True
    """True: the path starts with ``/`` (``apigateway:invoke``'s ``Path``); False: without it
    (the HTTP Task's ``ApiEndpoint`` is the endpoint, ``/`` and the path)."""
    query_lists: bool = True
    """True: each query parameter's values as a list (``apigateway:invoke``'s
    ``QueryParameters``); False: one string a name (the HTTP Task's ``QueryParameters``: the
    transport refuses a name with several values in a computed query)."""

    def path(self, resource: str) -> str:
        """``resource`` (``/v1/...``, as the user wrote it) as the task takes it."""
        return resource if self.path_slash else resource.removeprefix("/")

    def values(self, values: Sequence[T]) -> list[T] | T:
        """One parameter's values as the task takes them: the list, or its one value."""
        return list(values) if self.query_lists else values[0]


def _set_in(target: dict[str, Any], pointer: tuple[str, ...], value: Any) -> dict[str, Any]:
    head, *rest = pointer
    if not rest:
        return {**target, head: value}
    inner = target.get(head)
    return {**target, head: _set_in(dict(inner) if isinstance(inner, Mapping) else {}, tuple(rest),
                                     value)}  # fmt: skip


def is_graphql(body: object) -> bool:
    """A body with a ``query`` member is a GraphQL request ("GraphQL over HTTP": a POST whose
    JSON body holds ``query`` and optionally ``variables`` and ``operationName``)."""
    return isinstance(body, Mapping) and isinstance(body.get("query"), str)


def check_method(method: object) -> Iterator[Problem]:
    """``method`` is one of ``METHODS``, written as HTTP writes it."""
    if method is None or method in METHODS:
        return
    shown = ", ".join(repr(m) for m in METHODS)
    upper = method.upper() if isinstance(method, str) else None
    fix = f"write method={upper!r}." if upper in METHODS else f"use one of {shown}."
    yield Problem("method", method, f"is not a method a downloader makes ({shown}).", fix)


def check_body(body: object, method: object) -> Iterator[Problem]:
    """A JSON object, sent with ``POST`` only, that JSON can write as it is."""
    if body is None:
        return
    if method not in BODY_METHODS:
        yield Problem(
            "body", _shown(body),
            f"is given with method={method or 'GET'!r}: a GET request carries no body "
            "(apigateway:invoke takes RequestBody with PATCH, POST and PUT only; \"Call API "
            "Gateway with Step Functions\").",
            "pass method='POST' with the body, or move the values into the path's query.",
        )  # fmt: skip
    if not isinstance(body, Mapping):
        return  # the type check reports it
    try:  # (tokens are strings: a body holding one is still JSON)
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError) as error:
        yield Problem(
            "body", _shown(body), f"is not JSON ({error}).",
            "use only str, int, float, bool, None, lists and dicts with string keys.",
        )  # fmt: skip
        return
    for key in _keys(body):
        if key.endswith(".$"):
            yield Problem(
                "body", key,
                "ends with '.$', which Step Functions reads as 'select this path': the body "
                "is sent as written, never read from the state.",
                "rename the member (a body's values are literals; time placeholders such as "
                "{scheduled_time} are filled in string values).",
            )  # fmt: skip


def body_pointer(body_path: str) -> tuple[str, ...] | None:
    """``$.variables.after`` → ``("variables", "after")``; ``None`` when it is not a plain
    path of member names from the body's root."""
    if not isinstance(body_path, str) or not body_path.startswith("$."):
        return None
    names = tuple(body_path[2:].split("."))
    return names if all(_MEMBER.match(name) for name in names) else None


_MEMBER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


def _keys(value: object) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if isinstance(key, str):
                yield key
            yield from _keys(inner)
    elif isinstance(value, list | tuple):
        for inner in value:
            yield from _keys(inner)


def _shown(body: object) -> str:
    text = repr(body)
    return text if len(text) <= 80 else text[:77] + "..."


def set_param() -> str:
    """``$setParam(url, name, value)``: ``url`` with ``name=value`` (the value encoded) where
    it had ``name``, or at its end; the other parameters stay as written, in their order."""
    return """$setParam := function($u, $name, $value) { (
      $pairs := $filter($split($contains($u, "?") ? $substringAfter($u, "?") : "", "&"), function($s) { $s != "" });
      $named := function($s) { $decodeUrlComponent($replace($substringBefore($s, "="), "+", " ")) = $name };
      $set := $encodeUrlComponent($name) & "=" & $encodeUrlComponent($value);
      $substringBefore($u, "?") & "?" & $join(
        $count($filter($pairs, $named)) > 0 ? $map($pairs, function($s) { $named($s) ? $set : $s }) : $append($pairs, [$set]),
        "&"
      )
    ) };"""  # noqa: E501
