"""retry_after: the proxy that hands a throttled answer over, the states that wait, the refusals."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from sfn_downloader import (
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    Pagination,
    RetryAfter,
    StatusAction,
    Transport,
    estimate_monthly_cost,
)
from sfn_downloader.cost import render_definition

from scenarios import EVE_PROPS, Scenario, definition

THROTTLED = "method.response.header.X-Downloader-Throttled"


def method_of(scenario: Scenario, key: str) -> dict[str, Any]:
    api = scenario.patterns[key].api
    assert api is not None
    api_id = scenario.stack.get_logical_id(api.node.default_child)  # type: ignore[arg-type]
    [method] = [
        r["Properties"]
        for r in scenario.json["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method"
        and r["Properties"]["RestApiId"] == {"Ref": api_id}
    ]
    return method  # type: ignore[no-any-return]


def by_pattern(method: dict[str, Any]) -> dict[str | None, dict[str, Any]]:
    return {r.get("SelectionPattern"): r for r in method["Integration"]["IntegrationResponses"]}


# --- the proxy ---------------------------------------------------------------------------------


def test_429_and_503_reach_the_state_machine_as_a_marked_200_with_their_headers(
    retry_after: Scenario,
) -> None:
    method = method_of(retry_after, "limited")
    assert method["Integration"]["Type"] == "HTTP"  # non-proxy: it can map a status to another
    responses = by_pattern(method)
    for status in ("429", "503"):
        response = responses[status]
        assert response["StatusCode"] == "200"
        assert response["ResponseParameters"][THROTTLED] == f"'{status}'"
        assert response["ResponseParameters"]["method.response.header.Retry-After"] == (
            "integration.response.multivalueheader.Retry-After"
        )
        assert response["ResponseParameters"]["method.response.header.X-RateLimit-Reset"] == (
            "integration.response.multivalueheader.X-RateLimit-Reset"
        )
        assert "ResponseTemplates" not in response  # the body passes through: the cause
    # Other statuses keep their own (ApiGateway.500 is retried, ApiGateway.404 skipped).
    assert responses["500"]["StatusCode"] == "500" and responses["404"]["StatusCode"] == "404"
    assert "ResponseTemplates" not in responses["200"]  # no trim: success answers untouched
    declared = {r["StatusCode"]: r.get("ResponseParameters") for r in method["MethodResponses"]}
    assert "429" not in declared and "503" not in declared
    assert declared["200"][THROTTLED] is False and THROTTLED not in declared["201"]


def test_the_credential_is_mapped_and_not_sent_twice(retry_after: Scenario) -> None:
    mapped = method_of(retry_after, "limited")["Integration"]["RequestParameters"]
    assert mapped["integration.request.header.Authorization"] == (
        "method.request.header.MyCustomAuth"
    )
    # A non-proxy integration passes on only what it maps: no '' override needed.
    assert "integration.request.header.MyCustomAuth" not in mapped
    assert mapped["integration.request.querystring.region"] == (
        "method.request.multivaluequerystring.region"
    )


def test_without_retry_after_nothing_is_marked(default: Scenario, trimmed: Scenario) -> None:
    assert method_of(default, "p")["Integration"]["Type"] == "HTTP_PROXY"
    assert "X-Downloader-Throttled" not in str(trimmed.json)
    assert "WaitRetryAfter" not in str(default.json) and "WaitRetryAfter" not in str(trimmed.json)
    responses = by_pattern(method_of(trimmed, "single"))
    assert responses["429"]["StatusCode"] == "429" and responses["503"]["StatusCode"] == "503"


# --- the states ----------------------------------------------------------------------------


def test_the_download_keeps_its_raw_answer_and_a_choice_routes_the_throttled_one(
    retry_after: Scenario,
) -> None:
    """The checked download (issue 25 item 14): a JSONata task whose output is the raw answer
    (no Output, no selector), whose Assign refuses a compressed answer and keeps its input for
    a throttled answer asked again; the Choice reads the raw answer; Persist reads through the
    selector (no SelectDownload)."""
    states = definition(retry_after, "status")["States"]
    download = states["Download"]
    assert download["QueryLanguage"] == "JSONata" and "Output" not in download
    assert download["Assign"]["downloadAsked"] == "{% $states.input %}"
    assert "$error(" in download["Assign"]["answerChecked"]
    assert download["Catch"] == [
        {"ErrorEquals": ["States.QueryEvaluationError"], "Next": "AnswerCompressed"}
    ]
    assert download["Next"] == "DownloadThrottled"
    [choice] = states["DownloadThrottled"]["Choices"]
    assert choice == {
        "Variable": "$.Headers['X-Downloader-Throttled']",
        "IsPresent": True,
        "Next": "ComputeRetryAfter",
    }
    assert states["DownloadThrottled"]["Default"] == "Persist" and "SelectDownload" not in states
    players = states["Persist"]["Parameters"]["Item"]["players"]
    assert players == {"N.$": "States.Format('{}', $.ResponseBody.players)"}
    assert states["WaitRetryAfter"] == {
        "Type": "Wait", "SecondsPath": "$.retryAfter.seconds", "Next": "Download",
    }  # fmt: skip
    assert states["RetryAfterFailed"] == {
        "Type": "Fail", "ErrorPath": "$.retryAfter.error", "CausePath": "$.retryAfter.cause",
    }  # fmt: skip
    compute = states["ComputeRetryAfter"]
    assert compute["QueryLanguage"] == "JSONata"
    output = compute["Output"]
    assert "$max := 120" in output and "$waits > 3" in output
    assert "[FNn,*-3], [D01] [MNn,*-3] [Y0001] [H01]:[m01]:[s01] GMT" in output
    assert "$states.context.State.EnteredTime" in output
    assert "$left := 300 - " in output  # the run's timeout bounds the wait too
    assert "X-RateLimit-Reset" not in output


def test_the_reset_header_and_on_status_fit_in(retry_after: Scenario) -> None:
    states = definition(retry_after, "limited")["States"]
    # Read whatever the case of its name (issue 25, item 12).
    assert "$number($trim($hv('x-ratelimit-reset')))" in states["ComputeRetryAfter"]["Output"]
    assert states["DownloadThrottled"]["Default"] == "Persist"  # no selector: nothing to apply
    # The checked (JSONata) download (issue 25 item 14): the 404 caught into Skipped with its
    # input as the output, a compressed answer into AnswerCompressed.
    assert states["Download"]["Catch"] == [
        {"ErrorEquals": ["ApiGateway.404"], "Output": "{% $states.input %}", "Next": "Skipped"},
        {"ErrorEquals": ["States.QueryEvaluationError"], "Next": "AnswerCompressed"},
    ]


# --- refused at synth ------------------------------------------------------------------------


def refused(**props: Any) -> str:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(DownloaderConfigError) as raised:
        DownloaderPattern(stack, "P", **{**EVE_PROPS, **props})
    return str(raised.value)


def test_a_max_wait_that_cannot_fit_an_express_run_is_refused_with_the_arithmetic() -> None:
    message = refused(retry_after=RetryAfter(max_wait=cdk.Duration.minutes(5)))
    assert "retry_after.max_wait='300 s'" in message
    assert "300 s + 2 x 29 s for the requests around it = 358 s > the run's timeout of 300 s" in (
        message
    )
    assert "Express run lasts at most 5 minutes" in message
    assert "Fix: lower max_wait to at most 242 s, or use workflow_type=" in message


def test_a_long_max_wait_fits_a_standard_run_with_a_longer_timeout() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "P", **EVE_PROPS, workflow_type=sfn.StateMachineType.STANDARD,
        timeout=cdk.Duration.minutes(30),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(20)),
    )  # fmt: skip
    with pytest.raises(DownloaderConfigError, match=r"timeout of 600 s.*Fix: lower max_wait"):
        DownloaderPattern(
            stack, "Q", **EVE_PROPS, workflow_type=sfn.StateMachineType.STANDARD,
            timeout=cdk.Duration.minutes(10),
            retry_after=RetryAfter(max_wait=cdk.Duration.minutes(20)),
        )  # fmt: skip


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (RetryAfter(max_wait=cdk.Duration.seconds(0)), r"max_wait='0 s': is not a whole number"),
        (RetryAfter(max_wait=cdk.Duration.millis(1500)), r"max_wait='1.5 s'"),
        (RetryAfter(max_wait=120), r"max_wait=120: is not a Duration"),  # type: ignore[arg-type]
        (
            RetryAfter(max_wait=cdk.Duration.minutes(1), reset_header="X RateLimit"),
            r"reset_header='X RateLimit': is not a response header name.*Fix: pass the header",
        ),
        (
            RetryAfter(max_wait=cdk.Duration.minutes(1), reset_header="retry-after"),
            r"reset_header='retry-after'.*always read",
        ),
        (
            RetryAfter(max_wait=cdk.Duration.minutes(1), max_waits=0),
            r"max_waits=0: is not an integer from 1 to 10.*Fix: pass e.g. max_waits=3",
        ),
        (RetryAfter(max_wait=cdk.Duration.minutes(1), max_waits=11), r"max_waits=11: is not"),
        (RetryAfter(max_wait=cdk.Duration.seconds(243)), r"= 301 s > the run's timeout of 300 s"),
    ],
)
def test_bad_options_are_refused(options: RetryAfter, expected: str) -> None:
    with pytest.raises(DownloaderConfigError, match=expected):
        DownloaderPattern(cdk.Stack(cdk.App(), "S"), "P", **EVE_PROPS, retry_after=options)


def test_the_backoff_takes_the_retry_policy_numbers_or_step_functions_defaults() -> None:
    """Without a Retry-After, the wait is the retry policy's backoff: its own numbers, or
    Step Functions' defaults for those it leaves out (3 attempts, 1 s, a rate of 2.0)."""
    stack = cdk.Stack(cdk.App(), "S")
    given = sfn.RetryProps(
        errors=["ApiGateway.429"], max_attempts=4, interval=cdk.Duration.seconds(5),
        backoff_rate=3, max_delay=cdk.Duration.seconds(20),
    )  # fmt: skip
    outputs = []
    for name, retry in (("P", sfn.RetryProps(errors=["ApiGateway.429"])), ("Q", given)):
        pattern = DownloaderPattern(
            stack, name, **{**EVE_PROPS, "downloader_id": name}, retry=retry,
            retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
        )  # fmt: skip
        machine: Any = pattern.state_machine.node.default_child
        states = render_definition(stack.resolve(machine.definition_string))["States"]
        outputs.append(states["ComputeRetryAfter"]["Output"])
    defaults, own = outputs
    assert "$waits <= 3 ?" in defaults
    assert "$ceil($min([1 * $power(2, $waits - 1), " in defaults
    assert "$waits <= 4 ?" in own
    assert "$ceil($min([5 * $power(3, $waits - 1), 20]))" in own


def test_the_bounds_themselves_are_accepted() -> None:
    """242 s + 2 x 29 s is exactly the Express run's 300 s; 1 s and 1 to 10 waits."""
    stack = cdk.Stack(cdk.App(), "S")
    for name, options in {
        "Longest": RetryAfter(max_wait=cdk.Duration.seconds(242), max_waits=10),
        "Shortest": RetryAfter(max_wait=cdk.Duration.seconds(1), max_waits=1),
    }.items():
        DownloaderPattern(
            stack, name, **{**EVE_PROPS, "downloader_id": name.lower()}, retry_after=options
        )


def test_the_http_task_waits_the_backoff_without_states_of_its_own() -> None:
    """No proxy hands the headers over: a Retry rule on 429/503, before the policy's
    (tests/test_http_task_retry_after.py runs it)."""
    stack = cdk.Stack(cdk.App(), "S")
    connection = events.Connection(
        stack, "C",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("k")
        ),
    )  # fmt: skip
    pattern = DownloaderPattern(
        stack, "P", **EVE_PROPS, transport=Transport.http_task(connection),
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
    )  # fmt: skip
    text = json.dumps(Template.from_stack(stack).to_json())
    assert "WaitRetryAfter" not in text and "ComputeRetryAfter" not in text
    assert '\\"MaxDelaySeconds\\":120' in text
    del pattern


@pytest.mark.parametrize(
    "shape",
    [
        {"path": None, "fan_out": FanOut.from_answer(path="/v1/types", each="/v1/t/{item}")},
        {"path": None, "fan_out": FanOut.paths(["/v1/a"]), "pagination": Pagination.page_count()},
        {"pagination": Pagination.page_count()},
    ],
    ids=["from-answer", "fan-out-page-count", "page-count"],
)
def test_every_request_is_waited_on(shape: dict[str, Any]) -> None:
    """``from_answer``'s list (and each of its pages) is waited on, as each item's request;
    with ``retry_after`` (in a fan-out or alone), ``page_count`` fetches a path's pages one after
    another, each waited on."""
    stack = cdk.Stack(cdk.App(), "S")
    DownloaderPattern(
        stack, "P", **{**EVE_PROPS, **shape},
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
    )  # fmt: skip
    text = json.dumps(Template.from_stack(stack).to_json())
    waited = "DownloadListThrottled" if "from_answer" in repr(shape) else "DownloadPageThrottled"
    assert waited in text


def test_a_wrong_type_is_refused() -> None:
    with pytest.raises(DownloaderConfigError, match=r"retry_after=.*is not a RetryAfter"):
        DownloaderPattern(
            cdk.Stack(cdk.App(), "S"), "P", **EVE_PROPS,
            retry_after=cdk.Duration.minutes(2),  # type: ignore[arg-type]
        )  # fmt: skip


def test_names_the_non_proxy_integration_cannot_map_are_refused() -> None:
    message = refused(
        path="/v2/status/?filter[state]=open", headers={"X~Trace": "1"},
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
    )  # fmt: skip
    assert "path='filter[state]': the query parameter cannot be mapped" in message
    assert "headers['X~Trace']='X~Trace': the header cannot be mapped" in message
    assert "Fix: rename it, or drop retry_after" in message


def test_the_cost_model_counts_the_states_of_an_answer_not_throttled(
    retry_after: Scenario,
) -> None:
    """Download, DownloadThrottled, Persist: the wait loop is not entered (the checked
    download: no SelectDownload, which made it 4)."""
    assert estimate_monthly_cost(retry_after.patterns["status"]).transitions_per_run == 3
    assert estimate_monthly_cost(retry_after.patterns["limited"]).transitions_per_run == 3


def test_an_action_on_a_waited_status_is_refused() -> None:
    message = refused(
        retry=sfn.RetryProps(errors=["ApiGateway.500"]), on_status={429: StatusAction.SKIP},
        retry_after=RetryAfter(max_wait=cdk.Duration.minutes(2)),
    )  # fmt: skip
    assert "on_status[429]=429: is waited for by retry_after" in message
    assert "Fix: remove it from on_status, or drop retry_after" in message
