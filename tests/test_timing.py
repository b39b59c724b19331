"""Downloads that follow time, as synthesized: the computed request, its grant, the incremental
mark's states, the backfill state machine, and every refusal (prop, value, fix)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match, Template

from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Pagination,
    Starts,
    Window,
)

from scenarios import Scenario, definition, rendered_definition

HOURLY = Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1)))
ITEM = {"body": ItemField.json("$.ResponseBody")}
MARK = Incremental(
    cursor_path="$.ResponseBody[*].updated_at", param="since", initial="2026-01-01T00:00:00Z"
)


def build(**props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(
        stack, "P", **{"endpoint": "https://api.example.com", "item": ITEM, **props}
    )


def policy_statements(scenario: Scenario, role_path: str) -> list[dict[str, Any]]:
    for resource in scenario.json["Resources"].values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        roles = json.dumps(resource["Properties"]["Roles"])
        if role_path in roles:
            return list(resource["Properties"]["PolicyDocument"]["Statement"])
    raise AssertionError(f"no policy of {role_path}")


def resource_text(statement: dict[str, Any]) -> str:
    return json.dumps(statement["Resource"])


# --- the computed request ----------------------------------------------------------------


def test_a_path_placeholder_is_computed_by_the_download_itself(timed: Scenario) -> None:
    # The checked (JSONata) download computes its path in its Arguments (issue 28): no
    # ComputeRequest first, no variable; its grant stays the JSONPath one's (a wildcard a
    # placeholder, test_a_computed_path_is_granted_a_wildcard_for_each_placeholder_only).
    asl = definition(timed)
    assert asl["StartAt"] == "Download" and "ComputeRequest" not in asl["States"]
    download = asl["States"]["Download"]["Arguments"]
    assert download["Path"] == (
        "{% ('/v1/' & $fromMillis($toMillis("
        "$states.context.Execution.Input.scheduledTime), '[Y0001]-[M01]-[D01]')) %}"
    )
    assert download["QueryParameters"] == {"base": ["EUR"]}  # static values stay literal


def test_window_bounds_are_the_scheduled_time_minus_duration_and_lookback(
    timed: Scenario,
) -> None:
    asl = definition(timed, "events")
    states = asl["States"]
    at = "$toMillis($states.context.Execution.Input.scheduledTime)"
    iso = "'[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z'"
    # The checked (JSONata) download computes the query in its Arguments: no ComputeRequest
    # first (issue 28), and no variable holds the request.
    assert asl["StartAt"] == "Download"
    assert "ComputeRequest" not in states
    assert states["Download"]["Arguments"]["QueryParameters"] == (
        f'{{% {{"from": [($fromMillis(({at} - 3900000), {iso}))], '  # 1 h + 5 min
        f'"to": [($fromMillis({at}, {iso}))]}} %}}'
    )
    assert states["Download"]["Arguments"]["Path"] == "/v2/events"
    assert "requestQuery" not in states["Download"]["Assign"]


def test_a_window_with_retention_is_two_states_one_download_computing_both() -> None:
    """The window's query in the download's Arguments, the expiry in its Assign (issue 28):
    Download → Persist; with an incremental mark ReadState computes the request and the
    checked download the expiry (issue 25 item 14): ReadState → Download → Persist →
    AdvanceMark."""
    pattern = build(
        path="/v2/events?from={window_start}&to={window_end}",
        window=Window.last(cdk.Duration.hours(1)), retention=cdk.Duration.days(1),
    )  # fmt: skip
    asl = json.loads(rendered_definition(Template.from_stack(cdk.Stack.of(pattern)).to_json()))
    assert asl["StartAt"] == "Download"
    assert set(asl["States"]) == {"Download", "Persist", "AnswerCompressed"}
    download = asl["States"]["Download"]
    assert download["Arguments"]["QueryParameters"].startswith('{% {"from": [($fromMillis(')
    assert set(download["Assign"]) == {"answerChecked", "expiresAt"}
    marked = build(
        path="/v2/events?from={window_start}", window=Window.last(cdk.Duration.hours(1)),
        incremental=MARK, retention=cdk.Duration.days(1),
    )  # fmt: skip
    asl = json.loads(rendered_definition(Template.from_stack(cdk.Stack.of(marked)).to_json()))
    # With a mark, ReadState computes the request as it reads the mark (no ComputeRequest).
    assert "ComputeRequest" not in asl["States"]
    assert "ComputeExpiry" not in asl["States"]
    assert asl["States"]["ReadState"]["Next"] == "Download"
    assert "requestMark" in asl["States"]["ReadState"]["Assign"]
    assert set(asl["States"]["Download"]["Assign"]) == {
        "answerChecked", "expiresAt", "cursorValues"
    }  # fmt: skip


def test_a_computed_path_through_the_proxy_is_folded_and_keeps_its_narrow_grant(
    timed: Scenario,
) -> None:
    """A computed path through apigateway:invoke is a JSONata download too: aws-cdk-lib would
    grant every path of the stage for a JSONata ``api_path``, so the task is built with the
    JSONPath token (``_ComputedPathInvoke``) and only its rendered Path is the expression."""
    states = definition(timed, "p")["States"]
    assert "ComputeRequest" not in states
    assert states["Download"]["QueryLanguage"] == "JSONata"
    assert states["Download"]["Arguments"]["Path"].startswith("{% ('/v1/' & ")
    invoked = [
        resource_text(s)
        for s in policy_statements(timed, "RatesStateMachineRole")
        if s["Action"] == "execute-api:Invoke"
    ]
    assert not any('/prod/GET/*"' in text for text in invoked), invoked


def test_a_computed_path_is_granted_a_wildcard_for_each_placeholder_only(
    timed: Scenario,
) -> None:
    statements = policy_statements(timed, "RatesStateMachineRole")
    invoked = [resource_text(s) for s in statements if s["Action"] == "execute-api:Invoke"]
    assert any(text.endswith('/prod/GET/v1/*"]]}') for text in invoked), invoked
    assert not any('/prod/GET/*"' in text for text in invoked)
    # A literal path with a computed query keeps its exact grant (CDK's own statement).
    events_invoked = [
        resource_text(s)
        for s in policy_statements(timed, "EventsStateMachineRole")
        if s["Action"] == "execute-api:Invoke"
    ]
    assert [t for t in events_invoked if "/prod/GET" in t] == [
        t for t in events_invoked if t.endswith('/prod/GET/v2/events"]]}')
    ]


def test_every_format_becomes_its_jsonata() -> None:
    pattern = build(path="/v1/{scheduled_time:epoch}/{scheduled_time:epoch_ms}?d={scheduled_time}")
    template = cdk.assertions.Template.from_stack(cdk.Stack.of(pattern)).to_json()
    text = rendered_definition(template)
    # computed by the (checked) download itself
    arguments = json.loads(text)["States"]["Download"]["Arguments"]
    at = "$toMillis($states.context.Execution.Input.scheduledTime)"
    assert arguments["Path"] == (
        f"{{% ('/v1/' & $string($floor({at} / 1000)) & '/' & $string({at})) %}}"
    )
    assert f"$fromMillis({at}, '[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z')" in json.dumps(
        arguments["QueryParameters"]
    )


# --- the incremental mark ------------------------------------------------------------------


def test_incremental_reads_the_state_item_and_advances_it_after_the_answer_is_stored(
    timed: Scenario,
) -> None:
    machine = definition(timed, "issues")
    states = machine["States"]
    order, name = [], machine["StartAt"]
    while name:
        order.append(name)
        name = states[name].get("Next")
    # Issue 28(a): the minimum, 4 (ReadState computes the request, AdvanceMark the mark).
    assert order == ["ReadState", "Download", "Persist", "AdvanceMark"]
    read = states["ReadState"]
    assert read["Arguments"]["Key"] == {"pk": {"S": "TestStack/Issues"}, "sk": {"S": "#state"}}
    assert read["Arguments"]["ConsistentRead"] is True
    assert read["Assign"]["stateItem"] == "{% $states.result %}"
    assert read["Output"] == "{% $states.input %}"
    # The checked (JSONata) download (issue 25 item 14): no Output (the raw answer passes on
    # unevaluated), the compressed check and the cursor values read from $states.result as
    # the JSONPath wildcard read them (always a list).
    download = states["Download"]
    assert download["QueryLanguage"] == "JSONata"
    assert "Output" not in download and "ResultSelector" not in download
    assert download["Arguments"]["QueryParameters"] == "{% $requestQuery %}"
    assert set(download["Assign"]) == {"answerChecked", "cursorValues"}
    assert download["Assign"]["cursorValues"] == (
        "{% ($h := $states.result.`ResponseBody`; $append([], $type($h) = 'array' ? "
        "$map($h, function($e) { $e.`updated_at` }) : $type($h) = 'object' ? "
        "$each($h, function($e) { $e.`updated_at` }) : [])) %}"
    )
    assert download["Catch"][0]["ErrorEquals"] == ["States.QueryEvaluationError"]
    # The mark as ReadState reads it, in its own Assign ($stateItem is not assigned yet).
    item = "$states.result.Item.mark.S"
    mark = f"($exists({item}) ? {item} : '2026-01-01T00:00:00Z')"
    assert read["Assign"]["requestQuery"]["since"] == ["{% " + mark + " %}"]
    assert read["Assign"]["requestMark"] == "{% " + mark + " %}"
    # A JSONata UpdateItem computing the mark in its Arguments: nothing after it stores what
    # the state holds, so its state may pass through JSONata.
    advance = states["AdvanceMark"]
    assert advance["QueryLanguage"] == "JSONata"
    assert advance["Arguments"]["ConditionExpression"] == (
        "attribute_not_exists(#markOrder) OR #markOrder < :markOrder"
    )
    assert advance["Arguments"]["Key"]["sk"] == {"S": "#state"}
    values = advance["Arguments"]["ExpressionAttributeValues"]
    assert "$reduce($cursorValues," in values[":mark"]["S"]
    assert values[":mark"]["S"].endswith("$text($best)) %}")
    assert values[":markOrder"]["N"].endswith("$text($order($best))) %}")
    assert values[":markSetBy"] == {"S": "{% $states.context.Execution.Input.scheduledTime %}"}
    assert advance["Output"] == "{% $states.input %}"
    assert advance["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "Output": "{% $states.input %}",
            "Next": "MarkKept",
        }
    ]


def test_incremental_is_granted_get_and_update_item_on_its_table(timed: Scenario) -> None:
    actions = {
        s["Action"]
        for s in policy_statements(timed, "IssuesStateMachineRole")
        if isinstance(s["Action"], str)
    }
    assert {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:PutItem"} <= actions
    rates_actions = {
        s["Action"]
        for s in policy_statements(timed, "RatesStateMachineRole")
        if isinstance(s["Action"], str)
    }
    assert "dynamodb:UpdateItem" not in rates_actions  # only where a mark is kept


# --- backfill ------------------------------------------------------------------------------


def test_backfill_is_a_standard_state_machine_running_the_downloader_per_time(
    timed: Scenario,
) -> None:
    pattern = timed.patterns["p"]
    machine = pattern.backfill_state_machine
    assert machine is not None
    logical_id = timed.stack.get_logical_id(machine.node.default_child)  # type: ignore[arg-type]
    resource = timed.json["Resources"][logical_id]
    assert resource["Properties"]["StateMachineType"] == "STANDARD"
    backfill = json.loads(rendered_definition(timed.json, logical_id))
    states = backfill["States"]
    assert backfill["StartAt"] == "CheckRange"
    run_all = states["RunAll"]
    assert run_all["MaxConcurrency"] == 4  # the downloader's concurrency
    assert run_all["ItemSelector"] == {"scheduledTime.$": "$$.Map.Item.Value"}
    run_one = run_all["ItemProcessor"]["States"]["RunOne"]
    assert run_one["Resource"].endswith(":states:::states:startExecution.sync:2")
    assert run_one["Parameters"]["Input"] == {"scheduledTime.$": "$.scheduledTime"}
    downloader = timed.stack.get_logical_id(pattern.state_machine.node.default_child)  # type: ignore[arg-type]
    assert run_one["Parameters"]["StateMachineArn"] == downloader  # rendered Ref
    # cron(0 1 * * ? *): a day apart, at 01:00 UTC.
    output = states["ListTimes"]["Output"]
    assert "/ 86400000) + 1" in output and "($from - 3600000) % 86400000 = 0" in output
    assert "$count <= 1000" in output
    choices = {c["Next"]: c for c in states["CheckTimes"]["Choices"]}
    assert choices["TooManyTimes"]["NumericGreaterThan"] == 1000
    assert states["TooManyTimes"]["Error"] == "Downloader.InvalidInput"


def test_grant_start_backfill_allows_start_execution_on_the_backfill_only(
    timed: Scenario,
) -> None:
    pattern = timed.patterns["p"]
    machine = pattern.backfill_state_machine
    assert machine is not None
    backfill = timed.stack.get_logical_id(machine.node.default_child)  # type: ignore[arg-type]
    timed.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("BackfillCaller")}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "states:StartExecution",
                        "Effect": "Allow",
                        "Resource": {"Ref": backfill},
                    }
                ]
            },
        },
    )


def test_without_backfill_there_is_none_to_grant() -> None:
    pattern = build(path="/v1/{scheduled_time:date}")
    assert pattern.backfill_state_machine is None
    role = iam.Role(pattern, "Caller", assumed_by=iam.AccountRootPrincipal())
    with pytest.raises(
        DownloaderConfigError, match=r"backfill=None: is not enabled.*backfill=True"
    ):
        pattern.grant_start_backfill(role)


def test_backfill_steps_by_the_window_when_it_is_a_whole_number_of_intervals() -> None:
    pattern = build(
        path="/v2/events?from={window_start}&to={window_end}",
        starts=HOURLY,
        window=Window.last(cdk.Duration.hours(6)),
        backfill=True,
    )
    machine = pattern.backfill_state_machine
    assert machine is not None
    template = cdk.assertions.Template.from_stack(cdk.Stack.of(pattern)).to_json()
    logical_id = cdk.Stack.of(pattern).get_logical_id(machine.node.default_child)  # type: ignore[arg-type]
    output = json.loads(rendered_definition(template, logical_id))["States"]["ListTimes"]["Output"]
    assert "/ 21600000) + 1" in output
    assert "'aligned': $from % 1000 = 0," in output  # a rate's phase is not known


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "match"),
    [
        (
            {"path": "/v1/{scheduled}"},
            r"path='/v1/\{scheduled\}': has the placeholder \{scheduled\}, which is not a time "
            r"placeholder \(they are \{scheduled_time\}, \{window_start\}, \{window_end\}\)\. "
            r"Fix: use one of them, or FanOut\.path_values",
        ),
        (
            {"path": "/v1/{scheduled_time:day}"},
            r"formats \{scheduled_time\} as 'day', which is not a format \(they are :iso, :date, "
            r":epoch, :epoch_ms\)\. Fix: write e\.g\. \{scheduled_time:date\}",
        ),
        (
            {"path": "/v1/x?{scheduled_time}=1"},
            r"placeholder in the name of query parameter.*Fix: put placeholders in values only",
        ),
        ({"path": "/v1/{scheduled_time"}, r"opens or closes no placeholder"),
        (
            {"path": "/x/{id}", "fan_out": FanOut.path_values({"scheduled_time": [1], "id": [2]})},
            r"fan_out\.path_values\['scheduled_time'\]=\[1\]: uses the reserved name "
            r"'scheduled_time'.*Fix: rename it",
        ),
        (
            {"path": "/x/{scheduled_time:yyyy}/{id}", "fan_out": FanOut.path_values({"id": [2]})},
            r"fan_out='\{scheduled_time:yyyy\}': formats \{scheduled_time\} as 'yyyy', which is "
            r"not a format",
        ),
        (
            {"path": "/v2/events?from={window_start}"},
            r"path='/v2/events\?from=\{window_start\}': has \{window_start\} but no window is "
            r"given\. Fix: pass window=Window\.last",
        ),
        (
            {"path": "/v2/events", "window": Window.last(cdk.Duration.hours(1))},
            r"window='Window\.last\(1 hour\)': is given, but neither the path nor the body has "
            r"\{window_start\} or \{window_end\}.*Fix: put them in the path",
        ),
        (
            {
                "path": "/v2/events?from={window_start}",
                "starts": HOURLY,
                "window": Window.last(cdk.Duration.minutes(45)),
            },
            r"window='Window\.last\(45 minutes\)': is shorter than the schedule's interval "
            r"\(rate\(1 hour\)\): consecutive windows would leave a gap of 15 minutes.*"
            r"Fix: use Window\.last\(Duration\.seconds\(3600\)\)",
        ),
        (
            {
                "path": "/v2/events?from={window_start}",
                "window": Window.last(cdk.Duration.seconds(0)),
            },
            r"duration is not a whole number of seconds of at least 1",
        ),
        (
            {"path": "/v1/issues", "incremental": Incremental("$.items[*].updated", "since", "x")},
            r"incremental\.cursor_path='\$\.items\[\*\]\.updated': is not a JSONPath into the raw "
            r"answer \(it starts with \$\.Headers or \$\.ResponseBody.*Fix: pass e\.g\. "
            r"cursor_path='\$\.ResponseBody\[\*\]\.updated_at'",
        ),
        (
            {
                "path": "/v1/issues",
                "incremental": Incremental("$.ResponseBody[*].t", "since", "2026-01-01"),
            },
            r"incremental\.initial='2026-01-01': is not an ISO 8601 time with a date, a time and "
            r"a zone",
        ),
        (
            {
                "path": "/v1/issues",
                "incremental": Incremental("$.ResponseBody[*].t", "since", "2026-01-01T00:00Z"),
            },
            # Python reads it; jsonata 2.0.6's $toMillis (AWS's) fails with D3110.
            r"incremental\.initial='2026-01-01T00:00Z': is not an ISO 8601 time with a date, a "
            r"time and a zone",
        ),
        (
            {
                "path": "/v1/items",
                "incremental": Incremental("$.Headers.X-Last-Id[0]", "after", "12345"),
            },
            # Text chooses instants: a numeric mark is chosen with a number (initial=12345),
            # which also reads numbers the API writes as text (docs/features/time.md).
            r"incremental\.initial='12345': is not an ISO 8601 time with a date, a time and a "
            r"zone.*Fix: pass e\.g\. initial='2026-01-01T00:00:00Z' \(or a number\)",
        ),
        (
            {
                "path": "/v1/issues?since=0",
                "incremental": Incremental("$.ResponseBody[*].id", "since", 0),
            },
            r"incremental\.param='since': is already in the path's query string",
        ),
        (
            {
                "path": "/v1/{scheduled_time:date}",
                "pagination": Pagination.page_count(),
                "concurrency": Concurrency.distributed(5),
            },
            r"path='/v1/\{scheduled_time:date\}': computes the request each run into variables, "
            r"and pages 2\.\.N run in a Distributed Map, whose child workflows cannot read the "
            r"run's variables",
        ),
        (
            {
                "path": "/v1/{scheduled_time:date}",
                "backfill": True,
                "starts": Starts.scheduled(
                    scheduler.ScheduleExpression.cron(minute="0", hour="1", week_day="MON-FRI")
                ),
            },
            r"backfill='cron\(0 1 \? \* MON-FRI \*\)': the schedule's times cannot be enumerated "
            r"with a fixed step.*Fix: schedule with rate\(\.\.\.\)",
        ),
        (
            {
                "path": "/v1/{scheduled_time:date}",
                "backfill": True,
                "starts": Starts.scheduled(
                    scheduler.ScheduleExpression.cron(
                        minute="0", hour="1", time_zone=cdk.TimeZone.EUROPE_LONDON
                    )
                ),
            },
            r"backfill='cron\(0 1 \* \* \? \*\) in time zone Europe/London': the schedule's times "
            r"cannot be enumerated",
        ),
        (
            {"path": "/v2/status", "backfill": True},
            r"backfill=True: would store today's answer under past times.*Fix: put "
            r"\{scheduled_time\}",
        ),
        (
            {"path": "/v1/issues", "incremental": MARK, "backfill": True},
            r"backfill=True: cannot be combined with incremental",
        ),
        (
            {"path": "/v1/{scheduled_time:date}", "backfill": "yes"},
            r"backfill='yes': is not a bool \(it is a str\)\. Fix: pass backfill=True",
        ),
        ({"path": "/v1/x", "window": "1h"}, r"window='1h': is not a Window"),
        ({"path": "/v1/x", "incremental": {"cursor_path": "$"}}, r"is not an Incremental"),
    ],
)
def test_refused_at_synth_with_prop_value_and_fix(props: dict[str, Any], match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(**props)


def test_overridable_query_is_refused_with_incremental() -> None:
    """One mark per downloader: an overridden query's run would move it (issue 23)."""
    with pytest.raises(
        DownloaderConfigError,
        match=r"incremental=.*keeps one mark per request.*Fix: use a downloader per query",
    ):
        build(
            path="/v1/x?q=1", incremental=MARK,
            starts=Starts.on_demand(overridable_query=["q"]),
        )  # fmt: skip
    with pytest.raises(DownloaderConfigError, match=r"incremental=.*keeps one mark per request"):
        build(
            fan_out=FanOut.paths(["/v1/x?q=1"]), incremental=MARK,
            starts=Starts.on_demand(overridable_query=["q"]),
        )  # fmt: skip


def test_backfill_accepts_concurrency_on_a_single_request() -> None:
    pattern = build(
        path="/v1/{scheduled_time:date}",
        backfill=True,
        concurrency=Concurrency.inline(3),
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(minute="0", hour="1")),
    )
    assert pattern.backfill_state_machine is not None
    with pytest.raises(DownloaderConfigError, match=r"only applies to a run of several"):
        build(path="/v1/{scheduled_time:date}", concurrency=Concurrency.inline(3))


def test_incremental_items_are_keyed_per_delivery_and_post_processing_follows_the_mark() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    notify = sfn.Pass(stack, "Notify")
    pattern = DownloaderPattern(
        stack, "P", endpoint="https://api.example.com", path="/v1/issues", item=ITEM,
        incremental=MARK, post_process=notify,
    )  # fmt: skip
    template = cdk.assertions.Template.from_stack(stack).to_json()
    states = json.loads(rendered_definition(template))["States"]
    per_delivery = "States.Format('{}#{}', $$.Execution.Input.scheduledTime, $$.Execution.Name)"
    assert states["Persist"]["Parameters"]["Item"]["sk"] == {"S.$": per_delivery}
    # post_process's key, written by SelectResult once the mark is advanced (or kept)
    assert states["SelectResult"]["Parameters"]["key"]["sk.$"] == per_delivery
    assert states["Persist"]["Next"] == "ComputeMark"
    assert states["AdvanceMark"]["Next"] == "SelectResult"
    assert states["MarkKept"]["Next"] == "SelectResult"
    assert states["SelectResult"]["Next"] == "Notify"
    del pattern


@pytest.mark.parametrize(
    ("expression", "step"),
    [
        ("rate(1 hour)", (3600, None)),
        ("rate(90 minutes)", (5400, None)),
        ("cron(0 1 * * ? *)", (86400, 3600)),
        ("cron(*/15 * * * ? *)", (900, 0)),
        ("cron(5 * * * ? *)", (3600, 300)),
        ("cron(0 1/6 * * ? *)", (21600, 3600)),
        ("cron(* * * * ? *)", (60, 0)),
        ("cron(*/15 0/1 * * ? *)", (900, 0)),  # 0/1: every hour, as *
        ("cron(0/1 * * * ? *)", (60, 0)),
        ("cron(5 */1 * * ? *)", (3600, 300)),
        ("cron(*/15 */2 * * ? *)", None),  # every other hour: gaps of 75 minutes
        ("cron(30 */6 * * ? *)", (21600, 1800)),
        ("cron(0 0 * * ? *)", (86400, 0)),
        ("cron(*/0 * * * ? *)", None),
        ("cron(0/1 3 * * ? *)", None),
        ("cron(0 1 ? * MON-FRI *)", None),
        ("cron(0/15 9-17 * * ? *)", None),
        ("cron(0 0,12 * * ? *)", None),
        ("cron(7 */5 * * ? *)", None),  # 5 does not divide 24: the step is not fixed
        ("at(2026-01-01T00:00:00)", None),
        (None, None),
    ],
)
def test_the_times_of_a_schedule_with_a_fixed_step(
    expression: str | None, step: tuple[int, int | None] | None
) -> None:
    from sfn_downloader.timing._schedule import step_of

    found = step_of(expression)
    assert (None if found is None else (found.seconds, found.phase)) == step
