"""Nothing silently wrong (issue 13, the construct's half): each mistake refused at synth with
the prop, the value and the fix, and the states that keep runs from overwriting each other."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks

from sfn_downloader import (
    AuthHeader,
    Constant,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
    Transport,
)

from scenarios import EVE_PROPS, MARKET_PATH, ORDERS_ITEM, Scenario, definition, synth


def build(stack: cdk.Stack | None = None, **overrides: Any) -> DownloaderPattern:
    stack = stack or cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(stack, "P", **{**EVE_PROPS, **overrides})


def refused(match: str, **overrides: Any) -> DownloaderConfigError:
    with pytest.raises(DownloaderConfigError, match=match) as raised:
        build(**overrides)
    assert "Fix:" in str(raised.value)
    return raised.value


def http_task(stack: cdk.Stack) -> Transport:
    connection = events.Connection(
        stack, "Connection", authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("api/key")
        ),
    )  # fmt: skip
    return Transport.http_task(connection)


# --- 1. a path-like constant ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "prop"),
    [
        ({"players": "$.ResponseBody.players"}, r"result_selector\['players'\]"),
        ({"players.$": "$.ResponseBody.players", "meta": {"server": "$$.Execution.Name"}},
         r"result_selector\['meta'\]\['server'\]"),
        ({"players.$": "$.ResponseBody.players", "ids": ["$[0].id"]},
         r"result_selector\['ids'\]\[0\]"),
        ({"players.$": "$.ResponseBody.players", "n": "States.Format('{}', $.x)"},
         r"result_selector\['n'\]"),
    ],
)  # fmt: skip
def test_a_selector_constant_that_looks_like_a_path_is_refused(
    selector: dict[str, Any], prop: str
) -> None:
    refused(rf"{prop}=.*looks like a JSONPath, but its key has no '\.\$'.*Fix:.*Constant\(",
            result_selector=selector, item={"p": ItemField.json("$.players")})  # fmt: skip


def test_constant_keeps_a_path_like_text_in_a_selector_header_and_item() -> None:
    scenario = synth(lambda stack: {"p": build(
        stack,
        result_selector={"players.$": "$.ResponseBody.players", "unit": Constant("$.players")},
        headers={"X-Query": Constant("$.filter")},
        item={"count": ItemField.number("$.players"), "source": Constant("$.ResponseBody"),
              "unit": ItemField.string("$.unit")},  # a selector's constant: read after it
    )})  # fmt: skip
    states = definition(scenario)["States"]
    # The selector's constant makes a selection only a JSONPath state can: SelectDownload
    # applies it after the checked (JSONata) download, which sends the header as written.
    assert states["SelectDownload"]["Parameters"]["unit"] == "$.players"  # a constant
    assert states["Download"]["Arguments"]["Headers"] == {"X-Query": ["$.filter"]}
    assert states["Persist"]["Parameters"]["Item"]["source"] == {"S": "$.ResponseBody"}


def test_a_header_value_or_raw_attribute_that_looks_like_a_path_is_refused() -> None:
    refused(r"headers\['X-Since'\]='\$\.since': looks like a JSONPath.*Constant\('\$\.since'\)",
            headers={"X-Since": "$.since"})  # fmt: skip
    refused(r"item\['v'\]='\$\.ResponseBody\.v': is a constant that looks like a JSONPath.*"
            r"ItemField\.string\('\$\.ResponseBody\.v'\)",
            item={"v": tasks.DynamoAttributeValue.from_string("$.ResponseBody.v")},
            result_selector=None)  # fmt: skip


# --- 3. a cursor outside the raw answer, or in Link ------------------------------------------


@pytest.mark.parametrize(
    ("next_path", "match"),
    [
        ("$.Headers.Link[0]", r"reads the Link header.*Pagination\.link_header\(\), which follows"),
        ("$.Headers['link'][0]", r"reads the Link header"),
        ("$.next", r"is outside the raw answer.*start it with \$\.ResponseBody"),
        ("$.StatusText", r"is outside the raw answer"),
    ],
)
def test_a_cursor_path_outside_the_raw_answer_or_in_link_is_refused(
    next_path: str, match: str
) -> None:
    refused(rf"pagination\.next_path=[\"']{re.escape(next_path)}[\"']: {match}",
            pagination=Pagination.cursor(next_path=next_path))  # fmt: skip


# --- 6. two downloaders, one id, one table ----------------------------------------------------


def test_two_downloaders_writing_one_id_to_one_table_are_refused_in_either_order() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S")
    first = DownloaderPattern(stack, "Tranquility", **EVE_PROPS, downloader_id="eve/status")
    with pytest.raises(DownloaderConfigError, match=r"downloader_id='eve/status': is also the id "
                       r"of downloader 'S/Tranquility'.*same table \(S/Tranquility/Table\).*"
                       r"Fix: give each downloader"):  # fmt: skip
        DownloaderPattern(stack, "Singularity", **EVE_PROPS, downloader_id="eve/status",
                          table=first.table)  # fmt: skip
    # The other order: the table's owner comes second, a brought table first.
    other = cdk.Stack(app, "Other")
    table = dynamodb.Table.from_table_name(other, "Shared", "downloads")
    DownloaderPattern(other, "A", **EVE_PROPS, downloader_id="x", table=table)
    again = dynamodb.Table.from_table_name(cdk.Stack(app, "Third"), "Again", "downloads")
    with pytest.raises(DownloaderConfigError, match=r"downloader_id='x': is also the id of "
                       r"downloader 'Other/A'"):  # fmt: skip
        DownloaderPattern(other, "B", **EVE_PROPS, downloader_id="x", table=again)
    # Distinct ids on one table, or one id on distinct tables, are fine.
    DownloaderPattern(other, "C", **EVE_PROPS, downloader_id="y", table=table)
    DownloaderPattern(other, "D", **EVE_PROPS, downloader_id="x")


# --- 10. headers the HTTP Task refuses --------------------------------------------------------


@pytest.mark.parametrize("name", ["If-None-Match", "Range", "Accept-Encoding", "Cache-Control"])
def test_headers_the_http_task_refuses_are_refused_at_synth(name: str) -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(DownloaderConfigError, match=rf"headers\['{name}'\]='{name}': the header "
                       r"name is one Step Functions refuses to send \(http:invoke\)"):  # fmt: skip
        build(stack, headers={name: "x"}, transport=http_task(stack))


def test_the_api_gateway_transport_keeps_its_own_header_list() -> None:
    build(headers={"If-None-Match": '"etag"'})  # apigateway:invoke sends it
    refused(r"headers\['Host'\]='Host': the header name is one Step Functions refuses to send "
            r"\(apigateway:invoke\)", headers={"Host": "x"})  # fmt: skip


# --- 11. schedule expressions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "match"),
    [
        ("cron(*/5 * * * *)", r"has 5 fields.*Fix: use cron\(\*/5 \* \* \* \? \*\)"),
        ("cron(0 8 * * 1-5)", r"has 5 fields.*cron\(0 8 \? \* 1-5 \*\), with days of the week"),
        ("rate(5 mins)", r"has unit 'mins'.*Fix: use rate\(5 minutes\)"),
        ("rate(1 minutes)", r"does not agree with its value.*Fix: use rate\(1 minute\)"),
        ("rate(5 hour)", r"Fix: use rate\(5 hours\)"),
        ("cron(0 8 * * MON *)", r"'\?' in exactly one of day-of-month and day-of-week"),
        ("cron(0 24 * * ? *)", r"invalid hours field '24': '24' is not from 0 to 23"),
        ("cron(0 8 ? * MON-FRI 1969)", r"invalid year field"),
        ("at(2026-02-30T05:30:00)", r"not at\(yyyy-mm-ddThh:mm:ss\) with a date that exists"),
        ("every 5 minutes", r"not a rate\(\.\.\.\), cron\(\.\.\.\) or at\(\.\.\.\)"),
    ],
)
def test_schedule_expressions_are_parsed_as_eventbridge_scheduler_does(
    expression: str, match: str
) -> None:
    schedule = scheduler.ScheduleExpression.expression(expression)
    refused(rf"starts='{re.escape(expression)}': the schedule .*{match}",
            starts=Starts.scheduled(schedule))  # fmt: skip


def test_valid_schedule_expressions_and_time_zones_pass() -> None:
    for expression in ("rate(1 minute)", "rate(5 minutes)", "rate(1 day)",
                       "cron(0 8 ? * MON-FRI *)", "cron(0/15 * L * ? 2026-2030)",
                       "cron(0 8 ? JAN-MAR 3#2 *)", "at(2026-11-27T05:30:00)"):  # fmt: skip
        zone = cdk.TimeZone.EUROPE_BERLIN
        build(starts=Starts.scheduled(scheduler.ScheduleExpression.expression(expression, zone)))
    refused(r"starts='Mars/Olympus': the schedule time zone is not an IANA time zone name",
            starts=Starts.scheduled(scheduler.ScheduleExpression.expression(
                "rate(5 minutes)", cdk.TimeZone.of("Mars/Olympus"))))  # fmt: skip


# --- 12. retry errors, duplicate values, header case, CR/LF -----------------------------------


def test_retry_naming_the_other_transports_errors_is_refused() -> None:
    refused(r"retry\.errors='States\.Http\.StatusCode\.503': is another transport's error: this "
            r"transport names its failures ApiGateway\.<status>",
            retry=sfn.RetryProps(errors=["States.Http.StatusCode.503"]))  # fmt: skip
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(DownloaderConfigError, match=r"retry\.errors='ApiGateway\.503'.*names its "
                       r"failures States\.Http\.StatusCode"):  # fmt: skip
        build(stack, transport=http_task(stack), retry=sfn.RetryProps(errors=["ApiGateway.503"]))


def test_a_path_value_listed_twice_is_refused() -> None:
    refused(r"fan_out\.path_values\['region_id'\]='10000002': is listed twice",
            path=MARKET_PATH, item=ORDERS_ITEM, result_selector=None,
            fan_out=FanOut.path_values({"region_id": [10000002, "10000002", 10000043]}),
            )  # fmt: skip


@pytest.mark.parametrize("value", [".", "..", "%2E%2e", ".%2E"])
def test_a_path_value_that_is_a_dot_segment_is_refused(value: str) -> None:
    """'..' in a segment moves the request to the parent path (RFC 3986, 5.2.4); '/' and its
    encodings are refused as before ('is not a path segment')."""
    refused(rf"fan_out\.path_values\['region_id'\]='{re.escape(value)}': is a dot segment",
            path=MARKET_PATH, item=ORDERS_ITEM, result_selector=None,
            fan_out=FanOut.path_values({"region_id": [10000002, value]}),
            )  # fmt: skip


def test_headers_differing_only_in_case_are_refused() -> None:
    refused(r"headers\['accept'\]='accept': differs from header 'Accept' only in case",
            headers={"Accept": "application/json", "accept": "text/plain"})  # fmt: skip


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "line\nbreak", "cr\r"])
def test_a_header_value_with_a_line_break_is_refused(value: str) -> None:
    refused(r"headers\['X-Note'\]=.*contains a line break \(CR or LF\)", headers={"X-Note": value})


# --- 13. an auth scheme without its space -----------------------------------------------------


@pytest.mark.parametrize("prefix", ["Bearer", "Basic", "token", "Digest"])
def test_an_auth_scheme_prefix_without_its_space_is_refused(prefix: str) -> None:
    stack = cdk.Stack(cdk.App(), "S")
    secret = secretsmanager.Secret(stack, "Token")
    with pytest.raises(DownloaderConfigError, match=rf"auth_header='{prefix}': the prefix is an "
                       rf"authentication scheme.*Fix: use prefix='{prefix} '"):  # fmt: skip
        build(stack, auth_header=AuthHeader.from_secret(secret, prefix=prefix))
    other = cdk.Stack(cdk.App(), "T")
    build(other, auth_header=AuthHeader.from_secret(
        secretsmanager.Secret(other, "Token"), prefix=f"{prefix} "))  # fmt: skip


# --- 14. a prop of the wrong type -------------------------------------------------------------


@pytest.mark.parametrize(
    ("props", "match"),
    [
        ({"workflow_type": "STANDARD"}, r"workflow_type='STANDARD': is not an aws_stepfunctions\."
         r"StateMachineType \(it is a str\)\. Fix: use StateMachineType\.STANDARD"),
        ({"log_retention": 90}, r"log_retention=90: is not an aws_logs\.RetentionDays \(it is an "
         r"int\)\. Fix: use RetentionDays\.THREE_MONTHS \(90 days\)"),
        ({"item": [ItemField.number("$.players")]}, r"item=\[.*\]: is not a mapping of attribute "
         r"name to ItemField \(it is a list\)"),
        ({"timeout": 5}, r"timeout=5: is not a Duration \(it is an int\)"),
        ({"headers": [("Accept", "x")]}, r"headers=\[.*\]: is not a mapping of header name"),
        ({"table": "downloads"}, r"table='downloads': is not a dynamodb\.ITable \(it is a str\)"),
        ({"retry": {"max_attempts": 5}}, r"retry=\{.*\}: is not an aws_stepfunctions\.RetryProps "
         r"\(it is a dict\)"),
        ({"point_in_time_recovery": "yes"}, r"point_in_time_recovery='yes': is not a bool"),
        ({"downloader_id": 7}, r"downloader_id=7: is not a str \(it is an int\)"),
        ({"alarm_topic": "arn:aws:sns:us-east-1:1:t"}, r"alarm_topic=.*is not an sns\.ITopic"),
        ({"removal_policy": "destroy"}, r"removal_policy='destroy': is not a RemovalPolicy"),
        ({"retention": 30}, r"retention=30: is not a Duration"),
    ],
)  # fmt: skip
def test_a_prop_of_the_wrong_type_names_the_type_received_and_expected(
    props: dict[str, Any], match: str
) -> None:
    refused(match, **props)


def test_every_prop_of_the_wrong_type_is_reported_at_once() -> None:
    error = refused(r"has 3 configuration problems", workflow_type="STANDARD",
                    log_retention=logs.RetentionDays.ONE_DAY.name, timeout=5)  # fmt: skip
    assert [p.prop for p in error.problems] == ["workflow_type", "timeout", "log_retention"]


# --- the states that keep runs apart (template) -----------------------------------------------


def test_cursor_pagination_looks_for_the_cursor_in_the_raw_answer(cursor: Scenario) -> None:
    """The page loop: the download's output is the raw answer (no Output), its Assign reads the
    cursor from it (``$states.result``), and PersistPage reads the result_selector's paths
    through it (no SelectPage)."""
    states = definition(cursor)["States"]
    download = states["DownloadPage"]
    assert {"ResultSelector", "ResultPath", "Output"}.isdisjoint(download)
    assert download["Next"] == "PersistPage"
    step = download["Assign"]["loop"]
    assert "$raw := $states.result;" in step
    assert "$cursor := $raw.`ResponseBody`.`next`;" in step
    assert '$exists($cursor) and $cursor != null and $cursor != ""' in step
    assert "$page < 3" in step  # max_pages: the third page is the last one requested
    assert "SelectPage" not in states
    assert states["PersistPage"]["Parameters"]["Item"]["entries"] == {
        "S.$": "States.JsonToString($.ResponseBody.entries)"
    }
    assert states["PersistPage"]["Next"] == "MorePages"


def test_items_of_a_multi_answer_run_carry_the_run_and_its_start(
    cursor: Scenario, fanout: Scenario, default: Scenario
) -> None:
    persist = definition(cursor)["States"]["PersistPage"]["Parameters"]["Item"]
    assert persist["run"] == {"S.$": "$$.Execution.Name"}
    assert persist["runStartedAt"] == {"S.$": "$$.Execution.StartTime"}
    fetch = definition(fanout)["States"]["FetchAll"]
    # A Distributed Map's children are executions of their own: the Map passes the run on
    # (a JSONata Map holding its requests: issue 28(a)).
    assert fetch["ItemSelector"]["run"] == "{% $states.context.`Execution`.`Name` %}"
    assert fetch["ItemSelector"]["runStartedAt"] == (
        "{% $states.context.`Execution`.`StartTime` %}"
    )
    inner = fetch["ItemProcessor"]["States"]["Persist"]["Parameters"]["Item"]
    # (the checked download keeps the Map item in $mapItem: the state holds the raw answer)
    assert inner["run"] == {"S.$": "$mapItem.run"}
    assert inner["runStartedAt"] == {"S.$": "$mapItem.runStartedAt"}
    single = definition(default)["States"]["Persist"]["Parameters"]["Item"]
    assert "run" not in single  # one answer a run: its key alone is the set


def test_an_item_attribute_named_like_a_written_one_is_refused() -> None:
    refused(r"item\['run'\]='run': collides with the attribute 'run' the downloader writes",
            pagination=Pagination.page_count(), result_selector=None,
            item={"run": ItemField.string("$.ResponseBody.run")})  # fmt: skip
    refused(r"item\['query'\]='query': collides with the attribute 'query'",
            path="/v2/status?datasource=tranquility",
            starts=Starts.on_demand(overridable_query=["datasource"]),
            item={"query": ItemField.string("$.players")})  # fmt: skip


def test_an_overridable_query_is_part_of_the_key_and_recorded_in_the_item(keyed: Scenario) -> None:
    # With an archive the download is the checked one (issue 25 item 14, h-overarch): it
    # computes the key suffix and the query attribute in its Assign, SelectResult writes the
    # key the archive is named by.
    states = definition(keyed)["States"]
    assert not {"HasQueryOverrides", "DefaultQuery", "OverrideQuery", "StoredKey"} & set(states)
    assigned = states["Download"]["Assign"]
    assert assigned["keySuffix"].endswith(
        '"datasource=" & $value("datasource") & "&" & "language=" & $value("language")) %}'
    )
    assert assigned["queryAttribute"].endswith(
        '{"datasource": {"S": $value("datasource")}, "language": {"S": $value("language")}}) %}'
    )
    item = states["Persist"]["Parameters"]["Item"]
    sk = "States.Format('{}#{}', $$.Execution.Input.scheduledTime, $keySuffix)"
    assert item["sk"] == {"S.$": sk}
    assert item["query"] == {"M.$": "$queryAttribute"}
    assert states["Persist"]["Next"] == "SelectResult"
    assert states["SelectResult"]["Parameters"]["key"]["sk.$"] == sk
    # The archived object is named by the same key, so it is not overwritten either.
    assert (
        states["Archive"]["Parameters"]["Key.$"]
        == "States.Format('TestStack/Status/{}.json', $.key.sk)"
    )


def test_check_input_accepts_only_the_canonical_scheduled_time(keyed: Scenario) -> None:
    """One JSONata Choice (issue 28(a)): the schedule's form (upper-case T and Z, whole
    seconds, a date of the calendar: the round trip through ``$toMillis``), each test guarded
    by the one before, and no ``&`` in an override of several names."""
    valid, invalid = definition(keyed)["States"]["CheckInput"]["Choices"]
    text = valid["Condition"]
    assert text.startswith("{% ($t := $states.context.Execution.Input.scheduledTime; ")
    assert '$valid := ($type($t) = "string" ? ($contains($t, /^[0-9]{4}-' in text
    assert "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$/) ? " in text
    assert '$fromMillis($toMillis($t), "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01]Z") = $t' in text
    assert '($v := $lookup($q, "language"); $exists($v) and $contains($string($v), "&"))' in text
    assert invalid["Condition"] == text.split("; $valid ?")[0] + "; $not($valid)) %}"
