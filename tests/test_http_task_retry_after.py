"""``retry_after`` through the HTTP Task (issue 23): no proxy hands a throttled answer's headers
to the state machine, and no AWS page says a failed HTTP Task's cause holds them, so a
``429``/``503`` meets a Retry rule of its own, tried before the retry policy: the policy's
backoff, ``max_waits`` attempts, each wait at most ``max_wait``. What would read a header is
refused, naming the rule; the run's timeout must hold every wait. Run locally with a stand-in
that throttles, on one request and on a fan-out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import (
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    RetryAfter,
    Transport,
)
from sfn_downloader.local import LocalRunner

API = "https://api.example.com"
T0 = "2026-11-27T05:30:00Z"
API_KEY = "local-api-key-2b6e"
BODY = {"endpoint": API, "item": {"body": ItemField.json("$.ResponseBody")}}


def _transport(stack: cdk.Stack) -> Transport:
    connection = events.Connection(
        stack, "Connection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("example/api-key")
        ),
    )  # fmt: skip
    return Transport.http_task(connection)


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Throttled")
    transport = _transport(stack)
    DownloaderPattern(stack, "One", **BODY, path="/v1/rates", transport=transport,
                      retry_after=RetryAfter(max_wait=cdk.Duration.seconds(20), max_waits=4),
                      downloader_id="one")  # fmt: skip
    DownloaderPattern(stack, "Paths", **BODY, transport=transport,
                      fan_out=FanOut.paths(["/v1/a", "/v1/b"]),
                      retry_after=RetryAfter(max_wait=cdk.Duration.seconds(20)),
                      downloader_id="paths")  # fmt: skip
    return app


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    return {"secrets": {"example/api-key": API_KEY}, "fast_retries": True}


def _definition(app: cdk.App, path: str) -> dict[str, Any]:
    stack = app.node.find_child("Throttled")
    pattern: Any = stack.node.find_child(path)
    machine: Any = pattern.state_machine.node.default_child
    rendered = cdk.Stack.of(pattern).resolve(machine.definition_string)
    if not isinstance(rendered, str):
        rendered = "".join(p if isinstance(p, str) else "ref" for p in rendered["Fn::Join"][1])
    return json.loads(rendered)


def _downloads(asl: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for state in asl["States"].values():
        if state.get("Resource", "").endswith("http:invoke"):
            found.append(state)
        for inner in ("ItemProcessor", "Iterator"):
            if inner in state:
                found += _downloads(state[inner])
    return found


def test_every_download_retries_a_throttled_answer_first_with_the_backoff(app: cdk.App) -> None:
    for path, waits in (("One", 4), ("Paths", 3)):
        [download] = _downloads(_definition(app, path))
        first, policy = download["Retry"]
        assert first == {
            "ErrorEquals": ["States.Http.StatusCode.429", "States.Http.StatusCode.503"],
            "IntervalSeconds": 2, "BackoffRate": 2, "MaxAttempts": waits,
            "MaxDelaySeconds": 20, "JitterStrategy": "FULL",
        }  # fmt: skip
        assert "States.Http.StatusCode.429" in policy["ErrorEquals"]  # after the throttle rule
    # No proxy, no states of its own: the Retry rule is the whole feature.
    states = _definition(app, "One")["States"]
    assert not any("RetryAfter" in name or "Throttled" in name for name in states)


def _build(**props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(stack, "P", **BODY, path="/v1/rates", transport=_transport(stack),
                             **props)  # fmt: skip


@pytest.mark.parametrize(
    ("given", "match"),
    [
        ({"reset_header": "X-RateLimit-Reset"},
         r"retry_after.reset_header='X-RateLimit-Reset': is read from the throttled answer's "
         r"headers, and the HTTP Task.*no document.*Fix: drop reset_header, or use "
         r"Transport.api_gateway\(\)"),
        ({"remaining_header": "X-RateLimit-Remaining", "limited_statuses": [403]},
         r"retry_after.limited_statuses=\[403\]: is read from the throttled answer's headers"),
    ],
)  # fmt: skip
def test_what_reads_a_header_is_refused_with_the_http_task(
    given: dict[str, Any], match: str
) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        _build(retry_after=RetryAfter(max_wait=cdk.Duration.seconds(20), **given))


def test_the_backoff_waits_must_fit_the_run() -> None:
    """Express, 5 minutes: 2 + 4 + ... capped at 120 s, 6 waits = 2+4+8+16+32+64 = 126 s
    fits; max_wait 240 s with 10 waits does not."""
    _build(retry_after=RetryAfter(max_wait=cdk.Duration.seconds(120), max_waits=6))
    with pytest.raises(
        DownloaderConfigError,
        match=r"retry_after.max_waits=10: cannot fit the run: its backoff waits up to 2 \+ 4 "
        r"\+ 8 \+ 16 \+ 32 \+ 64 \+ 128 \+ 200 \+ 200 \+ 200 s = 854 s, \+ 2 x 35 s for the "
        r"requests around them = 924 s > the run's timeout of 300 s",
    ):
        _build(retry_after=RetryAfter(max_wait=cdk.Duration.seconds(200), max_waits=10))
    _build(
        retry_after=RetryAfter(max_wait=cdk.Duration.seconds(200), max_waits=10),
        workflow_type=sfn.StateMachineType.STANDARD,
        timeout=cdk.Duration.minutes(20),
    )


def _throttling(times: int, status: int = 429) -> Callable[[Seen], Answer]:
    count = {"n": 0}

    def answer(seen: Seen) -> Answer:
        count["n"] += 1
        if count["n"] <= times:
            return Answer(status, {"message": "slow down"}, {"Retry-After": "1"})
        return Answer(200, {"path": seen.path})

    return answer


def test_a_throttled_request_waits_the_backoff_and_is_asked_again(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Throttled/One")
    upstream.respond(_throttling(3))
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert len(upstream.requests) == 4
    # Full jitter: each wait is at most 2, 4, 8 s (the policy's backoff, capped at 20 s).
    assert len(runner.retry_intervals) == 3
    assert all(0 <= w <= cap for w, cap in zip(runner.retry_intervals, (2, 4, 8), strict=True))
    assert [i["sk"] for i in runner.items()] == [T0]


def test_a_request_throttled_past_max_waits_fails_with_the_status(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Throttled/One")
    upstream.respond(_throttling(100, status=503))
    run = runner.run(T0)
    assert run.status == "FAILED"
    assert run.error == "States.Http.StatusCode.503"
    assert len(upstream.requests) == 5  # the first ask and max_waits=4 retries
    assert runner.items() == []


def test_a_throttled_path_waits_without_stopping_the_other(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    runner = open_runner("Throttled/Paths")
    count = {"n": 0}

    def answer(seen: Seen) -> Answer:
        if seen.path == "/v1/b" and count["n"] < 2:
            count["n"] += 1
            return Answer(429, {"message": "slow down"})
        return Answer(200, {"path": seen.path})

    upstream.respond(answer)
    run = runner.run(T0)
    assert run.status == "SUCCEEDED", run.cause
    assert sorted(s.path for s in upstream.requests) == ["/v1/a", "/v1/b", "/v1/b", "/v1/b"]
    assert sorted(i["sk"] for i in answers(runner)) == [
        f"{T0}#/v1/a", f"{T0}#/v1/b"
    ]  # fmt: skip
