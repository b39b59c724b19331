"""Requests computed each run through the HTTP Task (issue 23), as synthesized: what
``ComputeRequest`` assigns in the HTTP Task's form (or the JSONata download computes in its
Arguments), how the task reads it (``ApiEndpoint.$``, ``QueryParameters.$``,
``RequestBody.$``), the role's denies (unchanged), why a computed path cannot leave
``<endpoint>/``, and what stays refused (prop, value, reason, fix)."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events

from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Pagination,
    RetryAfter,
    Transport,
    Trim,
    Window,
)
from sfn_downloader._contract import PLACEHOLDER_FORMATS
from sfn_downloader.local._jsonata_node import process
from sfn_downloader.timing._placeholders import formatted

from scenarios import Scenario, definition

AT = "$toMillis($states.context.Execution.Input.scheduledTime)"
ISO = "'[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z'"
HTTP_KEYS = ("p", "events", "issues", "report", "orders", "search")


def parameters(scenario: Scenario, key: str, state: str = "Download") -> dict[str, Any]:
    """The task's request: ``Parameters`` (JSONPath), or ``Arguments`` of a checked (JSONata)
    download (issue 25 item 14: it reads the same variables)."""
    found = definition(scenario, key)["States"][state]
    return found.get("Parameters") or found["Arguments"]  # type: ignore[no-any-return]


def assigned(scenario: Scenario, key: str) -> dict[str, Any]:
    return definition(scenario, key)["States"]["ComputeRequest"]["Assign"]  # type: ignore[no-any-return]


# --- how the HTTP Task reads a computed request ------------------------------------------------


def test_a_window_query_is_computed_one_string_a_name_in_the_download(timed_http: Scenario) -> None:
    """QueryParameters holds one string a name ("Call HTTPS APIs in Step Functions workflows"):
    the static ``lang`` joins the computed bounds there, and nothing stays in the URL. The
    JSONata download computes them in its Arguments: no ``ComputeRequest`` (issue 28)."""
    states = definition(timed_http, "events")["States"]
    assert "ComputeRequest" not in states
    download = parameters(timed_http, "events")
    assert download["QueryParameters"] == (
        f'{{% {{"from": ($fromMillis(({AT} - 3900000), {ISO})), '  # 1 h + 5 min lookback
        f'"to": ($fromMillis({AT}, {ISO})), "lang": "en"}} %}}'
    )
    assert download["ApiEndpoint"] == "{% 'https://api.example.com' & '/' & 'v2/events' %}"
    assert "?" not in download["ApiEndpoint"]


def test_a_computed_path_has_no_leading_slash_and_is_joined_to_the_endpoint(
    timed_http: Scenario,
) -> None:
    """HttpInvoke joins the endpoint and the path with '/': the computed path is ``v1/...``,
    computed in the download's Arguments (issue 28)."""
    assert definition(timed_http)["StartAt"] == "Download"
    download = parameters(timed_http, "p")
    assert download["ApiEndpoint"] == (
        "{% 'https://api.frankfurter.example' & '/' & "
        f"('v1/' & $fromMillis({AT}, '[Y0001]-[M01]-[D01]')) %}}"
    )
    # A path read from a variable takes no literal query after it: the static query is
    # QueryParameters (one value a name).
    assert download["QueryParameters"] == {"base": "EUR"}


def test_an_incremental_mark_joins_the_static_query_as_one_string(timed_http: Scenario) -> None:
    # ReadState computes the request as it reads the mark (no ComputeRequest, issue 28).
    assign = definition(timed_http, "issues")["States"]["ReadState"]["Assign"]
    mark = assign["requestMark"]
    assert mark.startswith("{% ($exists($states.result.Item.mark.S)")
    assert assign["requestQuery"] == {
        "state": "all", "sort": "updated", "direction": "asc", "since": mark,
    }  # fmt: skip
    download = parameters(timed_http, "issues")
    # The checked (JSONata) download reads the variable ReadState assigned (issue 25 item 14).
    assert download["QueryParameters"] == "{% $requestQuery %}"
    assert download["ApiEndpoint"] == (
        "{% 'https://api.github.com' & '/' & 'repos/aws/aws-cdk/issues' %}"
    )
    states = definition(timed_http, "issues")["States"]
    assert "AdvanceMark" in states and "ComputeMark" not in states  # as through the proxy


def test_a_body_placeholder_is_computed_in_the_request_body(timed_http: Scenario) -> None:
    """The body an object whose placeholder values are expressions (the others as written:
    no number passes through JSONata), in the download's Arguments (issue 28)."""
    assert "ComputeRequest" not in definition(timed_http, "report")["States"]
    download = parameters(timed_http, "report")
    assert download["RequestBody"] == {
        "day": f"{{% $fromMillis({AT}, '[Y0001]-[M01]-[D01]') %}}",
        "format": "json",
    }
    assert download["Method"] == "POST"
    assert "QueryParameters" not in download and "QueryParameters.$" not in download


def test_an_overridable_query_is_computed_by_the_download(timed_http: Scenario) -> None:
    """Issue 28(a): the query the HTTP Task sends (one string a name) is computed in the
    download's Arguments; no DefaultQuery/OverrideQuery."""
    states = definition(timed_http, "orders")["States"]
    query = states["Download"]["Arguments"]["QueryParameters"]
    assert '$defaults := {"region": "10000002", "type": "all"}' in query
    assert '$merge([$defaults, {"region": $value("region")}])' in query
    assert "DefaultQuery" not in states and "HasQueryOverrides" not in states


def test_the_backfill_runs_the_http_task_downloader(timed_http: Scenario) -> None:
    """Backfill needs a request that follows the scheduled time: on the HTTP Task now too."""
    machines = [
        r for r in timed_http.json["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]  # fmt: skip
    assert len(machines) == len(HTTP_KEYS) + 1  # every downloader, and the rates' backfill


# --- the grant ----------------------------------------------------------------------------------


def deny_statements(scenario: Scenario, key: str) -> list[dict[str, Any]]:
    pattern = scenario.patterns[key]
    role_id = scenario.stack.get_logical_id(pattern.state_machine.role.node.default_child)  # type: ignore[union-attr,arg-type]
    statements = [
        statement
        for resource in scenario.json["Resources"].values()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": role_id} in resource["Properties"]["Roles"]
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]
    ]
    return [
        s for s in statements
        if s["Effect"] == "Deny" and s["Action"] == "states:InvokeHTTPEndpoint"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("key", "endpoint", "method"),
    [
        ("p", "https://api.frankfurter.example", "GET"),
        ("events", "https://api.example.com", "GET"),
        ("issues", "https://api.github.com", "GET"),
        ("report", "https://api.example.com", "POST"),
        ("orders", "https://api.example.com", "GET"),
        ("search", "https://api.example.com", "POST"),
    ],
)
def test_the_denies_are_those_of_a_static_request(
    timed_http: Scenario, key: str, endpoint: str, method: str
) -> None:
    """A computed request changes nothing of the role: ``states:InvokeHTTPEndpoint`` is still
    denied outside ``<endpoint>/*`` and for any other method."""
    assert deny_statements(timed_http, key) == [
        {
            "Action": "states:InvokeHTTPEndpoint",
            "Condition": {"StringNotLike": {"states:HTTPEndpoint": f"{endpoint}/*"}},
            "Effect": "Deny",
            "Resource": "*",
        },
        {
            "Action": "states:InvokeHTTPEndpoint",
            "Condition": {"StringNotEquals": {"states:HTTPMethod": method}},
            "Effect": "Deny",
            "Resource": "*",
        },
    ]


def test_every_endpoint_the_tasks_call_starts_with_the_endpoint_and_a_slash(
    timed_http: Scenario,
) -> None:
    """The URL is ``States.Format('{}/{}', '<endpoint>', <path>)``: whatever the path holds, it
    comes after ``<endpoint>/``, so it cannot change the scheme, host or port, and the URL
    matches the deny's ``<endpoint>/*``. The query is never in it (QueryParameters)."""
    for key in HTTP_KEYS:
        for state in definition(timed_http, key)["States"].values():
            if "http:invoke" not in str(state.get("Resource", "")):
                continue
            if "Parameters" in state:
                url = state["Parameters"]["ApiEndpoint.$"]
                assert re.fullmatch(r"States\.Format\('\{\}/\{\}', 'https://[a-z.]+', .+\)", url)
            else:  # a checked (JSONata) download: the same join, as aws-cdk-lib writes it
                url = state["Arguments"]["ApiEndpoint"]
                assert re.fullmatch(r"\{% 'https://[a-z.]+' & '/' & .+ %\}", url), url


@pytest.mark.parametrize("fmt", PLACEHOLDER_FORMATS)
@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00Z",
        "1969-12-31T23:59:59Z",
        "2026-11-27T05:30:00Z",
        "9999-12-31T23:59:59Z",
    ],
)
def test_a_time_placeholder_can_only_write_digits_dashes_colons_t_and_z(
    fmt: str, when: str
) -> None:
    """What a placeholder puts into a path is the JSONata of ``formatted``, evaluated by
    jsonata 2.0.6 (what Step Functions runs) on the scheduled time and a window start before it:
    never a '/', '.', '?', '%' or '#', so no placeholder can add a segment, climb one ('..') or
    start a query. The scheduled time itself is re-formatted, never copied."""
    for millis in ("$toMillis($t)", "($toMillis($t) - 3900000)"):
        outcome = process().evaluate(formatted(millis, fmt), {"t": when})
        assert outcome.error is None, outcome.error
        assert re.fullmatch(r"[0-9TZ:\-]+", outcome.value), outcome.value


# --- what stays refused on the HTTP Task ------------------------------------------------------


def http_task(stack: cdk.Stack) -> Transport:
    connection = events.Connection(
        stack, "C", authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("k")))  # fmt: skip
    return Transport.http_task(connection)


def build(http: bool = True, **props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    base: dict[str, Any] = {
        "endpoint": "https://api.example.com",
        "item": {"body": ItemField.json("$.ResponseBody")},
    }
    if http:
        base["transport"] = http_task(stack)
    return DownloaderPattern(stack, "P", **{**base, **props})


HOUR = Window.last(cdk.Duration.hours(1))


@pytest.mark.parametrize(
    ("props", "match"),
    [
        (
            # QueryParameters take one string a name; a list there is not documented.
            {"path": "/v1/orders?type=sell&type=buy&from={window_start}", "window": HOUR},
            r"path='/v1/orders\?type=sell&type=buy&from=\{window_start\}': sends query parameter "
            r"'type' 2 times, but the query of a request computed each run \(or overridden\) "
            r"reaches the HTTP Task as QueryParameters, one string a name .* Fix: send 'type' once",
        ),
        (
            # A computed path makes the static query QueryParameters too.
            {"path": "/v1/{scheduled_time:date}?type=sell&type=buy"},
            r"sends query parameter 'type' 2 times, but the query of a request computed each run",
        ),
        (
            # The HTTP Task refuses If-* request headers (R22).
            {"path": "/v1/x", "conditional": True},
            r"conditional=True: sends If-None-Match / If-Modified-Since, which the HTTP Task "
            r"refuses to send",
        ),
        (
            # A failed HTTP Task hands over no header by any document: a reset header is
            # never read (retry_after itself waits the backoff there).
            {"path": "/v1/x", "retry_after": RetryAfter(max_wait=cdk.Duration.seconds(30),
                                                        reset_header="X-RateLimit-Reset")},
            r"retry_after.reset_header='X-RateLimit-Reset': is read from the throttled "
            r"answer's headers",
        ),
        (
            # Trimming happens in the proxy, which the HTTP Task does not have (R24).
            {"path": "/v1/x", "trim": Trim.fields("id")},
            r"trim=.*: conflicts with transport=Transport\.http_task",
        ),
        (
            # Pages after a computed request: the page loop carries each request as the task's
            # URL, and a computed query never goes into ApiEndpoint (its encoding there is not
            # documented). Through API Gateway, pages of a computed request work.
            {"path": "/v1/x?from={window_start}", "window": HOUR,
             "pagination": Pagination.page_number(items_path="$.ResponseBody")},
            r"path='/v1/x\?from=\{window_start\}': computes the request each run, and a page "
            r"loop carries each page's request as the HTTP Task's URL .* Fix: use "
            r"transport=Transport\.api_gateway\(\) \(the default\) for the pages",
        ),
        (
            {"path": "/v1/{scheduled_time:date}",
             "pagination": Pagination.page_count(header="X-Pages")},
            r"computes the request each run, and a page loop carries each page's request",
        ),
        (
            {"path": "/v1/x", "pagination": Pagination.page_number(),
             "incremental": Incremental("$.ResponseBody[*].t", "since", 0)},
            r"incremental=Incremental\(.*\): computes the request each run, and a page loop",
        ),
    ],
)  # fmt: skip
def test_stays_refused_with_prop_value_reason_and_fix(props: dict[str, Any], match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(**props)


def test_a_repeated_name_is_fine_through_api_gateway_and_in_a_static_http_task_query() -> None:
    """The refusal is the HTTP Task's computed query only: API Gateway takes lists, and a static
    query (or one whose only computed part is the body) stays in the URL as written."""
    build(http=False, path="/v1/orders?type=sell&type=buy&from={window_start}", window=HOUR)
    # Pages of a computed request go through API Gateway (the page loop's own design).
    build(http=False, path="/v1/x?from={window_start}", window=HOUR,
          pagination=Pagination.page_number())  # fmt: skip
    build(path="/v1/orders?type=sell&type=buy")
    build(
        path="/v1/orders?type=sell&type=buy", method="POST", body={"day": "{scheduled_time:date}"}
    )


def test_a_fan_out_over_the_http_task_is_unchanged() -> None:
    """A fan-out's requests are listed by the transport (query in the path), not computed."""
    pattern = build(
        path=None, fan_out=FanOut.paths(["/v1/a?x=1", "/v1/b?x=2&x=3"]),
        concurrency=Concurrency.inline(2),
    )  # fmt: skip
    template = cdk.assertions.Template.from_stack(cdk.Stack.of(pattern)).to_json()
    text = json.dumps(template)
    assert "v1/b?x=2&x=3" in text
    assert "QueryParameters.$" not in text
