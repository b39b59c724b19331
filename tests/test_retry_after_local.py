"""retry_after, locally: the synthesized proxy and states against a stand-in that throttles.

The stand-in answers 429/503 with ``Retry-After`` (delta-seconds or an HTTP-date) or
``X-RateLimit-Reset`` (epoch seconds); the runner (``fast_retries``) records each Wait state's
seconds in ``runner.waits`` instead of sleeping them, and each Retry interval in
``retry_intervals``.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import count

import pytest

from local_helpers import Answer, Upstream
from sfn_downloader.local import LocalRunner

from scenarios import Scenario

SLOW_DOWN = {"message": "slow down"}
_minutes = count(1)


def fresh_time() -> str:
    """A scheduled time of its own for each run (items are keyed by it)."""
    minute = next(_minutes)
    return f"2026-11-27T{5 + minute // 60:02d}:{minute % 60:02d}:00Z"


@pytest.fixture(scope="module")
def runners(retry_after: Scenario, upstream: Upstream) -> Iterator[dict[str, LocalRunner]]:
    """The session's synthesized scenario (conftest), one runner a downloader."""
    with ExitStack() as exits:
        yield {
            name: exits.enter_context(
                LocalRunner(
                    retry_after.stack,
                    upstream=upstream.url,
                    pattern=f"TestStack/{name}",
                    fast_retries=True,
                    secrets={"example/api-token": "local-token"},
                )
            )
            for name in ("Status", "Limited", "Issues")
        }


def stored(runner: LocalRunner, when: str) -> list[dict[str, object]]:
    return [item for item in runner.items() if item["sk"] == when]


@pytest.mark.parametrize("name", ["Retry-After", "retry-after"])
def test_retry_after_seconds_waits_that_long_then_stores_one_item(
    runners: dict[str, LocalRunner], upstream: Upstream, name: str
) -> None:
    """``retry-after`` too: the proxy maps the lower-case spelling as well, and
    ``ComputeRetryAfter`` reads names in any case (issue 25, item 12)."""
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(Answer(429, SLOW_DOWN, headers={name: "3"}), Answer(200, {"players": 7}))
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert [item["players"] for item in stored(runner, when)] == [7]
    assert runner.waits[waits:] == [3]
    assert len(upstream.requests) == 2  # the wait replaced the 2-4-8 s backoff: no retry


def test_a_wait_over_max_wait_fails_the_run_with_the_server_answer_as_cause(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """180 s: over max_wait (120 s) but well within what the 5-minute run has left, so only
    max_wait can refuse it."""
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(Answer(429, SLOW_DOWN, headers={"Retry-After": "180"}))
    execution = runner.run(when)
    assert (execution.status, execution.error) == ("FAILED", "Downloader.RetryAfterTooLong")
    assert "HTTP 429 (Retry-After: 180), 180 s is over max_wait (120 s)" in execution.cause
    assert "slow down" in execution.cause
    assert len(upstream.requests) == 1
    assert runner.waits[waits:] == []
    assert stored(runner, when) == []


def test_a_wait_of_exactly_max_wait_is_waited(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """max_wait is the longest wait accepted: the bound itself is allowed."""
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(
        Answer(429, SLOW_DOWN, headers={"Retry-After": "120"}), Answer(200, {"players": 4})
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert runner.waits[waits:] == [120]
    assert len(upstream.requests) == 2
    assert [item["players"] for item in stored(runner, when)] == [4]


def test_an_http_date_is_compared_with_the_time_the_run_reads_it(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    date = email.utils.formatdate(time.time() + 6, usegmt=True)  # IMF-fixdate
    upstream.script(
        Answer(429, SLOW_DOWN, headers={"Retry-After": date}), Answer(200, {"players": 8})
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(runner.waits[waits:]) == 1
    assert 3 <= runner.waits[waits] <= 6  # whole seconds, less the time the run took so far
    assert len(upstream.requests) == 2


def test_503_with_retry_after_waits_too(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(
        Answer(503, "maintenance", headers={"Retry-After": "2", "Content-Type": "text/plain"}),
        Answer(200, {"players": 9}),
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert runner.waits[waits:] == [2]
    assert [item["players"] for item in stored(runner, when)] == [9]


def test_more_waits_than_max_waits_fail_the_run(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(default=Answer(429, SLOW_DOWN, headers={"Retry-After": "1"}))
    execution = runner.run(when)
    assert (execution.status, execution.error) == ("FAILED", "Downloader.RetryAfterExhausted")
    assert "still throttled after 3 waits" in execution.cause
    assert runner.waits[waits:] == [1, 1, 1]
    assert len(upstream.requests) == 4


def test_without_a_header_the_retry_policy_backoff_applies(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(default=Answer(429, SLOW_DOWN))
    execution = runner.run(when)
    # As without retry_after: three waits of 2, 4, 8 s at most (full jitter), then ApiGateway.429.
    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.429")
    backoff = runner.waits[waits:]
    assert len(backoff) == 3
    assert all(0 <= wait <= bound for wait, bound in zip(backoff, (2, 4, 8), strict=True))
    assert len(upstream.requests) == 4
    assert "no Retry-After" in execution.cause


@pytest.mark.parametrize("name", ["RETRY-AFTER", "Retry-after"])
def test_a_third_spelling_of_retry_after_is_not_passed_on_by_the_proxy(
    runners: dict[str, LocalRunner], upstream: Upstream, name: str
) -> None:
    """The limit, kept (issue 25, item 12): a non-proxy integration maps a header by its exact
    name ("Amazon API Gateway important notes": header names are case-sensitive in mappings),
    and the proxy maps the two spellings servers write (``Retry-After``, HTTP/1.1's usual one,
    and ``retry-after``, HTTP/2's only one, RFC 9113 8.2.1). ``RETRY-AFTER`` reaches no state:
    the answer counts as one without the header, and the retry policy's backoff applies."""
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(default=Answer(429, SLOW_DOWN, headers={name: "3"}))
    execution = runner.run(when)
    assert (execution.status, execution.error) == ("FAILED", "ApiGateway.429")
    backoff = runner.waits[waits:]  # 2-4-8 s with full jitter, not the server's 3 s
    assert len(backoff) == 3 and all(
        0 <= wait <= bound for wait, bound in zip(backoff, (2, 4, 8), strict=True)
    )
    assert "no Retry-After" in (execution.cause or "")


@pytest.mark.parametrize("name", ["X-RateLimit-Reset", "x-ratelimit-reset"])
def test_the_reset_header_gives_the_epoch_second_to_wait_for(
    runners: dict[str, LocalRunner], upstream: Upstream, name: str
) -> None:
    runner, when = runners["Limited"], fresh_time()
    waits = len(runner.waits)
    reset = str(int(time.time()) + 5)
    upstream.script(Answer(429, SLOW_DOWN, headers={name: reset}), Answer(200, [1, 2]))
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(runner.waits[waits:]) == 1
    assert 3 <= runner.waits[waits] <= 5
    assert [item["body"] for item in stored(runner, when)] == ["[1,2]"]
    assert upstream.requests[-1].headers["authorization"] == "local-token"


def test_other_statuses_are_unchanged_retried_or_skipped(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner = runners["Limited"]
    waits = len(runner.waits)
    upstream.script(Answer(500, {"message": "oops"}), Answer(200, [3]))
    retried = runner.run(fresh_time())
    requests = len(upstream.requests)
    upstream.script(Answer(404, {"message": "gone"}))
    skipped_at = fresh_time()
    skipped = runner.run(skipped_at)
    assert retried.status == "SUCCEEDED", retried.cause
    assert requests == 2  # the Retry policy, as before (no Wait state)
    assert runner.waits[waits:] == []
    assert skipped.status == "SUCCEEDED", skipped.cause
    assert stored(runner, skipped_at) == []


def test_a_retry_after_that_is_neither_seconds_nor_a_date_falls_back_to_the_backoff(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(
        Answer(429, SLOW_DOWN, headers={"Retry-After": "soon"}), Answer(200, {"players": 5})
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(runner.waits[waits:]) == 1 and 0 <= runner.waits[waits] <= 2


def test_an_incremental_mark_is_sent_on_every_attempt_and_advanced_once_stored(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    runner, when = runners["Issues"], fresh_time()
    upstream.script(
        Answer(429, SLOW_DOWN, headers={"Retry-After": "1"}),
        Answer(200, [{"updated_at": "2026-02-01T00:00:00Z"}]),
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    # The non-proxy integration maps `since` by name: dropped, every run would ask from scratch.
    assert [seen.query for seen in upstream.requests] == [
        {"since": ["2026-01-01T00:00:00Z"]}, {"since": ["2026-01-01T00:00:00Z"]}
    ]  # fmt: skip
    [state] = [item for item in runner.items() if item["sk"] == "#state"]
    assert state["mark"] == "2026-02-01T00:00:00Z"


@pytest.mark.parametrize(
    "header",
    [
        "FRI, 27 NOV 2026 10:00:00 GMT",  # jsonata 2.0.6's $toMillis: D3136
        "Fri, 7 Nov 2026 10:00:00 GMT",  # one-digit day: $toMillis gives nothing
        "Friday, 27-Nov-26 10:00:00 GMT",  # RFC 850, obsolete
    ],
)
def test_a_retry_after_not_in_imf_fixdate_letter_case_counts_as_absent(
    runners: dict[str, LocalRunner], upstream: Upstream, header: str
) -> None:
    """Issue 25, point 5: a Retry-After that is neither delta-seconds nor an IMF-fixdate as RFC
    9110 writes it counts as no header: the retry policy's backoff applies (the run failed
    before, evaluated by jsonata 2.0.6 as on AWS)."""
    runner, when = runners["Status"], fresh_time()
    waits = len(runner.waits)
    upstream.script(
        Answer(429, SLOW_DOWN, headers={"Retry-After": header}), Answer(200, {"players": 8})
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(runner.waits[waits:]) == 1 and 0 <= runner.waits[waits] <= 2


def test_a_reset_header_that_is_not_digits_counts_as_absent(
    runners: dict[str, LocalRunner], upstream: Upstream
) -> None:
    """Issue 25, point 5: X-RateLimit-Reset "soon" ($number failed: D3030) is no header."""
    runner, when = runners["Limited"], fresh_time()
    waits = len(runner.waits)
    upstream.script(
        Answer(429, SLOW_DOWN, headers={"X-RateLimit-Reset": "soon"}), Answer(200, [1, 2])
    )
    execution = runner.run(when)
    assert execution.status == "SUCCEEDED", execution.cause
    assert len(runner.waits[waits:]) == 1 and 0 <= runner.waits[waits] <= 2
