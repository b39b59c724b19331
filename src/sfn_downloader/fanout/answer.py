"""Requests found in another answer (``FanOut.from_answer``): list, then fetch each.

    DownloadList (or every page of it: FirstListRequest → DownloadList → CollectList → MoreLists)
      → CheckList (a JSONata Choice: a list error goes to ListRefused)
      → FetchAll (the fan-out's Map, its Items one request per item, ``each`` filled in)
      → AnyFailed

``each`` is a path with ``{item}`` (the item itself) or ``{item.<field>}`` (a field of an
object item) placeholders; each value is percent-encoded, so an item can never change the
path's shape: ``/`` is sent as ``%2F`` (through the proxy too, see ``api_gateway._PROXY_REQUEST``),
and an item that would fill a path segment with ``.`` or ``..`` (a dot segment, which moves a
request to another path: RFC 3986, 5.2.4) is refused at run time: ``ItemRefused`` records that
request as failed (``Downloader.UnsafeItem``) and the other requests go on. Each answer is
stored under ``<scheduled time>#<the filled-in path>``. A run
requests at most ``MAX_ANSWER_ITEMS`` items: a longer list fails the run with
``Downloader.TooManyItems`` before any item is requested, unless ``max_items`` says to take the
first ones.

In batches (``Batches``, with ``Concurrency.distributed``: see ``_batched``), ``ListRequests``
keeps the values each request is computed from (``{"requests": [<value>, ...]}``, within the
bounds ``_batched`` computes) and each child execution computes its own (``batch_requests``)::

    ... → ListRequests (the values) → CheckList → FetchAll (Distributed Map, ItemBatcher:
      BatchRequests → FetchAllBatch ([ItemRefused →] Download → Persist each) → BatchOutcome)
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import answer_path_problems, check_path, jsonata_path, masked_times, time_tokens
from .._contract import (
    COMPRESSED_ANSWER_ERROR,
    FOUND_FIELD,
    INVALID_INPUT_ERROR,
    ITEM_TOO_LARGE_ERROR,
    LIST_FAILURE_VARIABLE,
    LIST_ITEMS_NOT_FOUND_ERROR,
    QUERY_ATTRIBUTE_PATH,
    RAW_PATH,
    REQUEST_PATH,
    REQUESTS_PATH,
    SCHEDULED_TIME_KEY,
    TOO_MANY_ITEMS_ERROR,
    UNSAFE_ITEM_ERROR,
    URL_FIELD,
)
from .._parts import ANY_PATH, CollectsPages, Exchange, Request, RunParts
from .._states import compressed_cause, compressed_coding, record_failure
from ..errors import Problem
from . import _overrides
from ._batched import QUERY_CHARS
from ._s3 import RUN_QUERY_KEY
from ._targets import first_page_url

MAX_ANSWER_ITEMS = 1_000
"""The most items a run requests: the requests travel in the state data (256 KiB)."""
_PLACEHOLDER = re.compile(r"\{item(?:\.([A-Za-z_][A-Za-z0-9_]*))?\}")
_LIST_ERROR = "$.listError"
_REFUSED_FIELD = "refused"
"""A listed request an item made unsafe: ``{"error", "cause"}`` (never requested)."""


@dataclass(frozen=True)
class AnswerSource:
    """Where ``FanOut.from_answer`` finds its requests."""

    path: str
    items: str
    each: str
    max_items: int | None
    pages: CollectsPages | None


def check(source: AnswerSource) -> Iterator[Problem]:
    """The list path, the items path, the ``each`` template, ``max_items`` (a positive
    integer: the fan-out bounds it, knowing the concurrency) and ``pages``."""
    problems: list[Problem] = []
    check_path(source.path, problems, "fan_out.path")
    yield from problems
    yield from answer_path_problems("fan_out.items", source.items, "$.ResponseBody")
    each = source.each
    fix = "pass e.g. each='/v1/markets/10000002/history/?type_id={item}'."
    if not isinstance(each, str) or not each.startswith("/"):
        yield Problem("fan_out.each", each, "is not a path starting with '/'.", fix)
    elif not _PLACEHOLDER.search(each):
        yield Problem(
            "fan_out.each", each, "has no {item} or {item.<field>} placeholder.", fix
        )  # fmt: skip
    else:
        # Time placeholders ({scheduled_time:date}) are filled each run, as in any path.
        rest = masked_times(_PLACEHOLDER.sub("", each))
        if "{" in rest or "}" in rest:
            yield Problem(
                "fan_out.each",
                each,
                "has a placeholder other than {item}, {item.<field>} and the time ones.",
                "use {item} for the item, {item.type_id} for a field of an object item, "
                "{scheduled_time}, {window_start} or {window_end} for the run's time.",
            )
        problems = []
        check_path(rest, problems, "fan_out.each")
        yield from problems
    limit = source.max_items
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        yield Problem(
            "fan_out.max_items", limit,
            f"is not an integer from 1 to {MAX_ANSWER_ITEMS:,} (in batches, with "
            "Concurrency.distributed(n), more).",
            "pass e.g. max_items=100, or omit it to request every item.",
        )  # fmt: skip
    if source.pages is not None and not hasattr(source.pages, "collect"):
        yield Problem(
            "fan_out.pages", source.pages, "is not a Pagination.",
            "pass e.g. pages=Pagination.page_count().",
        )  # fmt: skip


def request_paths(source: AnswerSource) -> tuple[str, ...]:
    """The list's path, and ``each``'s path if only its query takes the items (else any
    path: the items choose it)."""
    path = source.path.partition("?")[0]
    each_path = source.each.partition("?")[0]
    return (path, ANY_PATH if _PLACEHOLDER.search(each_path) else each_path)


@dataclass(frozen=True)
class Batches:
    """The list's values iterated in batches (``_batched``): at most ``most`` of them (when
    ``max_items`` is not given), each value's JSON text at most ``value_chars`` characters."""

    most: int
    value_chars: int


def build(
    scope: Construct, parts: RunParts, source: AnswerSource, batches: Batches | None = None
) -> tuple[sfn.State, sfn.Choice]:
    """The list states, then ``CheckList``, whose ``otherwise`` the fan-out sets to its Map.

    Not in batches, ``CheckList`` is a JSONata Choice whose one rule finds a list error
    (``{"listError": ...}`` of the requests' expression: too many items, no list, a compressed
    list) and assigns it for ``ListRefused``; the Map computes the requests from the same input
    in its ``Items`` (``items``): no ``ListRequests`` (issue 28(a)). The Choice has no
    ``Output``, so its input (the list's answer) reaches the Map on every branch. With
    ``batches``, ``ListRequests`` keeps the values, not requests (each child execution
    computes its own: ``batch_requests``), and a JSONPath ``CheckList`` routes its error."""
    check_list: sfn.Choice
    then: sfn.State
    if batches is None:
        listed = "(" + _requests(parts, source) + ")"
        refused: sfn.State = sfn.Fail.jsonata(
            scope, "ListRefused",
            error="{% $" + LIST_FAILURE_VARIABLE + ".name %}",
            cause="{% $" + LIST_FAILURE_VARIABLE + ".cause %}",
        )  # fmt: skip
        check_list = sfn.Choice.jsonata(scope, "CheckList").when(
            sfn.Condition.jsonata("{% $exists(" + listed + ".listError) %}"), refused,
            assign={LIST_FAILURE_VARIABLE: "{% " + listed + ".listError %}"},
        )  # fmt: skip
        then = check_list
    else:
        listing = sfn.Pass.jsonata(
            scope, "ListRequests", outputs="{% " + _requests(parts, source, batches) + " %}"
        )
        refused = sfn.Fail(
            scope, "ListRefused", error_path=f"{_LIST_ERROR}.name",
            cause_path=f"{_LIST_ERROR}.cause",
        )  # fmt: skip
        check_list = sfn.Choice(scope, "CheckList").when(
            sfn.Condition.is_present(_LIST_ERROR), refused
        )
        listing.next(check_list)
        then = listing
    if source.pages is not None:
        items = _kept(jsonata_path(source.items), source.each)
        limit = source.max_items or (batches.most if batches else MAX_ANSWER_ITEMS) + 1
        start = source.pages.collect(scope, parts, items=items, limit=limit, then=then)
        return start.start_state, check_list
    request = parts.request
    # The list keeps no memory: its request never reads the validators each item's request
    # assigns in its own iteration (a variable of another scope).
    download = parts.downloads.task(
        scope, "DownloadList", request.http().without_computed_headers(), result_path=RAW_PATH
    )
    waits = parts.server_waits
    if waits is not None:  # a throttled list waits what the server asks, as any request
        waits.around(scope, "DownloadList", download, raw_path=RAW_PATH, prefix="List").next(then)
    else:
        download.next(then)
    return download, check_list


def items(parts: RunParts, source: AnswerSource) -> str:
    """``FetchAll``'s ``Items`` (not in batches): the requests the list's answer makes, from
    the Map's input (``CheckList`` passed its own on), ``[]`` where ``CheckList`` found a list
    error (it never reaches the Map then)."""
    return "{% $append([], $lookup((" + _requests(parts, source) + "), 'requests')) %}"


def _requests(parts: RunParts, source: AnswerSource, batches: Batches | None = None) -> str:
    """JSONata: ``{"requests": [...]}`` from the items (with ``batches``, the values each
    request is computed from), or ``{"listError": ...}``."""
    found = (
        f"$states.input.{FOUND_FIELD}"
        if source.pages is not None
        else jsonata_path(source.items, f"$states.input.{RAW_PATH[2:]}")
    )
    if batches is not None and source.pages is None:  # a page keeps them as CollectList reads it
        found = _kept(found, source.each)
    fields = sorted({m.group(1) for m in _PLACEHOLDER.finditer(source.each) if m.group(1)})
    missing = " or ".join(f"$not($exists($item.`{f}`))" for f in fields)
    cap = source.max_items
    most = batches.most if batches is not None else MAX_ANSWER_ITEMS
    too_many = (
        ""
        if cap is not None
        else f"$count($items) > {most} ? "
        + _error(
            TOO_MANY_ITEMS_ERROR,
            f'"The list of {source.path} holds " & $count($items) & " items, more than the '
            f"{most:,} a run requests: none was requested (FanOut.from_answer "
            f'max_items takes the first ones)."',
        )
        + " :"
    )
    lacking = (
        f"$count($filter($items, function($item) {{ {missing} }})) > 0 ? "
        + _error(
            LIST_ITEMS_NOT_FOUND_ERROR,
            f'"Some items of the list of {source.path} have no {", ".join(fields)} field."',
        )
        + " :"
        if fields
        else ""
    )
    take = f"$items[[0..{cap - 1}]]" if cap is not None else "$items"
    # The run's times are filled into the template, before the items: an item's own braces
    # are percent-encoded, so no item can add a placeholder.
    fill = ""
    if parts.time_fill is not None and time_tokens(source.each):
        fill = parts.time_fill([source.each])
    names = parts.overridable  # the run's values set in each request's query
    overrides_prelude = _overrides.prelude() if names else ""
    each = f"function($item) {{ {_request(parts, source)} }}"
    listed_requests = (
        f'{{"{REQUESTS_PATH[2:]}": [$map({take}, {each})]}}'
        if batches is None
        else _values(source, take, batches, names)
    )
    listed = f"""(
  $items := {found};
  $not($type($items) = "array") ? {
        _error(
            LIST_ITEMS_NOT_FOUND_ERROR,
            f'"The answer of {source.path} has no list at {source.items}."',
        )
    } :
  {too_many}
  {lacking}
  {fill}
  {overrides_prelude}
  {listed_requests}
)"""
    if source.pages is not None:  # each list page is checked by CollectList
        return listed
    # A compressed list is refused before its items are read (the list is never stored).
    coding = compressed_coding(f"$states.input.{RAW_PATH[2:]}.Headers")
    refused = _error(COMPRESSED_ANSWER_ERROR, compressed_cause("$coded", _string(source.path)))
    return f'($coded := {coding}; $exists($coded) and $coded != "" ? {refused} : {listed})'


def _request(parts: RunParts, source: AnswerSource) -> str:
    """JSONata: the request ``$item`` makes (``each`` filled in; with an unsafe item, its
    refusal), as a fan-out's iteration reads it."""
    url = first_page_url(parts, "$u")
    filled = parts.time_fill is not None and bool(time_tokens(source.each))
    each = _each(source.each, filled=filled)
    names = parts.overridable
    overrides = "$ovKey := $u; " + _overrides.apply(names, "$u") if names else ""
    key = _overrides.key_of(names, "$ovKey") if names else "$u"
    attribute = ", " + _overrides.attribute(names) if names else ""
    return f"""(
    $u := {each};
    $dot := {_dot_segment(source.each)};
    {overrides}
    $merge([
      {parts.downloads.request_from_url(url)}, {{"key": {key}, "{URL_FIELD}": {url}{attribute}}},
      $dot ? {{"{_REFUSED_FIELD}": {_REFUSED}}} : {{}}
    ])
  )"""


def _values(source: AnswerSource, take: str, batches: Batches, names: tuple[str, ...] = ()) -> str:
    """JSONata: ``{"requests": [<value>, ...]}``, the values the children compute their
    requests from, or ``Downloader.ItemTooLarge`` for the first value longer than a batch has
    room for (``_batched``)."""
    most = batches.value_chars
    long = f"$filter($taken, function($v) {{ $length($string($v)) > {most} }})"
    cause = (
        f'"An item of the list of {source.path} is " & $length($string($long[0])) & '
        f'" characters long (" & $substring($string($long[0]), 0, 100) & "...), more '
        f"than the {most:,} a value may have in batches of its size (a child execution's "
        f"state holds a batch of computed requests within 256 KiB): none was requested "
        f'(FanOut.from_answer: a smaller max_items or requests_per_child leaves more room)."'
    )
    values = f'{{"{REQUESTS_PATH[2:]}": $append([], $taken)}}'
    if names:  # the run's values travel in every item: at most QUERY_CHARS of JSON text
        allowed = json.dumps(list(names))
        picked = f"$sift($ovGiven, function($v, $k) {{ $k in {allowed} }})"
        query = f"($q := {picked}; $exists($q) ? $q : {{}})"
        too_long = _error(
            INVALID_INPUT_ERROR,
            f'"The query values of the run ({", ".join(names)}) are longer than the '
            f"{QUERY_CHARS} characters (as JSON) each item of a batch has room for: none was "
            f'requested."',
        )
        values = (
            f"( $runQuery := {query}; $length($string($runQuery)) > {QUERY_CHARS} ? {too_long} : "
            f'{{"{REQUESTS_PATH[2:]}": $append([], $taken), "{RUN_QUERY_KEY}": $runQuery}} )'
        )
    return (
        f"( $taken := {take}; $long := {long}; $exists($long[0]) ? "
        f"{_error(ITEM_TOO_LARGE_ERROR, cause)} : {values} )"
    )


def batch_requests(scope: Construct, parts: RunParts, source: AnswerSource) -> sfn.Pass:
    """``BatchRequests``, a child execution's first state: each item of its batch (``{"request":
    <value>, ...}``, as the Map's ``ItemSelector`` made it) with the request its value makes,
    computed as ``ListRequests`` computes them on the inline path."""
    item = f"$i.{REQUEST_PATH[2:]}"
    own = "$states.input.Items[0]"  # a child's input is its batch, not the run's input
    fill = (
        parts.time_fill([source.each], f"{own}.{SCHEDULED_TIME_KEY}")
        if parts.time_fill is not None and time_tokens(source.each)
        else ""
    )
    names = parts.overridable
    prelude = _overrides.prelude(f"{own}.{RUN_QUERY_KEY}") if names else ""
    attribute = f', "{QUERY_ATTRIBUTE_PATH[2:]}": $r.{QUERY_ATTRIBUTE_PATH[2:]}' if names else ""
    if parts.per_request is not None:  # a page loop reads its key and URL in the item
        attribute += f', "key": $r.key, "{URL_FIELD}": $r.{URL_FIELD}'

    outputs = (
        f"{{% ({fill} {prelude} "
        '{"Items": [$map($states.input.Items, function($i) { ( '
        f"$r := ( $item := {item}; {_request(parts, source)} ); "
        f'$merge([$i, {{"{REQUEST_PATH[2:]}": $r{attribute}}}]) ) }})]}}) %}}'
    )
    return sfn.Pass.jsonata(scope, "BatchRequests", outputs=re.sub(r"\s*\n\s*", " ", outputs))


def _kept(items: str, each: str) -> str:
    """JSONata: of each item a page lists, only what ``each`` reads, so that the list's pages
    add up in the state (256 KiB) as their requests need, not as the API wrote them: with only
    ``{item.<field>}`` placeholders, an object item keeps those fields (``{}`` when it has none
    of them, so that the missing fields are still found); with ``{item}`` the item is sent
    whole and kept whole."""
    found = [m.group(1) for m in _PLACEHOLDER.finditer(each)]
    if not found or None in found:  # {item}: the item itself is sent
        return items
    fields = sorted({field for field in found if field is not None})
    names = ", ".join(_string(field) for field in fields)
    sift = f"$sift($i, function($v, $k) {{ $k in [{names}] }})"
    return (
        f'$map({items}, function($i) {{ $type($i) = "object" ? '
        f"($s := {sift}; $exists($s) ? $s : {{}}) : $i }})"
    )


def _each(each: str, *, filled: bool = False) -> str:
    """JSONata building ``each`` for ``$item``, each value percent-encoded; ``filled``: the
    literal pieces passed through ``$fill`` (the run's time placeholders)."""

    def text(piece: str) -> str:
        return f"$fill({_string(piece)})" if filled else _string(piece)

    parts: list[str] = []
    position = 0
    for match in _PLACEHOLDER.finditer(each):
        if match.start() > position:
            parts.append(text(each[position : match.start()]))
        value = f"$item.`{match.group(1)}`" if match.group(1) else "$item"
        parts.append(f"$encodeUrlComponent($string({value}))")
        position = match.end()
    if position < len(each):
        parts.append(text(each[position:]))
    return " & ".join(parts)


_REFUSED_CAUSE = (
    '"The item " & $string($item) & " would put a dot segment (. or .., also encoded as %2E, '
    'or after a / or \\\\ of the item) in the path: " & $dot & " would go to another path (RFC '
    '3986, 5.2.4). It was not requested."'
)
_REFUSED = f'{{"error": {json.dumps(UNSAFE_ITEM_ERROR)}, "cause": {_REFUSED_CAUSE}}}'


def _dot_segment(each: str) -> str:
    """JSONata: the first segment of ``each``'s path that ``$item`` fills with a dot segment,
    or ``""``. A dot segment is ``.`` or ``..`` as a server may read it: also percent-encoded
    (``%2e%2e``, which a server that decodes twice reads as ``..``), and also between a ``/``
    or ``\\`` the item holds (``../../admin``: sent as ``..%2F..%2Fadmin``, but a server that
    decodes ``%2F`` before it routes would climb). Only segments holding a placeholder are
    read; the query's values cannot move the request."""
    segments = []
    for segment in each.partition("?")[0].split("/"):
        if not _PLACEHOLDER.search(segment):
            continue
        pieces: list[str] = []
        position = 0
        for match in _PLACEHOLDER.finditer(segment):
            if match.start() > position:
                pieces.append(_string(unquote(segment[position : match.start()])))
            field = match.group(1)
            pieces.append(f"$string($item.`{field}`)" if field else "$string($item)")
            position = match.end()
        if position < len(segment):
            pieces.append(_string(unquote(segment[position:])))
        segments.append(" & ".join(pieces))
    if not segments:
        return '""'
    dot = "function($p) { $contains($p, /^(?:\\.|%2e){1,2}$/i) }"
    # JSONata 2.0.6 ends a regular expression at a "/" inside brackets: an alternation.
    has_dot = f"function($s) {{ $count($filter($split($s, /\\/|\\\\/), {dot})) > 0 }}"
    return f'($d := $filter([{", ".join(segments)}], {has_dot}); $exists($d) ? $d[0] : "")'


def guard(scope: Construct, iteration: sfn.IChainable) -> sfn.IChainable:
    """``ItemRefused``: a request an item made unsafe (a dot segment) ends as a failed outcome
    (``Downloader.UnsafeItem``) without being requested; the others run ``iteration``."""
    refused = record_failure(
        scope, "RefuseItem", key_path=f"{REQUEST_PATH}.key",
        error_path=f"{REQUEST_PATH}.{_REFUSED_FIELD}.error",
    )  # fmt: skip
    return (
        sfn.Choice(scope, "ItemRefused")
        .when(sfn.Condition.is_present(f"{REQUEST_PATH}.{_REFUSED_FIELD}"), refused)
        .otherwise(iteration)
    )


def _error(name: str, cause: str) -> str:
    return f'{{"listError": {{"name": {_string(name)}, "cause": {cause}}}}}'


def _string(value: str) -> str:
    import json

    return json.dumps(value)


def shown(source: AnswerSource) -> dict[str, Any]:
    """The settings, for ``repr``."""
    return {"path": source.path, "items": source.items, "each": source.each,
            "max_items": source.max_items}  # fmt: skip


def exchange(source: AnswerSource, endpoint: str) -> Exchange:
    """What a non-proxy integration must map: the list's query parameters (and its
    paginator's), and the query parameters of ``each``."""
    names: list[str] = []
    for path in (source.path, source.each):
        if isinstance(path, str) and "?" in path:
            query = _PLACEHOLDER.sub("x", path.split("?", 1)[1])
            names += parse_qs(query, keep_blank_values=True)
    if source.pages is None or not isinstance(source.path, str):
        return Exchange(query_names=tuple(dict.fromkeys(names)))
    resource, _, text = source.path.partition("?")
    listed = source.pages.exchange(
        Request(endpoint=endpoint, path=resource, query=parse_qs(text), given=source.path)
    )
    return Exchange(
        query_names=tuple(dict.fromkeys([*names, *listed.query_names])),
        response_headers=listed.response_headers,
    )
