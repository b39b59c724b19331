"""Issue 16's features together, locally: a downloader that waits what the server asks
(``retry_after``), asks conditionally (``conditional``) and stores only changes
(``Store.changes_only()``). Built on two branches, they meet here: the throttled answer goes
through the Wait loop, the 304 ends the run as ``notModified``, and an equal answer with a new
ETag is ``unchanged`` and still refreshes the remembered ETag."""

from __future__ import annotations

from collections.abc import Iterator

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, running_upstream
from sfn_downloader import DownloaderPattern, ItemField, RetryAfter, Store
from sfn_downloader.local import LocalRunner

TIMES = ("2026-11-27T05:30:00Z", "2026-11-27T05:31:00Z", "2026-11-27T05:32:00Z")


@pytest.fixture(scope="module")
def runner() -> Iterator[tuple[LocalRunner, Upstream]]:
    app = cdk.App()
    DownloaderPattern(
        cdk.Stack(app, "Polite"), "Status", endpoint="https://api.example.com", path="/v1/status",
        result_selector={"players.$": "$.ResponseBody.players"},
        item={"players": ItemField.number("$.players")},
        conditional=True, store=Store.changes_only(),
        retry_after=RetryAfter(max_wait=cdk.Duration.seconds(30)),
    )  # fmt: skip
    with (
        running_upstream() as upstream,
        LocalRunner(app, upstream=upstream.url, fast_retries=True) as local,
    ):
        yield local, upstream


def test_a_throttled_then_not_modified_then_unchanged_answer_writes_one_item(
    runner: tuple[LocalRunner, Upstream],
) -> None:
    local, upstream = runner
    answers = iter([
        Answer(429, {"message": "slow down"}, headers={"Retry-After": "2"}),
        Answer(200, {"players": 31000}, headers={"ETag": '"a"'}),
    ])  # fmt: skip

    def answer(seen: Seen) -> Answer:
        if seen.headers.get("if-none-match") == '"a"' and len(upstream.requests) == 3:
            return Answer(304, None, headers={"ETag": '"a"'})
        return next(answers, Answer(200, {"players": 31000}, headers={"ETag": '"b"'}))

    upstream.respond(answer)
    first, second, third = (local.run(t) for t in TIMES)

    assert [e.status for e in (first, second, third)] == ["SUCCEEDED"] * 3, first.cause
    assert first.output["retryAfter"]["seconds"] == 2 and local.waits == [2]
    assert (second.output["outcome"], third.output["outcome"]) == ("notModified", "unchanged")
    assert [s.headers.get("if-none-match") for s in upstream.requests] == [
        None, None, '"a"', '"a"',
    ]  # fmt: skip
    state, *stored = local.items()
    assert [(i["sk"], i["players"]) for i in stored] == [(TIMES[0], 31000)]
    assert (state["sk"], state["etag"], state["rememberedFor"]) == ("#state", '"b"', TIMES[2])
