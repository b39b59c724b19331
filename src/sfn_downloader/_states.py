"""Small state builders several features share: keys, retries, failure records."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._contract import (
    ANSWER_CHECKED_VARIABLE,
    ANSWER_ERRORS_ERROR,
    COMPRESSED_ANSWER_ERROR,
    COMPRESSED_ANSWER_VARIABLE,
    DATA_LIMIT_EXCEEDED,
    FAILURE_PATH,
    ITEM_CHECKED_VARIABLE,
    KEY_PATH,
    KEY_SEPARATOR,
    MAP_ITEM_VARIABLE,
    QUERY_EVALUATION_ERROR,
    RESPONSE_FIELD,
    RETRY_AFTER_FIELD,
)
from ._roles import StoredAnswer

if TYPE_CHECKING:
    from ._request import HttpRequest
    from ._roles import Downloads, EachStored, Persists, StatusReactions, WritesRecords

SUCCEEDED = {"ok": True}
"""A Map iteration's outcome when its request was stored."""


class Frame(Protocol):
    """Where states run (``_parts.Frame``): the whole run, or one fan-out iteration."""

    @property
    def in_map(self) -> bool: ...

    @property
    def time_path(self) -> str: ...

    @property
    def key_path(self) -> str | None: ...


ERROR_CHARS = 100
"""A child's summary names its first failed request's error, cut to this many characters."""
KEY_CHARS = 200
"""A child's summary names its first failed request's key, cut to this many characters (a key
``FanOut.from_answer`` fills from an item is as long as the item makes it)."""
BATCH_OUTCOME = (
    "{% ( $o := $states.input; $f := $o[ok = false]; "
    '{"ok": $count($f) = 0, '
    '"stored": $count($o[ok = true and $not($exists(skipped))]), '
    '"failedCount": $count($f), '
    f'"key": $substring($f[0].key, 0, {KEY_CHARS}), '
    f'"error": $substring($string($f[0].error), 0, {ERROR_CHARS})}} ) %}}'
)
"""A child's output: whether all its requests went well, how many answers it stored, how many
failed, and the first failed request's key and error (bounded: the parent keeps one a child)."""


def sort_key(time_path: str, suffix_path: str) -> str:
    """``<scheduled time>#<suffix>``: unique per answer, the same again on a re-delivered run."""
    return sfn.JsonPath.format(
        "{}" + KEY_SEPARATOR + "{}",
        sfn.JsonPath.string_at(time_path),
        sfn.JsonPath.string_at(suffix_path),
    )


def retry_kwargs(retry: sfn.RetryProps) -> dict[str, Any]:
    """``RetryProps`` as keyword arguments of ``add_retry`` (only the fields that are set)."""
    names = ("errors", "interval", "max_attempts", "backoff_rate", "max_delay", "jitter_strategy")
    return {name: getattr(retry, name) for name in names if getattr(retry, name) is not None}


def record_failure(
    scope: Construct, construct_id: str, *, key_path: str, error_path: str = f"{FAILURE_PATH}.Error"
) -> sfn.Pass:
    """A Map iteration's outcome when its request failed: which one, and the error's name.

    The error's cause (often the third party's whole error body) is left out, so that the Map's
    output stays bounded whatever the third party answers: a few hundred failed pages with
    large error pages would otherwise exceed 256 KiB and fail the run with
    ``States.DataLimitExceeded`` instead of ``Downloader.RequestsFailed``. The cause is in the
    execution's history and its log (level ALL).
    """
    return sfn.Pass(
        scope,
        construct_id,
        parameters={
            "ok": False,
            "key": sfn.JsonPath.string_at(key_path),
            "error": sfn.JsonPath.string_at(error_path),
        },
    )


def waits_failed(scope: Construct, *, key_path: str) -> sfn.Pass:
    """A Map iteration's outcome when ``retry_after`` refused a wait (too long, too many): a
    failed request as ``record_failure`` writes it, the error from ``$.retryAfter``."""
    return record_failure(
        scope, "RetryAfterFailed", key_path=key_path, error_path=f"$.{RETRY_AFTER_FIELD}.error"
    )


def catch_into(failure: sfn.Pass, *states: sfn.TaskStateBase | sfn.Map) -> None:
    """A failure of any of ``states`` (after its retries) ends the iteration in ``failure``.

    ``States.ALL`` does not catch ``States.DataLimitExceeded`` ("Handling errors in Step
    Functions workflows"), so it is named first: one answer over 256 KiB is then recorded as a
    failed request instead of failing the whole Map. ``States.Runtime`` (e.g. a selector path
    the answer lacks) cannot be caught at all: it fails the run.
    """
    for state in states:
        state.add_catch(failure, errors=[DATA_LIMIT_EXCEEDED], result_path=FAILURE_PATH)
        state.add_catch(failure, errors=[sfn.Errors.ALL], result_path=FAILURE_PATH)


def selected(result_selector: Mapping[str, Any] | None) -> dict[str, Any]:
    """The user's selection nested under ``response`` (the whole answer without one)."""
    if result_selector is None:
        return {RESPONSE_FIELD: sfn.JsonPath.entire_payload}
    return {RESPONSE_FIELD: dict(result_selector)}


def frame_sort_key(frame: Frame, suffix_path: str) -> str:
    """``<scheduled time>#<suffix>``, or ``<scheduled time>#<key>#<suffix>`` in a fan-out's
    iteration (the pages of one of its paths)."""
    if frame.key_path is None:
        return sort_key(frame.time_path, suffix_path)
    return sfn.JsonPath.format(
        "{}" + KEY_SEPARATOR + "{}" + KEY_SEPARATOR + "{}",
        sfn.JsonPath.string_at(frame.time_path),
        sfn.JsonPath.string_at(frame.key_path),
        sfn.JsonPath.string_at(suffix_path),
    )


def frame_done(scope: Construct, frame: Frame, construct_id: str) -> sfn.State:
    """The frame ends well: the run succeeds, or the iteration's outcome is ``{"ok": true}``."""
    if not frame.in_map:
        return sfn.Succeed(scope, construct_id)
    return sfn.Pass(scope, construct_id, result=sfn.Result.from_object(SUCCEEDED))


def succeed_after(
    scope: Construct, states: list[sfn.IChainable], construct_id: str = "Done"
) -> sfn.State:
    """The run ends well: ``states`` (a delivery's last writes, ``MarkDelivered``) in order,
    the last of them ending the run (no ``Succeed`` after it: one transition fewer); a
    ``Succeed`` named ``construct_id`` when there are none. The first state is returned."""
    if not states:
        return sfn.Succeed(scope, construct_id)
    chain = sfn.Chain.start(states[0])
    for state in states[1:]:
        chain = chain.next(state)
    return chain.start_state


def before(states: Sequence[sfn.IChainable], last: sfn.State) -> sfn.State:
    """``states`` chained in order, then ``last``: the first state (``last`` when none)."""
    if not states:
        return last
    chain = sfn.Chain.start(states[0])
    for state in states[1:]:
        chain = chain.next(state)
    chain.next(last)
    return chain.start_state


def frame_failed(
    scope: Construct, frame: Frame, construct_id: str, *, error_path: str, cause_path: str
) -> sfn.State:
    """The frame fails with the error at ``error_path``: the run, or (in a fan-out) only this
    request, recorded as a failed outcome so that the other paths go on."""
    if not frame.in_map:
        return sfn.Fail(scope, construct_id, error_path=error_path, cause_path=cause_path)
    return sfn.Pass(
        scope,
        construct_id,
        parameters={
            "ok": False,
            "key": sfn.JsonPath.string_at(frame.key_path or KEY_PATH),
            "error": sfn.JsonPath.string_at(error_path),
            "cause": sfn.JsonPath.string_at(cause_path),
        },
    )


def frame_catch(scope: Construct, frame: Frame, *states: sfn.TaskStateBase) -> None:
    """In a fan-out's iteration, a failed request (after its retries) becomes a failed outcome;
    in the whole run it fails the run (no catch)."""
    if frame.in_map:
        catch_into(record_failure(scope, "RecordFailure", key_path=frame.key_path or KEY_PATH),
                   *states)  # fmt: skip


def answer_errors_check(
    scope: Construct,
    raw_path: str,
    errors_path: str,
    *,
    page_path: str | None = None,
    compressed: str | None = None,
) -> sfn.Choice:
    """``AnswerHasErrors``: an answer (raw, at ``raw_path``) holding ``errors_path`` (GraphQL's
    ``$.ResponseBody.errors``, sent with HTTP 200) fails the run with
    ``Downloader.AnswerErrors`` before anything stores it; the cause names the page (at
    ``page_path``) and holds the errors. Its ``otherwise`` is left to the caller.

    ``compressed`` (the request, as the cause names it): a JSONata Choice whose first rule
    fails a compressed answer with ``Downloader.CompressedAnswer`` (``AnswerCompressed``), one
    rule more where a state already follows the download (no transition added)."""
    errors = raw_path + errors_path[1:]
    listed = sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(errors))
    cause = (
        sfn.JsonPath.format(
            "Page {} answered errors: {}", sfn.JsonPath.string_at(page_path), listed
        )
        if page_path is not None
        else sfn.JsonPath.format("The answer holds errors: {}", listed)
    )
    failed = sfn.Fail(scope, "AnswerErrors", error=ANSWER_ERRORS_ERROR, cause_path=cause)
    if compressed is None:
        return sfn.Choice(scope, "AnswerHasErrors").when(sfn.Condition.is_present(errors), failed)
    choice = sfn.Choice.jsonata(scope, "AnswerHasErrors")
    compressed_rule(
        choice, compressed_failure(scope, "AnswerCompressed", variable=COMPRESSED_ANSWER_VARIABLE),
        headers=f"$states.input.{raw_path[2:]}.Headers", request=json.dumps(compressed),
    )  # fmt: skip
    has_errors = sfn.Condition.jsonata(f"{{% $exists($states.input.{errors[2:]}) %}}")
    return choice.when(has_errors, failed)


def compressed_rule(
    choice: sfn.Choice, failed: sfn.State, *, headers: str, request: str, key: str = "null"
) -> None:
    """``choice``'s next rule (a JSONata Choice): an answer whose ``headers`` (JSONata) name a
    compressed ``Content-Encoding`` goes to ``failed``. The rule's own ``Assign`` carries the
    cause naming ``request`` and the ``key`` (JSONata) of a fan-out's request ("Choice workflow
    state": a rule's Assign applies when that rule matches), so that ``failed`` reads nothing
    of the Choice's output, which the state's ``Output`` may or may not have written on that
    branch."""
    coding = compressed_coding(headers)
    choice.when(
        sfn.Condition.jsonata(f'{{% ($coded := {coding}; $exists($coded) and $coded != "") %}}'),
        failed,
        assign={
            COMPRESSED_ANSWER_VARIABLE: f'{{% ($coded := {coding}; {{"cause": '
            f'{compressed_cause("$coded", request)}, "key": {key}}}) %}}'
        },
    )


def stored_in_map(
    scope: Construct,
    *,
    persists: Persists,
    records: WritesRecords | None,
    sort_key: str,
    under: str,
    key_path: str,
    failure: sfn.Pass,
    time_path: str,
    persist_id: str = "Persist",
    each_stored: EachStored | None = None,
    name: str = "",
    attributes: Mapping[str, Any] | None = None,
) -> sfn.Chain:
    """What a Map iteration (a fan-out's path, a page of ``page_count``) does with its answer at
    ``under``: ``Persist``, its outcome ``{"ok": true}``; with ``records``, ``Persist`` (unless
    ``keep_answers=False``), then the answer's records, then ``{"ok": true}``. A failed
    ``Persist`` ends in ``failure``; a bad record, or a record write that fails after its
    retries, ends the iteration as a failed outcome naming ``key_path``'s value, so that the
    run fails with ``Downloader.RequestsFailed`` and the other iterations go on.
    ``each_stored``: the states right after ``Persist`` (the archive, states named ending
    ``name``); a failure of theirs ends in ``failure`` too."""
    after = _after_stored(scope, each_stored, under, sort_key, name, failure)
    if records is None and after is not None:
        persist = persists.task(
            scope, persist_id, sort_key=sort_key, result_under=under, in_map=True,
            attributes=attributes,
        )  # fmt: skip
        catch_into(failure, persist)
        return persist.next(after(SUCCEEDED, "$"))
    if records is None:
        persist = persists.task(
            scope, persist_id, sort_key=sort_key, result_under=under,
            result_selector=SUCCEEDED, in_map=True, attributes=attributes,
        )  # fmt: skip
        catch_into(failure, persist)
        return sfn.Chain.start(persist)
    written = records.states(
        scope, under=under, result_selector=SUCCEEDED, result_path="$", failed_key=key_path,
        time_path=time_path,
    )  # fmt: skip
    if not records.keeps_answers:
        return written
    persist = persists.task(
        scope, persist_id, sort_key=sort_key, result_under=under, in_map=True,
        attributes=attributes,
    )  # fmt: skip
    catch_into(failure, persist)
    if after is not None:
        return persist.next(after(None, None)).next(written)
    return persist.next(written)


def _after_stored(
    scope: Construct,
    each_stored: EachStored | None,
    under: str,
    sort_key: str,
    name: str,
    failure: sfn.Pass | None,
) -> Callable[[Mapping[str, Any] | None, str | None], sfn.Chain] | None:
    """``each_stored``'s states for one answer, chained, given the output of the last (``None``
    when there are none)."""
    if each_stored is None:
        return None

    def chained(result_selector: Mapping[str, Any] | None, result_path: str | None) -> sfn.Chain:
        answer = StoredAnswer(
            under=under, sort_key=sort_key, name=name, result_selector=result_selector,
            result_path=result_path, failure=failure,
        )  # fmt: skip
        states = each_stored(scope, answer)
        chain = sfn.Chain.start(states[0])
        for state in states[1:]:
            chain = chain.next(state)
        return chain

    return chained


def read_answer(
    scope: Construct, construct_id: str, where: str, assign: Mapping[str, Any]
) -> sfn.Pass:
    """A Pass with only ``Assign``: the paths of ``assign`` (JSONPath on the raw answer, keys
    ending ``.$``) read the answer kept at ``where``.

    A Pass without Result, Parameters or paths passes its input on: its input, result and
    output are one value, so ``$`` in its Assign means the state whichever of them Assign
    reads. A Task's Assign with a ResultSelector or a ResultPath would depend on which (no
    document settles it; ``scripts/verify_on_aws.py`` asks).
    """
    return sfn.Pass(scope, construct_id, assign=rebased(assign, where))


def rebased(assign: Mapping[str, Any], where: str) -> dict[str, Any]:
    """``{"x.$": "$.Headers"}`` read at ``where``: ``{"x.$": "<where>.Headers"}``."""

    def at(value: Any) -> Any:
        if isinstance(value, str) and (value == "$" or value[:2] in ("$.", "$[")):
            return where + value[1:]
        return value

    return {name: at(value) if name.endswith(".$") else value for name, value in assign.items()}


def compressed_coding(headers: str) -> str:
    """JSONata: the content codings other than ``identity`` that an answer's ``Content-Encoding``
    names (``headers``: a JSONata expression giving the answer's ``Headers``), any letter case
    of name and value, lower case and joined by ``, ``; undefined for an answer that is not
    compressed. ``apigateway:invoke`` gives each header as a list; two spellings of the name
    (a proxy that maps both) are read together.

    The proxy asks ``Accept-Encoding: identity``, and API Gateway passes a compressed answer on
    as text ("Receive an API response with a compressed payload"): a body so received is not
    the JSON the API compressed, so a state reading this fails the request instead of storing
    it (``Downloader.CompressedAnswer``)."""
    values = (
        f'$each({headers}, function($v, $k) {{ $lowercase($k) = "content-encoding" ? '
        '$join($map($append([], $v), function($x) { $string($x) }), ",") })'
    )
    return (
        f'$join($filter($map($split($lowercase($join({values}, ",")), ","), '
        'function($c) { $trim($c) }), function($c) { $c != "" and $c != "identity" }), ", ")'
    )


def compressed_check(request: str, variable: str = ANSWER_CHECKED_VARIABLE) -> dict[str, str]:
    """A download's ``Assign`` (JSONata) that raises on a compressed answer (its cause names
    ``request``, a JSONata expression) and otherwise assigns ``$answerChecked`` = ``true``:
    the check of a JSONata download task (``Downloads.checked_task``), zero states."""
    coding = compressed_coding("$states.result.Headers")
    return {
        variable: f'{{% ($coded := {coding}; ($exists($coded) and $coded != "")'
        f" ? $error({compressed_cause('$coded', request)}) : true) %}}"
    }


def checked_download(
    scope: Construct, task: sfn.TaskStateBase, construct_id: str = "AnswerCompressed"
) -> None:
    """``task`` (a ``checked_task``) fails the run with ``Downloader.CompressedAnswer`` when
    its check raises: a Catch of ``States.QueryEvaluationError`` into a Fail whose cause is the
    error's, which holds the check's message whatever words AWS wraps it in. The check is the
    one expression that can raise: the others read the state's input or the run's scheduled
    time (a request computed from it, the expiry), which the schedule sends and ``CheckInput``
    checks on demand, before any download."""
    failed = sfn.Fail.jsonata(
        scope, construct_id, error=COMPRESSED_ANSWER_ERROR, cause="{% $states.input.Cause %}"
    )
    task.add_catch(failed, errors=[QUERY_EVALUATION_ERROR])


def checked_in_map(
    scope: Construct,
    *,
    downloads: Downloads,
    persists: Persists,
    request: HttpRequest,
    result_selector: Mapping[str, Any] | None,
    key_path: str,
    key: str,
    sort_key: Callable[[str], str],
    names: tuple[str, str, str] = ("Download", "Persist", "RecordFailure"),
    stored: CheckedStored | None = None,
) -> sfn.Chain | None:
    """A Map iteration's Download → Persist with the answer checked for free (issue 25, item
    14): the download a JSONata task (``Downloads.checked_task``) whose ``Assign`` fails a
    compressed answer and keeps the Map item (``$mapItem``), and whose output is the raw
    answer, never evaluated, so nothing stored passes through JSONata; Persist reads the
    item's paths where ``result_selector`` would have read them (or, with ``stored.select``,
    from the selection a JSONPath Pass applies first), and its key
    (``sort_key(<where the item is>)``) from ``$mapItem``. A failed request ends as a failed
    outcome naming its key (``key_path``, in the item; ``key``, JSONata reading it from the
    task's input, names it in a compressed answer's cause), as ``record_failure`` writes it; a
    compressed answer's error is ``Downloader.CompressedAnswer``. ``stored``: what else the
    iteration does with the raw answer (``CheckedStored``: status actions, the archive,
    records). ``None`` when the request cannot be a JSONata task's (``checked_task``)."""
    item = f"${MAP_ITEM_VARIABLE}"
    download_id, persist_id, failure_id = names
    download = downloads.checked_task(
        scope, download_id, request,
        assign={**compressed_check(key, ITEM_CHECKED_VARIABLE),
                MAP_ITEM_VARIABLE: "{% $states.input %}"},
    )  # fmt: skip
    if download is None:
        return None
    failure = record_failure(scope, failure_id, key_path=item + key_path[1:])
    kept = {MAP_ITEM_VARIABLE: "{% $states.input %}"}  # a Catch's Assign: the task's input
    caught = {FAILURE_PATH[2:]: "{% $states.errorOutput %}"}
    download.add_catch(failure, errors=[DATA_LIMIT_EXCEEDED], assign=kept, outputs=caught)
    download.add_catch(
        failure, errors=[QUERY_EVALUATION_ERROR], assign=kept,
        outputs={FAILURE_PATH[2:]: {"Error": COMPRESSED_ANSWER_ERROR,
                                    "Cause": "{% $states.errorOutput.Cause %}"}},
    )  # fmt: skip
    stored = stored or CheckedStored()
    skipped: sfn.State | None = None
    if stored.on_status is not None and stored.on_status.any:
        # Status actions before the catch-all (Catch rules are tried in order): an action
        # skips that page only; a 204 is a Choice on the raw answer before anything stores it.
        skipped = sfn.Pass(scope, f"Skipped{stored.name}", result=sfn.Result.from_object(SUCCEEDED))
        stored.on_status.catch(download, skip=skipped, outputs="{% $states.input %}")
    download.add_catch(failure, errors=[sfn.Errors.ALL], assign=kept, outputs=caught)
    after = _checked_after(
        scope, persists=persists, selector=result_selector, item=item, sort_key=sort_key(item),
        key_path=item + key_path[1:], failure=failure, persist_id=persist_id, stored=stored,
    )  # fmt: skip
    status = (
        stored.on_status.no_content(
            scope, f"{download_id}Status", status_path="$.StatusCode", skip=skipped
        )
        if stored.on_status is not None and skipped is not None
        else None
    )  # fmt: skip
    if status is not None:
        download.next(status.otherwise(after))
        return sfn.Chain.custom(download, after.end_states, after)
    return sfn.Chain.start(download).next(after)


@dataclass(frozen=True)
class CheckedStored:
    """What a checked Map iteration (``checked_in_map``) does besides storing the raw answer
    through the selector: ``on_status``' actions (a page skipped), the archive
    (``each_stored``, states named ending ``name``) and ``records``; ``time_path``: where the
    Map item holds the run's scheduled time (read by the records from ``$mapItem``).
    ``select``: the selector is applied first, by a JSONPath ``Select<name>`` Pass right after
    the download (and its 204 Choice), and what follows reads the selection: for a selection
    no plain path of the raw answer reads (a constant or an intrinsic in the selector, an
    attribute reading the whole selection), one state more an iteration."""

    on_status: StatusReactions | None = None
    each_stored: EachStored | None = None
    records: WritesRecords | None = None
    name: str = ""
    time_path: str = ""
    select: bool = False


def _checked_after(
    scope: Construct, *, persists: Persists, selector: Mapping[str, Any] | None, item: str,
    sort_key: str, key_path: str, failure: sfn.Pass, persist_id: str, stored: CheckedStored,
) -> sfn.Chain:  # fmt: skip
    """The checked iteration's states after its download, the state the raw answer: with
    ``stored.select``, the JSONPath ``Select<name>`` Pass first (every digit kept: no
    JSONata); Persist (through the selector, or of the selection; unless
    ``keep_answers=False``), then with an archive a ``Select<name>`` Pass when the selector is
    not applied yet (the archive's body is the selection) and ``Archive<name>``, then the
    records (read through the selector, or from the selection). The last state's output is
    the iteration's ``{"ok": true}``; a failure ends in ``failure``, a bad record a failed
    outcome naming ``key_path``'s value."""
    records = stored.records
    keeps = records is None or records.keeps_answers
    archives = stored.each_stored is not None and keeps
    last_persist = records is None and not archives
    states: list[sfn.IChainable] = []
    through = selector
    if stored.select and selector is not None:
        states.append(sfn.Pass(scope, f"Select{stored.name}", parameters=dict(selector)))
        through = None
    if keeps:
        persist = persists.task(
            scope, persist_id, sort_key=sort_key, in_map=True, through=through, item_at=item,
            result_selector=SUCCEEDED if last_persist else None,
        )  # fmt: skip
        catch_into(failure, persist)
        states.append(persist)
    if archives and stored.each_stored is not None:
        if through is not None:
            states.append(sfn.Pass(scope, f"Select{stored.name}", parameters=dict(through)))
            through = None
        last = records is None
        states.extend(
            stored.each_stored(
                scope,
                StoredAnswer(
                    under="$", sort_key=sort_key, name=stored.name,
                    result_selector=SUCCEEDED if last else None,
                    result_path="$" if last else None, failure=failure,
                ),
            )
        )  # fmt: skip
    if records is not None:
        time_path = item + stored.time_path[1:] if stored.time_path.startswith("$.") else None
        states.append(
            records.states(
                scope, under="$", through=through, result_selector=SUCCEEDED, result_path="$",
                failed_key=key_path, **({"time_path": time_path} if time_path else {}),
            )
        )  # fmt: skip
    chain = sfn.Chain.start(states[0])
    for state in states[1:]:
        chain = chain.next(state)
    return chain


def compressed_cause(coding: str, request: str) -> str:
    """JSONata: the cause of ``Downloader.CompressedAnswer`` (``coding``, ``request``: JSONata
    expressions giving the codings and the request's description)."""
    return (
        f'"The answer to " & {request} & " is " & {coding} & "-compressed (Content-Encoding: '
        f'" & {coding} & "): its body is not the JSON the API sent, so it was not stored. Make '
        "the API answer uncompressed (the API Gateway proxy asks Accept-Encoding: identity; a "
        'server that compresses anyway ignores it)."'
    )


def compressed_failure(
    scope: Construct, construct_id: str, *, variable: str, in_map: bool = False
) -> sfn.State:
    """Where a compressed answer ends: the run fails with ``Downloader.CompressedAnswer``, or
    (``in_map``: a fan-out's iteration) the request is a failed outcome, the cause and the key
    read from ``$<variable>`` (``{"cause", "key"}``, assigned by the rule that found it)."""
    cause = "{% $" + variable + ".cause %}"
    if not in_map:
        return sfn.Fail.jsonata(scope, construct_id, error=COMPRESSED_ANSWER_ERROR, cause=cause)
    return sfn.Pass.jsonata(
        scope, construct_id,
        outputs={"ok": False, "key": "{% $" + variable + ".key %}",
                 "error": COMPRESSED_ANSWER_ERROR, "cause": cause},
    )  # fmt: skip
