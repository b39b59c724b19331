"""One request a run (the default shape): Download → Persist, exactly two state transitions
on success; with an archive or post-processing, Download → Persist → [SelectResult] →
[Archive] → [the user's states], the selected result under ``$.result`` and the item's key
under ``$.key`` (written by ``SelectResult`` from the raw answer after the checked download).
States that must follow the stored answer (advancing an incremental mark) come right after
Persist; with ``records``, the answer's records are written first (instead of Persist with
``keep_answers=False``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import jsonata_value, jsonata_values, selection_text
from .._contract import (
    ANSWER_TEXT_VARIABLE,
    DOWNLOAD_ASKED_VARIABLE,
    EXECUTION_NAME_PATH,
    KEY_FIELD,
    OVERRIDE_QUERY_VARIABLE,
    QUERY_KEY,
    REQUEST_PATH_VARIABLE,
    RESULT_FIELD,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
)
from .._parts import Exchange, Request, RunParts
from .._states import (
    answer_errors_check,
    checked_download,
    compressed_check,
    read_answer,
    sort_key,
)


class SingleRequest:
    """The run's shape without fan-out or pagination."""

    several_requests = False
    uses_map = False
    checks_answers = True

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """Download → Persist (→ the afterwards states)."""
        keeps_result = parts.keeps_result
        waits = parts.server_waits
        # With retry_after (a throttled answer must not meet result_selector) or a GraphQL
        # errors check, the download keeps the raw answer; the selector is applied after.
        raw_first = waits is not None or parts.answer_errors is not None
        reactions = parts.on_status
        # What the download keeps of the answer (headers, cursor values) is read by a Pass
        # after it, unless the download's own Assign can mean only the raw answer (no
        # ResultSelector, the default ResultPath): see ``_states.read_answer``.
        assign = parts.download_assign or None
        if assign is not None and (
            raw_first or keeps_result or parts.key_suffix_path is not None
            or reactions.selector(parts.result_selector) is not None
        ):  # fmt: skip
            raw_first = True
        # With query overrides the key suffix set before the download must reach Persist; with
        # retry_after the input must survive the answer, for the download to be asked again.
        keeps_state = keeps_result or parts.key_suffix_path is not None or raw_first
        key = (
            sort_key(SCHEDULED_TIME_PATH, EXECUTION_NAME_PATH) if parts.per_delivery
            else sort_key(SCHEDULED_TIME_PATH, parts.key_suffix_path)
            if parts.key_suffix_path is not None
            else sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
        )  # fmt: skip
        result_path = f"$.{RESULT_FIELD}" if keeps_state else None
        # (a raw answer read by a polite memory's states is what the checked download gives;
        # an archive alone reads the raw answer where the checked download leaves it; the
        # other states after Persist read the selection a Pass writes after it)
        checked = _checked(scope, parts)
        if checked is not None:
            return checked
        task = parts.downloads.task(
            scope,
            "Download",
            parts.first_request(),
            result_selector=None if raw_first else reactions.selector(parts.result_selector),
            result_path=result_path,
            assign=None if raw_first else assign,
        )
        parts.memory.guard(scope, task)
        memos = parts.request_memos  # a request that varies keeps its memory by its URL

        def skip(suffix: str, outcome: str) -> sfn.State:
            assert memos is not None
            return memos.outcome(scope, suffix, outcome)

        if memos is not None:
            memos.guard(task, skip)
        download: sfn.Chain | sfn.TaskStateBase = task
        if raw_first:
            download = _raw_first(scope, parts, task, f"$.{RESULT_FIELD}")
        elif reactions.any:  # a skipped answer: nothing stored, the run succeeds
            download = reactions.guard(
                scope, "Download", task, result_selector=parts.result_selector,
                result_path=result_path, skip=sfn.Succeed(scope, "Skipped"),
            )  # fmt: skip
        records = parts.records
        if not keeps_result:
            selected = f"$.{RESULT_FIELD}" if keeps_state else "$"
            if records is not None and not records.keeps_answers:  # records instead of Persist
                chain = _store(scope, parts, download, records.states(scope, under=selected),
                               selected, key, skip)  # fmt: skip
            else:
                persist = parts.persists.task(
                    scope, "Persist", sort_key=key, attributes=parts.attributes,
                    result_under=f"$.{RESULT_FIELD}" if keeps_state else None,
                )  # fmt: skip
                chain = _store(scope, parts, download, persist, result_path or "$", key, skip)
                if records is not None:
                    chain = chain.next(records.states(scope, under=selected))
            if memos is not None:
                chain = chain.next(memos.remember(scope, pages=False))
            for state in parts.stored(scope, False):
                chain = chain.next(state)
            return _asked(scope, parts, chain, skip)
        if parts.key_suffix_path is None:
            # The key only reads the Context object: Persist's ResultSelector can write it.
            persist = parts.persists.task(
                scope, "Persist", sort_key=key, attributes=parts.attributes,
                result_under=f"$.{RESULT_FIELD}", result_selector=parts.persists.key_selector(key),
                result_path=f"$.{KEY_FIELD}",
            )  # fmt: skip
            chain = _store(scope, parts, download, persist, f"$.{RESULT_FIELD}", key, skip)
        else:
            # A ResultSelector sees only the task's result (putItem's {}), never the state's
            # key suffix: a Pass, which reads the state, writes the stored item's key.
            persist = parts.persists.task(
                scope, "Persist", sort_key=key, attributes=parts.attributes,
                result_under=f"$.{RESULT_FIELD}", result_path=sfn.JsonPath.DISCARD,
            )  # fmt: skip
            stored_key = sfn.Pass(
                scope, "StoredKey", parameters=parts.persists.key_selector(key),
                result_path=f"$.{KEY_FIELD}",
            )  # fmt: skip
            chain = _store(scope, parts, download, persist, f"$.{RESULT_FIELD}", key, skip)
            chain = chain.next(stored_key)
        if records is not None:  # keep_answers=False is refused here (checked)
            chain = chain.next(records.states(scope, under=f"$.{RESULT_FIELD}"))
        if memos is not None:
            chain = chain.next(memos.remember(scope, pages=False))
        for state in [*parts.stored(scope, True), *parts.afterwards(scope)]:  # after Persist
            chain = chain.next(state)
        return _asked(scope, parts, chain, skip)

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """The one literal path: the task grants it itself."""
        del request
        return ()

    def describe(self, request: Request) -> str:
        """The path."""
        return request.path

    def exchange(self, request: Request) -> Exchange:
        """The path's own query parameters; no header of its own."""
        return Exchange(query_names=tuple(request.query))


def _checked(scope: Construct, parts: RunParts) -> sfn.Chain | None:
    """Download → Persist with the answer checked for free: the download a JSONata task
    whose ``Assign`` fails a compressed answer (``Downloader.CompressedAnswer``, issue 25
    item 14) and whose output is the raw answer, never evaluated; Persist reads the item's
    paths where ``result_selector`` would have read them. Two states, as before; the
    selected result is never written, so nothing of the answer passes through JSONata (whose
    numbers are doubles: a 17-digit id would be stored changed). What features compute before
    the request (``parts.computations``) the download computes itself: a request computed from
    the scheduled time in its Arguments (no ``ComputeRequest``), the expiry in its ``Assign``
    (no ``ComputeExpiry``; Persist reads it next). ``None`` where that construction does not
    apply: a request the JSONata task cannot make (``Downloads.checked_task``), a state between
    the download and Persist (a polite memory with on_status or records). An item attribute
    or ``records``' items that the raw answer cannot give through the selector (the whole
    selection, a constant or intrinsic of the selector) are read from ``SelectDownload``, a
    JSONPath Pass applying the selector before Persist (one state more; not with a polite
    memory). States after Persist that read the selection (``post_process``, an archive of it)
    follow ``SelectResult`` (one state more; before Persist, in place of ``SelectDownload``,
    when Persist cannot read through the selector);
    with ``retry_after`` a throttled answer waits and is asked again with the input the
    download kept (``$downloadAsked``); ``records`` follow Persist (or replace it), reading
    the raw answer through the selector."""
    computations = parts.computations
    # The states after the stored answer that read the raw answer (the archive alone); with a
    # polite memory, whose states around Persist read the selection, the JSONPath download.
    after = parts.afterwards_raw if parts.keeps_result else None
    # Any other state after Persist (post_process, an archive of the selection or named by
    # the item's key) reads the selection at $.result, the key at $.key (with query
    # overrides, $.query too): a JSONPath Pass writes them from the raw answer (every digit)
    # and the variables the download assigned, one state more; not with a polite memory,
    # whose states around Persist read the selection.
    selects = parts.keeps_result and after is None
    if (after is not None or selects) and parts.memory.any:
        return None
    waits = parts.server_waits
    if waits is not None and parts.memory.any:
        return None  # (its states around a throttled answer: the JSONPath download)
    # What the features' Passes would have written in the state, read where the download
    # puts it (the query overrides: the query in its Arguments, the key suffix and the
    # ``query`` attribute in variables): the state holds the raw answer after it.
    parts = computations.rewired(parts)
    # A selection only a ResultSelector makes (a constant or an intrinsic in it, an item
    # attribute or records reading the whole selection): SelectDownload, a JSONPath Pass,
    # applies the selector right before Persist (every digit kept), and every state after
    # reads the selection as if there were no selector: one state more than the JSONPath
    # download with its ResultSelector, which stored a compressed answer as text. Not with a
    # polite memory, whose states compare the selection's text (they keep their own shape).
    select = None
    if not parts.persists.reads_through(parts.result_selector) or (
        parts.records is not None and parts.records.raw_items(parts.result_selector) is None
    ):
        if parts.memory.any:
            return None
        select, parts = parts.result_selector, replace(parts, result_selector=None)
    suffix = parts.key_suffix_path
    records, selector = parts.records, parts.result_selector
    if (
        parts.request_memos is not None
        or (parts.on_status.any and parts.memory.any)
        or (records is not None and (parts.memory.any or records.raw_items(selector) is None))
        or parts.answer_errors is not None
        or (suffix is not None and (suffix.startswith("$.") or parts.memory.any))
        or not parts.persists.reads_through(parts.result_selector)
    ):  # fmt: skip
        # (a polite memory is one per downloader: an overridden run keeps the JSONPath states)
        return None
    key = (
        sort_key(SCHEDULED_TIME_PATH, EXECUTION_NAME_PATH) if parts.per_delivery
        else sort_key(SCHEDULED_TIME_PATH, suffix) if suffix is not None
        else sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
    )  # fmt: skip
    memory = parts.memory
    kept = _kept(parts.download_assign)  # what the polite memory keeps of the answer
    text = selection_text(parts.result_selector)
    if kept is None or (memory.any and memory.hashes and text is None):
        return None
    request = parts.request
    described = json.dumps(request.given or request.path)
    direct = memory.checked_assign()  # the memory's update, when nothing is compared
    if direct is None and text is not None:
        return _compared(scope, parts, key, text)
    arguments, assigned = computations.values()
    # With query overrides the cause names the URL the run asked (its own values), computed
    # where the check raises from what the Arguments computed (an Assign's expressions never
    # see each other's values: each binds what it reads); post_process reads the query asked
    # at $.query, as the override states wrote it, so SelectResult needs it in a variable.
    overridden = OVERRIDE_QUERY_VARIABLE in arguments
    if overridden:
        read = (OVERRIDE_QUERY_VARIABLE, REQUEST_PATH_VARIABLE)  # what request_url reads
        bound = "".join(
            f"${name} := {jsonata_value(value)}; " for name, value in arguments.items()
            if name in read
        )  # fmt: skip
        described = f"({bound}{parts.request_url()})"
    query = (
        {OVERRIDE_QUERY_VARIABLE: arguments[OVERRIDE_QUERY_VARIABLE]}
        if overridden and selects else {}
    )  # fmt: skip
    # With retry_after: the input kept, for a throttled answer asked again after its wait.
    asked = {DOWNLOAD_ASKED_VARIABLE: "{% $states.input %}"} if waits is not None else {}
    task = parts.downloads.checked_task(
        scope, "Download", parts.first_request(),
        assign={**compressed_check(described), **assigned, **kept, **(direct or {}), **asked,
                **query},
        computed=arguments,
    )  # fmt: skip
    if task is None:
        return None
    memory.guard(scope, task, jsonata=True)
    # on_status: a status with an action is caught into Skipped (nothing stored, the run
    # succeeds); a 204 is routed by a Choice on the raw answer's StatusCode before Persist
    # reads its body (no SelectDownload: Persist reads through the selector).
    reactions = parts.on_status
    skipped = sfn.Succeed(scope, "Skipped") if reactions.any else None
    if skipped is not None:
        reactions.catch(task, skip=skipped, outputs="{% $states.input %}")
    # The download computes the request (its Arguments) and the expiry (its Assign, read by
    # Persist): ComputeRequest and ComputeExpiry are left out, one state each (issue 28).
    computations.place()
    checked_download(scope, task)
    # The run's output: the stored item's key (the state holds the raw answer; nothing
    # follows that reads it). With an archive after it, the raw answer passes on for it.
    passes = after is not None or selects  # the raw answer passes on, for the states after
    # With records (no polite memory: checked above), Persist (unless keep_answers=False)
    # passes the raw answer on to them; they read it through the selector (every digit: no
    # JSONata writes it) and their Map's result is the run's output, the stored item's key
    # (the raw answer where a state follows, or with keep_answers=False).
    keyed = not passes and (records is None or records.keeps_answers)
    # A selection only a ResultSelector makes, read by states after Persist: SelectResult
    # writes their input before Persist (the selection at $.result), which reads it there.
    early = select is not None and selects
    under = f"$.{RESULT_FIELD}" if early else "$"
    written = (
        records.states(
            scope, under=under, through=selector,
            result_selector=parts.persists.key_selector(key) if keyed else None,
        )
        if records is not None
        else None
    )  # fmt: skip
    stored: sfn.IChainable
    if written is not None and records is not None and not records.keeps_answers:
        stored = written  # the records instead of Persist
    else:
        persist = parts.persists.task(
            scope, "Persist", sort_key=key, attributes=parts.attributes, through=selector,
            result_under=under if early else None,
            result_selector=(
                parts.persists.key_selector(key) if keyed and written is None else None
            ),
            result_path="$" if keyed and written is None else sfn.JsonPath.DISCARD,
        )  # fmt: skip
        # With changes_only: AnswerText → ReadAnswer → Persist, reading the raw answer (the
        # headers the download assigned; the selection's text from the raw answer, every
        # digit kept); with conditional or respect_expires alone, the download assigned the
        # memory's update itself and Persist follows it (issue 28(a): a 200 in 4 states).
        stored = (
            persist if direct is not None
            else memory.store(scope, persist, "$", request.given or request.path, text)
        )  # fmt: skip
        if written is not None:
            stored = sfn.Chain.start(stored).next(written)
    if select is not None:
        selection = (
            _selection(scope, replace(parts, result_selector=select), key, query=bool(query))
            if early
            else sfn.Pass(scope, "SelectDownload", parameters=dict(select))
        )
        stored = sfn.Chain.start(selection).next(stored)
    status = (
        reactions.no_content(scope, "DownloadStatus", status_path="$.StatusCode", skip=skipped)
        if skipped is not None
        else None
    )
    answered = sfn.Chain.start(task)
    if waits is not None:
        # A throttled answer (the proxy's marked 200) waits, then the download is asked again
        # with the state it kept; any other answer goes on (to the 204 Choice, to Persist).
        asked_again = f"${DOWNLOAD_ASKED_VARIABLE}"
        answered = waits.around(scope, "Download", task, raw_path="$", asked=asked_again)
    if status is not None:
        answered.next(status.otherwise(stored))
        chain = sfn.Chain.custom(
            answered.start_state, sfn.Chain.start(stored).end_states, stored
        )  # fmt: skip
    else:
        chain = answered.next(stored)
    for state in parts.stored(scope, passes):
        chain = chain.next(state)
    if after is not None:
        for state in after(scope):
            chain = chain.next(state)
    elif selects:
        if not early:
            chain = chain.next(_selection(scope, parts, key, query=bool(query)))
        for state in parts.afterwards(scope):
            chain = chain.next(state)
    return chain


def _selection(scope: Construct, parts: RunParts, key: str, *, query: bool = False) -> sfn.Pass:
    """``SelectResult``: after a checked download's Persist (the raw answer in the state), the
    state the states after a stored answer read (``post_process``'s documented input, the
    archive's body): the scheduled time, the selected result (``result_selector`` applied by a
    JSONPath Pass: every digit kept; the whole answer without one) and the stored item's key;
    with ``query`` (query overrides), the query the run asked, which the download assigned."""
    selector = parts.result_selector
    result: dict[str, Any] = (
        {RESULT_FIELD: dict(selector)} if selector is not None else {f"{RESULT_FIELD}.$": "$"}
    )
    if query:
        result[f"{QUERY_KEY}.$"] = f"${OVERRIDE_QUERY_VARIABLE}"
    return sfn.Pass(
        scope, "SelectResult",
        parameters={
            f"{SCHEDULED_TIME_KEY}.$": SCHEDULED_TIME_PATH, **result,
            KEY_FIELD: parts.persists.key_selector(key),
        },
    )  # fmt: skip


def _compared(scope: Construct, parts: RunParts, key: str, text: str) -> sfn.Chain:
    """``changes_only``: Download → ReadAnswer → Persist → Remember, four states where the
    JSONata download would need an ``AnswerText`` Pass (issue 28(a)). The download is a
    JSONPath task with the default ``ResultPath`` and no ``ResultSelector``, so its output is
    the raw answer and its ``Assign`` reads it (no other meaning of ``$`` there): it keeps the
    headers and the selection's text (``text``, a JSONPath intrinsic: every digit kept, which
    JSONata's ``$string`` would not). ``ReadAnswer`` then refuses a compressed answer, compares
    the hash and routes; Persist reads through the selector."""
    memory = parts.memory
    request = parts.request
    task = parts.downloads.task(
        scope, "Download", parts.first_request(),
        assign={**(parts.download_assign or {}), f"{ANSWER_TEXT_VARIABLE}.$": text},
    )  # fmt: skip
    memory.guard(scope, task)
    persist = parts.persists.task(
        scope, "Persist", sort_key=key, attributes=parts.attributes,
        through=parts.result_selector, result_selector=parts.persists.key_selector(key),
        result_path="$",
    )  # fmt: skip
    stored = memory.store(scope, persist, "$", request.given or request.path, text_kept=True)
    chain = sfn.Chain.start(task).next(stored)
    for state in parts.stored(scope, False):
        chain = chain.next(state)
    return chain


def _kept(assign: Mapping[str, Any] | None) -> dict[str, str] | None:
    """A JSONPath download's ``Assign`` of the raw answer (``{"answerHeaders.$":
    "$.Headers"}``, an incremental mark's ``{"cursorValues.$": "$.ResponseBody[*].id"}``) as
    a JSONata task's, reading ``$states.result`` (the raw result, one documented meaning) as
    the JSONPath ``Assign`` read it (``_checks.jsonata_values``: a one-wildcard path always a
    list, ``[]`` when nothing matches); ``None`` when a value is a path it does not translate.
    Only header values and cursor values are kept this way: nothing stored (JSONata's doubles
    reach the mark only, which is compared and written in JSONata already)."""
    if not assign:
        return {}
    kept = {}
    for name, path in assign.items():
        value = jsonata_values(str(path), "$states.result") if name.endswith(".$") else None
        if value is None:
            return None
        kept[name[:-2]] = "{% " + value + " %}"
    return kept


def _store(
    scope: Construct, parts: RunParts, download: sfn.IChainable,
    store: sfn.TaskStateBase | sfn.Chain, selected: str, key: str,
    skip: Callable[[str, str], sfn.State],
) -> sfn.Chain:  # fmt: skip
    """``download`` → the polite states before the answer is stored → ``store`` (Persist, or
    the records): the state item's memory (``parts.memory``), or the request's own
    (``parts.request_memos``). Either refuses a compressed answer before ``store``."""
    memos = parts.request_memos
    if memos is None:
        if isinstance(store, sfn.Chain):  # records: no memory of the answer
            return sfn.Chain.start(download).next(store)
        described = parts.request.given or parts.request.path
        return sfn.Chain.start(download).next(parts.memory.store(scope, store, selected, described))
    stored = sfn.Chain.start(store)
    # A compressed answer fails the run before it is stored or remembered (issue 25 item 14),
    # the cause naming the URL asked (computed each run, as the memory is keyed).
    before = memos.before_store(
        scope, selected_path=selected, time_path=SCHEDULED_TIME_PATH, stored_key=key,
        then=stored.start_state, skip=skip, pages=False, compressed=parts.request_url(),
    )  # fmt: skip
    chain = sfn.Chain.start(download).next(before)
    return sfn.Chain.custom(chain.start_state, stored.end_states, stored)


def _asked(
    scope: Construct, parts: RunParts, chain: sfn.Chain, skip: Callable[[str, str], sfn.State]
) -> sfn.Chain:
    """With a request's own memory, ``ReadMemo`` first: the memory of the URL the run asks
    (computed each run, or overridden), and while it is fresh no request at all."""
    memos = parts.request_memos
    if memos is None:
        return chain
    read = memos.read(
        scope, url=parts.request_url(), time_path=SCHEDULED_TIME_PATH,
        then=chain.start_state, skip=skip,
    )  # fmt: skip
    return sfn.Chain.custom(read, chain.end_states, chain)


def _raw_first(scope: Construct, parts: RunParts, task: sfn.TaskStateBase, where: str) -> sfn.Chain:
    """The download keeps its raw answer at ``where``: with ``retry_after`` a throttled one
    waits and is asked again (it must not meet ``result_selector``); with a GraphQL errors check
    an answer holding errors fails the run (``AnswerHasErrors``); any other answer goes on to
    the 204 Choice (``on_status``) and then ``SelectDownload``, which applies
    ``result_selector``."""
    reactions = parts.on_status
    skip = sfn.Succeed(scope, "Skipped") if reactions.any else None
    if skip is not None:
        reactions.catch(task, skip=skip)
    waits = parts.server_waits
    chain = waits.around(scope, "Download", task) if waits else sfn.Chain.start(task)
    if parts.download_assign:
        chain = chain.next(read_answer(scope, "ReadDownload", where, parts.download_assign))
    select = None
    if parts.result_selector is not None:
        select = sfn.Pass(
            scope, "SelectDownload", input_path=where, parameters=dict(parts.result_selector),
            result_path=where,
        )  # fmt: skip
    choice = (
        reactions.no_content(scope, "DownloadStatus", status_path=f"{where}.StatusCode", skip=skip)
        if skip is not None
        else None
    )
    if parts.answer_errors is not None:
        # A compressed answer fails here too: one more rule, no state added (issue 25, 14).
        request = parts.request
        errors = answer_errors_check(
            scope, where, parts.answer_errors, compressed=request.given or request.path
        )
        chain.next(errors)
        if choice is None and select is None:  # nothing follows in this function: a no-op
            checked = sfn.Pass(scope, "AnswerChecked")
            errors.otherwise(checked)
            return sfn.Chain.custom(chain.start_state, [checked], checked)
        if choice is None:
            assert select is not None
            errors.otherwise(select)
            return sfn.Chain.custom(chain.start_state, [select], select)
        errors.otherwise(choice)
        chain = sfn.Chain.custom(chain.start_state, [], choice)
    elif choice is not None:
        chain = chain.next(choice)
    if choice is not None:
        if select is None:
            ends = choice.afterwards(include_otherwise=True)
            return sfn.Chain.custom(chain.start_state, ends.end_states, choice)
        choice.otherwise(select)
        return sfn.Chain.custom(chain.start_state, [select], select)
    return chain.next(select) if select is not None else chain
