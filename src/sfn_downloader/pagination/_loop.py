"""The page loop of the paginators that fetch one page after another, without a Lambda::

    [FirstRequest] → DownloadPage → [PageStatus] → NextRequest → [SelectPage] → PersistPage
                          ▲                                                  [ArchivePage]
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
most one answer is in the state at a time (with ``records``, ``WriteRecords`` writes the
page's records after ``PersistPage``, or instead of it, and drops the page). A page whose
answer breaks the paginator's contract (a next URL off the endpoint's origin, items not
found) is stored, then the run (or, in a fan-out, that path) fails with the construct's error
name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import answer_path_problems, jsonata_path, jsonata_values
from .._contract import (
    ANSWER_CHECKED_VARIABLE,
    ASKED_VARIABLE,
    COMPRESSED_ANSWER_ERROR,
    COMPRESSED_ANSWER_VARIABLE,
    DATA_LIMIT_EXCEEDED,
    EXECUTION_NAME_PATH,
    FAILURE_PATH,
    FOUND_FIELD,
    ITEM_CHECKED_VARIABLE,
    KEY_PATH,
    KEY_SEPARATOR,
    LOOP_VARIABLE,
    MAP_RUN_PATH,
    MORE_PATH,
    NEXT_URL_MALFORMED_ERROR,
    NEXT_URL_OFF_ORIGIN_ERROR,
    OUTCOME_UNCHANGED,
    PAGE_FAILURE_PATH,
    PAGING_ERROR_PATH,
    PAGING_FIELD,
    PATH_ASKED_VARIABLE,
    PATH_LOOP_VARIABLE,
    QUERY_ATTRIBUTE_PATH,
    QUERY_EVALUATION_ERROR,
    RAW_PATH,
    REQUEST_FIELD,
    RETRY_AFTER_FIELD,
    STORED_PATH,
    THROTTLED_HEADER,
    UNMAPPED_QUERY_ERROR,
    URL_FIELD,
)
from .._parts import Frame, RequestMemories, RunParts, StoredAnswer, Target, with_query
from .._request import HttpRequest, set_param
from .._roles import CheckedPage
from .._states import (
    answer_errors_check,
    before,
    catch_into,
    compressed_cause,
    compressed_check,
    compressed_coding,
    compressed_failure,
    compressed_rule,
    frame_catch,
    frame_done,
    frame_failed,
    frame_sort_key,
    read_answer,
    record_failure,
    succeed_after,
    waits_failed,
)


def string(value: str) -> str:
    """A JSONata string literal."""
    return json.dumps(value)


def header_lookup() -> str:
    """``$header(name)``: a response header's values joined by ``, ``, undefined without it
    (names compared case-insensitively; ``apigateway:invoke`` gives each header as a list).
    Two spellings of the name in one answer (``X-Pages`` and ``x-pages``: a server that sends
    both) are read together, a spelling that repeats another's values once. Each spelling's
    list is joined first, as ``_states.compressed_coding`` does: ``$each`` gives a list of
    lists for two matching names, on which ``$join`` fails (T0412)."""
    return (
        "$header := function($name) { ( $values := $each($raw.Headers, function($v, $k) "
        "{ $lowercase($k) = $lowercase($name) ? $join($map($append([], $v), function($x) "
        "{ $string($x) }), ', ') }); $exists($values) ? $join($distinct($append([], $values)), "
        "', ') ) };"
    )


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
    body_in_state: bool = False,
    api_chooses_query: bool = False,
) -> sfn.IChainable:
    """The page loop. ``step`` is a JSONata expression giving ``{"next": "/path?query"}`` to go
    on, ``{}`` to stop, or ``{"error": {"name", "cause"}}``, and optionally ``"paging"`` (the
    state carried to the next page) and ``"body"`` (the next request's body); it reads
    ``$raw`` (the answer), ``$url`` (the request made), ``$page`` (its number, from 1) and
    ``$paging``.

    What the features bring: ``retry_after``'s waits around each page's download, the GraphQL
    errors check before a page is stored, the first request computed each run (time
    placeholders, a window, an incremental mark), and variables folded page by page whose
    states (``stored``: advancing the mark) run once every page is stored. ``body_in_state``:
    the request's body travels in the state (``request.body``), for a step that edits it.
    ``api_chooses_query``: the next URL's query is the API's (next links): through a proxy
    that passes on only the names it maps, a next URL carrying another is a paging error."""
    frame, downloads, persists = parts.frame, parts.downloads, parts.persists
    fold = parts.page_fold
    checked = _checked_loop(
        scope, parts, step=step, max_pages=max_pages, body_in_state=body_in_state,
        api_chooses_query=api_chooses_query,
    )  # fmt: skip
    if checked is not None:
        return _wired(scope, parts, checked, first_query, paging, body_in_state)
    download = downloads.task(
        scope, "DownloadPage", _from_state(parts, body_in_state), result_path=RAW_PATH,
    )  # fmt: skip
    # A JSONata Choice with the Pass's Output on its Default: the same transition, and a rule
    # that fails a compressed page before anything stores it (issue 25, item 14).
    next_request = sfn.Choice.jsonata(
        scope, "NextRequest",
        outputs="{% "
        + _next_request(
            step, max_pages, parts, body=body_in_state, api_chooses_query=api_chooses_query
        )
        + " %}",
        assign=dict(fold.each) if fold is not None else None,
    )  # fmt: skip
    _fail_compressed(scope, parts, next_request)
    records = parts.records
    # The page is dropped from the state once stored: by PersistPage, or by the states after
    # it (ArchivePage, then with records WriteRecords), the last of them dropping it.
    dropped: dict[str, Any] = {"stored": True}
    keeps = records is None or records.keeps_answers
    archived = (
        parts.each_stored(
            scope,
            StoredAnswer(
                under=RAW_PATH, sort_key=_page_key(parts), name="Page",
                result_selector=None if records is not None else dropped,
                result_path=None if records is not None else RAW_PATH,
            ),
        )
        if parts.each_stored is not None and keeps
        else []
    )  # fmt: skip
    drops = records is None and not archived
    persist = (
        persists.task(
            scope, "PersistPage", sort_key=_page_key(parts), result_under=RAW_PATH,
            in_map=frame.in_map, attributes=parts.attributes,
            result_selector=dropped if drops else None,
            result_path=RAW_PATH if drops else None,
        )
        if keeps
        else None
    )  # fmt: skip
    done = _done(scope, parts)
    memos = parts.request_memos
    more = sfn.Choice(scope, "MorePages")

    def skipped(suffix: str, outcome: str) -> sfn.State:
        """A page its memory spares: an unchanged one goes on from its own answer's next
        request (NextRequest ran), a 304 or a fresh one from the remembered one."""
        if outcome == OUTCOME_UNCHANGED or memos is None:
            return more
        go_on = memos.go_on(scope, f"Page{suffix}", max_pages=max_pages)
        go_on.next(more)
        return go_on

    # Status actions first: Catch rules are tried in order, and the frame's catches all.
    parts.on_status.catch(download, skip=done)
    if memos is not None:
        memos.guard(download, skip=skipped)
    frame_catch(scope, frame, download, *([persist] if persist is not None else []), *archived)
    if not frame.in_map:  # the run fails with the download's error, its cause naming the page
        download.add_catch(
            _page_failed(scope), errors=["States.ALL"], result_path=PAGE_FAILURE_PATH
        )
    failed = frame_failed(
        scope, frame, "PagingFailed", error_path=f"{PAGING_ERROR_PATH}.name",
        cause_path=f"{PAGING_ERROR_PATH}.cause",
    )  # fmt: skip
    # With polite memories, each page's request first reads its own (ReadMemo).
    ask: sfn.State = (
        memos.read(scope, url_path=f"$.{URL_FIELD}", time_path=frame.time_path, then=download,
                   skip=skipped)
        if memos is not None else download
    )  # fmt: skip
    more.when(sfn.Condition.is_present(PAGING_ERROR_PATH), failed).when(
        sfn.Condition.boolean_equals(MORE_PATH, True), ask
    ).otherwise(done)
    status = parts.on_status.no_content(
        scope, "PageStatus", status_path=f"{RAW_PATH}.StatusCode", skip=done
    )
    answered: sfn.IChainable = status.otherwise(next_request) if status else next_request
    if parts.answer_errors is not None:  # checked before anything stores the page
        errors = answer_errors_check(scope, RAW_PATH, parts.answer_errors, page_path="$.page")
        answered = errors.otherwise(answered)
    if parts.download_assign:  # the page's values, read where they are kept (one meaning)
        read = read_answer(scope, "ReadPage", RAW_PATH, parts.download_assign)
        read.next(answered)
        answered = read
    waits = parts.server_waits
    if waits is not None:
        failed_wait = (
            waits_failed(scope, key_path=frame.key_path or KEY_PATH) if frame.in_map else None
        )
        waits.around(scope, "DownloadPage", download, raw_path=RAW_PATH, failed=failed_wait).next(
            answered
        )
    else:
        download.next(answered)
    select = (
        sfn.Pass(
            scope, "SelectPage", input_path=RAW_PATH, parameters=dict(parts.result_selector),
            result_path=RAW_PATH,
        )
        if parts.result_selector is not None
        else None
    )  # fmt: skip
    stored: sfn.Chain | None = sfn.Chain.start(persist) if persist is not None else None
    for state in archived:
        stored = stored.next(state) if stored is not None else sfn.Chain.start(state)
    if records is not None:
        # In a fan-out's iteration, a bad record or a failed write fails this path only.
        written = records.states(
            scope, under=RAW_PATH, result_selector=dropped, result_path=RAW_PATH,
            failed_key=frame.key_path or KEY_PATH if frame.in_map else None,
            time_path=frame.time_path,
        )  # fmt: skip
        stored = stored.next(written) if stored is not None else written
    assert stored is not None  # a page is stored, or its records are
    if memos is None:
        stored.next(more)
        before_stored: sfn.IChainable = stored
    else:  # the page's memory: computed before it is stored, written after
        stored.next(memos.remember(scope, pages=True)).next(more)
        before_stored = memos.before_store(
            scope, selected_path=RAW_PATH, time_path=frame.time_path, stored_key=_page_key(parts),
            then=stored.start_state, skip=skipped, pages=True,
        )  # fmt: skip
    if select is not None:
        select.next(before_stored)
        next_request.otherwise(select)
    else:
        next_request.otherwise(before_stored)
    start = _started(scope, parts, ask, first_query, paging, body_in_state)
    # The loop ends in its own states (Done, PagingFailed): nothing follows it.
    return sfn.Chain.custom(start, [], more)


@dataclass(frozen=True)
class _CheckedMemos:
    """The polite memories of the checked loop's pages (``RequestMemos``): where a spared
    page goes (``skip``), and where the page's memory is read from (``page``)."""

    memos: RequestMemories
    skip: Callable[[str, str], sfn.State]
    page: CheckedPage


@dataclass(frozen=True)
class _Checked:
    """The checked loop's states, for ``_wired`` to link."""

    download: sfn.TaskStateBase
    stored: sfn.Chain
    """The page stored (Persist, archive, records), from the state after the download."""
    last: sfn.TaskStateBase | sfn.Map
    """The stored chain's last state (which goes on to ``MorePages``, or to the memory)."""
    done: sfn.State
    """Where the pages end well."""
    more: sfn.Choice
    """``MorePages``, its rules unset."""
    memos: _CheckedMemos | None = None
    select: sfn.Pass | None = None
    """``SelectPage`` before the page is compared and stored (a selection that no plain path
    of the raw page reads), or ``None``."""


def _memo_page(parts: RunParts, loop: str) -> CheckedPage:
    """What a page's memory reads of the loop's variable (``loop``): the page's key, and the
    scheduled time (of the Map item in a fan-out path, else the execution's input)."""
    time_path = parts.frame.time_path
    at = loop + time_path[1:] if time_path.startswith("$.") else time_path
    return CheckedPage(
        loop=loop, stored_at=_page_key(parts, loop), remembered_for=sfn.JsonPath.string_at(at)
    )


def _checked_loop(
    scope: Construct, parts: RunParts, *, step: str, max_pages: int, body_in_state: bool,
    api_chooses_query: bool,
) -> _Checked | None:  # fmt: skip
    """``DownloadPage`` → ``PersistPage`` with the page checked and never evaluated (issue
    28(a), issue 25 item 14): the download a JSONata task (``Downloads.checked_task``) reading
    the request from the loop's state (its input), whose ``Assign`` fails a compressed page
    (``Downloader.CompressedAnswer``) and computes the next state (``$loop``, what
    ``NextRequest`` computed) from the raw page (``$states.result``), and whose output is the
    raw page, unevaluated; ``PersistPage`` stores it through the selector (no ``SelectPage``),
    its key read from ``$loop``, and writes ``$loop`` as its output for ``MorePages``. A page
    then enters 3 states (it was 4, 5 with a selector), and no number of the stored page
    passes through JSONata (whose numbers are doubles). With ``retry_after`` the waits wrap
    the download (``DownloadPageThrottled``: a throttled page waits, then is asked again with
    the state the download kept, ``$loopAsked``); the GraphQL errors check
    (``AnswerHasErrors``) reads the raw page before Persist. With ``records``, Persist (if
    the answers are kept) passes the raw page on, the records are read from it through the
    selector (``RecordWriter.raw_items``), and ``WriteRecords`` writes ``$loop`` as its output
    instead; with the archive, Persist passes the raw page on, ``SelectPage`` (a JSONPath
    Pass, with a selector) and ``ArchivePage`` follow. ``on_status``: its catches come first
    on the download, and a 204 is ``PageStatus`` (``_wired``). ``None`` for the combinations
    that keep the loop of several states: polite memories (states around each page), records
    no plain path of the raw page reads, item attributes that cannot be read
    from ``$loop``, a selector Persist cannot read through, or a request the JSONata task
    cannot make."""
    frame, persists = parts.frame, parts.persists
    records = parts.records
    memos = parts.request_memos
    selector = parts.result_selector
    # A selection that no plain path of the raw page reads (a constant, an intrinsic, the
    # whole selection) is applied first by a JSONPath Pass, ``SelectPage`` (every digit kept:
    # no JSONata); what follows reads the selection itself.
    select_first = selector is not None and not (
        persists.reads_through(selector)
        and (records is None or records.raw_items(selector) is not None)
        and (memos is None or memos.checks_in_place(selector))
    )  # fmt: skip
    through = None if select_first else selector
    if (
        (records is not None and records.raw_items(through) is None)
        or (parts.attributes and parts.attributes_at is None)
        or not persists.reads_through(through)
    ):  # fmt: skip
        return None
    folded = _folded(parts)
    if folded is None:
        return None
    variable = PATH_LOOP_VARIABLE if frame.in_map else LOOP_VARIABLE
    loop = "$" + variable
    # With retry_after: the input kept, for a throttled page asked again after its wait.
    asked = (
        {(PATH_ASKED_VARIABLE if frame.in_map else ASKED_VARIABLE): "{% $states.input %}"}
        if parts.server_waits is not None
        else {}
    )
    page = f'"page " & $states.input.page & " (" & $states.input.{URL_FIELD} & ")"'
    checked = ITEM_CHECKED_VARIABLE if frame.in_map else ANSWER_CHECKED_VARIABLE
    computed = _next_request(
        step, max_pages, parts, body=body_in_state, api_chooses_query=api_chooses_query,
        raw="$states.result",
    )  # fmt: skip
    # With polite memories, the page's memory's update too (from its headers).
    remembering = memos.checked_assign(frame.time_path) if memos is not None else {}
    download = parts.downloads.checked_task(
        scope, "DownloadPage", _from_state(parts, body_in_state),
        assign={
            **compressed_check(page, checked), variable: "{% " + computed + " %}", **folded,
            **asked, **remembering,
        },
    )  # fmt: skip
    if download is None:
        return None
    # Status actions first (Catch rules are tried in order): the pages end well, from the
    # loop state the download was entered with, as the old loop's ResultPath null kept it.
    done = _done(scope, parts)
    parts.on_status.catch(download, skip=done, outputs="{% $states.input %}")
    more = sfn.Choice(scope, "MorePages")  # its rules: _wired

    def skipped(suffix: str, outcome: str) -> sfn.State:
        """A page its memory spares: a 304 or a fresh one goes on from its remembered next
        request; an unchanged one (its answer read) from the state the download computed."""
        if outcome == OUTCOME_UNCHANGED or memos is None:
            return more
        go_on = memos.go_on(scope, f"Page{suffix}", max_pages=max_pages)
        go_on.next(more)
        return go_on

    if memos is not None:  # a 304: the loop state the page was asked with goes on
        memos.guard(download, skip=skipped, jsonata=True)
    if frame.in_map:  # a failed page is a failed outcome of its path, naming its key
        failure = record_failure(
            scope, "RecordFailure", key_path=loop + (frame.key_path or KEY_PATH)[1:]
        )
        kept = {variable: "{% $states.input %}"}  # a Catch's Assign: the task's input
        caught = {FAILURE_PATH[2:]: "{% $states.errorOutput %}"}
        download.add_catch(failure, errors=[DATA_LIMIT_EXCEEDED], assign=kept, outputs=caught)
        download.add_catch(
            failure, errors=[QUERY_EVALUATION_ERROR], assign=kept,
            outputs={FAILURE_PATH[2:]: {"Error": _query_error("$states.errorOutput"),
                                        "Cause": "{% $states.errorOutput.Cause %}"}},
        )  # fmt: skip
        download.add_catch(failure, errors=[sfn.Errors.ALL], assign=kept, outputs=caught)
    else:  # the run fails with the page's error, its cause naming the page
        compressed = sfn.Fail.jsonata(
            scope, "PageCompressed", error=_query_error("$states.input"),
            cause="{% $states.input.Cause %}",
        )  # fmt: skip
        download.add_catch(compressed, errors=[QUERY_EVALUATION_ERROR])
        download.add_catch(
            _page_failed(scope), errors=["States.ALL"],
            outputs="{% $merge([$states.input, {" + string(PAGE_FAILURE_PATH[2:])
            + ": $states.errorOutput}]) %}",
        )  # fmt: skip
    # The last state of a page writes the next state, as the download computed it, as its
    # whole output: what MorePages reads. With records, Persist passes the raw page on to them.
    next_state: dict[str, Any] = {
        "result_selector": {f"{variable}.$": loop}, "result_path": "$",
        "output_path": f"$.{variable}",
    }  # fmt: skip
    keeps = records is None or records.keeps_answers
    archives = parts.each_stored is not None and keeps
    persist = (
        persists.task(
            scope, "PersistPage", sort_key=_page_key(parts, loop), in_map=frame.in_map,
            through=through, item_at=loop,
            attributes=parts.attributes_at(loop) if parts.attributes_at is not None else None,
            **({} if records is not None or archives else next_state),
        )
        if keeps
        else None
    )  # fmt: skip
    if frame.in_map and persist is not None:
        catch_into(failure, persist)
    stored: list[sfn.TaskStateBase | sfn.Pass] = [persist] if persist is not None else []
    select = (
        sfn.Pass(scope, "SelectPage", parameters=dict(selector))
        if select_first and selector is not None
        else None
    )
    selected = select is not None
    if archives and parts.each_stored is not None:
        # The archive's body is the selection's JSON text (States.JsonToString of a path):
        # with a selector, a JSONPath Pass applies it to the raw page first (every digit kept:
        # no JSONata), after Persist, which read through it.
        if selector is not None and not selected:
            stored.append(sfn.Pass(scope, "SelectPage", parameters=dict(selector)))
            selected = True
        last = records is None
        stored.extend(
            parts.each_stored(
                scope,
                StoredAnswer(
                    under="$", sort_key=_page_key(parts, loop), name="Page",
                    result_selector=next_state["result_selector"] if last else None,
                    result_path="$" if last else None,
                    output_path=next_state["output_path"] if last else None,
                    failure=failure if frame.in_map else None,
                ),
            )
        )  # fmt: skip
    chain: sfn.Chain | None = None
    for state in stored:
        chain = chain.next(state) if chain is not None else sfn.Chain.start(state)
    remembered = _CheckedMemos(memos, skipped, _memo_page(parts, loop)) if memos else None
    if records is None:
        assert chain is not None and isinstance(stored[-1], sfn.TaskStateBase)
        return _Checked(download, chain, stored[-1], done, more, remembered, select)
    # The page's records, read from the raw page through the selector (or from the selection
    # SelectPage applied): no JSONata touches them; in a fan-out's iteration a bad record or
    # a failed write fails this path only.
    written = records.states(
        scope, under="$", through=None if selected else selector,
        failed_key=loop + (frame.key_path or KEY_PATH)[1:] if frame.in_map else None,
        time_path=(
            loop + frame.time_path[1:] if frame.time_path.startswith("$.") else frame.time_path
        ),
        **next_state,
    )  # fmt: skip
    end = written.end_states[0]
    assert isinstance(end, sfn.Map)
    stored_chain = chain.next(written) if chain is not None else written
    return _Checked(download, stored_chain, end, done, more, remembered, select)


def _folded(parts: RunParts) -> dict[str, str] | None:
    """What the checked download assigns besides the check and the next state: the values a
    page loop folds over its pages (``page_fold.each``: an incremental mark's furthest value),
    each reading the values the JSONPath download kept of the page (``download_assign``, the
    cursor values) as a local binding of the same name computed from ``$states.result`` (a
    state's ``Assign`` expressions all see the variables as they were before the state: no
    ``ReadPage``). ``None`` when a kept value is a path ``_checks.jsonata_values`` does not
    translate."""
    kept: dict[str, str] = {}
    memos = parts.request_memos  # the checked download computes their update itself
    theirs = memos.kept_of_answer() if memos is not None else frozenset()
    for name, path in (parts.download_assign or {}).items():
        if name in theirs:
            continue
        value = jsonata_values(str(path), "$states.result") if name.endswith(".$") else None
        if value is None:
            return None
        kept[name[:-2]] = value
    fold = parts.page_fold
    if kept and fold is None:
        return None  # kept for a state after the download: not this loop's
    bindings = "".join(f"${name} := {value}; " for name, value in kept.items())
    folded = {}
    for name, value in (fold.each if fold is not None else {}).items():
        if not (value.startswith("{%") and value.endswith("%}")):
            return None
        each = "(" + bindings + value[2:-2].strip() + ")"
        if parts.server_waits is not None:  # a throttled answer (asked again) folds nothing
            each = f"($exists($states.result.Headers.`{THROTTLED_HEADER}`) ? ${name} : {each})"
        folded[name] = "{% " + each + " %}"
    return folded


def _query_error(error: str) -> str:
    """The error of a checked page's failed expression (``error``: JSONata giving the caught
    ``{"Error", "Cause"}``): ``Downloader.CompressedAnswer`` when the cause is the compressed
    check's, else ``States.QueryEvaluationError`` as it was (the next request's expression is
    written not to raise, but a name must not say "compressed" of another failure)."""
    return (
        f'{{% $contains($string({error}.Cause), "-compressed (Content-Encoding: ") ? '
        f"{string(COMPRESSED_ANSWER_ERROR)} : {string(QUERY_EVALUATION_ERROR)} %}}"
    )


def _wired(
    scope: Construct,
    parts: RunParts,
    checked: _Checked,
    first_query: Mapping[str, list[str]] | None,
    paging: Mapping[str, object] | None,
    body_in_state: bool,
) -> sfn.IChainable:
    """The checked loop: [FirstRequest →] DownloadPage → PersistPage → MorePages."""
    frame = parts.frame
    download, stored, done, more = checked.download, checked.stored, checked.done, checked.more
    loop = "$" + (PATH_LOOP_VARIABLE if frame.in_map else LOOP_VARIABLE)
    ends: list[sfn.TaskStateBase | sfn.Map | sfn.Pass] = [checked.last]
    ask: sfn.State = download
    memo = checked.memos
    if memo is not None:
        # Each page's memory: ReadMemo first (a fresh page is not asked); with changes_only
        # the page compared (MemoAnswer, ReadMemoAnswer, MemoUnchanged) before it is stored;
        # RememberMemo after it, from the loop's variable.
        memos, skipped = memo.memos, memo.skip
        remembered = memos.remember(scope, pages=True, page=memo.page)
        checked.last.next(remembered)
        ends = [
            state for state in remembered.end_states
            if isinstance(state, (sfn.TaskStateBase, sfn.Map, sfn.Pass))
        ]  # fmt: skip
        if memos.changes_only:
            start = memos.compared(
                scope, selector=parts.result_selector, then=stored.start_state, skip=skipped,
                page=memo.page, selected=checked.select is not None,
            )  # fmt: skip
            stored = sfn.Chain.custom(start, remembered.end_states, remembered)
        ask = memos.read(
            scope, url_path=f"$.{URL_FIELD}", time_path=frame.time_path, then=download,
            skip=skipped,
        )  # fmt: skip
    if checked.select is not None:  # the page selected first, then compared and stored
        checked.select.next(stored)
        stored = sfn.Chain.custom(checked.select, stored.end_states, stored)
    answered: sfn.IChainable = stored
    # A 204 (no body: nothing to store) ends the pages before Persist reads the body, the
    # Choice's 204 rule giving the next state as its output (what the pages' end reads).
    status = parts.on_status.no_content(
        scope, "PageStatus", status_path="$states.input.StatusCode", skip=done,
        output="{% " + loop + " %}",
    )  # fmt: skip
    if status is not None:
        answered = status.otherwise(stored)
    if parts.answer_errors is not None:  # checked before anything stores the page (GraphQL)
        errors = answer_errors_check(scope, "$", parts.answer_errors, page_path=f"{loop}.stored")
        answered = errors.otherwise(answered)
    waits = parts.server_waits
    if waits is not None:  # a throttled page waits, then is asked again with its own state
        failed_wait = (
            waits_failed(scope, key_path=frame.key_path or KEY_PATH) if frame.in_map else None
        )
        asked = "$" + (PATH_ASKED_VARIABLE if frame.in_map else ASKED_VARIABLE)
        waits.around(
            scope, "DownloadPage", download, raw_path="$", failed=failed_wait, asked=asked
        ).next(answered)
    else:
        download.next(answered)
    failed = frame_failed(
        scope, frame, "PagingFailed", error_path=f"{PAGING_ERROR_PATH}.name",
        cause_path=f"{PAGING_ERROR_PATH}.cause",
    )  # fmt: skip
    _more(scope, "MorePages", failed=failed, again=ask, done=done, choice=more)
    for end in ends:
        end.next(more)
    start = _started(scope, parts, ask, first_query, paging, body_in_state)
    return sfn.Chain.custom(start, [], more)


def _started(
    scope: Construct, parts: RunParts, ask: sfn.State,
    first_query: Mapping[str, list[str]] | None, paging: Mapping[str, object] | None,
    body_in_state: bool,
) -> sfn.State:  # fmt: skip
    """Where the loop starts: ``FirstRequest`` → ``ask`` for the whole run; ``ask`` itself in
    a fan-out's iteration (the Map item is the first request)."""
    if parts.frame.in_map:
        return ask
    first = _first_request(scope, parts, first_query or {}, paging, body_in_state)
    first.next(ask)
    return first


def _more(
    scope: Construct, name: str, *, failed: sfn.IChainable, again: sfn.IChainable,
    done: sfn.IChainable, choice: sfn.Choice | None = None,
) -> sfn.Choice:  # fmt: skip
    """The loop's Choice after a page: a paging error ``failed``, more pages ``again`` (the
    download), else ``done``. ``choice``: the Choice made before (states that skip a page
    go to it), given its rules here."""
    return (
        (choice if choice is not None else sfn.Choice(scope, name))
        .when(sfn.Condition.is_present(PAGING_ERROR_PATH), failed)
        .when(sfn.Condition.boolean_equals(MORE_PATH, True), again)
        .otherwise(done)
    )


def _page_failed(scope: Construct) -> sfn.Fail:
    """``PageFailed``: the run fails with the page's own error (``ApiGateway.500``,
    ``States.Timeout``...), its cause ``Page <n> (<url>): <the download's cause>``; the pages
    before it are stored. Entered only when a page fails: a successful run pays nothing."""
    failure = "$states.input." + PAGE_FAILURE_PATH[2:]
    return sfn.Fail.jsonata(
        scope, "PageFailed", error=f"{{% {failure}.Error %}}",
        cause=(
            f"{{% 'Page ' & $string($states.input.page) & ' (' & $states.input.{URL_FIELD} & "
            f"'): ' & $substring($string({failure}.Cause), 0, 30000) %}}"
        ),
    )  # fmt: skip


def _fail_compressed(scope: Construct, parts: RunParts, next_request: sfn.Choice) -> None:
    """``NextRequest``'s first rule: a page whose answer is compressed (a ``Content-Encoding``
    other than ``identity``) is not stored; the run (in a fan-out, that path) fails with
    ``Downloader.CompressedAnswer`` naming the page and its URL."""
    frame = parts.frame
    key = "$states.input." + (frame.key_path or KEY_PATH)[2:] if frame.in_map else "null"
    failed = compressed_failure(
        scope, "PageCompressed", variable=COMPRESSED_ANSWER_VARIABLE, in_map=frame.in_map
    )
    compressed_rule(
        next_request, failed, headers=f"$states.input.{RAW_PATH[2:]}.Headers",
        request=f'"page " & $states.input.page & " (" & $states.input.{URL_FIELD} & ")"', key=key,
    )  # fmt: skip


def _page_key(parts: RunParts, at: str = "$") -> str:
    """``<scheduled time>#<page>``, in a fan-out ``...#<key>#<page>``, with query overrides
    ``...#<name>=<value>&...#<page>``; a run whose every delivery keeps its own items (every
    run of several answers) has the execution's name right after the time, once:
    ``<scheduled time>#<execution name>#<page>`` (in a fan-out ``...#<execution
    name>#<key>#<page>``, the run's name from the Map item: a Distributed Map's children are
    executions of their own). ``at``: where the loop's state is (the state, or the checked
    loop's variable)."""

    def on(path: str) -> str:
        return at + path[1:] if path.startswith("$.") else path

    frame = parts.frame
    stored = on(STORED_PATH)
    time_path = on(frame.time_path)
    key_path = on(frame.key_path) if frame.key_path is not None else None
    suffix = on(parts.key_suffix_path) if parts.key_suffix_path is not None else None
    if not parts.per_delivery:
        if suffix is not None and not frame.in_map:  # query overrides
            return frame_sort_key(Frame(time_path=time_path, key_path=suffix), stored)
        return frame_sort_key(Frame(in_map=frame.in_map, time_path=time_path, key_path=key_path),
                              stored)  # fmt: skip
    middle = (key_path or on(KEY_PATH)) if frame.in_map else suffix
    run = on(MAP_RUN_PATH) if frame.in_map else EXECUTION_NAME_PATH
    segments = [time_path, run, *([middle] if middle is not None else []), stored]
    return sfn.JsonPath.format(
        KEY_SEPARATOR.join("{}" for _ in segments),
        *(sfn.JsonPath.string_at(path) for path in segments),
    )


def _done(scope: Construct, parts: RunParts) -> sfn.State:
    """Where the pages end well: the states that follow every stored page (``stored``:
    advancing an incremental mark), then ``MarkDelivered`` ends the run (``Done`` when nothing
    follows); in a fan-out, the iteration's outcome."""
    frame = parts.frame
    if not frame.in_map and parts.run_end is None:
        # the mark advanced, then the delivery marked complete, last: it ends the run
        return succeed_after(scope, [*parts.stored(scope, False), *parts.delivered(scope)])
    done = (
        parts.run_end(scope, 0)
        if parts.run_end is not None and not frame.in_map
        else frame_done(scope, frame, "PathDone" if frame.in_map else "Done")
    )  # fmt: skip
    marks = parts.path_marks
    if frame.in_map:  # a fan-out path's own mark, over its pages
        after = marks.advance(scope, over_pages=True) if marks is not None else []
    else:  # the mark advanced; the run's end marks the delivery
        after = parts.stored(scope, False)
    return before(after, done)


def _first_request(
    scope: Construct,
    parts: RunParts,
    first_query: Mapping[str, list[str]],
    paging: Mapping[str, object] | None,
    body_in_state: bool = False,
) -> sfn.Pass:
    """``FirstRequest``: the state the loop starts from (``page``, ``url``, ``request``). A
    literal, or, when the run computes its request (``$requestPath``, ``$requestQuery``), a
    JSONata Pass that writes the URL of the computed request, encoded once, and the request
    the transport takes of it, as a next-page URL is taken."""
    request = parts.request
    given = request.given or request.path
    computed = parts.computed_path is not None or parts.query_path is not None
    body = body_in_state and request.body is not None
    if body and parts.computed_body is not None:
        computed = True  # the body is read from $requestBody
    if not computed and parts.page_fold is None:
        target = Target(request.path, {**request.query, **first_query}, given)
        listed = parts.downloads.listed(target)
        carried = {"body": dict(request.body or {})} if body else {}
        return sfn.Pass(
            scope,
            "FirstRequest",
            result=sfn.Result.from_object(
                {
                    "page": 1,
                    URL_FIELD: with_query(given, first_query),
                    REQUEST_FIELD: {"path": listed["path"], "query": listed["query"], **carried},
                    **({PAGING_FIELD: dict(paging)} if paging else {}),
                }
            ),
        )
    url = parts.request_url(first_query)
    paging_field = f", {string(PAGING_FIELD)}: {json.dumps(dict(paging))}" if paging else ""
    request_of = parts.downloads.request_from_url("$url")
    if body:
        given_body = parts.computed_body or json.dumps(dict(request.body or {}))
        request_of = f"$merge([{request_of}, {{'body': {given_body}}}])"
    # With query overrides, what the item's key and attributes read from the state goes on.
    suffix = parts.key_suffix_path
    kept = "".join(
        f", {string(path[2:])}: $states.input.{path[2:]}"
        for path in ((suffix, QUERY_ATTRIBUTE_PATH) if suffix is not None else ())
    )
    outputs = (
        f"{{% ($url := {url}; {{'page': 1, {string(URL_FIELD)}: $url, {string(REQUEST_FIELD)}: "
        f"{request_of}{paging_field}{kept}}}) %}}"
    )
    fold = parts.page_fold
    return sfn.Pass.jsonata(
        scope, "FirstRequest", outputs=outputs,
        assign=dict(fold.start) if fold is not None else None,
    )  # fmt: skip


def _from_state(parts: RunParts, body_in_state: bool = False) -> HttpRequest:
    """The request the state holds (``request``: its path and query, as the transport takes
    them, and its body when the loop edits it), with the run's method and body."""
    request = (
        parts.first_request()
        .with_path(sfn.JsonPath.string_at(f"$.{REQUEST_FIELD}.path"))
        .reading_query(f"$.{REQUEST_FIELD}.query")
    )
    return request.reading_body(f"$.{REQUEST_FIELD}.body") if body_in_state else request


def _requestable(parts: RunParts) -> str:
    """``$step`` as it is, or, when its next link cannot be made into a request, the error
    (``NEXT_URL_MALFORMED_ERROR``, naming the page): then ``MorePages`` fails the run after the
    page is stored, as for a link off the origin, and nothing is requested."""
    problem = parts.downloads.url_problem("$step.next")
    cause = (
        """"Page " & $page & "'s next link " & $substring($step.next, 0, 300) & " " & $why"""
        ' & ": it was not requested."'
    )
    error = f'{{"error": {{"name": {string(NEXT_URL_MALFORMED_ERROR)}, "cause": {cause}}}}}'
    return (
        f"$exists($step.next) and $not($exists($step.error)) ? "
        f"($why := {problem}; $why ? {error} : $step) : $step"
    )


def _next_request(
    step: str, max_pages: int, parts: RunParts, *, before: str = "", also: str = "",
    extra: str = "", body: bool = False, api_chooses_query: bool = False,
    raw: str = "$in.raw",
) -> str:  # fmt: skip
    request = parts.downloads.request_from_url("$step.next")
    step = f"($step := {step}; {_requestable(parts)})"
    passed = parts.downloads.passed_query_names
    if api_chooses_query and passed is not None:
        step = f"($s := {step}; {_unmapped_check(passed)})"
    if body:  # the step may give the next body (a cursor in it); else the body stays
        request = (
            f"$merge([{request}, {{'body': $exists($step.body) ? $step.body : "
            f"$in.{REQUEST_FIELD}.body}}])"
        )
    # With retry_after, each page counts its own waits: the last page's count is dropped.
    given = (
        f'$sift($states.input, function($v, $k) {{ $k != "{RETRY_AFTER_FIELD}" }})'
        if parts.server_waits is not None
        else "$states.input"
    )
    return f"""(
  $in := {given};
  $raw := {raw};
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


def _unmapped_check(passed: tuple[str, ...]) -> str:
    """JSONata on ``$s`` (a step's result): ``$s``, or a paging error when its next URL carries
    a query parameter outside ``passed`` (the only names a non-proxy integration maps, API
    Gateway "Set up data mappings for REST APIs": the others would be dropped, and the page
    asked again would be another one than the link says)."""
    names = json.dumps(list(passed))
    return f"""$exists($s.next) and $contains($s.next, "?") ? (
      $unmapped := $distinct($filter($map(
        $filter($split($substringAfter($s.next, "?"), "&"), function($p) {{ $p != "" }}),
        function($p) {{ $decodeUrlComponent($replace($substringBefore($p & "=", "="), "+", " ")) }}
      ), function($n) {{ $not($n in {names}) }}));
      $count($unmapped) > 0 ? {{"error": {{
        "name": {string(UNMAPPED_QUERY_ERROR)},
        "cause": "The next page's URL " & $s.next & " carries the query parameter(s) " & $join($unmapped, ", ") & ", which the proxy does not pass on: with trim or retry_after it is a non-proxy integration, which maps only the names it declares. It was not requested. Add them to the paginator's query_names (e.g. Pagination.link_header(query_names=[...]))."
      }}}} : $s
    ) : $s"""  # noqa: E501


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
    api_chooses_query: bool = False,
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
    # The list keeps no memory: it never reads validators an item's iteration assigns.
    download = downloads.task(
        scope, "DownloadList", _from_state(parts).without_computed_headers(), result_path=RAW_PATH
    )
    more_items = "" if limit is None else f" and $count($found) < {limit}"
    # A compressed list page is a paging error (the list is never stored): ListFailed.
    cause = compressed_cause("$coded", '"list page " & $page & " (" & $url & ")"')
    step = (
        f'($coded := {compressed_coding("$raw.Headers")}; $exists($coded) and $coded != "" ? '
        f'{{"error": {{"name": {string(COMPRESSED_ANSWER_ERROR)}, "cause": {cause}}}}} '
        f": ({step}))"
    )
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
            api_chooses_query=api_chooses_query,
        )
        + " %}",
    )
    failed = sfn.Fail(
        scope, "ListFailed", error_path=f"{PAGING_ERROR_PATH}.name",
        cause_path=f"{PAGING_ERROR_PATH}.cause",
    )  # fmt: skip
    more = _more(scope, "MoreLists", failed=failed, again=download, done=then)
    first.next(download)
    waits = parts.server_waits
    if waits is not None:  # each throttled list page waits what the server asks
        waits.around(scope, "DownloadList", download, raw_path=RAW_PATH, prefix="List").next(
            collect
        )
    else:
        download.next(collect)
    collect.next(more)
    return sfn.Chain.custom(first, [], more)
