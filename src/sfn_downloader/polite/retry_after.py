"""``retry_after=RetryAfter(max_wait=...)``: a ``429`` or ``503`` waits what the server asks.

``apigateway:invoke`` fails a non-2xx answer with ``ApiGateway.<status>`` and only the body as
cause ("Call API Gateway with Step Functions", Error handling): a failed task never shows the
state machine a ``Retry-After`` header. So the downloader's own proxy answers a ``429``/``503``
as a ``200`` marked with ``X-Downloader-Throttled: <status>``, with the server's headers and its
body (``transport/trim.py``), and the download keeps its raw answer:

``Download → DownloadThrottled?`` — an answer with the mark goes to ``ComputeRetryAfter``
(JSONata: the wait from ``Retry-After`` as delta-seconds or an HTTP-date, else the reset
header as epoch seconds, compared with the state's entered time; without either, the retry
policy's backoff), then ``RetryAfterAllowed?``: ``WaitRetryAfter`` (a ``Wait`` of those
seconds) and the download again, or ``RetryAfterFailed`` (``Downloader.RetryAfterTooLong``
past ``max_wait`` or what is left of the run's timeout, ``Downloader.RetryAfterExhausted`` past
``max_waits``, ``ApiGateway.<status>`` once the backoff's attempts are spent), the server's
answer as cause. Every other answer goes on unchanged.

The HTTP Task has no proxy in between: its failure's cause is documented as nothing more than
the body, so ``retry_after`` is refused with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from aws_cdk import Duration, Token
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._checks import jsonata_path
from .._contract import (
    EXPRESS_MAX_MINUTES,
    INTEGRATION_TIMEOUT_SECONDS,
    RETRY_AFTER_EXHAUSTED_ERROR,
    RETRY_AFTER_FIELD,
    RETRY_AFTER_HEADER,
    RETRY_AFTER_STATUSES,
    RETRY_AFTER_TOO_LONG_ERROR,
    THROTTLED_HEADER,
)
from .._defaults import (
    DOWNLOAD_RETRY_BACKOFF_RATE,
    DOWNLOAD_RETRY_INTERVAL_SECONDS,
    DOWNLOAD_TASK_TIMEOUT_SECONDS,
)
from .._parts import Built, CheckContext, RunFeature, RunParts
from ..errors import Problem

_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_|~-]+$")
"""An HTTP field name (RFC 9110 token) that API Gateway can also map (no backtick)."""
_IMF_FIXDATE = "[FNn,*-3], [D01] [MNn,*-3] [Y0001] [H01]:[m01]:[s01] GMT"
"""RFC 9110 section 5.6.7's preferred HTTP-date, as a JSONata ``$toMillis`` picture."""
_IMF_FIXDATE_TEXT = (
    "/^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    " [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT/"
)
"""RFC 9110's IMF-fixdate (no ``$`` anchor: moto refuses a lone ``$``; the length is checked)."""
_REQUESTS_AROUND = 2
"""A wait sits between two requests, each up to API Gateway's integration timeout."""
_CAUSE_BODY_CHARACTERS = 30_000
"""A Fail cause holds at most 32,768 characters: the body is cut to leave room."""
_ALL = ("States.ALL", "States.TaskFailed")


def _path(state: object) -> str:
    """A state's construct path (one state seen through different jsii proxies)."""
    node = getattr(state, "node", None)
    return str(node.path) if node is not None else repr(state)


class RetryAfter(RunFeature):
    """Wait as long as the server asks before asking again (``429`` and ``503``, and the
    ``limited_statuses`` that say they are a rate limit).

    The server's ``Retry-After`` (delta-seconds, or an HTTP-date compared with the time the
    run looks at it) sets the wait; without it, ``reset_header`` (epoch seconds); without
    either, the download retry policy's backoff, as without ``retry_after``. A wait longer
    than ``max_wait``, or than what is left of the run's timeout, fails the run with
    ``Downloader.RetryAfterTooLong`` and the server's answer (status, header, body) as cause.

    API Gateway transport only (its proxy hands the throttled answer's headers over); every
    request of a run is waited on: one request, each page of a page loop, each path of a
    fan-out (and its pages), ``from_answer``'s list; ``Pagination.page_count()`` then fetches
    its pages one after another.

    :param max_wait: The longest wait the downloader accepts from the server, from 1 s. It must
        fit the run's timeout with the two requests around it (29 s each at most): at most
        242 s with the default 5-minute timeout (an Express run lasts at most 5 minutes).
    :param reset_header: A header holding the epoch second at which the server takes requests
        again (e.g. ``"X-RateLimit-Reset"``), read when ``Retry-After`` is absent.
        Default: no reset header, ``Retry-After`` only.
    :param max_waits: How many server-asked waits a request accepts (each page its own) before
        the run fails with ``Downloader.RetryAfterExhausted``, from 1 to 10. Default: ``3``, the
        download retry policy's default attempts.
    :param remaining_header: A header holding how many requests are left (e.g.
        ``"X-RateLimit-Remaining"``): ``0`` in an answer of a ``limited_statuses`` status says it
        is a rate limit. Default: none.
    :param limited_statuses: Statuses that are a rate limit only when the answer says so: it
        carries ``Retry-After``, or ``remaining_header`` reads ``0``. GitHub answers its rate
        limits with ``403`` (``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``, or
        ``retry-after``); a ``403`` without either stays the failure it is
        (``ApiGateway.403``), not retried. Such a status cannot also have an ``on_status``
        action. Default: none (``429`` and ``503`` only).
    """

    def __init__(
        self,
        *,
        max_wait: Duration,
        reset_header: str | None = None,
        max_waits: int = 3,
        remaining_header: str | None = None,
        limited_statuses: Sequence[int] = (),
    ) -> None:
        self.max_wait = max_wait
        """The longest server-asked wait accepted."""
        self.reset_header = reset_header
        """The epoch-seconds reset header read without ``Retry-After`` (or ``None``)."""
        self.max_waits = max_waits
        """Server-asked waits a run accepts."""
        self.remaining_header = remaining_header
        """The header whose ``0`` makes a ``limited_statuses`` answer a rate limit (or ``None``)."""
        self.limited_statuses: object = (
            tuple(limited_statuses) if isinstance(limited_statuses, list | tuple)
            else limited_statuses
        )  # fmt: skip
        """Statuses that are a rate limit when the answer says so."""

    @property
    def max_wait_seconds(self) -> int:
        """``max_wait`` in whole seconds."""
        return int(self.max_wait.to_seconds())

    @property
    def response_headers(self) -> tuple[str, ...]:
        """The headers the proxy must hand over for the wait."""
        return (
            RETRY_AFTER_HEADER,
            *([self.reset_header] if self.reset_header else []),
            *([self.remaining_header] if self.remaining_header else []),
        )

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every status the proxy hands over as a marked ``200``: ``429``, ``503`` and the valid
        ``limited_statuses``."""
        limited = self.limited_statuses
        extra = limited if isinstance(limited, tuple) else ()
        return tuple(dict.fromkeys([*RETRY_AFTER_STATUSES, *(s for s in extra if _status(s))]))

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """``max_wait`` positive and within the run's timeout, the header names, the transport
        and the run's shape."""
        yield from self._check_max_wait(context)
        for prop, header, example in (
            ("reset_header", self.reset_header, "X-RateLimit-Reset"),
            ("remaining_header", self.remaining_header, "X-RateLimit-Remaining"),
        ):
            if header is not None and (
                not isinstance(header, str) or not _HEADER_NAME.match(header)
                or header.lower() in (RETRY_AFTER_HEADER.lower(), THROTTLED_HEADER.lower())
            ):  # fmt: skip
                yield Problem(
                    f"retry_after.{prop}", header,
                    "is not a response header name the proxy can hand over (letters, digits "
                    f"and !#$%&'*+.^_|~- only; not {RETRY_AFTER_HEADER!r}, which is always "
                    "read).",
                    f"pass the header's name as the API sends it, e.g. {prop}={example!r}, or "
                    "leave it out.",
                )  # fmt: skip
        limited = self.limited_statuses
        if not isinstance(limited, tuple) or not all(_status(s) for s in limited):
            yield Problem(
                "retry_after.limited_statuses", limited,
                "is not a list of 4xx/5xx statuses other than 429 and 503 (which always wait).",
                "pass e.g. limited_statuses=[403].",
            )  # fmt: skip
        waits = self.max_waits
        if not isinstance(waits, int) or isinstance(waits, bool) or not 1 <= waits <= 10:
            yield Problem("retry_after.max_waits", waits, "is not an integer from 1 to 10.",
                          "pass e.g. max_waits=3.")  # fmt: skip
        if not context.transport.relays_throttled_answers:
            yield from self._check_backoff_only(context)

    def _check_backoff_only(self, context: CheckContext) -> Iterator[Problem]:
        """Without a proxy (the HTTP Task) a throttled request fails its task, and no AWS page
        says the failure's cause holds the answer's headers: what reads a header is refused,
        and the run's timeout must hold every backoff wait."""
        why = (
            "is read from the throttled answer's headers, and the HTTP Task hands a failed "
            "request to the state machine as States.Http.StatusCode.<status> with no "
            'document saying its cause holds them ("Call HTTPS APIs in Step Functions '
            'workflows"; asked in scripts/verify_on_aws.py throttled-answers): with the HTTP '
            "Task, retry_after waits the retry policy's backoff."
        )
        for prop, value in (
            ("reset_header", self.reset_header),
            ("remaining_header", self.remaining_header),
            ("limited_statuses", list(self.limited_statuses)
             if isinstance(self.limited_statuses, tuple) and self.limited_statuses else None),
        ):  # fmt: skip
            if value:
                yield Problem(f"retry_after.{prop}", value, why,
                              f"drop {prop}, or use Transport.api_gateway() (the default), "
                              "whose proxy hands the headers over.")  # fmt: skip
        timeout = context.timeout_seconds
        if timeout is None:
            return
        given = context.retry
        waits = self.backoff_waits(
            {"interval": given.interval, "backoff_rate": given.backoff_rate}
            if given is not None
            else {"interval": Duration.seconds(DOWNLOAD_RETRY_INTERVAL_SECONDS),
                  "backoff_rate": DOWNLOAD_RETRY_BACKOFF_RATE}
        )  # fmt: skip
        around = _REQUESTS_AROUND * DOWNLOAD_TASK_TIMEOUT_SECONDS
        if sum(waits) + around > timeout:
            shown = " + ".join(f"{w:g}" for w in waits)
            yield Problem(
                "retry_after.max_waits", self.max_waits,
                f"cannot fit the run: its backoff waits up to {shown} s = {sum(waits):g} s, + "
                f"{_REQUESTS_AROUND} x {DOWNLOAD_TASK_TIMEOUT_SECONDS} s for the requests "
                f"around them = {sum(waits) + around:g} s > the run's timeout of {timeout:g} s.",
                "lower max_waits or max_wait, or raise timeout (Standard runs may last longer).",
            )  # fmt: skip

    def backoff_waits(self, retry: Mapping[str, Any]) -> list[float]:
        """The longest wait before each retry of a throttled request without its headers:
        the retry policy's interval and backoff rate, each at most ``max_wait``
        (``MaxDelaySeconds``), ``max_waits`` of them."""
        interval = _seconds(retry.get("interval"), 1)
        rate = float(retry.get("backoff_rate") or 2)
        cap = self.max_wait_seconds
        return [min(interval * rate**k, cap) for k in range(self.max_waits)]

    def backoff_rule(self, retry: Mapping[str, Any], errors: Sequence[str]) -> dict[str, Any]:
        """The Retry rule a throttled request meets through the HTTP Task: the policy's
        interval and backoff, ``max_waits`` attempts, each wait at most ``max_wait``, full
        jitter ("Handling errors in Step Functions workflows": ``MaxDelaySeconds``,
        ``JitterStrategy``)."""
        return {
            "errors": list(errors),
            "interval": Duration.seconds(_seconds(retry.get("interval"), 1)),
            "backoff_rate": float(retry.get("backoff_rate") or 2),
            "max_attempts": self.max_waits,
            "max_delay": self.max_wait,
            "jitter_strategy": sfn.JitterType.FULL,
        }

    def _check_max_wait(self, context: CheckContext) -> Iterator[Problem]:
        wait = self.max_wait
        if not isinstance(wait, Duration) or Token.is_unresolved(wait.to_milliseconds()):
            yield Problem("retry_after.max_wait", wait, "is not a Duration known at synth.",
                          "pass e.g. max_wait=Duration.minutes(2).")  # fmt: skip
            return
        seconds = float(wait.to_milliseconds()) / 1000
        if seconds < 1 or seconds != int(seconds):
            yield Problem(
                "retry_after.max_wait", f"{seconds:g} s",
                "is not a whole number of seconds from 1 s (a Wait state waits whole seconds).",
                "pass e.g. max_wait=Duration.minutes(2).",
            )  # fmt: skip
            return
        around = _REQUESTS_AROUND * INTEGRATION_TIMEOUT_SECONDS
        timeout = context.timeout_seconds
        if timeout is None:
            return
        express = context.run_workflow_type == sfn.StateMachineType.EXPRESS
        if seconds + around > timeout:
            limit = (
                f" (an Express run lasts at most {EXPRESS_MAX_MINUTES} minutes)" if express else ""
            )
            yield Problem(
                "retry_after.max_wait", f"{seconds:g} s",
                f"cannot fit the run: {seconds:g} s + {_REQUESTS_AROUND} x "
                f"{INTEGRATION_TIMEOUT_SECONDS} s for the requests around it = "
                f"{seconds + around:g} s > the run's timeout of {timeout:g} s{limit}.",
                f"lower max_wait to at most {max(timeout - around, 0):g} s"
                + (", or use workflow_type=sfn.StateMachineType.STANDARD with a longer "
                   "timeout" if express else ", or raise timeout")
                + ".",
            )  # fmt: skip

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """The waits, wired by the shape around each download; without a proxy that hands
        a throttled answer over (the HTTP Task), a Retry rule on every download, before the
        retry policy: the backoff, ``max_waits`` times, each wait at most ``max_wait``."""
        downloads = built.downloads
        if not downloads.relays_throttled_answers:
            errors = [downloads.status_error(status) for status in RETRY_AFTER_STATUSES]
            rule = self.backoff_rule(downloads.retry_kwargs(), errors)
            return replace(parts, downloads=parts.downloads.retrying_first(rule))
        waits = self.bind(
            retry=built.downloads.retry_kwargs(), status_error=built.downloads.status_error,
            timeout_seconds=built.timeout_seconds,
        )  # fmt: skip
        return replace(parts, server_waits=waits)

    def bind(
        self,
        *,
        retry: Mapping[str, Any],
        status_error: Callable[[int], str],
        timeout_seconds: float | None,
    ) -> BoundRetryAfter:
        """The states for one downloader: ``retry`` is the download retry policy's keyword
        arguments (its backoff applies without a header), ``status_error`` the transport's
        error names."""
        errors = tuple(retry.get("errors") or ())
        backed_off = tuple(
            status for status in RETRY_AFTER_STATUSES
            if status_error(status) in errors or any(e in errors for e in _ALL)
        )  # fmt: skip
        return BoundRetryAfter(
            self, retry=retry, backed_off=backed_off, status_error=status_error,
            timeout_seconds=timeout_seconds,
        )  # fmt: skip

    def __repr__(self) -> str:
        reset = f", reset_header={self.reset_header!r}" if self.reset_header else ""
        if self.remaining_header:
            reset += f", remaining_header={self.remaining_header!r}"
        if isinstance(self.limited_statuses, tuple) and self.limited_statuses:
            reset += f", limited_statuses={list(self.limited_statuses)!r}"
        return f"RetryAfter(max_wait={self.max_wait_seconds} s{reset}, max_waits={self.max_waits})"


class BoundRetryAfter:
    """``retry_after`` built into one downloader: the states around its download."""

    def __init__(
        self,
        options: RetryAfter,
        *,
        retry: Mapping[str, Any],
        backed_off: tuple[int, ...],
        status_error: Callable[[int], str],
        timeout_seconds: float | None,
    ) -> None:
        self._options = options
        self._retry = retry
        self._backed_off = backed_off
        self._status_error = status_error
        self._timeout = timeout_seconds

    def around(
        self,
        scope: Construct,
        name: str,
        task: sfn.TaskStateBase,
        *,
        raw_path: str = "$.result",
        failed: sfn.State | None = None,
        prefix: str = "",
        asked: str = "$states.input",
        checked: Callable[[sfn.Choice], None] | None = None,
    ) -> sfn.Chain:
        """``task`` (keeping its raw answer at ``raw_path``), then ``<name>Throttled?``: a
        marked answer waits and loops back to ``task``; the chain goes on with any other.
        ``failed``: where a wait that is not allowed goes (in a fan-out's iteration, that
        request's failed outcome); by default the run fails (``RetryAfterFailed``).
        ``asked``: JSONata giving the state ``task`` is entered with again after the wait (and
        its count of waits): the state itself, or, when ``task``'s output is the raw answer
        alone (``raw_path`` ``$``, the checked page loop), the variable it kept its input in.
        ``checked``: ``<name>Throttled?`` is a JSONata Choice, ``checked`` adding its rules
        first (a fan-out path's compressed answer refused before it is waited on or stored,
        issue 25 item 14; no state added)."""
        throttled = (
            sfn.Choice.jsonata(scope, f"{name}Throttled")
            if checked is not None
            else sfn.Choice(scope, f"{name}Throttled")
        )
        refusals: set[str] = set()  # where ``checked``'s rules end (jsii gives new proxies)
        if checked is not None:
            checked(throttled)
            refusals = {_path(state) for state in throttled.afterwards().end_states}
        wait = sfn.Wait(
            scope, prefix + "WaitRetryAfter",
            time=sfn.WaitTime.seconds_path(f"$.{RETRY_AFTER_FIELD}.seconds"),
        )  # fmt: skip
        failed = failed or sfn.Fail(
            scope, prefix + "RetryAfterFailed", error_path=f"$.{RETRY_AFTER_FIELD}.error",
            cause_path=f"$.{RETRY_AFTER_FIELD}.cause",
        )  # fmt: skip
        allowed = sfn.Choice(scope, prefix + "RetryAfterAllowed")
        allowed.when(sfn.Condition.is_present(f"$.{RETRY_AFTER_FIELD}.error"), failed)
        allowed.otherwise(wait.next(task))
        compute = sfn.Pass.jsonata(
            scope,
            prefix + "ComputeRetryAfter",
            outputs="{% " + self._expression(raw_path, asked) + " %}",
        ).next(allowed)
        task.next(throttled)
        marked = (
            sfn.Condition.jsonata(
                "{% $exists("
                + jsonata_path(f"{raw_path}.Headers", "$states.input")
                + f".`{THROTTLED_HEADER}`) %}}"
            )
            if checked is not None
            else sfn.Condition.is_present(f"{raw_path}.Headers['{THROTTLED_HEADER}']")
        )
        throttled.when(marked, compute)
        after = throttled.afterwards(include_otherwise=True)
        # A refused wait ends where `failed` leads (a Fail, or a fan-out path's outcome): the
        # chain goes on from the other ends only.
        refused: object = failed
        ends = [
            state for state in after.end_states
            if state is not refused and _path(state) not in refusals
        ]  # fmt: skip
        return sfn.Chain.custom(task, ends, throttled)

    def _expression(self, raw_path: str, asked: str = "$states.input") -> str:
        """The JSONata of ``ComputeRetryAfter``: the state asked with (``asked``), plus
        ``retryAfter``: ``seconds``, ``waits`` (this one included), ``cause``, and ``error``
        when the run must stop."""
        options, retry = self._options, self._retry
        interval = _seconds(retry.get("interval"), 1)
        rate = float(retry.get("backoff_rate") or 2)
        max_delay = _seconds(retry.get("max_delay"), 3600)
        given = retry.get("max_attempts")
        attempts = int(given) if isinstance(given, int | float) else 3
        full_jitter = str(retry.get("jitter_strategy")) == str(sfn.JitterType.FULL)
        backoff = f"$min([{interval:g} * $power({rate:g}, $waits - 1), {max_delay:g}])"
        backoff = f"$ceil($random() * {backoff})" if full_jitter else f"$ceil({backoff})"
        # A reset header that is not digits counts as absent (as an unreadable Retry-After).
        # Header names compared case-insensitively (RFC 9110, 5.1): an API's `retry-after`
        # (and, through a non-proxy integration, the lower-case spelling it maps) is read too.
        reset_value = f"$hv('{(options.reset_header or '').lower()}')"
        reset = (
            f"$digits($trim({reset_value})) ? $number($trim({reset_value}))"
            if options.reset_header
            else "undefined"
        )
        reset_said = f"'{options.reset_header}: ' & {reset_value}" if options.reset_header else "''"
        backed_off = "[" + ", ".join(f"'{s}'" for s in self._backed_off) + "]"
        limited = "[" + ", ".join(f"'{s}'" for s in self._options.statuses
                                  if s not in RETRY_AFTER_STATUSES) + "]"  # fmt: skip
        # A limited status (GitHub's 403) is a rate limit only when the answer says so.
        remaining = (
            f"$trim($hv('{options.remaining_header.lower()}')) = '0'"
            if options.remaining_header else "false"
        )  # fmt: skip
        prefix = self._status_error(0).removesuffix("0")
        field, too_long, exhausted = (
            RETRY_AFTER_FIELD, RETRY_AFTER_TOO_LONG_ERROR, RETRY_AFTER_EXHAUSTED_ERROR
        )  # fmt: skip
        left = (
            f"{self._timeout:g} - ($now - $toMillis($states.context.Execution.StartTime))"
            f" / 1000 - {INTEGRATION_TIMEOUT_SECONDS}"
            if self._timeout is not None
            else "$max"  # a timeout known at deploy time only: max_wait bounds the wait
        )
        lines = [
            "$a := $states.input" + (f".{raw_path[2:]}" if raw_path != "$" else ""),
            "$h := $a.Headers",
            "$hv := function($n) { ($k := $filter($keys($h), function($x) { $lowercase($x) = $n });"
            " $exists($k) ? $lookup($h, $k[0])[0]) }",
            f"$status := $h.`{THROTTLED_HEADER}`[0]",
            "$now := $toMillis($states.context.State.EnteredTime)",
            f"$max := {options.max_wait_seconds}",
            f"$left := {left}",
            f"$waits := ($exists({asked}.{field}.waits) ? {asked}.{field}.waits : 0) + 1",
            f"$ra := $trim($hv('{RETRY_AFTER_HEADER.lower()}'))",
            # Only digits (no `$` anchor: moto refuses a lone `$` as a variable reference).
            "$digits := function($v) {"
            " $exists($v) and $v != '' and $not($contains($v, /[^0-9]/)) }",
            "$delta := $digits($ra)",
            # An IMF-fixdate as RFC 9110 writes it (29 characters, this letter case); any other
            # text counts as no Retry-After: jsonata 2.0.6's $toMillis fails on other cases.
            f"$date := $exists($ra) and $length($ra) = 29 and $contains($ra, {_IMF_FIXDATE_TEXT})"
            f" ? $toMillis($ra, '{_IMF_FIXDATE}')",
            f"$reset := {reset}",
            "$asked := $delta ? $number($ra) : $exists($date) ? $ceil(($date - $now) / 1000)"
            " : $exists($reset) ? $ceil($reset - $now / 1000)",
            f"$seconds := $exists($asked) ? ($asked < 0 ? 0 : $asked) : {backoff}",
            f"$said := $exists($ra) ? '{RETRY_AFTER_HEADER}: ' & $ra"
            f" : $exists($reset) ? {reset_said} : 'no {RETRY_AFTER_HEADER}'",
            "$body := $type($a.ResponseBody) = 'string' ? $a.ResponseBody"
            " : $string($a.ResponseBody)",
            f"$limited := $status in {limited}",
            f"$limit := $limited and ($exists($ra) or {remaining})",
            f"$error := $limited and $not($limit) ? '{prefix}' & $status"
            f" : $exists($asked) ? ($seconds > $max or $seconds > $left ? '{too_long}'"
            f" : $waits > {options.max_waits} ? '{exhausted}')"
            f" : (($status in {backed_off} or $limit) and $waits <= {attempts} ? undefined"
            f" : '{prefix}' & $status)",
            f"$why := $error = '{too_long}' ? ($seconds > $max"
            " ? ', ' & $string($seconds) & ' s is over max_wait (' & $string($max) & ' s)'"
            " : ', ' & $string($seconds) & ' s is more than the run has left ('"
            " & $string($floor($left)) & ' s)')"
            f" : $error = '{exhausted}' ? ', still throttled after {options.max_waits} waits'"
            " : ''",
            f"$merge([{asked}, {{'{field}': {{'seconds': $seconds, 'waits': $waits,"
            " 'error': $error, 'cause': 'HTTP ' & $status & ' (' & $said & ')' & $why & ': '"
            f" & $substring($body, 0, {_CAUSE_BODY_CHARACTERS})}}}}])",
        ]
        return "(" + "; ".join(lines) + ")"


def _status(value: object) -> bool:
    """A status ``limited_statuses`` may name: 4xx or 5xx, not one that always waits."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and 400 <= value <= 599
        and value not in RETRY_AFTER_STATUSES
    )  # fmt: skip


def _seconds(value: object, default: float) -> float:
    if isinstance(value, Duration) and not Token.is_unresolved(value.to_seconds()):
        return float(value.to_seconds())
    return default
