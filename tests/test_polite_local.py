"""Polite downloading, run locally against a stand-in that implements ETag, Last-Modified, 304,
Cache-Control and Expires: what each run sends, what it stores, what it remembers, and what a
run that stores nothing says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from local_helpers import Answer, Upstream
from sfn_downloader._contract import HASH_INPUT_LIMIT
from sfn_downloader.local import LocalRunner

from scenarios import Scenario

T = [f"2026-11-27T05:{minute:02d}:00Z" for minute in range(30, 40)]


def runner_for(polite: Scenario, upstream: Upstream, name: str) -> Iterator[LocalRunner]:
    """A runner (a generator: ``for runner in ...`` closes it at the end of the block)."""
    with LocalRunner(polite.stack, upstream=upstream.url, pattern=f"TestStack/{name}") as runner:
        yield runner


def millis(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def state(runner: LocalRunner, pk: str) -> dict[str, Any]:
    [item] = [i for i in runner.items() if i["pk"] == pk and i["sk"] == "#state"]
    return item


def answers(runner: LocalRunner, pk: str) -> list[dict[str, Any]]:
    return [i for i in runner.items() if i["pk"] == pk and i["sk"] != "#state"]


def test_etag_goes_back_as_if_none_match_and_a_304_stores_nothing(
    polite: Scenario, upstream: Upstream
) -> None:
    for runner in runner_for(polite, upstream, "Etag"):
        # Run 1: no validator yet, so no If-None-Match; stores, remembers the ETag.
        upstream.script(Answer(200, {"players": 5}, {"ETag": '"v1"'}))
        first = runner.run(T[0])
        assert first.status == "SUCCEEDED", first.cause
        assert "if-none-match" not in upstream.requests[0].headers
        assert upstream.requests[0].headers["accept"] == "application/json"  # static kept
        assert state(runner, "etag")["etag"] == '"v1"'
        # Run 2: sends it back; the stand-in answers 304: success, nothing written, no retry.
        upstream.script(Answer(304, b"", {"ETag": '"v1"'}))
        second = runner.run(T[1])
        assert second.status == "SUCCEEDED", second.cause
        assert [r.headers.get("if-none-match") for r in upstream.requests] == ['"v1"']
        assert second.output["outcome"] == "notModified"
        assert second.output["scheduledTime"] == T[1]
        assert len(answers(runner, "etag")) == 1
        # Run 3: changed, a new ETag: stored and remembered.
        upstream.script(Answer(200, {"players": 6}, {"etag": 'W/"v2"'}))  # any case
        third = runner.run(T[2])
        assert third.status == "SUCCEEDED", third.cause
        assert upstream.requests[0].headers["if-none-match"] == '"v1"'
        assert [i["players"] for i in answers(runner, "etag")] == [5, 6]
        remembered = state(runner, "etag")
        assert (remembered["etag"], remembered["rememberedFor"]) == ('W/"v2"', T[2])
        # A late delivery of an older scheduled time stores its answer, but cannot overwrite
        # the newer run's validators (Remember's condition; MemoryKept).
        upstream.script(Answer(200, {"players": 4}, {"ETag": '"old"'}))
        late = runner.run("2026-11-27T05:29:00Z")
        assert late.status == "SUCCEEDED", late.cause
        assert state(runner, "etag") == remembered
        assert len(answers(runner, "etag")) == 3
        # A failed run (API down) never reaches Remember: the validator stays.
        upstream.script(default=Answer(404, {"error": "gone"}))
        assert runner.run(T[3]).status == "FAILED"
        assert state(runner, "etag") == remembered
        upstream.script(default=Answer())


def test_last_modified_goes_back_as_if_modified_since_through_a_trimming_proxy(
    polite: Scenario, upstream: Upstream
) -> None:
    """The trimming proxy's non-proxy integration passes only the headers it maps: both the
    validator request headers and the validator response headers must be mapped."""
    modified = "Wed, 25 Nov 2026 10:00:00 GMT"
    for runner in runner_for(polite, upstream, "Modified"):
        upstream.script(Answer(200, [{"players": 5, "noise": "x"}], {"Last-Modified": modified}))
        assert runner.run(T[0]).succeeded
        assert state(runner, "modified")["lastModified"] == modified
        assert "if-modified-since" not in upstream.requests[0].headers
        upstream.script(Answer(304, b""))
        second = runner.run(T[1])
        assert second.status == "SUCCEEDED", second.cause
        assert upstream.requests[0].headers["if-modified-since"] == modified
        assert second.output["outcome"] == "notModified"
        later = "Thu, 26 Nov 2026 10:00:00 GMT"
        upstream.script(Answer(200, [{"players": 7}], {"Last-Modified": later}))
        assert runner.run(T[2]).succeeded
        assert upstream.requests[0].headers["if-modified-since"] == modified
        assert [i["players"] for i in answers(runner, "modified")] == [5, 7]
        assert state(runner, "modified")["lastModified"] == later


def test_changes_only_three_identical_answers_then_a_different_one_are_two_items(
    polite: Scenario, upstream: Upstream
) -> None:
    for runner in runner_for(polite, upstream, "Changes"):
        # Headers that change every answer (Date) are not part of the selected result.
        upstream.script(
            *[Answer(200, {"players": 5}, {"X-Request-Id": str(n)}) for n in range(3)],
            Answer(200, {"players": 6}),
        )
        outputs = []
        for when in T[:4]:
            execution = runner.run(when)
            assert execution.status == "SUCCEEDED", execution.cause
            outputs.append(execution.output.get("outcome"))
        assert outputs == [None, "unchanged", "unchanged", None]
        stored = answers(runner, "changes")
        assert [(i["sk"], i["players"]) for i in stored] == [(T[0], 5), (T[3], 6)]
        assert len(upstream.requests) == 4  # every run asked: changes_only saves writes only
        remembered = state(runner, "changes")
        assert len(remembered["resultHash"]) == 64  # SHA-256, hex
        assert remembered["rememberedFor"] == T[3]


def test_changes_only_compares_answers_past_the_hash_input_limit_and_every_digit(
    polite: Scenario, upstream: Upstream
) -> None:
    """Issue 25, item 1: the selected result of a 60,000-character answer (``States.Hash`` takes
    at most 10,000 characters, so hashing it whole failed every run) is hashed in pieces; a
    change at character 50,000, or in the 16th digit of a number, is a change."""
    padding = "x" * 60_000
    changed = padding[:50_000] + "y" + padding[50_001:]
    assert len(json.dumps({"players": 5, "padding": padding})) > 6 * HASH_INPUT_LIMIT
    for runner in runner_for(polite, upstream, "Changes"):
        upstream.script(
            Answer(200, {"players": 5, "padding": padding}, {"X-Request-Id": "1"}),
            Answer(200, {"players": 5, "padding": padding}, {"X-Request-Id": "2"}),
            Answer(200, {"players": 5, "padding": changed}),
            Answer(200, {"players": 5, "id": 1764221400123456}),
            Answer(200, {"players": 5, "id": 1764221400123457}),
        )
        outputs = []
        for when in T[:5]:
            execution = runner.run(when)
            assert execution.status == "SUCCEEDED", execution.cause
            outputs.append(execution.output.get("outcome"))
        assert outputs == [None, "unchanged", None, None, None]
        assert [i["sk"] for i in answers(runner, "changes")] == [T[0], T[2], T[3], T[4]]


def test_a_fresh_answer_means_no_request_until_it_expires(
    polite: Scenario, upstream: Upstream
) -> None:
    """On the downloader with all three features (and an archive): freshness first, then
    changes_only on the answers that were asked for."""
    for runner in runner_for(polite, upstream, "All"):
        # Expires 05:32:30: the runs at 05:31 and 05:32 make no request at all.
        upstream.script(Answer(200, {"players": 5}, {"Expires": "Fri, 27 Nov 2026 05:32:30 GMT"}))
        assert runner.run(T[0]).succeeded
        skipped = [runner.run(when) for when in T[1:3]]
        assert [e.output["outcome"] for e in skipped] == ["fresh", "fresh"]
        assert skipped[0].output["freshUntil"].startswith("2026-11-27T05:32:30")
        assert len(upstream.requests) == 1
        assert len(answers(runner, "all")) == 1
        # 05:33: expired, a request; max-age wins over Expires (RFC 9111), less Age.
        upstream.script(
            Answer(200, {"players": 6}, {"Cache-Control": "public, max-age=150", "Age": "30",
                                         "Expires": "Fri, 27 Nov 2026 06:00:00 GMT"})
        )  # fmt: skip
        assert runner.run(T[3]).succeeded
        assert len(upstream.requests) == 1
        assert state(runner, "all")["freshUntil"] == millis(T[3]) + 120_000  # 150 s - 30 s
        assert runner.run(T[4]).output["outcome"] == "fresh"  # 05:34 < 05:35
        # 05:35 is exactly freshUntil: stale, it asks (StillFresh compares with ">").
        # no-cache and no-store: never fresh, even with a max-age beside them (RFC 9111 5.2.2.4
        # and 5.2.2.5: no cache may answer from it without asking); an invalid Expires ("0") is
        # already expired, a malformed Age is ignored (RFC 9111): every run asks, none fails.
        upstream.script(
            Answer(200, {"players": 7}, {"Cache-Control": "no-cache, max-age=600"}),
            Answer(200, {"players": 7}, {"Cache-Control": "no-store, max-age=600"}),
            default=Answer(200, {"players": 7}, {"Expires": "0", "Age": "soon"}),
        )
        outcomes = []
        for when in T[5:8]:
            execution = runner.run(when)
            assert execution.status == "SUCCEEDED", execution.cause
            outcomes.append(execution.output.get("outcome"))
        assert len(upstream.requests) == 3
        # The same 7 twice more: unchanged, not stored, not archived; its freshness (none)
        # is still remembered (RememberUnchanged).
        assert outcomes == [None, "unchanged", "unchanged"]
        assert state(runner, "all")["freshUntil"] == 0
        assert [i["players"] for i in answers(runner, "all")] == [5, 6, 7]
        assert len(runner.objects()) == 3
        upstream.script(default=Answer())


def test_freshness_headers_are_read_whatever_the_case_of_their_names(
    polite: Scenario, upstream: Upstream
) -> None:
    """``cache-control``, ``age`` and ``expires`` as an HTTP/2 server writes them (RFC 9113,
    8.2.1: lower case only): read as their registered spellings are (issue 25, item 12)."""
    for runner in runner_for(polite, upstream, "All"):
        upstream.script(Answer(200, {"players": 5}, {"cache-control": "max-age=150", "age": "30"}))
        assert runner.run(T[0]).succeeded
        assert state(runner, "all")["freshUntil"] == millis(T[0]) + 120_000  # 150 s - 30 s
        assert runner.run(T[1]).output["outcome"] == "fresh"
        upstream.script(Answer(200, {"players": 6}, {"expires": "Fri, 27 Nov 2026 05:35:30 GMT"}))
        assert runner.run(T[2]).succeeded  # 05:32 is past 05:32:00: asked again
        assert state(runner, "all")["freshUntil"] == millis("2026-11-27T05:35:30Z")
        assert runner.run(T[3]).output["outcome"] == "fresh"
        assert len(upstream.requests) == 1  # since the second script: 05:33 asked nothing
        upstream.script(default=Answer())


def test_no_start_nor_header_can_make_an_answer_fresh_for_long(
    polite: Scenario, upstream: Upstream
) -> None:
    """Issue 26, 1-2: a scheduledTime to come is refused before anything is read or written;
    a century of max-age, an Expires in year 9999 and a max-age past year 9999 all end at the
    scheduled time + max_fresh (default: two intervals of the 1-minute rate)."""
    upstream.script()  # forget what an earlier test of this worker's module asked
    for runner in runner_for(polite, upstream, "Bounded"):
        refused = runner.run("2099-01-01T00:00:00Z")
        assert (refused.status, refused.error) == ("FAILED", "Downloader.InvalidInput")
        assert "later than the execution's start" in (refused.cause or "")
        assert upstream.requests == [] and runner.items() == []
        upstream.script(Answer(200, {"players": 1}, {"Cache-Control": "max-age=3153600000"}))
        assert runner.run(T[0]).succeeded
        assert state(runner, "bounded")["freshUntil"] == millis(T[0]) + 120_000
        assert runner.run(T[1]).output["outcome"] == "fresh"
        upstream.script(Answer(200, {"players": 2}, {"Expires": "Fri, 31 Dec 9999 23:59:59 GMT"}))
        assert runner.run(T[2]).succeeded  # 05:32 is not before 05:32: asked
        assert len(upstream.requests) == 1
        assert state(runner, "bounded")["freshUntil"] == millis(T[2]) + 120_000
        upstream.script(
            Answer(200, {"players": 3}, {"Cache-Control": "max-age=99999999999999999999",
                                         "Age": "99999999999999999999"})
        )  # fmt: skip
        beyond = runner.run(T[4])
        assert beyond.status == "SUCCEEDED", beyond.cause
        assert state(runner, "bounded")["freshUntil"] == millis(T[4]) + 120_000
        upstream.script(Answer(200, {"players": 4}))
        assert runner.run(T[6]).succeeded  # and the downloader goes on
        # Within the skew (60 s) a time just after the start is accepted; past it, refused.
        now = datetime.now(UTC).replace(microsecond=0)
        late = runner.run((now + timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert (late.status, late.error) == ("FAILED", "Downloader.InvalidInput")
        upstream.script(Answer(200, {"players": 5}))
        soon = runner.run((now + timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        assert soon.status == "SUCCEEDED", soon.cause
        upstream.script(default=Answer())
