"""Nothing silently wrong, locally: cursors end the way APIs end them, runs never share a key,
a re-delivered run's pages can be told from the first delivery's, one instant is one key.

Each scenario's synthesized template runs on moto against a loopback stand-in shaped like the
real API (Slack's ``response_metadata.next_cursor``, a header cursor, EVE's status).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import (
    Archive,
    Concurrency,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
)
from sfn_downloader.local import LocalRunner

from scenarios import EVE_PROPS

T0 = "2026-11-27T05:30:00Z"
CHAIN = {None: "c2", "c2": "c3"}
"""Cursor → the next page's cursor; the third page ("c3") is the last one."""


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """One app, one stack per scenario: synthesized once for the module."""
    app = cdk.App()
    DownloaderPattern(
        cdk.Stack(app, "Slack"), "Channels", endpoint="https://slack.com",
        path="/api/conversations.list?limit=2",
        pagination=Pagination.cursor(
            next_path="$.ResponseBody.response_metadata.next_cursor", max_pages=10
        ),
        result_selector={"channels.$": "$.ResponseBody.channels"},
        item={"channels": ItemField.json("$.channels")},
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Header"), "Feed", endpoint="https://api.example.com", path="/v1/feed",
        pagination=Pagination.cursor(next_path="$.Headers['X-Next-Cursor'][0]", param="after"),
        item={"entries": ItemField.json("$.ResponseBody.entries")},
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Eve"), "Status", **(EVE_PROPS | {
            "path": "/v2/status?datasource=tranquility&language=en",
        }),
        starts=Starts.scheduled_and_on_demand(overridable_query=["datasource", "language"]),
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Archived"), "Status", **(EVE_PROPS | {
            "path": "/v2/status?datasource=tranquility&language=en",
        }),
        starts=Starts.scheduled_and_on_demand(overridable_query=["datasource"]),
        archive=Archive.to_new_bucket(),
    )  # fmt: skip
    DownloaderPattern(
        cdk.Stack(app, "Many"), "Items", endpoint="https://api.example.com",
        fan_out=FanOut.paths([f"/v1/items/{n}" for n in range(3)]),
        concurrency=Concurrency.distributed(
            10, child_workflow_type=cdk.aws_stepfunctions.StateMachineType.STANDARD
        ),
        item={"value": ItemField.number("$.ResponseBody.value")},
    )  # fmt: skip
    return app


def slack_page(seen: Seen, last: dict[str, Any], pages: int = 3) -> Answer:
    """A conversations.list page; the last one ends with ``last`` as response_metadata."""
    cursor = seen.query.get("cursor", [None])[0]
    number = 1 + list(CHAIN).index(cursor) if cursor in CHAIN else 3
    metadata = {"next_cursor": CHAIN[cursor]} if number < pages else last
    body: dict[str, Any] = {"ok": True, "channels": [f"C{number}"]}
    if metadata is not None:
        body["response_metadata"] = metadata
    return Answer(200, body)


# --- 2. a cursor ends the way APIs end it ------------------------------------------------------


@pytest.mark.parametrize(
    "last",
    [{"next_cursor": ""}, {"next_cursor": None}, {}, None],
    ids=["empty string (Slack)", "null", "field missing", "parent missing"],
)
def test_a_missing_null_or_empty_cursor_ends_the_loop_and_the_last_page_is_stored(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, last: dict[str, Any] | None
) -> None:
    upstream.respond(lambda seen: slack_page(seen, last))  # type: ignore[arg-type]
    runner = open_runner("Slack/Channels")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.query.get("cursor") for s in upstream.requests] == [None, ["c2"], ["c3"]]
    assert all(s.query["limit"] == ["2"] for s in upstream.requests)
    assert [(i["sk"], i["channels"]) for i in answers(runner)] == [
        (f"{T0}#1", '["C1"]'), (f"{T0}#2", '["C2"]'), (f"{T0}#3", '["C3"]'),
    ]  # fmt: skip


def test_one_page_without_a_cursor_is_stored_and_ends_the_run(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"ok": True, "channels": ["only"]}))
    runner = open_runner("Slack/Channels")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert len(upstream.requests) == 1
    assert [i["channels"] for i in answers(runner)] == ['["only"]']


def test_a_header_cursor_ends_the_loop_when_the_header_is_gone(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    def answer(seen: Seen) -> Answer:
        after = seen.query.get("after", [None])[0]
        headers = {"X-Next-Cursor": "p2"} if after is None else {}
        return Answer(200, {"entries": [after or "first"]}, headers=headers)

    upstream.respond(answer)
    runner = open_runner("Header/Feed")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.query.get("after") for s in upstream.requests] == [None, ["p2"]]
    assert [i["entries"] for i in answers(runner)] == ['["first"]', '["p2"]']


# --- 8. a re-delivered run's pages are told apart -----------------------------------------------


def test_a_redelivered_run_whose_pages_shrank_keeps_each_deliverys_own_pages(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """Issue 26, 4: each delivery stores its own pages (``<t>#<execution name>#<page>``) and a
    completion item last; neither overwrites the other, and the set read back is the newest
    completed delivery's."""
    runner = open_runner("Slack/Channels")
    upstream.respond(lambda seen: slack_page(seen, {"next_cursor": ""}, pages=3))
    first = runner.run(T0)
    upstream.respond(lambda seen: slack_page(seen, {"next_cursor": ""}, pages=2))
    again = runner.run(T0)  # the same scheduled time: a re-delivery

    assert (first.status, again.status) == ("SUCCEEDED", "SUCCEEDED"), again.cause
    items = runner.items()
    assert [i["sk"] for i in items] == [
        f"#delivered#{T0}#{first.name}", f"#delivered#{T0}#{again.name}",
        *(f"{T0}#{first.name}#{n}" for n in (1, 2, 3)),
        *(f"{T0}#{again.name}#{n}" for n in (1, 2)),
    ]  # fmt: skip
    assert all(i["run"] in i["sk"] for i in items)
    iso = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")  # as the context object has it
    assert all(iso.match(i["runStartedAt"]) for i in items)
    marks = {i["run"]: i["runStartedAt"] for i in items if i["sk"].startswith("#delivered#")}
    assert marks[first.name] < marks[again.name]
    consistent = runner.table(consistent_read=True).pages(T0)
    assert [(i["sk"], i["run"]) for i in consistent] == [
        (f"{T0}#{again.name}#1", again.name), (f"{T0}#{again.name}#2", again.name),
    ]  # fmt: skip


def test_a_distributed_maps_children_mark_items_with_the_parent_run(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"value": int(seen.path.rsplit("/", 1)[1])}))
    runner = open_runner("Many/Items")

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    items = answers(runner)
    assert [i["value"] for i in items] == [0, 1, 2]
    assert {i["run"] for i in items} == {execution.name}
    assert len({i["runStartedAt"] for i in items}) == 1


# --- 7. an overridden run never shares a key ----------------------------------------------------


def test_a_scheduled_and_an_overridden_run_of_one_minute_store_two_items(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"players": len(seen.query["datasource"][0])}))
    runner = open_runner("Eve/Status")

    scheduled = runner.run(T0)
    overridden = runner.run(input={"scheduledTime": T0, "query": {"datasource": "singularity"}})

    assert (scheduled.status, overridden.status) == ("SUCCEEDED", "SUCCEEDED"), overridden.cause
    assert [s.query["datasource"] for s in upstream.requests] == [["tranquility"], ["singularity"]]
    assert [(i["sk"], i["query"], i["count"]) for i in answers(runner)] == [
        (f"{T0}#datasource=singularity&language=en",
         {"datasource": "singularity", "language": "en"}, 11),
        (f"{T0}#datasource=tranquility&language=en",
         {"datasource": "tranquility", "language": "en"}, 11),
    ]  # fmt: skip


def test_archived_scheduled_and_overridden_runs_each_keep_their_own_item_and_object(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    """With an archive, the stored item's key (``$.key``) comes from the state's key suffix: a
    Persist ResultSelector cannot read it (it sees only putItem's ``{}``), so on AWS and here
    every run failed after storing its item."""
    upstream.respond(lambda seen: Answer(200, {"players": len(seen.query["datasource"][0])}))
    runner = open_runner("Archived/Status")

    scheduled = runner.run(T0)
    overridden = runner.run(input={"scheduledTime": T0, "query": {"datasource": "singularity"}})

    assert (scheduled.status, overridden.status) == ("SUCCEEDED", "SUCCEEDED"), (
        scheduled.cause or overridden.cause
    )
    keys = [f"{T0}#datasource=singularity", f"{T0}#datasource=tranquility"]
    assert [i["sk"] for i in answers(runner)] == keys
    assert scheduled.output["key"]["sk"] == keys[1] and overridden.output["key"]["sk"] == keys[0]
    objects = {name.split("/", 1)[1]: body for name, body in runner.objects().items()}
    assert objects == {f"Archived/Status/{keys[0]}.json": {"players": 11},
                       f"Archived/Status/{keys[1]}.json": {"players": 11}}  # fmt: skip
    assert overridden.output["object"]["key"] == f"Archived/Status/{keys[0]}.json"


def test_an_override_holding_the_key_separator_is_invalid_input(
    open_runner: Callable[..., LocalRunner], upstream: Upstream
) -> None:
    upstream.respond(lambda seen: Answer(200, {"players": 1}))
    runner = open_runner("Eve/Status")
    # "a=x&language=en" + language "de" would read as the key of datasource "x", language ...
    sent = {"scheduledTime": T0, "query": {"datasource": "x&language=de"}}

    execution = runner.run(input=sent)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.InvalidInput"), (
        execution.cause
    )
    assert upstream.requests == [] and answers(runner) == []


# --- 9. one instant, one key ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "scheduled_time",
    ["2026-11-27t05:30:00z", "2026-11-27T06:30:00+01:00", "2026-11-27T05:30:00.000Z",
     "2026-11-27T05:30:00+00:00", "2026-11-27T05:30Z", "yesterday", None,
     "2026-13-45T25:61:61Z", "2026-02-30T05:30:00Z"],
)  # fmt: skip
def test_only_the_canonical_scheduled_time_is_accepted(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, scheduled_time: str | None
) -> None:
    upstream.respond(lambda seen: Answer(200, {"players": 1}))
    runner = open_runner("Eve/Status")

    refused = runner.run(input={"scheduledTime": scheduled_time} if scheduled_time else {})
    accepted = runner.run(input={"scheduledTime": T0})

    assert (refused.status, refused.error) == ("FAILED", "Downloader.InvalidInput")
    assert "upper-case T and Z, whole seconds (e.g. 2026-11-27T05:30:00Z" in (refused.cause or "")
    assert accepted.status == "SUCCEEDED", accepted.cause
    assert len(upstream.requests) == 1  # the refused run requested nothing
    assert [i["sk"].split("#")[0] for i in answers(runner)] == [T0]
