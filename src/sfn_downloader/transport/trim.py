"""Trim at the proxy: an option of the API Gateway transport for answers over 256 KiB.

Step Functions refuses a task result over 256 KiB before any ``ResultSelector`` runs. With
``trim``, the proxy's ``GET /{proxy+}`` is a non-proxy HTTP integration whose integration
responses apply a mapping template (VTL) to each success answer, so the state machine only ever
sees the trimmed body (API Gateway itself takes answers up to 10 MB).

A non-proxy integration passes nothing through by itself. This module declares, by name, what
the downloader relies on (``Exchange``): each query parameter and request header it sends, each
response header it reads, and an integration response for every status from 300 to 599 and
every registered success mapped to the same method response status (``ApiGateway.<status>``
names hold), success statuses trimmed. The other 2xx share one integration response, a 502
saying so; a status outside 200-599 becomes a 502 too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from aws_cdk import Token
from aws_cdk import aws_apigateway as apigw

from .._contract import (
    CONTENT_ENCODING_HEADER,
    MAPPING_TEMPLATE_MAX_BYTES,
    THROTTLED_HEADER,
)
from .._parts import CheckContext, Exchange
from ..errors import Problem

TRIMMED_STATUSES = (200, 201, 202, 203, 206, 207, 208, 226)
"""The registered 2xx statuses with a body: trimmed, their headers forwarded."""
BODYLESS_STATUSES = (204, 205)
"""Success without a body: headers forwarded, nothing to trim."""
UNLISTED_STATUS = 502
"""What an unregistered 2xx status (or one outside 200-599) becomes: a failure naming it."""
JSON = "application/json"

DEFAULT_RESPONSE_HEADERS = (
    "Cache-Control", "ETag", "Expires", "Last-Modified", "Link", "X-Pages", "Retry-After",
    "RateLimit", "RateLimit-Limit", "RateLimit-Policy", "RateLimit-Remaining", "RateLimit-Reset",
    "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset",
    "X-ESI-Error-Limit-Remain", "X-ESI-Error-Limit-Reset", "X-Total-Count",
)  # fmt: skip
"""Response headers every trimming proxy forwards: caching, paging and rate limits. The
headers the downloader's states read (``Exchange``) are added to them."""

ENCODING_HEADERS = (CONTENT_ENCODING_HEADER, CONTENT_ENCODING_HEADER.lower())
"""Forwarded on every kept success with a body and on the throttled answers, in both spellings
(header names are mapped case-sensitively): the downloads refuse a compressed answer by it
(issue 25 item 14). About 2 KB of template a proxy; item 8's 13 trimming proxies still fit
CloudFormation's 1,000,000 bytes because ``Trim.fields``' template (repeated on each of the 8
statuses) and the unlisted 2xx pattern were made shorter by as much."""
THROTTLED_AS = 200
"""The status a throttled answer is handed over as (``retry_after``), marked."""

PARAMETER_NAME = re.compile(r"^[a-zA-Z0-9._$-]+$")
"""API Gateway's rule for a mapped request parameter's name (data mapping reference)."""
_FIELD = re.compile(r"^[A-Za-z0-9_-]+$")
_ITEMS_PATH = re.compile(r"^\$(?:\.[A-Za-z0-9_-]+)*$")


class Trim:
    """How the proxy trims each success answer. Use the static methods to create one."""

    def __init__(
        self,
        *,
        fields: Sequence[str] | None = None,
        items_path: str = "$",
        vtl: str | None = None,
    ) -> None:
        self.field_names = fields
        """``Trim.fields``: the fields kept (else ``None``)."""
        self.items_path = items_path
        """``Trim.fields``: where the list of objects is in the body."""
        self._vtl = vtl

    @staticmethod
    def fields(*names: str, items_path: str = "$") -> Trim:
        """Keep only ``names`` of each object of the list at ``items_path``.

        The body keeps its shape: with ``items_path="$.data"``, the other members of the object
        (a cursor, a count) are kept as they are and ``data`` holds the trimmed list. Each value
        is written by ``$input.json``, API Gateway's JSON serializer, so strings (quotes,
        backslashes, control characters, unicode), numbers, booleans, nulls and nested objects
        come out as the same JSON values; a field an object lacks stays absent. At most 1,000
        objects a list (API Gateway's ``#foreach`` limit).

        :param names: Field names: letters, digits, ``_`` and ``-``.
        :param items_path: ``$`` or a dotted path of names (``$.data.items``). Default: ``"$"``,
            the body is the list.
        """
        return Trim(fields=names, items_path=items_path)

    @staticmethod
    def template(vtl: str) -> Trim:
        """Your own integration response mapping template (Velocity), applied verbatim to each
        success answer: ``$input.path``/``$input.json``/``$input.body``, ``$util``,
        ``$context`` as the API Gateway developer guide defines them. At most 300 KB."""
        return Trim(vtl=vtl)

    @property
    def vtl(self) -> str:
        """The mapping template the proxy applies."""
        if self._vtl is not None:
            return self._vtl
        return fields_template(tuple(self.field_names or ()), self.items_path)

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The settings, the template's size, and the names the proxy must map."""
        if self._vtl is not None or self.field_names is None:
            yield from self._check_template()
        else:
            yield from self._check_fields()
        exchange = context.exchange
        for name in exchange.query_names:
            if not PARAMETER_NAME.match(name):
                yield Problem(
                    "trim", name,
                    "the query parameter cannot be mapped by the trimming proxy: API Gateway "
                    "parameter names must match ^[a-zA-Z0-9._$-]+$.",
                    "drop trim for this endpoint, or send the parameter under another name.",
                )  # fmt: skip

    def _check_fields(self) -> Iterator[Problem]:
        names = self.field_names
        if isinstance(names, str) or not isinstance(names, Sequence) or not names:
            yield Problem("trim", names, "Trim.fields needs at least one field name.",
                          "pass e.g. Trim.fields('type_id', 'price').")  # fmt: skip
            return
        for name in names:
            if not isinstance(name, str) or not _FIELD.match(name):
                yield Problem(
                    "trim", name, "is not a field name Trim.fields can keep.",
                    "use letters, digits, '_' and '-' (or Trim.template for other names).",
                )  # fmt: skip
        duplicates = sorted({n for n in names if isinstance(n, str) and names.count(n) > 1})
        if duplicates:
            yield Problem("trim", duplicates, "lists a field twice.", "name each field once.")
        if not isinstance(self.items_path, str) or not _ITEMS_PATH.match(self.items_path):
            yield Problem(
                "trim.items_path", self.items_path, "is not '$' or a dotted path of names.",
                "pass e.g. items_path='$' or items_path='$.data.items'.",
            )  # fmt: skip

    def _check_template(self) -> Iterator[Problem]:
        vtl = self._vtl
        if not isinstance(vtl, str) or (not Token.is_unresolved(vtl) and not vtl.strip()):
            yield Problem(
                "trim", vtl, "Trim.template needs a mapping template (a string).",
                "pass the VTL text, e.g. Trim.template('$input.json(\"$[0]\")').",
            )  # fmt: skip
            return
        if Token.is_unresolved(vtl):
            return
        size = len(vtl.encode())
        if size > MAPPING_TEMPLATE_MAX_BYTES:
            yield Problem(
                "trim", f"<template of {size:,} bytes>",
                f"exceeds {MAPPING_TEMPLATE_MAX_BYTES:,} bytes, API Gateway's largest mapping "
                "template (300 KB).",
                "shorten the template (loop with #foreach instead of unrolling).",
            )  # fmt: skip

    def __repr__(self) -> str:
        if self._vtl is not None:
            return f"Trim.template(<{len(self._vtl)} characters>)"
        return f"Trim.fields({', '.join(map(repr, self.field_names or ()))}, items_path=" + (
            f"{self.items_path!r})"
        )


def fields_template(names: Sequence[str], items_path: str) -> str:
    """The mapping template of ``Trim.fields``: every value through ``$input.json``.

    ``$util.escapeJavaScript`` is not used for values: it turns ``'`` into ``\\'`` (invalid
    JSON) and cannot tell a number from a string. ``$input.json(path)`` returns the value at
    ``path`` as JSON text, whatever its type. No comment and no optional blank: the template is
    written once a kept success (8 times a proxy) and 13 trimming proxies must fit one stack
    (issue 25 item 8). At most 1,000 objects a list (API Gateway's #foreach limit).
    """
    segments = [s for s in items_path.split(".")[1:] if s]
    return _level(names, segments, depth=0, path="$")


def _level(names: Sequence[str], segments: Sequence[str], *, depth: int, path: str) -> str:
    if not segments:
        return _trimmed_list(names, path)
    # An object on the way to the list: its other members are kept as they are.
    node, key = f"$l{depth}", f"$k{depth}"
    inner = _level(names, segments[1:], depth=depth + 1, path=f"{path}.{segments[0]}")
    return (
        f"#set({node}=$input.path('{path}'))"
        f"{{#foreach({key} in {node}.keySet())#if($foreach.index>0),#end"
        f'"$util.escapeJavaScript({key}).replaceAll("\\\\\'","\'")":'
        f'#if({key}=="{segments[0]}"){inner}#else$input.json("{path}[\'{key}\']")#end#end}}'
    )


def _trimmed_list(names: Sequence[str], path: str) -> str:
    kept = "".join(
        f'#if($item.containsKey("{name}"))$sep"{name}":$input.json("{path}[$i][\'{name}\']")'
        '#set($sep=",")#end'
        for name in names
    )
    return (
        f"[#foreach($item in $input.path('{path}'))#set($i=$foreach.index)#if($i>0),#end"
        f'{{#set($sep=""){kept}}}#end]'
    )


def response_headers(read: Sequence[str]) -> tuple[str, ...]:
    """The headers the proxy forwards: the defaults and the ones read, each once. API Gateway
    maps header names case-sensitively ("Amazon API Gateway important notes"), so each header
    the downloader's states read is also mapped by its lower-case spelling, to a method response
    header of that name (the states read names in any case): an API answering ``retry-after``,
    ``etag`` or ``x-pages`` (HTTP/2 servers write every name so) is not lost here. Only those:
    every default in both spellings would add 26 KB of template a proxy (issue 25, item 8)."""
    lower = [name.lower() for name in read if name.lower() != name]
    return tuple(dict.fromkeys([*DEFAULT_RESPONSE_HEADERS, *read, *lower]))


def integration_responses(
    vtl: str | None, headers: Sequence[str], throttled: Sequence[int] = ()
) -> list[apigw.IntegrationResponse]:
    """One integration response a status, 300 to 599 and the registered successes, each to the
    same method response status: success trimmed with ``headers`` and, where it has a body,
    ``Content-Encoding`` (passed through when ``vtl`` is ``None``), other statuses passed
    through (their body is the task's failure cause); the unregistered successes share one (a
    502 saying so), and anything else is a 502.
    ``throttled`` statuses (``retry_after``) become a ``200`` marked
    ``X-Downloader-Throttled: <status>``, with ``headers`` and the body as is."""
    forwarded = {
        f"method.response.header.{name}": f"integration.response.multivalueheader.{name}"
        for name in headers
    }
    encoded = {
        **forwarded,
        **{
            f"method.response.header.{name}": f"integration.response.multivalueheader.{name}"
            for name in ENCODING_HEADERS
        },
    }
    responses = []
    for status in range(200, 600):
        if status in throttled:
            marked = {**encoded, f"method.response.header.{THROTTLED_HEADER}": f"'{status}'"}
            responses.append(
                apigw.IntegrationResponse(
                    status_code=str(THROTTLED_AS), selection_pattern=str(status),
                    response_parameters=marked,
                )
            )  # fmt: skip
        elif status in TRIMMED_STATUSES or status in BODYLESS_STATUSES:
            responses.append(
                apigw.IntegrationResponse(
                    status_code=str(status), selection_pattern=str(status),
                    response_parameters=encoded if status in TRIMMED_STATUSES else forwarded,
                    response_templates=(
                        {JSON: vtl} if vtl is not None and status in TRIMMED_STATUSES else None
                    ),
                )
            )  # fmt: skip
        elif status < 300:
            continue  # one integration response for them all, below
        else:
            responses.append(
                apigw.IntegrationResponse(status_code=str(status), selection_pattern=str(status))
            )
    # Every other 2xx shares one treatment, so one integration response (not 90: a trimming
    # proxy was 72 KB of template, a stack's 1 MB held 12 of them).
    unlisted = [s for s in range(200, 300) if s not in throttled and s not in _KEPT_SUCCESS]
    responses.append(
        apigw.IntegrationResponse(
            status_code=str(UNLISTED_STATUS), selection_pattern=status_pattern(unlisted),
            response_templates={JSON: _unlisted("an unregistered 2xx")},
        )
    )  # fmt: skip
    # The default (no selection pattern): any status not matched above.
    responses.append(
        apigw.IntegrationResponse(
            status_code=str(UNLISTED_STATUS),
            response_templates={JSON: _unlisted("outside 200-599")},
        )
    )
    return responses


_KEPT_SUCCESS = frozenset((*TRIMMED_STATUSES, *BODYLESS_STATUSES))


def status_pattern(statuses: Sequence[int]) -> str:
    """A selection pattern matching exactly ``statuses`` (three-digit codes of one hundred),
    anchored, e.g. ``^2(?:09|[13][0-9]|2[0-57-9])$``: API Gateway matches an HTTP integration's
    status code against it ("Set up an integration response in API Gateway")."""
    by_tens: dict[str, list[str]] = {}
    for status in sorted(statuses):
        text = str(status)
        by_tens.setdefault(text[1], []).append(text[2])
    hundreds = {str(status)[0] for status in statuses}
    if len(hundreds) != 1:
        raise ValueError(f"status_pattern takes statuses of one hundred, not {sorted(statuses)}")
    # Tens sharing their units share one alternative (``[13-9][0-9]``): 40 bytes less a proxy.
    by_units: dict[str, list[str]] = {}
    for tens, units in by_tens.items():
        by_units.setdefault(_digit_class(units), []).append(tens)
    parts = [_digit_class(tens) + units for units, tens in by_units.items()]
    return f"^{hundreds.pop()}(?:{'|'.join(parts)})$"


def _digit_class(units: Sequence[str]) -> str:
    if len(units) == 1:
        return units[0]
    if units == [str(d) for d in range(10)]:
        return "[0-9]"
    runs: list[list[int]] = []
    for digit in map(int, units):
        if runs and digit == runs[-1][-1] + 1:
            runs[-1].append(digit)
        else:
            runs.append([digit])
    return (
        "[" + "".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else "".join(map(str, r)) for r in runs) + "]"
    )


def method_responses(
    headers: Sequence[str], throttled: Sequence[int] = ()
) -> list[apigw.MethodResponse]:
    """A method response for each status the integration responses map to (each kept success
    with a body also declaring ``Content-Encoding``, the ``200`` the throttled mark when there
    are ``throttled`` statuses)."""
    declared: Mapping[str, bool] = {f"method.response.header.{name}": False for name in headers}
    encoded = {**declared, **{f"method.response.header.{name}": False for name in ENCODING_HEADERS}}
    marked = {**encoded, f"method.response.header.{THROTTLED_HEADER}": False}
    return [
        apigw.MethodResponse(
            status_code=str(status),
            response_parameters=(marked if throttled and status == THROTTLED_AS else encoded)
            if status in TRIMMED_STATUSES
            else dict(declared)
            if status in BODYLESS_STATUSES
            else None,
        )
        for status in range(200, 600)
        if (status >= 300 and status not in throttled)
        or status in TRIMMED_STATUSES
        or status in BODYLESS_STATUSES
    ]


def _unlisted(status: str) -> str:
    return '{"message": "unlisted status ' + status + ': not trimmed, not passed on"}'


def trimming_integration(
    endpoint: str,
    trim: Trim | None,
    *,
    method_parameters: Mapping[str, bool],
    integration_parameters: Mapping[str, str],
    request_headers: Sequence[str],
    exchange: Exchange,
    method: str = "GET",
) -> tuple[apigw.HttpIntegration, dict[str, bool], list[apigw.MethodResponse]]:
    """The non-proxy HTTP integration to ``endpoint/{proxy}``: what the method request declares,
    the integration maps by name, and the method responses. Without ``trim`` (``retry_after``
    alone) success answers pass through untrimmed.

    ``method_parameters``/``integration_parameters``: the path and the credential, as the proxy
    integration maps them. Query values are mapped from ``multivaluequerystring`` so that a
    repeated parameter (``type=sell&type=buy``) reaches the third party whole.
    """
    declared = dict(method_parameters)
    mapped = dict(integration_parameters)
    for name in exchange.query_names:
        declared[f"method.request.querystring.{name}"] = False
        mapped[f"integration.request.querystring.{name}"] = (
            f"method.request.multivaluequerystring.{name}"
        )
    for name in request_headers:
        declared.setdefault(f"method.request.header.{name}", False)
        mapped[f"integration.request.header.{name}"] = f"method.request.header.{name}"
    headers = response_headers(exchange.response_headers)
    integration = apigw.HttpIntegration(
        f"{endpoint}/{{proxy}}",
        http_method=method,
        proxy=False,
        options=apigw.IntegrationOptions(
            request_parameters=mapped,
            integration_responses=integration_responses(
                trim.vtl if trim is not None else None, headers, exchange.throttled_statuses
            ),
            # No request template: a POST's body passes through as sent ("Integration
            # passthrough behaviors"); a GET has none.
            passthrough_behavior=apigw.PassthroughBehavior.WHEN_NO_TEMPLATES,
        ),
    )
    return integration, declared, method_responses(headers, exchange.throttled_statuses)


def check_mappable(context: CheckContext) -> Iterator[Problem]:
    """``retry_after`` makes the proxy a non-proxy integration (as ``trim`` does): each query
    parameter and header is mapped by name, and API Gateway maps only these names."""
    named = [("headers", name) for name in context.headers or {}]
    named += [("path", name) for name in context.exchange.query_names]
    for where, name in named:
        if isinstance(name, str) and not PARAMETER_NAME.match(name):
            yield Problem(
                f"headers[{name!r}]" if where == "headers" else "path", name,
                f"the {'header' if where == 'headers' else 'query parameter'} cannot be mapped "
                "by the proxy's non-proxy integration, which retry_after needs: API Gateway "
                "parameter names must match ^[a-zA-Z0-9._$-]+$.",
                "rename it, or drop retry_after.",
            )  # fmt: skip
