"""The page loop of the paginators that fetch one page after another, without a Lambda::

    [FirstRequest] → DownloadPage → [PageStatus] → NextRequest → [SelectPage] → PersistPage
                          ▲                                                          │
                          └──────── more ── MorePages ─ paging error → PagingFailed ─┘
                                                 └ no more (or max_pages) → Done

``link_header``, ``next_url``, ``offset`` and ``page_number`` run it for one path; in a fan-out
every paginator runs it for each path (``cursor`` and ``page_count`` too). The state carries
the request being made twice: ``url`` (``/path?query``, the query as the API wrote it) and
``request`` (as the transport takes it). ``DownloadPage`` keeps the raw answer under ``raw``;
``NextRequest``, a JSONata Pass, reads what the paginator needs from it and computes the next
request (no JSONPath intrinsic can take a substring, match a pattern or percent-decode, which
a ``Link`` header or a next URL needs). ``SelectPage`` applies the ``result_selector`` to the
raw answer in place, and ``PersistPage`` stores it, then drops it from the state, so that at
most one answer is in the state at a time. A page whose answer breaks the paginator's
contract (a next URL off the endpoint's origin, items not found) is stored, then the run (or,
in a fan-out, that path) fails with the construct's error name.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import answer_path_problems, jsonata_path
from .._contract import (
    FOUND_FIELD,
    MORE_PATH,
    NEXT_URL_OFF_ORIGIN_ERROR,
    PAGING_ERROR_PATH,
    PAGING_FIELD,
    RAW_PATH,
    REQUEST_FIELD,
    STORED_PATH,
    URL_FIELD,
)
from .._parts import RunParts, Target, with_query
from .._request import HttpRequest
from .._states import frame_catch, frame_done, frame_failed, frame_sort_key


def string(value: str) -> str:
    """A JSONata string literal."""
    return json.dumps(value)


def header_lookup() -> str:
    """``$header(name)``: a response header's values joined by ``, `` (names compared
    case-insensitively; ``apigateway:invoke`` gives each header as a list)."""
    return (
        "$header := function($name) { $join($each($raw.Headers, function($v, $k) "
        "{ $lowercase($k) = $lowercase($name) ? $v }), ', ') };"
    )


def set_param() -> str:
    """``$setParam(url, name, value)``: ``url`` with ``name=value`` (the value encoded) where
    it had ``name``, or at its end; the other parameters stay as written, in their order."""
    return """$setParam := function($u, $name, $value) { (
      $pairs := $filter($split($contains($u, "?") ? $substringAfter($u, "?") : "", "&"), function($s) { $s != "" });
      $named := function($s) { $decodeUrlComponent($replace($substringBefore($s, "="), "+", " ")) = $name };
      $set := $name & "=" & $encodeUrlComponent($value);
      $substringBefore($u, "?") & "?" & $join(
        $count($filter($pairs, $named)) > 0 ? $map($pairs, function($s) { $named($s) ? $set : $s }) : $append($pairs, [$set]),
        "&"
      )
    ) };"""  # noqa: E501


def resolve(endpoint: str) -> str:
    """``$resolve(ref)``: ``{"next": "/path?query"}`` for a reference on the endpoint's origin
    (absolute, ``//host``, ``/path``, ``?query`` or relative to the current path, resolved as
    RFC 3986 says, fragment dropped), else ``{"error": {"name", "cause"}}``. Scheme, host and
    port are compared, not prefixes: ``https://api.example.com.evil``, ``...@evil`` and another
    port are off the origin; scheme and host case and a default port do not matter."""
    return f"""$norm := function($o) {{
      $replace($replace($lowercase($o), /^(https:\\/\\/[^\\/]*):443$/, "$1"), /^(http:\\/\\/[^\\/]*):80$/, "$1")
    }};
    $origin := $norm({string(endpoint)});
    $off := function($ref) {{ {{"error": {{
      "name": {string(NEXT_URL_OFF_ORIGIN_ERROR)},
      "cause": "The next page's URL " & $ref & " is not on " & $origin & " (scheme, host and port must be the endpoint's): it was not requested."
    }}}} }};
    $resolve := function($ref) {{ (
      $r := $substringBefore($ref, "#");
      $scheme := $match($r, /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/);
      $net := $match($exists($scheme) ? $scheme.groups[1] : $r, /^\\/\\/([^\\/?#]*)(.*)$/);
      $path := $substringBefore($url, "?");
      $exists($scheme) and $not($exists($net)) ? $off($ref)
      : $exists($net) ? (
          $norm(($exists($scheme) ? $scheme.groups[0] : "https") & "://" & $net.groups[0]) = $origin
            ? {{"next": $net.groups[1] = "" ? "/" : $substring($net.groups[1], 0, 1) = "?" ? "/" & $net.groups[1] : $net.groups[1]}}
            : $off($ref)
        )
      : $substring($r, 0, 1) = "/" ? {{"next": $r}}
      : $substring($r, 0, 1) = "?" ? {{"next": $path & $r}}
      : {{"next": $replace($path, /[^\\/]*$/, "") & $r}}
    ) }};"""  # noqa: E501


def build_loop(
    scope: Construct,
    parts: RunParts,
    *,
    step: str,
    max_pages: int,
    first_query: Mapping[str, list[str]] | None = None,
    paging: Mapping[str, object] | None = None,
) -> sfn.IChainable:
    """The page loop. ``step`` is a JSONata expression giving ``{"next": "/path?query"}`` to go
    on, ``{}`` to stop, or ``{"error": {"name", "cause"}}``, and optionally ``"paging"`` (the
    state carried to the next page); it reads ``$raw`` (the answer), ``$url`` (the request
    made), ``$page`` (its number, from 1) and ``$paging``."""
    frame, downloads, persists = parts.frame, parts.downloads, parts.persists
    download = downloads.task(scope, "DownloadPage", _from_state(parts), result_path=RAW_PATH)
    next_request = sfn.Pass.jsonata(
        scope, "NextRequest", outputs="{% " + _next_request(step, max_pages, parts) + " %}"
    )
    persist = persists.task(
        scope, "PersistPage", sort_key=frame_sort_key(frame, STORED_PATH),
        result_under=RAW_PATH, result_selector={"stored": True}, result_path=RAW_PATH,
        in_map=frame.in_map,
    )  # fmt: skip
    done = frame_done(scope, frame, "PathDone" if frame.in_map else "Done")
    # Status actions first: Catch rules are tried in order, and the frame's catches all.
    parts.on_status.catch(download, skip=done)
    frame_catch(scope, frame, download, persist)
    failed = frame_failed(
        scope, frame, "PagingFailed", error_path=f"{PAGING_ERROR_PATH}.name",
        cause_path=f"{PAGING_ERROR_PATH}.cause",
    )  # fmt: skip
    more = (
        sfn.Choice(scope, "MorePages")
        .when(sfn.Condition.is_present(PAGING_ERROR_PATH), failed)
        .when(sfn.Condition.boolean_equals(MORE_PATH, True), download)
        .otherwise(done)
    )
    status = parts.on_status.no_content(
        scope, "PageStatus", status_path=f"{RAW_PATH}.StatusCode", skip=done
    )
    download.next(status.otherwise(next_request) if status else next_request)
    tail = sfn.Chain.start(next_request)
    if parts.result_selector is not None:
        select = sfn.Pass(
            scope, "SelectPage", input_path=RAW_PATH, parameters=dict(parts.result_selector),
            result_path=RAW_PATH,
        )  # fmt: skip
        tail = tail.next(select)
    tail.next(persist).next(more)
    start: sfn.State = download
    if not frame.in_map:
        request = parts.request
        given = request.given or request.path
        query = {**request.query, **(first_query or {})}
        listed = downloads.listed(Target(request.path, query, given))
        first = sfn.Pass(
            scope,
            "FirstRequest",
            result=sfn.Result.from_object(
                {
                    "page": 1,
                    URL_FIELD: with_query(given, first_query or {}),
                    REQUEST_FIELD: {"path": listed["path"], "query": listed["query"]},
                    **({PAGING_FIELD: dict(paging)} if paging else {}),
                }
            ),
        )
        first.next(download)
        start = first
    # The loop ends in its own states (Done, PagingFailed): nothing follows it.
    return sfn.Chain.custom(start, [], more)


def _from_state(parts: RunParts) -> HttpRequest:
    """The request the state holds (``request``: its path and query, as the transport takes
    them), with the run's method and body."""
    return (
        parts.first_request()
        .with_path(sfn.JsonPath.string_at(f"$.{REQUEST_FIELD}.path"))
        .reading_query(f"$.{REQUEST_FIELD}.query")
    )


def _next_request(
    step: str, max_pages: int, parts: RunParts, *, before: str = "", also: str = "",
    extra: str = "",
) -> str:  # fmt: skip
    request = parts.downloads.request_from_url("$step.next")
    return f"""(
  $in := $states.input;
  $raw := $in.raw;
  $url := $in.{URL_FIELD};
  $page := $in.page;
  $paging := $in.{PAGING_FIELD};
  {before}
  $step := {step};
  $more := $exists($step.next) and $not($exists($step.error)) and $page < {max_pages}{also};
  $merge([
    $in,
    {{
      "stored": $page,
      "page": $page + 1,
      "more": $more,
      "{URL_FIELD}": $more ? $step.next : $url,
      "{REQUEST_FIELD}": $more ? {request} : $in.{REQUEST_FIELD}{", " + extra if extra else ""}
    }},
    $exists($step.paging) ? {{"{PAGING_FIELD}": $step.paging}} : {{}},
    $exists($step.error) ? {{"{PAGING_ERROR_PATH[2:]}": $step.error}} : {{}}
  ])
)"""


__all__ = [
    "answer_path_problems", "build_collect", "build_loop", "header_lookup", "jsonata_path",
    "resolve", "set_param", "string",
]  # fmt: skip


def build_collect(
    scope: Construct,
    parts: RunParts,
    *,
    step: str,
    max_pages: int,
    items: str,
    limit: int | None,
    then: sfn.IChainable,
    first_query: Mapping[str, list[str]] | None = None,
    paging: Mapping[str, object] | None = None,
) -> sfn.IChainable:
    """Every page of ``parts.request``, nothing stored: the ``items`` (JSONata on ``$raw``) of
    each page are appended to ``$.found`` (``FanOut.from_answer``'s list), until the pages end,
    ``max_pages``, or ``limit`` items; then ``then``."""
    downloads = parts.downloads
    request = parts.request
    given = request.given or request.path
    listed = downloads.listed(Target(request.path, {**request.query, **(first_query or {})}, given))
    first = sfn.Pass(
        scope,
        "FirstListRequest",
        result=sfn.Result.from_object(
            {
                "page": 1,
                URL_FIELD: with_query(given, first_query or {}),
                REQUEST_FIELD: {"path": listed["path"], "query": listed["query"]},
                FOUND_FIELD: [],
                **({PAGING_FIELD: dict(paging)} if paging else {}),
            }
        ),
    )
    download = downloads.task(scope, "DownloadList", _from_state(parts), result_path=RAW_PATH)
    more_items = "" if limit is None else f" and $count($found) < {limit}"
    collect = sfn.Pass.jsonata(
        scope,
        "CollectList",
        outputs="{% "
        + _next_request(
            step,
            max_pages,
            parts,
            before=f"$found := $append($in.{FOUND_FIELD}, {items});",
            also=more_items,
            extra=f'"{FOUND_FIELD}": $found, "raw": null',
        )
        + " %}",
    )
    failed = sfn.Fail(
        scope, "ListFailed", error_path=f"{PAGING_ERROR_PATH}.name",
        cause_path=f"{PAGING_ERROR_PATH}.cause",
    )  # fmt: skip
    more = (
        sfn.Choice(scope, "MoreLists")
        .when(sfn.Condition.is_present(PAGING_ERROR_PATH), failed)
        .when(sfn.Condition.boolean_equals(MORE_PATH, True), download)
        .otherwise(then)
    )
    first.next(download).next(collect).next(more)
    return sfn.Chain.custom(first, [], more)
