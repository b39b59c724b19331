"""A fan-out path's remaining shapes refuse a compressed answer (issue 25 item 14): with
``on_status``, ``records``, an archive, a mark per path (``incremental``), the ``query``
attribute (query overrides), a whole-selection item or ``retry_after``, a compressed path
fails alone (a failed outcome naming its key and ``Downloader.CompressedAnswer``), nothing
stored, archived, recorded or marked for it; the other path is stored with every digit, and
the run ends ``Downloader.RequestsFailed``.

The first JSONata Choice after the download refuses it: ``DownloadThrottled``, ``ReadDownload``
or ``DownloadStatus`` where the shape has one (no state added), else ``AnswerChecked`` (one
state more), which reads the headers the download's ``ResultSelector`` keeps beside the
selection. The HTTP Task cannot read a gzip body at all (``States.Runtime``, "Call HTTPS
APIs"): through it, a readable body labelled compressed stands for one.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from local_helpers import Answer, Seen, Upstream
from sfn_downloader import (
    Archive,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Records,
    RetryAfter,
    Starts,
    StatusAction,
    Transport,
)
from sfn_downloader.local import LocalRunner

API = "https://api.example.com"
T0 = "2026-11-27T05:00:00Z"
INITIAL = "2026-11-01T00:00:00Z"
ERROR = "Downloader.CompressedAnswer"
BIG = b'[{"id": 12345678901234567, "updated_at": "2026-11-20T10:00:00Z"}]'
pytestmark = pytest.mark.filterwarnings("ignore::sfn_downloader.local.CompressedAnswerWarning")

SELECTOR = {"body.$": "$.ResponseBody"}
SELECTED = {"answer": ItemField.json("$.body")}
SHAPES: dict[str, dict[str, Any]] = {
    "Status": {"on_status": {404: StatusAction.SKIP}},
    "NoContent": {"on_status": {204: StatusAction.SKIP}},
    "Records": {"records": Records.append(items="$.body", key="id")},
    "Archived": {"archive": Archive.to_new_bucket()},
    "Marks": {
        "incremental": Incremental(
            cursor_path="$.ResponseBody[*].updated_at", param="since", initial=INITIAL
        )
    },
    "Query": {"starts": Starts.scheduled_and_on_demand(overridable_query=["x"])},
    "Whole": {"item": {"answer": ItemField.json("$")}},
    "Waits": {"retry_after": RetryAfter(max_wait=cdk.Duration.minutes(1))},
}
HTTP = ("Status", "NoContent", "Records", "Archived", "Marks")
"""The shapes also run through the HTTP Task (``retry_after`` there has its own tests)."""


@pytest.fixture(scope="module")
def runner_options() -> dict[str, Any]:
    """Retries at once (a retried error waits no backoff)."""
    return {"fast_retries": True}


@pytest.fixture(scope="module")
def app() -> cdk.App:
    """Each shape over two paths, through the proxy (``Api``) and the HTTP Task (``Http``)."""
    app = cdk.App()
    for stack_name in ("Api", "Http"):
        stack = cdk.Stack(app, stack_name)
        transport: dict[str, Any] = {}
        if stack_name == "Http":
            connection = events.Connection(
                stack, "Key", authorization=events.Authorization.api_key(
                    "X-Api-Key", cdk.SecretValue.unsafe_plain_text("not-a-secret")
                ),
            )  # fmt: skip
            transport = {"transport": Transport.http_task(connection)}
        for name, props in SHAPES.items():
            if stack_name == "Http" and name not in HTTP:
                continue
            DownloaderPattern(
                stack, name, endpoint=API,
                fan_out=FanOut.paths(["/v1/a?x=1", "/v1/b?x=1"]),
                result_selector=SELECTOR, **{"item": SELECTED, **props, **transport},
                downloader_id=name.lower(),
            )  # fmt: skip
    return app


def squeezed(seen: Seen) -> Answer:
    return Answer(200, gzip.compress(BIG), {"Content-Encoding": "gzip"})


def labelled(seen: Seen) -> Answer:
    """Readable text labelled compressed: what the HTTP Task can read of a compressed answer."""
    return Answer(200, BIG, {"Content-Encoding": "br"})


def compressing(stack: str) -> Callable[[Seen], Answer]:
    """``BIG`` for every path; ``/v1/b`` compressed."""
    compressed = labelled if stack == "Http" else squeezed

    def answer(seen: Seen) -> Answer:
        return compressed(seen) if seen.path == "/v1/b" else Answer(200, BIG)

    return answer


def answers(runner: LocalRunner, pk: str) -> dict[str, Any]:
    """The stored answers by their key (the path as given)."""
    return {
        item["sk"].rsplit("#", 1)[1]: json.loads(item["answer"])
        for item in runner.items()
        if item["pk"] == pk and item["sk"][0] != "#"
    }


def marks(runner: LocalRunner, pk: str) -> list[str]:
    """The paths whose mark was written (``#mark#<path>`` items, or the state item's map)."""
    found = []
    for item in runner.items():
        if item["pk"] != pk or item["sk"][0] != "#" or item["sk"] == "#state":
            continue
        if "mark" in item["sk"] or "mark" in item:
            found.append(item["sk"])
    return sorted(found)


def archived(runner: LocalRunner, stack: str, name: str) -> list[Any]:
    bucket = runner.resource_name(f"{stack}/{name}/Bucket")
    return [body for key, body in runner.objects().items() if key.startswith(f"{bucket}/")]


def recorded(runner: LocalRunner, pk: str) -> list[Any]:
    return [json.loads(i["record"]) for i in runner.items() if i["pk"] == f"{pk}#records"]


CASES = [("Api", name) for name in SHAPES] + [("Http", name) for name in HTTP]


def stored_as(name: str) -> Any:
    """What the other path's ``answer`` holds: the selection's ``body`` (or the selection)."""
    return {"body": json.loads(BIG)} if name == "Whole" else json.loads(BIG)


@pytest.mark.parametrize(("stack", "name"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_a_compressed_path_fails_alone_and_the_other_keeps_every_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, stack: str, name: str
) -> None:
    runner = open_runner(f"{stack}/{name}")
    pk = name.lower()
    upstream.respond(compressing(stack))

    execution = runner.run(T0)

    assert (execution.status, execution.error) == ("FAILED", "Downloader.RequestsFailed"), (
        execution.cause,
        runner.states_entered(execution),
    )
    cause = execution.cause or ""
    assert ERROR in cause and "/v1/b?x=1" in cause, cause
    assert "/v1/a?x=1" not in cause, cause
    entered = runner.states_entered(execution)
    assert entered.count("PathCompressed") == 1, entered
    stored = answers(runner, pk)
    assert stored == {"/v1/a?x=1": stored_as(name)}
    assert json.dumps(stored).count("12345678901234567") == 1  # every digit kept
    if name == "Records":
        assert recorded(runner, pk) == [json.loads(BIG)[0]]
    if name == "Archived":
        objects = archived(runner, stack, name)
        assert len(objects) == 1 and "12345678901234567" in json.dumps(objects[0]), objects
    if name == "Marks":
        assert [m for m in marks(runner, pk) if "/v1/b" in m] == [], marks(runner, pk)
        assert any("/v1/a" in m for m in marks(runner, pk)), runner.items()


# The states a successful path enters: as many as before these shapes were checked
# (measured on main 2240c4a) but one `AnswerChecked` where no state read the answer.
PATH_STATES = {
    "Status": ["Download", "AnswerChecked", "Persist"],
    "NoContent": ["Download", "DownloadStatus", "SelectDownload", "Persist"],
    "Records": ["Download", "AnswerChecked", "Persist", "WriteRecords"],
    "Archived": ["Download", "AnswerChecked", "Persist", "Archive"],
    "Marks": ["ReadMark", "Download", "ReadDownload", "Persist", "AdvanceMark"],
    "Query": ["Download", "AnswerChecked", "Persist"],
    "Whole": ["Download", "AnswerChecked", "Persist"],
    "Waits": ["Download", "DownloadThrottled", "SelectDownload", "Persist"],
}


@pytest.mark.parametrize(("stack", "name"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_an_uncompressed_fan_out_stores_every_path_with_every_digit(
    open_runner: Callable[..., LocalRunner], upstream: Upstream, stack: str, name: str
) -> None:
    runner = open_runner(f"{stack}/{name}")
    upstream.respond(lambda seen: Answer(200, BIG))

    execution = runner.run(T0)

    assert execution.status == "SUCCEEDED", execution.cause
    stored = answers(runner, name.lower())
    assert stored == {"/v1/a?x=1": stored_as(name), "/v1/b?x=1": stored_as(name)}
    assert json.dumps(stored).count("12345678901234567") == 2
    entered = [s for s in runner.states_entered(execution) if s in PATH_STATES[name]]
    assert sorted(entered) == sorted(PATH_STATES[name] * 2), runner.states_entered(execution)


@pytest.mark.parametrize(
    ("name", "transitions"),
    [("Waits", 11), ("Marks", 15), ("NoContent", 11), ("Status", 9), ("Archived", 11)],
)
def test_the_cost_model_counts_answer_checked_and_walks_the_jsonata_throttled_choice(
    app: cdk.App, name: str, transitions: int
) -> None:
    """Two paths a run: ``Waits``, ``Marks`` and ``NoContent`` as on main 2240c4a (11, 15, 11);
    ``Status`` and ``Archived`` one ``AnswerChecked`` a path more (7 → 9, 9 → 11)."""
    from sfn_downloader.cost import estimate_monthly_cost

    pattern = app.node.find_child("Api").node.find_child(name)
    assert isinstance(pattern, DownloaderPattern)
    assert estimate_monthly_cost(pattern).transitions_per_run == transitions
