"""overridable_query on the pages of one path and with a request computed each run (issue
23): the first page's request carries the overrides, every page's item the key suffix and the
``query`` attribute; a window's computed query keeps its bounds and takes the overrides, or the
run's own bound for an overridden bound; a scheduled run without overrides asks with the
defaults. Template assertions, then local runs."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
    Transport,
    Window,
)

from scenarios import rendered_definition, state_machines

T = ["2026-11-27T05:30:00Z", "2026-11-27T05:31:00Z"]
ON_DEMAND = Starts.scheduled_and_on_demand(overridable_query=["state"])


def _pattern(stack: cdk.Stack, name: str, **props: Any) -> DownloaderPattern:
    return DownloaderPattern(
        stack, name, endpoint="https://api.example.com",
        result_selector={"body.$": "$.ResponseBody"}, item={"body": ItemField.json("$.body")},
        downloader_id=name.lower(), **{"starts": ON_DEMAND, **props},
    )  # fmt: skip


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Shapes")
    _pattern(
        stack, "Numbered", path="/issues?state=open&per=2",
        pagination=Pagination.page_number(page_size=2),
    )  # fmt: skip
    _pattern(stack, "Linked", path="/issues?state=open", pagination=Pagination.link_header())
    _pattern(
        stack, "Paths", fan_out=FanOut.paths(["/a?state=open", "/b?state=all&x=1"]),
        concurrency=Concurrency.inline(1),
    )  # fmt: skip
    _pattern(
        stack, "Regions", path="/r/{region}?state=open&since={window_start}",
        fan_out=FanOut.path_values({"region": ["eu", "us"]}),
        pagination=Pagination.page_number(page_size=2), window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled_and_on_demand(overridable_query=["state", "since"]),
    )  # fmt: skip
    _pattern(
        stack, "Children", fan_out=FanOut.from_answer(
            path="/repos", each="/repos/{item}/issues?state=open&since={window_start}"),
        window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled_and_on_demand(overridable_query=["state"]),
    )  # fmt: skip
    _pattern(
        stack, "Windowed", path="/events?from={window_start}&to={window_end}&state=open",
        window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled_and_on_demand(overridable_query=["state", "from"]),
    )  # fmt: skip
    return app


def _asl(app: cdk.App, marker: str) -> dict[str, Any]:
    """The definition of the state machine whose text holds ``marker``."""
    stack = app.node.find_child("Shapes")
    template = Template.from_stack(stack).to_json()  # type: ignore[arg-type]
    texts = [rendered_definition(template, lid) for lid in state_machines(template)]
    [text] = [t for t in texts if marker in t]
    definition: dict[str, Any] = json.loads(text)
    return definition


def test_the_first_page_reads_the_run_query_and_carries_the_key_suffix(app: cdk.App) -> None:
    asl = _asl(app, '"per"')
    first = asl["States"]["FirstRequest"]["Output"]
    assert "$states.input.query" in first
    assert '"keySuffix": $states.input.keySuffix' in first
    assert '"queryAttribute": $states.input.queryAttribute' in first
    # The checked page loop (issue 28(a)): Persist holds the raw page and reads the loop's
    # state, the key suffix and the query attribute included, from $loop.
    assert "NextRequest" not in asl["States"]
    persist = asl["States"]["PersistPage"]["Parameters"]["Item"]
    assert (
        persist["sk"]["S.$"]
        == "States.Format('{}#{}#{}#{}', $$.Execution.Input.scheduledTime, $$.Execution.Name, "
        "$loop.keySuffix, $loop.stored)"
    )  # each delivery its own pages, the delivery once, right after the time (issue 26)
    assert persist["query"] == {"M.$": "$loop.queryAttribute"}
    assert asl["States"]["CheckInput"]["Choices"][0]["Next"] == "HasQueryOverrides"


def _pages(seen: Seen) -> Answer:
    page = int(seen.query["page"][0])
    return Answer(200, [f"{seen.query['state'][0]}-{page}"] * (2 if page < 2 else 1))


def _items(runner: Any, pk: str) -> dict[str, Any]:
    return {
        i["sk"]: (json.loads(i["body"]), i.get("query")) for i in answers(runner) if i["pk"] == pk
    }


def test_an_on_demand_run_pages_through_the_overridden_query(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Numbered", fast_retries=True)
    upstream.respond(_pages)
    run = runner.run(input={"scheduledTime": T[0], "query": {"state": "closed", "per": "99"}})
    assert run.status == "SUCCEEDED", run.cause
    assert [s.query for s in upstream.requests] == [
        {"state": ["closed"], "per": ["2"], "page": [str(n)]} for n in (1, 2)
    ]
    assert _items(runner, "numbered") == {
        f"{T[0]}#state=closed#1": (["closed-1", "closed-1"], {"state": "closed"}),
        f"{T[0]}#state=closed#2": (["closed-2"], {"state": "closed"}),
    }
    # A scheduled run at the same time asks with the defaults and overwrites nothing.
    upstream.requests.clear()
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert [s.query["state"] for s in upstream.requests] == [["open"], ["open"]]
    assert len(_items(runner, "numbered")) == 4
    assert _items(runner, "numbered")[f"{T[0]}#state=open#2"] == (["open-2"], {"state": "open"})


def test_a_link_header_run_asks_its_first_page_with_the_override(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Linked", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        if "page" in seen.query:
            return Answer(200, ["last"])
        link = f'<https://api.example.com/issues?state={seen.query["state"][0]}&page=2>; rel="next"'
        return Answer(200, ["first"], headers={"Link": link})

    upstream.respond(answer)
    run = runner.run(input={"scheduledTime": T[1], "query": {"state": "all"}})
    assert run.status == "SUCCEEDED", run.cause
    assert [s.raw_query for s in upstream.requests] == ["state=all", "state=all&page=2"]
    assert set(_items(runner, "linked")) == {f"{T[1]}#state=all#1", f"{T[1]}#state=all#2"}


def test_a_computed_query_is_overridden_in_the_download(app: cdk.App) -> None:
    """Issue 28(a): the single request's download computes the window's query, replaces the
    allowed names by the run's values and assigns the key suffix and the ``query``
    attribute: neither ComputeRequest nor OverrideQuery is entered."""
    asl = _asl(app, "/events")
    states = asl["States"]
    assert not {"ComputeRequest", "OverrideQuery", "HasQueryOverrides"} & set(states)
    assert states["CheckInput"]["Choices"][0]["Next"] == "Download"
    download = states["Download"]
    query = download["Arguments"]["QueryParameters"]
    assert '$defaults := {"from": [($fromMillis(' in query  # the window, computed in place
    assert '$merge([$defaults, {"state": [$value("state")], "from": [$value("from")]}])' in query
    assert "$requestQuery" not in json.dumps(download)  # no variable between them
    assert set(download["Assign"]) == {"answerChecked", "keySuffix", "queryAttribute"}


HOUR_BEFORE = "2026-11-27T04:30:00Z"


def test_a_windowed_run_takes_the_override_and_keeps_its_bounds(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Windowed", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, [seen.query["state"][0]]))
    run = runner.run(input={"scheduledTime": T[0], "query": {"state": "closed", "to": "x"}})
    assert run.status == "SUCCEEDED", run.cause
    assert [s.query for s in upstream.requests] == [
        {"from": [HOUR_BEFORE], "to": [T[0]], "state": ["closed"]}
    ]
    upstream.requests.clear()
    run = runner.run(input={"scheduledTime": T[0], "query": {"from": "2026-01-01T00:00:00Z"}})
    assert run.status == "SUCCEEDED", run.cause
    assert [s.query for s in upstream.requests] == [
        {"from": ["2026-01-01T00:00:00Z"], "to": [T[0]], "state": ["open"]}
    ]
    upstream.requests.clear()
    run = runner.run(T[0])  # as the schedule starts it
    assert run.status == "SUCCEEDED", run.cause
    assert [s.query for s in upstream.requests] == [
        {"from": [HOUR_BEFORE], "to": [T[0]], "state": ["open"]}
    ]
    assert _items(runner, "windowed") == {
        f"{T[0]}#state=closed&from={HOUR_BEFORE}": (
            ["closed"],
            {"state": "closed", "from": HOUR_BEFORE},
        ),
        f"{T[0]}#state=open&from=2026-01-01T00:00:00Z": (
            ["open"],
            {"state": "open", "from": "2026-01-01T00:00:00Z"},
        ),
        f"{T[0]}#state=open&from={HOUR_BEFORE}": (["open"], {"state": "open", "from": HOUR_BEFORE}),
    }


def test_the_http_task_takes_the_computed_overridden_query_one_string_a_name() -> None:
    stack = cdk.Stack(cdk.App(), "Http")
    connection = cdk.aws_events.Connection(
        stack, "C", authorization=cdk.aws_events.Authorization.api_key(
            "X-Key", cdk.SecretValue.secrets_manager("k")))  # fmt: skip
    _pattern(
        stack, "Windowed", path="/events?from={window_start}&state=open",
        window=Window.last(cdk.Duration.hours(1)), transport=Transport.http_task(connection),
    )  # fmt: skip
    asl = json.loads(rendered_definition(Template.from_stack(stack).to_json()))
    query = asl["States"]["Download"]["Arguments"]["QueryParameters"]
    assert '{"state": $value("state")}' in query  # no list: QueryParameters take strings
    assert ": $lookup($defaults, $n) };" in query
    assert '$defaults := {"from": ($fromMillis(' in query


def test_a_fan_out_lists_its_requests_with_the_run_overrides(app: cdk.App) -> None:
    asl = _asl(app, "/b?state=all")
    listing = asl["States"]["FetchAll"]
    assert listing["QueryLanguage"] == "JSONata" and "ListRequests" not in asl["States"]
    assert "$states.context.Execution.Input.query" in listing["Items"]
    selector = listing["ItemSelector"]
    assert (
        selector["queryAttribute"] == "{% $states.context.`Map`.`Item`.`Value`.`queryAttribute` %}"
    )
    iteration = asl["States"]["FetchAll"]["ItemProcessor"]["States"]
    assert iteration["Persist"]["Parameters"]["Item"]["query"] == {"M.$": "$.queryAttribute"}
    assert "HasQueryOverrides" not in asl["States"] and "OverrideQuery" not in asl["States"]


def test_every_fan_out_path_is_asked_with_the_override(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Paths", fast_retries=True)
    upstream.respond(lambda seen: Answer(200, [seen.path, seen.raw_query]))
    run = runner.run(input={"scheduledTime": T[1], "query": {"state": "a b&c"}})
    assert run.status == "SUCCEEDED", run.cause
    # The value is encoded once in each URL; the upstream decodes it back, '&' and all.
    assert sorted(json.dumps(s.query) for s in upstream.requests) == sorted([
        json.dumps({"state": ["a b&c"]}), json.dumps({"state": ["a b&c"], "x": ["1"]}),
    ])  # fmt: skip
    upstream.requests.clear()
    run = runner.run(input={"scheduledTime": T[0], "query": {"state": "closed", "x": "2"}})
    assert run.status == "SUCCEEDED", run.cause
    assert sorted(s.raw_query for s in upstream.requests) == ["state=closed", "state=closed&x=1"]
    upstream.requests.clear()
    run = runner.run(T[0])
    assert run.status == "SUCCEEDED", run.cause
    assert sorted(s.raw_query for s in upstream.requests) == ["state=all&x=1", "state=open"]
    items = _items(runner, "paths")
    assert items[f"{T[1]}#state=a b&c#/a?state=open"][1] == {"state": "a b&c"}
    assert {sk: v for sk, v in items.items() if sk.startswith(T[0])} == {
        f"{T[0]}#state=closed#/a?state=open": (["/a", "state=closed"], {"state": "closed"}),
        f"{T[0]}#state=closed#/b?state=all&x=1": (["/b", "state=closed&x=1"], {"state": "closed"}),
        f"{T[0]}#state=open#/a?state=open": (["/a", "state=open"], {"state": "open"}),
        f"{T[0]}#state=all#/b?state=all&x=1": (["/b", "state=all&x=1"], {"state": "all"}),
    }


def test_a_windowed_paged_fan_out_takes_the_override_on_every_page(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Regions", fast_retries=True)

    def answer(seen: Seen) -> Answer:
        page = int(seen.query["page"][0])
        return Answer(200, [seen.path] * (2 if page == 1 else 1))

    upstream.respond(answer)
    run = runner.run(input={"scheduledTime": T[0], "query": {"state": "closed"}})
    assert run.status == "SUCCEEDED", run.cause
    assert sorted((s.path, s.raw_query) for s in upstream.requests) == [
        (f"/r/{region}", f"state=closed&since={HOUR_BEFORE.replace(':', '%3A')}&page={n}")
        for region in ("eu", "us") for n in (1, 2)
    ]  # fmt: skip
    suffix = f"state=closed&since={HOUR_BEFORE}"
    items = _items(runner, "regions")
    assert set(items) == {
        f"{T[0]}#{suffix}#/r/{region}?state=open&since={{window_start}}#{n}"
        for region in ("eu", "us") for n in (1, 2)
    }  # fmt: skip
    assert {str(q) for _, q in items.values()} == {str({"state": "closed", "since": HOUR_BEFORE})}


def test_a_fan_out_from_an_answer_asks_every_item_with_the_override(
    open_runner: Callable[..., Any], upstream: Upstream
) -> None:
    runner = open_runner("Shapes/Children", fast_retries=True)
    upstream.respond(
        lambda seen: Answer(200, ["x y", "z"] if seen.path == "/repos" else [seen.path])
    )
    run = runner.run(input={"scheduledTime": T[0], "query": {"state": "closed", "since": "0"}})
    assert run.status == "SUCCEEDED", run.cause
    since = HOUR_BEFORE
    assert sorted((s.path, json.dumps(s.query)) for s in upstream.requests) == sorted([
        ("/repos", "{}"),
        ("/repos/x%20y/issues", json.dumps({"state": ["closed"], "since": [since]})),
        ("/repos/z/issues", json.dumps({"state": ["closed"], "since": [since]})),
    ])  # fmt: skip
    items = _items(runner, "children")
    assert set(items) == {
        f"{T[0]}#state=closed#/repos/x%20y/issues?state=open&since={since}",
        f"{T[0]}#state=closed#/repos/z/issues?state=open&since={since}",
    }
    assert {str(q) for _, q in items.values()} == {str({"state": "closed"})}


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ({"path": "/e?state=open", "pagination": Pagination.page_number()},
         r"a page loop carries each page's request as the HTTP Task's URL"),
        ({"fan_out": FanOut.paths(["/e?state=open"])},
         r"sets the run's values in each request of the fan-out, which the HTTP Task takes"),
    ],
)  # fmt: skip
def test_the_http_task_keeps_a_callers_values_out_of_its_url(
    shape: dict[str, Any], match: str
) -> None:
    """docs/checked-on-aws.md: nothing a run computes goes into ApiEndpoint (its encoding there
    is not documented), so overrides of pages or a fan-out need the API Gateway transport."""
    stack = cdk.Stack(cdk.App(), "Http")
    connection = cdk.aws_events.Connection(
        stack, "C", authorization=cdk.aws_events.Authorization.api_key(
            "X-Key", cdk.SecretValue.secrets_manager("k")))  # fmt: skip
    with pytest.raises(DownloaderConfigError, match=match):
        _pattern(stack, "P", transport=Transport.http_task(connection), **shape)
