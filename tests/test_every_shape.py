"""``archive``, ``post_process`` and query overrides on runs of several requests (issue 23): the
states each shape adds, their keys and grants, and what is still refused."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import Archive, DownloaderPattern, FanOut, ItemField, Pagination
from sfn_downloader.cost import estimate_cost

from scenarios import rendered_definition

KEY_FORMAT = "States.Format('{id}/{{}}.json', {sort_key})"


def _pattern(stack: cdk.Stack, name: str, **props: Any) -> DownloaderPattern:
    return DownloaderPattern(
        stack, name, endpoint="https://api.example.com", result_selector={"b.$": "$.ResponseBody"},
        item={"b": ItemField.json("$.b")}, downloader_id=name.lower(), **props,
    )  # fmt: skip


@pytest.fixture(scope="module")
def definitions() -> dict[str, dict[str, Any]]:
    app = cdk.App()
    stack = cdk.Stack(app, "Shapes")
    built = {
        "paths": _pattern(stack, "Paths", fan_out=FanOut.paths(["/a", "/b"]),
                          archive=Archive.to_new_bucket()),
        "pages": _pattern(stack, "Pages", path="/p", pagination=Pagination.page_number(),
                          archive=Archive.to_new_bucket()),
        "counted": _pattern(stack, "Counted", path="/c", pagination=Pagination.page_count(),
                            archive=Archive.to_new_bucket()),
        "summed": _pattern(stack, "Summed", fan_out=FanOut.paths(["/a"]),
                           post_process=sfn.Pass(stack, "Notify")),
        "paged": _pattern(stack, "Paged", path="/r/{r}", fan_out=FanOut.path_values({"r": [1]}),
                          pagination=Pagination.link_header(), archive=Archive.to_new_bucket()),
    }  # fmt: skip
    template = app.synth().get_stack_by_name("Shapes").template
    found = {}
    for name, pattern in built.items():
        logical_id = stack.get_logical_id(pattern.state_machine.node.default_child)  # type: ignore[arg-type]
        found[name] = json.loads(rendered_definition(template, logical_id))
        statements = [
            s
            for r in template["Resources"].values()
            if r["Type"] == "AWS::IAM::Policy"
            and r["Properties"]["Roles"][0]["Ref"].startswith(
                stack.get_logical_id(pattern.state_machine.role.node.default_child)  # type: ignore[arg-type]
            )
            for s in r["Properties"]["PolicyDocument"]["Statement"]
        ]
        found[name]["statements"] = statements
    return found


def _iteration(states: dict[str, Any], map_name: str) -> dict[str, Any]:
    return states[map_name]["ItemProcessor"]["States"]  # type: ignore[no-any-return]


def test_a_fan_out_path_is_archived_after_its_persist_under_its_item_key(
    definitions: dict[str, dict[str, Any]],
) -> None:
    states = _iteration(definitions["paths"]["States"], "FetchAll")
    persist, archive = states["Persist"], states["Archive"]
    assert persist["Next"] == "Archive" and persist["ResultPath"] is None
    assert archive["Resource"].endswith(":states:::aws-sdk:s3:putObject")
    assert archive["Parameters"]["Key.$"] == (
        "States.Format('paths/{}.json', States.Format('{}#{}#{}', $.scheduledTime, $.run, "
        "$.request.key))"
    )  # the item's key: each delivery its own object (issue 26, items 4 and 9)
    # the selection, kept beside the headers AnswerChecked reads (issue 25 item 14)
    assert archive["Parameters"]["Body.$"] == "States.JsonToString($.response.selected)"
    assert states["Download"]["Next"] == "AnswerChecked"
    assert states["AnswerChecked"]["Default"] == "Persist"
    # the iteration's outcome, as Persist wrote it without an archive
    assert archive["ResultSelector"] == {"ok": True} and archive["End"] is True
    assert [c["Next"] for c in archive["Catch"]] == ["RecordFailure", "RecordFailure"]


def test_a_page_is_archived_after_its_persist_and_then_dropped(
    definitions: dict[str, dict[str, Any]],
) -> None:
    # The checked page loop (issue 28(a)): the download's output is the raw page, unevaluated.
    states = definitions["pages"]["States"]
    assert "NextRequest" not in states
    assert states["DownloadPage"]["Next"] == "PersistPage"
    assert states["PersistPage"]["Next"] == "SelectPage"
    assert states["PersistPage"]["ResultPath"] is None  # the page stays for the archive
    # the selection, applied by a JSONPath Pass (every digit kept) for the archive's body
    select = states["SelectPage"]
    assert (select["Type"], select.get("QueryLanguage", "JSONPath")) == ("Pass", "JSONPath")
    assert select["Parameters"] == {"b.$": "$.ResponseBody"}  # the pattern's selector
    assert select["Next"] == "ArchivePage"
    archive = states["ArchivePage"]
    assert archive["Parameters"]["Key.$"] == (
        "States.Format('pages/{}.json', States.Format('{}#{}#{}', "
        "$$.Execution.Input.scheduledTime, $$.Execution.Name, $loop.stored))"
    )
    assert archive["Parameters"]["Body.$"] == "States.JsonToString($)"
    # the next state, as the download computed it
    assert (archive["ResultSelector"], archive["ResultPath"], archive["OutputPath"]) == (
        {"loop.$": "$loop"},
        "$",
        "$.loop",
    )
    assert archive["Next"] == "MorePages"


def test_page_count_archives_its_first_page_and_each_page_of_its_map(
    definitions: dict[str, dict[str, Any]],
) -> None:
    states = definitions["counted"]["States"]
    # The raw first page, checked (issue 25 item 14): the selection kept beside the headers
    # CountPages reads, then archived.
    assert states["PersistFirstPage"]["Next"] == "SelectFirstPage"
    assert states["SelectFirstPage"]["Next"] == "ArchiveFirstPage"
    assert states["ArchiveFirstPage"]["Parameters"]["Body.$"] == "States.JsonToString($.selected)"
    assert states["ArchiveFirstPage"]["Next"] == "CountPages"
    assert (
        "States.Format('{}#{}#1', $$.Execution.Input.scheduledTime, $$.Execution.Name)"
        in (states["ArchiveFirstPage"]["Parameters"]["Key.$"])
    )
    pages = _iteration(states, "FetchPages")
    assert pages["PersistPage"]["Next"] == "SelectPage"
    assert pages["SelectPage"]["Next"] == "ArchivePage"
    assert pages["ArchivePage"]["Parameters"]["Key.$"] == (
        "States.Format('counted/{}.json', States.Format('{}#{}#{}', $mapItem.scheduledTime, "
        "$mapItem.run, $mapItem.page))"
    )  # the Map item, as the checked download kept it


def test_each_page_of_each_path_is_archived_and_a_failure_is_that_paths(
    definitions: dict[str, dict[str, Any]],
) -> None:
    states = _iteration(definitions["paged"]["States"], "FetchAll")
    archive = states["ArchivePage"]
    assert archive["Parameters"]["Key.$"] == (
        "States.Format('paged/{}.json', States.Format('{}#{}#{}#{}', $pathLoop.scheduledTime, "
        "$pathLoop.run, $pathLoop.key, $pathLoop.stored))"
    )  # the iteration's loop state, as the checked download kept it
    assert {c["Next"] for c in archive["Catch"]} == {"RecordFailure"}


@pytest.mark.parametrize("shape", ["paths", "pages", "counted", "paged"])
def test_the_archive_grant_is_one_put_object_on_the_downloaders_prefix(
    definitions: dict[str, dict[str, Any]], shape: str
) -> None:
    puts = [s for s in definitions[shape]["statements"] if s["Action"] == "s3:PutObject"]
    assert len(puts) == 1
    resource = json.dumps(puts[0]["Resource"])
    assert resource.endswith(f'"/{shape}/*"]]}}')


def test_post_process_follows_the_fan_outs_map_once_then_the_run_fails_or_succeeds(
    definitions: dict[str, dict[str, Any]],
) -> None:
    states = definitions["summed"]["States"]
    assert states["FetchAll"]["Next"] == "RunSummary"
    assert "AnyFailed" not in states  # the run's outcome comes after the user's states
    summary = states["RunSummary"]
    assert summary["QueryLanguage"] == "JSONata" and summary["Next"] == "AllStored"
    assert set(summary["Assign"]) == {"failedRequests"}
    # No request failed: the delivery is marked complete before the user's states, which may
    # tell a reader to read the run's set; else the user's states without the mark.
    all_stored = states["AllStored"]
    assert all_stored["Choices"] == [
        {"Condition": "{% $count($failedRequests) > 0 %}", "Next": "Notify"}
    ]
    assert all_stored["Default"] == "MarkDelivered"
    assert states["MarkDelivered"]["Next"] == "Notify"
    assert states["Notify"]["Next"] == "RunOutcome"
    outcome = states["RunOutcome"]
    assert outcome["Choices"][0]["Next"] == "RequestsFailed" and outcome["Default"] == "RunDone"
    assert states["RequestsFailed"]["Error"] == "Downloader.RequestsFailed"


def test_the_cost_model_follows_post_processs_marked_delivery(
    definitions: dict[str, dict[str, Any]],
) -> None:
    """A successful run with post_process enters AllStored and MarkDelivered (issue 26): 2
    more transitions than main's RunSummary → Notify → RunOutcome → RunDone, and the
    completion item is 1 WRU whatever the answers' size."""
    definition = {k: v for k, v in definitions["summed"].items() if k != "statements"}
    estimate = estimate_cost(
        definition, schedule_expression="rate(1 minute)", workflow_type="STANDARD",
        runs_per_month=1, item_size_bytes=4096,
    )  # fmt: skip
    # FetchAll (Download, Persist), RunSummary, AllStored, MarkDelivered, Notify, RunOutcome,
    # RunDone
    assert estimate.transitions_per_run == 9
    assert estimate.line_item("DynamoDB on-demand writes").quantity == 4 + 1
