"""Actions on answer statuses (``on_status``): the states around each download, the error
names each transport gives, and a clear error for each action that cannot be taken."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    DownloaderConfigError,
    DownloaderPattern,
    ItemField,
    Pagination,
    StatusAction,
    Transport,
)

from scenarios import EXAMPLE_API, Scenario, api_key_connection, definition


def test_a_404_is_caught_by_the_proxys_error_name(status_actions: Scenario) -> None:
    states = definition(status_actions, "One")["States"]
    # The checked (JSONata) download (issue 25 item 14): its Catch passes the input on.
    assert states["Download"]["QueryLanguage"] == "JSONata"
    assert states["Download"]["Catch"] == [
        {"ErrorEquals": ["ApiGateway.404"], "Output": "{% $states.input %}", "Next": "Skipped"},
        {"ErrorEquals": ["States.QueryEvaluationError"], "Next": "AnswerCompressed"},
    ]
    assert states["Skipped"] == {"Type": "Succeed"}


def test_the_http_task_names_its_own_errors(status_actions_http: Scenario) -> None:
    catch = definition(status_actions_http, "One")["States"]["Download"]["Catch"]
    assert catch[0]["ErrorEquals"] == ["States.Http.StatusCode.404"]


def test_a_204_is_decided_before_the_selector_reads_the_body(status_actions: Scenario) -> None:
    states = definition(status_actions, "One")["States"]
    assert "ResultSelector" not in states["Download"] and "Output" not in states["Download"]
    assert states["Download"]["Next"] == "DownloadStatus"
    assert states["DownloadStatus"]["Choices"] == [
        {"Variable": "$.StatusCode", "NumericEquals": 204, "Next": "Skipped"}
    ]
    # No SelectDownload (issue 25 item 14): Persist reads the raw answer through the selector.
    assert "SelectDownload" not in states
    assert states["DownloadStatus"]["Default"] == "Persist"
    assert states["Persist"]["Parameters"]["Item"]["value"] == {
        "S.$": "States.JsonToString($.ResponseBody.value)"
    }


def test_in_a_fan_out_the_action_comes_before_the_catch_all(status_actions: Scenario) -> None:
    processor = definition(status_actions, "Repos")["States"]["FetchAll"]["ItemProcessor"]
    catches = processor["States"]["DownloadPage"]["Catch"]
    # The checked page loop (issue 28(a)): the action's catch first, then the iteration's
    # catches of the checked download (a failed compressed check is States.QueryEvaluationError).
    assert [c["ErrorEquals"] for c in catches] == [
        ["ApiGateway.404"], ["States.DataLimitExceeded"], ["States.QueryEvaluationError"],
        ["States.ALL"],
    ]  # fmt: skip
    assert [c["Next"] for c in catches] == ["PathDone"] + ["RecordFailure"] * 3
    assert catches[0]["Output"] == "{% $states.input %}"  # the loop state the page began with
    assert processor["States"]["PathDone"] == {"Type": "Pass", "Result": {"ok": True}, "End": True}


def test_end_ends_the_page_loop(status_actions: Scenario) -> None:
    states = definition(status_actions, "Events")["States"]
    # The pages end as a delivery that stored them all: MarkDelivered ends the run.
    assert states["DownloadPage"]["Catch"][0]["Next"] == "MarkDelivered"
    # A JSONata Choice on the raw page (the download's output): a 204 ends the pages with the
    # next state as its output; any other page passes on to Persist as it is (no Output).
    assert states["PageStatus"]["QueryLanguage"] == "JSONata"
    assert states["PageStatus"]["Choices"][0] == {
        "Condition": "{% $states.input.StatusCode = 204 %}", "Output": "{% $loop %}",
        "Next": "MarkDelivered",
    }  # fmt: skip
    assert "Output" not in states["PageStatus"]
    assert states["MarkDelivered"]["End"] is True and "Done" not in states
    assert "NextRequest" not in states
    assert states["DownloadPage"]["Next"] == "PageStatus"
    assert states["PageStatus"]["Default"] == "PersistPage"


def _error(**props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    defaults = {"endpoint": EXAMPLE_API, "path": "/v1/thing",
                "item": {"page": ItemField.json("$.ResponseBody")}}  # fmt: skip
    if props.pop("http_task", False):
        props["transport"] = Transport.http_task(api_key_connection(stack))
    with pytest.raises(DownloaderConfigError) as raised:
        DownloaderPattern(stack, "P", **{**defaults, **props})
    return str(raised.value)


SKIP, END = StatusAction.SKIP, StatusAction.END


@pytest.mark.parametrize(
    ("props", "pattern"),
    [
        ({"on_status": {503: SKIP}},
         r"on_status\[503\]=503: is retried by the retry policy \('ApiGateway.503' is in its "
         r"errors\).*Fix: remove it from on_status, or pass retry=sfn.RetryProps"),
        ({"on_status": {429: SKIP}, "http_task": True},
         r"on_status\[429\]=429: is retried by the retry policy "
         r"\('States.Http.StatusCode.429'"),
        ({"on_status": {404: SKIP}, "retry": sfn.RetryProps(errors=["States.ALL"])},
         r"on_status\[404\]=404: is retried by the retry policy \('States.ALL'"),
        ({"on_status": {404: SKIP}, "retry": sfn.RetryProps(errors=["ApiGateway.404"])},
         r"on_status\[404\]=404: is retried"),
        ({"on_status": {200: SKIP}},
         r"on_status\[200\]=200: is a success with a body.*Only 204"),
        ({"on_status": {206: SKIP}}, r"on_status\[206\]=206: is a success with a body"),
        ({"on_status": {101: SKIP}}, r"on_status\[101\]=101: is an informational status"),
        ({"on_status": {404: END}},
         r"on_status\[404\]='StatusAction.END': ends a pagination loop, and this downloader "
         r"has no pagination.*Fix: use StatusAction.SKIP"),
        ({"on_status": {404: "skip"}}, r"on_status\[404\]='skip': is not a StatusAction"),
        ({"on_status": {"404": SKIP}}, r"on_status='404': is not an HTTP status"),
        ({"on_status": {600: SKIP}}, r"on_status=600: is not an HTTP status"),
        ({"on_status": {}}, r"on_status=\{\}: is not a non-empty mapping"),
    ],
)  # fmt: skip
def test_actions_that_cannot_be_taken_are_refused(props: dict[str, Any], pattern: str) -> None:
    message = _error(**props)
    assert "Fix:" in message
    assert re.search(pattern, message, re.S), message


def test_a_status_the_users_retry_policy_leaves_alone_may_have_an_action() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "P", endpoint=EXAMPLE_API, path="/v1/thing",
        item={"page": ItemField.json("$.ResponseBody")},
        retry=sfn.RetryProps(errors=["ApiGateway.500"]), on_status={503: SKIP},
        pagination=Pagination.page_number(),
    )  # fmt: skip
