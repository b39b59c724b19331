"""overridable_query: an on-demand run may change the allowed query parameters, nothing else."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from local_helpers import Answer, Upstream
from sfn_downloader import DownloaderConfigError, DownloaderPattern, FanOut, Starts, Transport
from sfn_downloader.local import LocalRunner

from scenarios import EVE_PROPS, rendered_definition

PROPS: dict[str, Any] = {
    **EVE_PROPS,
    "path": "/v2/status?datasource=tranquility&language=en",
    "starts": Starts.scheduled_and_on_demand(overridable_query=["datasource"]),
}
SCHEDULED = "2026-11-27T05:30:00Z"


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    DownloaderPattern(cdk.Stack(app, "Overrides"), "Status", **PROPS)
    return app


@pytest.fixture(scope="module")
def asl(app: cdk.App) -> dict[str, Any]:
    stack = app.node.find_child("Overrides")
    return json.loads(rendered_definition(Template.from_stack(stack).to_json()))  # type: ignore[arg-type]


def test_the_download_computes_the_overridden_query_itself(asl: dict[str, Any]) -> None:
    """Issue 28(a): the single request's checked download computes the query in its
    Arguments, the key suffix and the ``query`` attribute in its ``Assign``; no override
    state is entered (CheckInput → Download → Persist)."""
    states = asl["States"]
    assert set(states) == {"CheckInput", "Download", "Persist", "AnswerCompressed",
                           "InvalidInput", "InputInFuture"}  # fmt: skip
    assert states["CheckInput"]["Choices"][0]["Next"] == "Download"
    download = states["Download"]
    assert download["QueryLanguage"] == "JSONata"
    assert download["Arguments"]["Path"] == "/v2/status"  # the path never comes from input
    query = download["Arguments"]["QueryParameters"]
    assert '$defaults := {"datasource": ["tranquility"], "language": ["en"]}' in query
    assert '$merge([$defaults, {"datasource": [$value("datasource")]}])' in query
    assert set(download["Assign"]) == {"answerChecked", "keySuffix", "queryAttribute"}
    assert download["Assign"]["keySuffix"].endswith('"datasource=" & $value("datasource")) %}')
    item = states["Persist"]["Parameters"]["Item"]
    assert item["sk"] == {
        "S.$": "States.Format('{}#{}', $$.Execution.Input.scheduledTime, $keySuffix)"
    }
    assert item["query"] == {"M.$": "$queryAttribute"}
    assert states["Persist"]["ResultSelector"]["sk.$"] == item["sk"]["S.$"]


def test_only_allowed_names_are_read_from_the_input(asl: dict[str, Any]) -> None:
    """Only the allowed names are looked up in the input (JSONata ``$lookup`` by name);
    every value is made text (``$string``)."""
    download = asl["States"]["Download"]
    for text in [download["Arguments"]["QueryParameters"], *download["Assign"].values()]:
        if "$given" in text:
            assert "$given := $states.context.Execution.Input.query;" in text
            assert "$string($lookup($given, $n))" in text
            assert text.count("$given") == 3  # bound once, read by name twice


@pytest.fixture
def runner(app: cdk.App, upstream: Upstream) -> Iterator[LocalRunner]:
    upstream.script(default=Answer(200, {"players": 100}))
    with LocalRunner(app, upstream=upstream.url, pattern="Overrides/Status") as opened:
        yield opened


def test_an_on_demand_run_overrides_an_allowed_parameter(
    runner: LocalRunner, upstream: Upstream
) -> None:
    sent = {"scheduledTime": SCHEDULED, "query": {"datasource": "singularity", "language": "de",
                                                  "path": "/v1/secret"}}  # fmt: skip
    execution = runner.run(input=sent)
    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert seen.path == "/v2/status"
    assert seen.query == {"datasource": ["singularity"], "language": ["en"]}
    assert "path" not in seen.query


def test_without_overrides_the_defaults_are_sent(runner: LocalRunner, upstream: Upstream) -> None:
    execution = runner.run(SCHEDULED)  # as the schedule starts it: no "query"
    assert execution.status == "SUCCEEDED", execution.cause
    [seen] = upstream.requests
    assert seen.query == {"datasource": ["tranquility"], "language": ["en"]}
    [item] = runner.items()
    assert item["count"] == 100


def build(**overrides: Any) -> DownloaderPattern:
    return DownloaderPattern(cdk.Stack(cdk.App(), "S"), "P", **{**PROPS, **overrides})


def test_an_overridable_name_needs_a_default_in_the_path() -> None:
    with pytest.raises(
        DownloaderConfigError, match=r"overridable_query\['page'\]='page': is not a query parameter"
    ):
        build(starts=Starts.on_demand(overridable_query=["page"]))


def test_an_overridable_name_has_one_default() -> None:
    with pytest.raises(DownloaderConfigError, match=r"has 2 values in path"):
        build(path="/v2/status?datasource=a&datasource=b")


def test_every_fan_out_request_needs_one_default_of_an_overridable_name() -> None:
    with pytest.raises(DownloaderConfigError) as raised:
        build(
            path=None,
            fan_out=FanOut.paths(["/a?datasource=x", "/b", "/c?datasource=1&datasource=2"]),
        )
    text = str(raised.value)
    assert ("overridable_query['datasource']='datasource': is not a query parameter of the "
            "fan-out's request '/b', so it has no default there.") in text  # fmt: skip
    assert "has 2 values in the fan-out's request '/c?datasource=1&datasource=2'" in text
    assert "'/a?datasource=x'" not in text


def test_a_fan_out_from_an_answer_needs_the_default_in_each() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"is not a query parameter of the fan-out's request '/x/\{item\}\?lang=a'",
    ):
        build(path=None, fan_out=FanOut.from_answer(path="/list", each="/x/{item}?lang=a"))
    build(path=None, fan_out=FanOut.from_answer(path="/list", each="/x/{item}?datasource=a"))


def http_task(stack: cdk.Stack) -> Transport:
    connection = cdk.aws_events.Connection(
        stack, "C", authorization=cdk.aws_events.Authorization.api_key(
            "X-Key", cdk.SecretValue.secrets_manager("k")))  # fmt: skip
    return Transport.http_task(connection)


def test_the_http_task_reads_the_overridden_query_one_string_a_name() -> None:
    """Issue 23 (R23 lifted): the HTTP Task's QueryParameters take one string a name, so the
    query the download computes holds strings (issue 28(a): in its Arguments)."""
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(stack, "P", **PROPS, transport=http_task(stack))
    asl = json.loads(rendered_definition(Template.from_stack(stack).to_json()))
    download = asl["States"]["Download"]["Arguments"]
    query = download["QueryParameters"]
    assert '$defaults := {"datasource": "tranquility", "language": "en"}' in query
    assert '$merge([$defaults, {"datasource": $value("datasource")}])' in query
    assert ": $lookup($defaults, $n) }" in query  # one string a name: no [0]
    # The path is the definition's own: never read from the input.
    assert download["ApiEndpoint"] == "{% 'https://esi.evetech.net' & '/' & 'v2/status' %}"
    assert "DefaultQuery" not in asl["States"] and "OverrideQuery" not in asl["States"]


def test_the_http_task_refuses_a_repeated_name_with_overrides() -> None:
    """An overridden query is QueryParameters, one string a name: ``type=a&type=b`` cannot be
    sent there (a list in QueryParameters is not documented)."""
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(
        DownloaderConfigError,
        match=r"overridable_query=\['datasource'\]: sends query parameter 'type' 2 times, but the "
        r"query of a request computed each run \(or overridden\) reaches the HTTP Task as "
        r"QueryParameters, one string a name",
    ):
        DownloaderPattern(
            stack, "P", **{**PROPS, "path": "/v2/status?datasource=x&type=a&type=b"},
            transport=http_task(stack),
        )  # fmt: skip


def test_a_string_is_not_a_list_of_names() -> None:
    with pytest.raises(DownloaderConfigError, match=r"is a string, not a list of names"):
        build(starts=Starts.on_demand(overridable_query="datasource"))
