"""The polite features of one downloader, together: their checks and their states.

    ReadState (computing the validators) → [StillFresh → Fresh] → ... → Download (→ [NotModified])
        → [AnswerText] → ReadAnswer (→ [RememberUnchanged → Unchanged])
        → Persist → Remember → ...

``ReadState`` is the downloader's one read of its state item (shared with ``incremental``);
``Remember`` is one ``UpdateItem`` setting only this feature's attributes, under a condition
that keeps a newer run's memory from an older run's write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._contract import (
    ANSWER_HASH_VARIABLE,
    ANSWER_HEADERS_VARIABLE,
    ANSWER_TEXT_VARIABLE,
    COMPRESSED_ANSWER_VARIABLE,
    CONDITIONAL_REQUEST_HEADERS,
    ETAG_ATTRIBUTE,
    FRESH_UNTIL_ATTRIBUTE,
    HASH_CHUNK,
    LAST_MODIFIED_ATTRIBUTE,
    MEMORY_UPDATE_VARIABLE,
    NOT_MODIFIED_STATUS,
    OUTCOME_KEY,
    OUTCOME_NOT_MODIFIED,
    OUTCOME_UNCHANGED,
    REASON_KEY,
    REMEMBERED_FOR_ATTRIBUTE,
    REMEMBERED_ORDER_ATTRIBUTE,
    RESULT_HASH_ATTRIBUTE,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
    STATE_ITEM_VARIABLE,
    VALIDATOR_RESPONSE_HEADERS,
)
from .._memory import READ_ITEM, StateItem
from .._parts import Built, CheckContext, RunFeature, RunParts, then_stored
from .._states import compressed_failure, compressed_rule
from ..errors import Problem
from . import _answer
from . import conditional as _conditional
from . import expires as _expires
from .memos import RequestMemos
from .store import Store

_SCHEDULED = f"{{% $states.context.Execution.Input.{SCHEDULED_TIME_KEY} %}}"
# JSONata: SHA-256 of the SHA-256 hashes of the answer's text in pieces of HASH_CHUNK
# characters, joined (the empty text: the hash of '').
_HASH_EXPRESSION = (
    f"{{% ( $text := ${ANSWER_TEXT_VARIABLE}; "
    f"$hash($join($map([0..$ceil($length($text) / {HASH_CHUNK}) - 1], function($i) {{ "
    f"$hash($substring($text, $i * {HASH_CHUNK}, {HASH_CHUNK}), 'SHA-256') }})), 'SHA-256') ) %}}"
)
_DEFAULT_MAX_FRESH_SECONDS = 3600
"""``max_fresh`` without a rate schedule (a cron, or on demand only)."""
_HEADER = _answer.HEADER


class PoliteRun(RunFeature):
    """``conditional``, ``store`` and ``respect_expires`` as given, and what they build."""

    def __init__(
        self,
        *,
        conditional: bool | None,
        store: Store | None,
        respect_expires: bool | None,
        result_selector: Mapping[str, Any] | None,
        on_status: Mapping[int, object] | None,
        computes_request: bool,
        max_fresh: Duration | None = None,
        rate_seconds: int | None = None,
        several_requests: bool = False,
        query_overrides: bool = False,
        backfill: bool = False,
    ) -> None:
        self.conditional = bool(conditional)
        self.store = store or Store.every_answer()
        self.respect_expires = bool(respect_expires)
        self._result_selector = result_selector
        self._on_status = on_status
        self._computes_request = computes_request
        self._max_fresh = max_fresh
        self._rate_seconds = rate_seconds
        self.several_requests = several_requests
        """True for a fan-out or pagination."""
        self.per_request = (
            several_requests or query_overrides or backfill
            or (computes_request and (self.conditional or self.respect_expires))
        )  # fmt: skip
        """True when each distinct request keeps its own memory (``memos``), not the state
        item's one: a run of several requests (a fan-out, pages); one request an on-demand
        run may override (``overridable_query``: another query's answer is never compared)
        or that a backfill runs for past times (each past time asks its own URL, compared only
        with that URL's memory: a backfill needs a request that follows the scheduled time);
        one request computed each run (time placeholders, a window, an incremental mark) with
        validators or freshness, which belong to one URL. ``Store.changes_only()`` alone on a
        computed request compares with the last stored answer, in the state item."""

    @property
    def max_fresh_millis(self) -> int:
        """How long past its scheduled time an answer may stay fresh, at most: ``max_fresh``,
        else two intervals of a rate schedule, else an hour (a cron, or on demand only)."""
        given = self._max_fresh
        if isinstance(given, Duration) and not Token.is_unresolved(given.to_milliseconds()):
            return int(given.to_milliseconds())
        rate = self._rate_seconds
        return 2 * rate * 1000 if rate else _DEFAULT_MAX_FRESH_SECONDS * 1000

    @property
    def changes_only(self) -> bool:
        """True with ``Store.changes_only()``."""
        return self.store.skips_unchanged

    @property
    def active(self) -> bool:
        """True when any polite feature is on."""
        return self.conditional or self.changes_only or self.respect_expires

    @property
    def reads_state(self) -> bool:
        """True when a run reads the state item first (every polite feature does, on a run of
        one fixed request; otherwise each request reads its own memory where it is made)."""
        return self.active and not self.per_request

    @property
    def request_headers(self) -> tuple[str, ...]:
        """The request headers a run computes (a trimming proxy maps them)."""
        return CONDITIONAL_REQUEST_HEADERS if self.conditional else ()

    @property
    def response_headers(self) -> tuple[str, ...]:
        """The response headers a run reads (a trimming proxy forwards them)."""
        return VALIDATOR_RESPONSE_HEADERS if self.conditional or self.respect_expires else ()

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """Each feature against the run's shape, transport, starts and status actions (their
        types are checked before, with every prop's)."""
        yield from self._check_max_fresh()
        if not self.active:
            return
        yield from self.store.check(self._result_selector)
        if self.conditional:
            yield from self._check_conditional(context)

    def _check_max_fresh(self) -> Iterator[Problem]:
        given = self._max_fresh
        if given is None:
            return
        if not self.respect_expires:
            yield Problem("max_fresh", given, "is given without respect_expires=True, which is "
                          "the only thing it bounds.",
                          "pass respect_expires=True, or drop max_fresh.")  # fmt: skip
        millis = given.to_milliseconds() if isinstance(given, Duration) else None
        if millis is not None and not Token.is_unresolved(millis) and millis < 1000:
            yield Problem("max_fresh", given, "is shorter than a second.",
                          "pass e.g. max_fresh=Duration.minutes(10).")  # fmt: skip

    def _check_conditional(self, context: CheckContext) -> Iterator[Problem]:
        if any(context.transport.refuses_header(name) for name in CONDITIONAL_REQUEST_HEADERS):
            yield Problem(
                "conditional", True,
                "sends If-None-Match / If-Modified-Since, which the HTTP Task refuses to send "
                "(\"Call HTTPS APIs in Step Functions workflows\": If-* request headers).",
                "use transport=Transport.api_gateway() (the default), or drop conditional.",
            )  # fmt: skip
        error = context.transport.status_error(NOT_MODIFIED_STATUS)
        if self._on_status is not None and NOT_MODIFIED_STATUS in self._on_status:
            yield Problem(
                f"on_status[{NOT_MODIFIED_STATUS}]", self._on_status[NOT_MODIFIED_STATUS],
                "is given with conditional=True, which already makes a 304 a success that "
                "stores nothing (output outcome 'notModified').",
                f"drop {NOT_MODIFIED_STATUS} from on_status.",
            )  # fmt: skip
        retry = context.retry
        errors = retry.errors if retry is not None else None
        if isinstance(errors, list | tuple):
            for name in errors:
                if name in ("States.ALL", error):
                    yield Problem(
                        "retry.errors", name,
                        f"retries {error}, the answer to a conditional request whose resource "
                        "has not changed: every unchanged run would ask again, and fail.",
                        f"name the errors to retry without {name!r}, e.g. "
                        f"{list(context.transport.retryable_errors[:2])}.",
                    )  # fmt: skip

    def download_assign(self) -> dict[str, Any]:
        """What the download keeps of the raw answer: its headers."""
        return {f"{ANSWER_HEADERS_VARIABLE}.$": "$.Headers"} if self.active else {}

    def before_request(self, scope: Construct, run: sfn.IChainable) -> sfn.IChainable:
        """``[StillFresh] → run`` (``ReadState`` comes first, by the flow, and computes the
        validators: ``state_assign``)."""
        if self.respect_expires:
            run = _expires.still_fresh(scope, run)
        return run

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """The answer's memory around a single answer (``guard``, ``store``, ``stored``), or
        each request's memory in a run of several (``request_memos``), and the headers the
        download keeps for it."""
        if not self.active:
            return parts
        if self.per_request:
            memos = RequestMemos(
                built.memory, conditional=self.conditional, changes_only=self.changes_only,
                respect_expires=self.respect_expires, max_fresh_millis=self.max_fresh_millis,
                status_error=built.downloads.status_error,
                static_headers=built.downloads.static_headers(),
            )  # fmt: skip
            return replace(
                parts, request_memos=memos,
                download_assign={**(parts.download_assign or {}), **self.download_assign()},
            )  # fmt: skip
        remembering = self.bind(built.memory, built.downloads.status_error)
        return replace(
            parts, memory=remembering,
            download_assign={**(parts.download_assign or {}), **self.download_assign()} or None,
            stored=then_stored(parts, lambda scope, _passes: remembering.stored(scope)),
        )  # fmt: skip

    def state_assign(self, built: Built) -> Mapping[str, Any]:
        """With ``conditional`` on one fixed request: the validators (``$requestHeaders``)
        computed as ``ReadState`` reads them, in its own ``Assign`` (no ``ComputeHeaders``,
        issue 28(a))."""
        if not (self.reads_state and self.conditional):
            return {}
        return _conditional.header_assign(built.downloads.static_headers(), item=READ_ITEM)

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """``[StillFresh] → run`` (the validators computed by ``ReadState``, ``state_assign``;
        memories per request: ``run``, each request reads its own)."""
        if self.per_request:
            return run
        return self.before_request(scope, run)

    def bind(self, memory: StateItem, status_error: Callable[[int], str]) -> BoundPoliteRun:
        """The states around the one download, for this downloader's state item."""
        return BoundPoliteRun(self, memory, status_error)


class BoundPoliteRun:
    """``AnswerMemory`` (``_parts``): the states a single-request shape wires around its
    download and its Persist."""

    def __init__(
        self, run: PoliteRun, memory: StateItem, status_error: Callable[[int], str]
    ) -> None:
        self._run = run
        self._memory = memory
        self._status_error = status_error

    @property
    def any(self) -> bool:
        """True when a polite feature is on."""
        return self._run.active

    @property
    def hashes(self) -> bool:
        """True with ``changes_only``: the selected result's text is hashed."""
        return self._run.changes_only

    def guard(self, scope: Construct, task: sfn.TaskStateBase, jsonata: bool = False) -> None:
        """With ``conditional``: ``ApiGateway.304`` → ``NotModified`` (the run succeeds)."""
        if not self._run.conditional:
            return
        not_modified = sfn.Pass.jsonata(
            scope,
            "NotModified",
            outputs={
                OUTCOME_KEY: OUTCOME_NOT_MODIFIED,
                REASON_KEY: "The API answered 304 Not Modified to the conditional request: "
                "nothing was written.",
                SCHEDULED_TIME_KEY: _SCHEDULED,
            },
        )
        # NotModified reads nothing of its input: a JSONata task's Catch (no ResultPath there)
        # passes the error output on, a JSONPath task's keeps the state.
        task.add_catch(
            not_modified,
            errors=[self._status_error(NOT_MODIFIED_STATUS)],
            result_path=None if jsonata else sfn.JsonPath.DISCARD,
        )

    def store(
        self, scope: Construct, persist: sfn.TaskStateBase, selected_path: str,
        described: str = "", text: str | None = None, text_kept: bool = False,
    ) -> sfn.Chain:  # fmt: skip
        """``[AnswerText →] ReadAnswer → [IsUnchanged] → persist``: a chain ending at
        ``persist``. ``ReadAnswer`` also refuses a compressed answer
        (``Downloader.CompressedAnswer``, the cause naming ``described``, the request).
        ``text``: the JSONPath intrinsic ``AnswerText`` hashes (default: the selected result
        at ``selected_path`` as JSON text), when the state holds the raw answer;
        ``text_kept``: the download assigned ``$answerText`` itself (no ``AnswerText``).

        With ``changes_only``: ``AnswerText`` (JSONPath, a Pass that only assigns) keeps the
        selected result as JSON text with every digit (``States.JsonToString``; JSONata's
        ``$string`` writes 15 significant digits), and ``ReadAnswer`` hashes it in pieces
        (``HASH_CHUNK``): ``States.Hash`` over the whole text fails past 10,000 characters."""
        run = self._run
        if not run.active:
            return sfn.Chain.start(persist)
        assign = {MEMORY_UPDATE_VARIABLE: self._update_expression()}
        if run.changes_only:
            assign[ANSWER_HASH_VARIABLE] = _HASH_EXPRESSION
        # A JSONata Choice, not a Pass: the same two history events, and one rule fails a
        # compressed answer before it is stored (issue 25 item 14; the headers the download
        # kept in $answerHeaders).
        read = sfn.Choice.jsonata(scope, "ReadAnswer", assign=assign)
        compressed_rule(
            read, compressed_failure(scope, "CompressedAnswerRefused",
                                     variable=COMPRESSED_ANSWER_VARIABLE),
            headers=f"${ANSWER_HEADERS_VARIABLE}", request=json.dumps(described),
        )  # fmt: skip
        if not run.changes_only:
            read.otherwise(persist)
            return sfn.Chain.custom(read, [persist], persist)
        unchanged = sfn.Pass.jsonata(
            scope,
            "Unchanged",
            outputs={
                OUTCOME_KEY: OUTCOME_UNCHANGED,
                REASON_KEY: "The selected result equals the last stored one: nothing was written.",
                SCHEDULED_TIME_KEY: _SCHEDULED,
            },
        )
        # The comparison is ReadAnswer's own rule (no IsUnchanged after it: one state less):
        # its condition hashes the text itself (a rule cannot read the state's Assign), and
        # the rule assigns what RememberUnchanged writes ("Choice workflow state": a rule's
        # Assign applies when that rule matches; the state-level one is not relied on there).
        stored_hash = f"${STATE_ITEM_VARIABLE}.Item.{RESULT_HASH_ATTRIBUTE}.S"
        hashed = _HASH_EXPRESSION.removeprefix("{% ").removesuffix(" %}")
        read.when(
            sfn.Condition.jsonata(
                f"{{% ($h := {hashed}; $exists({stored_hash}) and $h = {stored_hash}) %}}"
            ),
            self._remember(scope, "RememberUnchanged", "MemoryKeptUnchanged").next(unchanged),
            assign=assign,
        )
        read.otherwise(persist)
        if text_kept:
            return sfn.Chain.custom(read, [persist], persist)
        answer_text = sfn.Pass(
            scope,
            "AnswerText",
            assign={f"{ANSWER_TEXT_VARIABLE}.$": text or f"States.JsonToString({selected_path})"},
        )
        answer_text.next(read)
        return sfn.Chain.custom(answer_text, [persist], persist)

    def stored(self, scope: Construct) -> list[sfn.IChainable]:
        """``Remember``, right after ``Persist``."""
        return [self._remember(scope, "Remember", "MemoryKept")] if self._run.active else []

    def checked_assign(self) -> Mapping[str, Any] | None:
        """What a download that refuses a compressed answer itself (a JSONata task) assigns so
        that Persist follows it directly: the memory's update, from the answer's headers
        (``$states.result``); ``None`` with ``changes_only``, whose comparison is a state of
        its own (``ReadAnswer``)."""
        if not self._run.active:
            return {}
        if self._run.changes_only:
            return None
        return {MEMORY_UPDATE_VARIABLE: self._update_expression(_answer.DOWNLOADED_HEADER)}

    def _update_expression(self, header: str = _HEADER) -> str:
        run = self._run
        fields = {"order": f"$string({_expires.SCHEDULED_MILLIS})"}
        if run.conditional:
            fields.update(_conditional.validators())
        if run.respect_expires:
            fields[FRESH_UNTIL_ATTRIBUTE] = _expires.fresh_until(run.max_fresh_millis)
        body = ", ".join(f"'{name}': {value}" for name, value in fields.items())
        return f"{{% ( $header := {header}; {{{body}}} ) %}}"

    def _remember(self, scope: Construct, construct_id: str, kept: str) -> sfn.Chain:
        run = self._run
        update = f"${MEMORY_UPDATE_VARIABLE}"
        values: dict[str, tasks.DynamoAttributeValue] = {}
        if run.conditional:
            for name in (ETAG_ATTRIBUTE, LAST_MODIFIED_ATTRIBUTE):
                values[name] = tasks.DynamoAttributeValue.from_string(
                    sfn.JsonPath.string_at(f"{update}.{name}")
                )
        if run.respect_expires:
            values[FRESH_UNTIL_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.string_at(f"{update}.{FRESH_UNTIL_ATTRIBUTE}")
            )
        if run.changes_only:
            values[RESULT_HASH_ATTRIBUTE] = tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at(f"${ANSWER_HASH_VARIABLE}")
            )
        values[REMEMBERED_FOR_ATTRIBUTE] = tasks.DynamoAttributeValue.from_string(
            sfn.JsonPath.string_at(SCHEDULED_TIME_PATH)
        )
        values[REMEMBERED_ORDER_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
            sfn.JsonPath.string_at(f"{update}.order")
        )
        return self._memory.update(
            scope,
            construct_id,
            values=values,
            condition=(
                f"attribute_not_exists(#{REMEMBERED_ORDER_ATTRIBUTE}) "
                f"OR #{REMEMBERED_ORDER_ATTRIBUTE} <= :{REMEMBERED_ORDER_ATTRIBUTE}"
            ),
            when_not_applied=kept,
        )
