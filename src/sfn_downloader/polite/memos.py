"""Polite memories per request (issue 23): ``conditional``, ``Store.changes_only()`` and
``respect_expires`` in a run of several requests (a fan-out's paths, a page loop's pages).

Each distinct request keeps its own memory, in its own item beside the state item,
``sk = #memo#<the URL as requested>`` (``_contract.MEMO_SORT_KEY_PREFIX``; a URL over
``MEMO_URL_LIMIT`` characters is keyed by its SHA-256). The URL is the request as sent: a
fan-out path with its query (and its incremental mark or its filled time placeholders), a
page's URL (a ``Link`` as the API wrote it). A request that repeats from run to run finds its
memory; one computed anew each run (a window) finds none and is simply asked. One item a
request, not attributes of the state item: each iteration and page writes only its own (no
400 KB item limit, no write contention between a Map's iterations), as ``PathMarkItems``
(``#mark#<key>``) does for the fan-out's incremental marks.

Per request, before it is made::

    ReadMemo (GetItem, strongly consistent: 1 read unit) → [MemoFresh → skip "Fresh"]
        → Download (→ [ApiGateway.304 → skip "NotModified"])

and once its answer is read::

    MemoAnswer → ReadMemoAnswer (→ [MemoAnswerCompressed])
        → [MemoUnchanged → RememberUnchanged → skip "Unchanged"]
        → the shape's store (Persist, records) → RememberMemo (UpdateItem: 1 write unit)

``ReadMemoAnswer`` refuses a compressed answer (``Downloader.CompressedAnswer``, issue 25 item
14) where the shape asks it to (one request, a fan-out's path); a page loop refuses a compressed
page in its own ``NextRequest``.

``ReadMemo`` assigns ``$memo`` (the item), ``$memoKey`` and, with ``conditional``,
``$requestHeaders`` (the static headers, ``If-None-Match`` / ``If-Modified-Since`` from the
memo): the download reads them as it does for a single request. ``RememberMemo`` keeps the
answer's validators, its hash, its freshness deadline, ``storedAt`` (the key of the item that
stored it: that item stays the request's current answer while later runs get ``304`` or an
unchanged answer) and, for a page, ``next``: the request the loop went on with, since a ``304``
carries no ``Link`` and a fresh page is not asked at all. The write's condition is the state
item's (``rememberedOrder``): a late delivery of an older run never overwrites a newer memory.
A failed request never reaches ``RememberMemo`` (its memory stays); the pages a failed run
stored before the failure keep theirs.

What a skip is belongs to the shape: in a page loop the loop goes on (from the memo's ``next``,
or, for an unchanged page, from the next request the page's own answer gave); in a fan-out the
path ends with a successful outcome naming it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._checks import selection_text
from .._contract import (
    ANSWER_HASH_VARIABLE,
    ANSWER_HEADERS_VARIABLE,
    ANSWER_TEXT_VARIABLE,
    COMPRESSED_ANSWER_VARIABLE,
    ETAG_ATTRIBUTE,
    FRESH_UNTIL_ATTRIBUTE,
    FRESH_UNTIL_KEY,
    HASH_CHUNK,
    LAST_MODIFIED_ATTRIBUTE,
    MEMO_FOR_VARIABLE,
    MEMO_KEY_VARIABLE,
    MEMO_SORT_KEY_PREFIX,
    MEMO_STORED_AT_VARIABLE,
    MEMO_URL_LIMIT,
    MEMO_VARIABLE,
    MEMORY_UPDATE_VARIABLE,
    MORE_PATH,
    NEXT_ATTRIBUTE,
    NOT_MODIFIED_STATUS,
    OUTCOME_FRESH,
    OUTCOME_KEY,
    OUTCOME_NOT_MODIFIED,
    OUTCOME_UNCHANGED,
    PAGING_ERROR_PATH,
    PAGING_FIELD,
    REASON_KEY,
    REMEMBERED_FOR_ATTRIBUTE,
    REMEMBERED_ORDER_ATTRIBUTE,
    REQUEST_FIELD,
    REQUEST_HEADERS_VARIABLE,
    RESULT_HASH_ATTRIBUTE,
    RETRY_AFTER_FIELD,
    SCHEDULED_TIME_KEY,
    STORED_AT_ATTRIBUTE,
    URL_FIELD,
)
from .._memory import StateItem
from .._roles import CheckedPage
from .._states import compressed_failure, compressed_rule
from . import _answer
from .conditional import IF_MODIFIED_SINCE, IF_NONE_MATCH

Skip = Callable[[str, str], sfn.State]
"""What a shape does with a request the memory spares (``construct id suffix``, outcome:
``fresh``, ``notModified``, ``unchanged``): the state to go to."""

NEXT_FIELDS = (URL_FIELD, REQUEST_FIELD, MORE_PATH[2:], PAGING_FIELD, PAGING_ERROR_PATH[2:])
"""What a page's memory keeps of the state NextRequest left: the request the loop went on with."""


def _jsonata(path: str) -> str:
    """A JSONPath of the state (``$.request.url``) as JSONata on ``$states.input``."""
    return "$states.input" + path[1:]


def _chunked_hash(text: str) -> str:
    """JSONata: SHA-256 of the SHA-256 hashes of ``text`` in pieces (``$hash`` takes at most
    10,000 characters)."""
    return (
        f"$hash($join($map([0..$ceil($length({text}) / {HASH_CHUNK}) - 1], function($i) {{ "
        f"$hash($substring({text}, $i * {HASH_CHUNK}, {HASH_CHUNK}), 'SHA-256') }})), 'SHA-256')"
    )


def memo_key(url: str) -> str:
    """JSONata: the memo item's sort key for the URL ``url`` (a JSONata expression)."""
    prefix = json.dumps(MEMO_SORT_KEY_PREFIX)
    return (
        f"($u := {url}; $length($u) <= {MEMO_URL_LIMIT} ? {prefix} & $u "
        f": {prefix} & 'sha256:' & {_chunked_hash('$u')})"
    )


class RequestMemos:
    """``RequestMemories`` (``_roles``): the polite features' memory of each request of a run,
    one item a distinct request URL."""

    def __init__(
        self,
        memory: StateItem,
        *,
        conditional: bool,
        changes_only: bool,
        respect_expires: bool,
        max_fresh_millis: int,
        status_error: Callable[[int], str],
        static_headers: Mapping[str, list[str]],
    ) -> None:
        self._memory = memory
        self.conditional = conditional
        self.changes_only = changes_only
        self.respect_expires = respect_expires
        self._max_fresh_millis = max_fresh_millis
        self._status_error = status_error
        self._static_headers = dict(static_headers)

    def read(
        self, scope: Construct, *, url_path: str | None = None, url: str | None = None,
        time_path: str, then: sfn.State, skip: Skip,
    ) -> sfn.State:  # fmt: skip
        """``ReadMemo`` (the memory of the request whose URL is at ``url_path``, or is the
        JSONata ``url``) → [``MemoFresh``: a deadline after the scheduled time at
        ``time_path`` → ``skip("Fresh", "fresh")``] → ``then`` (the download)."""
        if url is None:
            assert url_path is not None, "a request's URL: url_path or url"
            url = _jsonata(url_path)
        key = "{% " + memo_key(url) + " %}"
        item = "$states.result.Item"
        assign = {
            MEMO_VARIABLE: f"{{% $exists({item}) ? {item} : {{}} %}}",
            MEMO_KEY_VARIABLE: key,
        }
        if self.conditional:
            etag = f"{item}.{ETAG_ATTRIBUTE}.S"
            modified = f"{item}.{LAST_MODIFIED_ATTRIBUTE}.S"
            assign[REQUEST_HEADERS_VARIABLE] = (
                f"{{% ($e := $exists({etag}) ? {etag} : ''; "
                f"$m := $exists({modified}) ? {modified} : ''; "
                f"$merge([{json.dumps(self._static_headers)}, "
                f"$e != '' ? {{'{IF_NONE_MATCH}': [$e]}} : {{}}, "
                f"$m != '' ? {{'{IF_MODIFIED_SINCE}': [$m]}} : {{}}])) %}}"
            )
        read = self._memory.read_beside(
            scope, "ReadMemo", sort_key=key, assign=assign, outputs="{% $states.input %}"
        )
        if not self.respect_expires:
            read.next(then)
            return read
        stored = f"${MEMO_VARIABLE}.{FRESH_UNTIL_ATTRIBUTE}.N"
        fresh = sfn.Choice.jsonata(scope, "MemoFresh")
        fresh.when(
            sfn.Condition.jsonata(
                f"{{% $exists({stored}) and $number({stored}) > {_millis(time_path)} %}}"
            ),
            skip("Fresh", OUTCOME_FRESH),
        )
        fresh.otherwise(then)
        read.next(fresh)
        return read

    def outcome(self, scope: Construct, construct_id: str, outcome: str) -> sfn.State:
        """A run of one request the memory spares: ``{outcome, reason, scheduledTime}``, the
        output a run whose memory is the state item's gives (``_run.py``, ``expires.py``)."""
        outputs = {
            OUTCOME_KEY: outcome,
            REASON_KEY: _REASONS[outcome],
            SCHEDULED_TIME_KEY: f"{{% $states.context.Execution.Input.{SCHEDULED_TIME_KEY} %}}",
        }
        if outcome == OUTCOME_FRESH:
            outputs[FRESH_UNTIL_KEY] = (
                f"{{% $fromMillis($number(${MEMO_VARIABLE}.{FRESH_UNTIL_ATTRIBUTE}.N)) %}}"
            )
        return sfn.Pass.jsonata(scope, construct_id, outputs=outputs)

    def guard(self, task: sfn.TaskStateBase, skip: Skip, *, jsonata: bool = False) -> None:
        """With ``conditional``: ``ApiGateway.304`` → ``skip("NotModified", "notModified")``.
        Add it before any catch-all (Catch rules are tried in order). ``jsonata``: the task is
        a JSONata one, whose Catch passes its input on (``Output``), as the JSONPath Catch's
        ``ResultPath`` null does."""
        if not self.conditional:
            return
        target = skip("NotModified", OUTCOME_NOT_MODIFIED)
        errors = [self._status_error(NOT_MODIFIED_STATUS)]
        if jsonata:
            task.add_catch(target, errors=errors, outputs="{% $states.input %}")
        else:
            task.add_catch(target, errors=errors, result_path=sfn.JsonPath.DISCARD)

    def before_store(
        self, scope: Construct, *, selected_path: str, time_path: str, stored_key: str,
        then: sfn.State, skip: Skip, pages: bool, compressed: str | None = None,
        key: str | None = None,
    ) -> sfn.State:  # fmt: skip
        """``MemoAnswer → ReadMemoAnswer [→ MemoUnchanged]`` → ``then`` (the shape's store).

        ``MemoAnswer`` (JSONPath, a Pass that only assigns) keeps what the store may not leave
        in the state: the key the answer is stored under (``stored_key``, JSONPath), the
        scheduled time (at ``time_path``) and, with ``changes_only``, the selected result (at
        ``selected_path``) as JSON text. ``ReadMemoAnswer`` computes what ``RememberMemo``
        writes from the answer's headers (``$answerHeaders``), the text's hash and, for a page
        (``pages``), the request the loop goes on with. With ``changes_only``, an answer equal
        to the remembered one goes to ``RememberUnchanged`` → ``skip("Unchanged", ...)``.

        ``compressed`` (JSONata naming the request, as the cause says it): ``ReadMemoAnswer``
        is a JSONata Choice instead of the Pass (the same two history events), whose one rule
        refuses a compressed answer (issue 25 item 14) before anything stores or remembers
        it, the same ``Assign`` on its default branch. The refusal fails the run with
        ``Downloader.CompressedAnswer`` or, with ``key`` (JSONata: a fan-out path's key, read
        by the rule), ends that path as a failed outcome naming it. Default: no refusal here
        (a page loop refuses a compressed page in its ``NextRequest``)."""
        kept = {
            MEMO_STORED_AT_VARIABLE: stored_key,
            MEMO_FOR_VARIABLE: sfn.JsonPath.string_at(time_path),
        }
        if self.changes_only:
            kept[f"{ANSWER_TEXT_VARIABLE}.$"] = f"States.JsonToString({selected_path})"
        answer = sfn.Pass(scope, "MemoAnswer", assign=kept)
        assign = {MEMORY_UPDATE_VARIABLE: self._update(time_path, pages)}
        if self.changes_only:
            assign[ANSWER_HASH_VARIABLE] = "{% " + _chunked_hash(f"${ANSWER_TEXT_VARIABLE}") + " %}"
        read = self._read_answer(scope, assign, compressed, key)
        answer.next(read)
        if not self.changes_only:
            _then(read, then)
            return answer
        _then(read, self._unchanged(scope, then=then, skip=skip, pages=pages))
        return answer

    def _unchanged(
        self, scope: Construct, *, then: sfn.State, skip: Skip, pages: bool,
        page: CheckedPage | None = None,
    ) -> sfn.Choice:  # fmt: skip
        """``MemoUnchanged``: an answer whose hash (``$answerHash``) is the remembered one
        goes to ``RememberUnchanged`` → ``skip("Unchanged", ...)`` (a checked page as its
        loop state, the rule's ``Output``); any other to ``then``."""
        stored = f"${MEMO_VARIABLE}.{RESULT_HASH_ATTRIBUTE}.S"
        gate = sfn.Choice.jsonata(scope, "MemoUnchanged")
        gate.when(
            sfn.Condition.jsonata(
                f"{{% $exists({stored}) and ${ANSWER_HASH_VARIABLE} = {stored} %}}"
            ),
            self._remember(
                scope, "RememberUnchanged", "MemoKeptUnchanged", stored=False, pages=pages,
                page=page,
            ).next(skip("Unchanged", OUTCOME_UNCHANGED)),
            outputs="{% " + page.loop + " %}" if page is not None else None,
        )  # fmt: skip
        gate.otherwise(then)
        return gate

    @staticmethod
    def _read_answer(
        scope: Construct, assign: Mapping[str, str], compressed: str | None, key: str | None
    ) -> sfn.Pass | sfn.Choice:
        """``ReadMemoAnswer``: a Pass that only assigns or, refusing a compressed answer, a
        JSONata Choice whose rule fails it (reading only ``$answerHeaders`` and what the rule
        assigns itself) and whose default branch assigns the same ("Choice workflow state":
        the state's ``Assign`` applies when no rule matches)."""
        if compressed is None:
            return sfn.Pass.jsonata(scope, "ReadMemoAnswer", assign=assign)
        read = sfn.Choice.jsonata(scope, "ReadMemoAnswer", assign=assign)
        failed = compressed_failure(
            scope, "MemoAnswerCompressed", variable=COMPRESSED_ANSWER_VARIABLE,
            in_map=key is not None,
        )  # fmt: skip
        compressed_rule(
            read, failed, headers=f"${ANSWER_HEADERS_VARIABLE}", request=compressed,
            key=key or "null",
        )  # fmt: skip
        return read

    def remember(
        self, scope: Construct, *, pages: bool, page: CheckedPage | None = None
    ) -> sfn.Chain:
        """``RememberMemo``, right after the store: the answer stored (under the key
        ``MemoAnswer`` kept) is the request's memory now (``MemoKept`` when a newer run
        already remembered it). It reads only variables: the store may replace the state.
        ``page``: a page of the checked loop, whose key, time and next request are read from
        the loop's variable instead."""
        return self._remember(
            scope, "RememberMemo", "MemoKept", stored=True, pages=pages, page=page
        )

    # The page loop's checked download (``pagination/_loop``): the page's memory computed by
    # the download itself and written from the loop's variable (issue 25 item 14).

    def checks_in_place(self, selector: Mapping[str, object] | None) -> bool:
        """True when the checked page loop can compare the raw page as it is: ``changes_only``
        needs the selection's JSON text as a JSONPath intrinsic of the raw page
        (``_checks.selection_text``); else the loop applies the selector first."""
        return not self.changes_only or selection_text(selector) is not None

    def kept_of_answer(self) -> frozenset[str]:
        """What the JSONPath download keeps of the answer for these memories (``Assign``
        names): the checked download computes the memory's update itself instead."""
        return frozenset({f"{ANSWER_HEADERS_VARIABLE}.$"})

    def checked_assign(self, time_path: str) -> dict[str, str]:
        """What the checked download assigns (reading ``$states.result``, its input the loop
        state): ``$memoryUpdate``, the validators and the freshness deadline from the answer's
        headers, the order from the scheduled time at ``time_path``. The next request is
        ``RememberMemo``'s to write (``CheckedPage.next_state``): an ``Assign`` cannot read
        the ``$loop`` it assigns."""
        return {
            MEMORY_UPDATE_VARIABLE: self._update(
                time_path, pages=False, header=_answer.DOWNLOADED_HEADER
            )
        }

    def compared(
        self, scope: Construct, *, selector: Mapping[str, object] | None, then: sfn.State,
        skip: Skip, page: CheckedPage, selected: bool = False,
    ) -> sfn.State:  # fmt: skip
        """With ``changes_only``, between the checked download (the raw page in the state)
        and the page's store: ``MemoAnswer`` (a JSONPath Pass with only ``Assign``: the
        selection's JSON text, every digit kept) → ``ReadMemoAnswer`` (its hash) →
        ``MemoUnchanged``: a page equal to the remembered one goes, as the loop state
        (``page.loop``, the rule's ``Output``), to ``RememberUnchanged`` → ``skip("Unchanged",
        ...)``; any other page passes on as it is (no ``Output``: never evaluated) to
        ``then``. ``selected``: the state holds the selection already (``SelectPage``)."""
        text = "States.JsonToString($)" if selected else selection_text(selector)
        assert text is not None, "checks_in_place: a selection JSONPath writes as text"
        answer = sfn.Pass(scope, "MemoAnswer", assign={f"{ANSWER_TEXT_VARIABLE}.$": text})
        hashed = "{% " + _chunked_hash(f"${ANSWER_TEXT_VARIABLE}") + " %}"
        read = sfn.Pass.jsonata(scope, "ReadMemoAnswer", assign={ANSWER_HASH_VARIABLE: hashed})
        answer.next(read).next(self._unchanged(scope, then=then, skip=skip, pages=True, page=page))
        return answer

    def go_on(self, scope: Construct, construct_id: str, *, max_pages: int) -> sfn.Pass:
        """A page the memory spares (``304``, fresh): the loop goes on from the page's
        remembered next request (``more`` false when none is remembered, or at ``max_pages``);
        a remembered paging error fails the loop again, as it did when the page was stored."""
        more, error = MORE_PATH[2:], PAGING_ERROR_PATH[2:]
        expression = (
            "{% ($in := $sift($states.input, function($v, $k) "
            f"{{ $k != '{RETRY_AFTER_FIELD}' }}); "
            f"$n := $exists(${MEMO_VARIABLE}.{NEXT_ATTRIBUTE}.S) "
            f"? $parse(${MEMO_VARIABLE}.{NEXT_ATTRIBUTE}.S) : {{}}; "
            f"$more := $n.{more} = true and $in.page < {max_pages}; "
            f"$merge([$in, {{'page': $in.page + 1, '{more}': $more, "
            f"'{URL_FIELD}': $more ? $n.{URL_FIELD} : $in.{URL_FIELD}, "
            f"'{REQUEST_FIELD}': $more ? $n.{REQUEST_FIELD} : $in.{REQUEST_FIELD}}}, "
            f"$exists($n.{PAGING_FIELD}) ? {{'{PAGING_FIELD}': $n.{PAGING_FIELD}}} : {{}}, "
            f"$exists($n.{error}) ? {{'{error}': $n.{error}}} : {{}}])) %}}"
        )
        return sfn.Pass.jsonata(scope, construct_id, outputs=expression)

    def _update(self, time_path: str, pages: bool, header: str = _answer.HEADER) -> str:
        millis = _millis(time_path)
        fields = {"order": f"$string({millis})"}
        if self.conditional:
            fields.update(_answer.validators())
        if self.respect_expires:
            fields[FRESH_UNTIL_ATTRIBUTE] = _answer.fresh_until(self._max_fresh_millis, millis)
        if pages:
            names = json.dumps(list(NEXT_FIELDS))
            fields[NEXT_ATTRIBUTE] = (
                f"$string($sift($states.input, function($v, $k) {{ $k in {names} }}))"
            )
        body = ", ".join(f"'{name}': {value}" for name, value in fields.items())
        return f"{{% ( $header := {header}; {{{body}}} ) %}}"

    def _remember(
        self,
        scope: Construct,
        construct_id: str,
        kept: str,
        *,
        stored: bool,
        pages: bool,
        page: CheckedPage | None = None,
    ) -> sfn.Chain:
        update = f"${MEMORY_UPDATE_VARIABLE}"

        def text(name: str) -> tasks.DynamoAttributeValue:
            value = sfn.JsonPath.string_at(f"{update}.{name}")
            return tasks.DynamoAttributeValue.from_string(value)

        values: dict[str, tasks.DynamoAttributeValue] = {}
        if self.conditional:
            values[ETAG_ATTRIBUTE] = text(ETAG_ATTRIBUTE)
            values[LAST_MODIFIED_ATTRIBUTE] = text(LAST_MODIFIED_ATTRIBUTE)
        if self.respect_expires:
            values[FRESH_UNTIL_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.string_at(f"{update}.{FRESH_UNTIL_ATTRIBUTE}")
            )
        if self.changes_only:
            values[RESULT_HASH_ATTRIBUTE] = tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at(f"${ANSWER_HASH_VARIABLE}")
            )
        if pages:  # rewritten with every answer of the page: its links may change alone
            values[NEXT_ATTRIBUTE] = (
                tasks.DynamoAttributeValue.from_string(page.next_state)
                if page is not None
                else text(NEXT_ATTRIBUTE)
            )
        if stored:  # an unchanged answer leaves the item that stored it the current one
            values[STORED_AT_ATTRIBUTE] = tasks.DynamoAttributeValue.from_string(
                page.stored_at
                if page is not None
                else sfn.JsonPath.string_at(f"${MEMO_STORED_AT_VARIABLE}")
            )
        values[REMEMBERED_FOR_ATTRIBUTE] = tasks.DynamoAttributeValue.from_string(
            page.remembered_for
            if page is not None
            else sfn.JsonPath.string_at(f"${MEMO_FOR_VARIABLE}")
        )
        values[REMEMBERED_ORDER_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
            sfn.JsonPath.string_at(f"{update}.order")
        )
        return self._memory.update(
            scope, construct_id, values=values,
            condition=(
                f"attribute_not_exists(#{REMEMBERED_ORDER_ATTRIBUTE}) "
                f"OR #{REMEMBERED_ORDER_ATTRIBUTE} <= :{REMEMBERED_ORDER_ATTRIBUTE}"
            ),
            when_not_applied=kept, sort_key=sfn.JsonPath.string_at(f"${MEMO_KEY_VARIABLE}"),
        )  # fmt: skip


_REASONS = {
    OUTCOME_FRESH: "The last stored answer is still fresh (Cache-Control max-age or Expires): "
    "no request was made, nothing was written.",
    OUTCOME_NOT_MODIFIED: "The API answered 304 Not Modified to the conditional request: "
    "nothing was written.",
    OUTCOME_UNCHANGED: "The selected result equals the last stored one: nothing was written.",
}
"""Why a run of one request the memory spares wrote nothing (as the state item's memory says)."""


def _then(read: sfn.Pass | sfn.Choice, then: sfn.IChainable) -> None:
    """``read``'s next state: a Pass's ``Next``, a Choice's default."""
    if isinstance(read, sfn.Choice):
        read.otherwise(then)
    else:
        read.next(then)


def _millis(time_path: str) -> str:
    """JSONata: the scheduled time at ``time_path`` (of the state, or ``$$.`` the Context
    object), epoch milliseconds."""
    context = time_path.startswith("$$.")
    where = "$states.context." + time_path[3:] if context else _jsonata(time_path)
    return f"$toMillis({where})"
