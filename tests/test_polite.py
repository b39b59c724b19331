"""Polite downloading as synthesized: the states around the one download, the state item's
read and update, the headers, the trimming proxy's mappings, and every refusal (prop, value,
fix)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Template

from sfn_downloader import (
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Starts,
    StatusAction,
    Store,
    Transport,
)
from sfn_downloader.cost import CostModelError, estimate_monthly_cost

from scenarios import Scenario, definition

COMPRESSED = "Downloader.CompressedAnswer"

BODY: dict[str, Any] = {
    "result_selector": {"body.$": "$.ResponseBody"},
    "item": {"players": ItemField.number("$.body.players")},
}


def build(**props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(
        stack, "P", **{"endpoint": "https://esi.evetech.net", "path": "/v2/status", **props}
    )


def follow(asl: dict[str, Any], start: str | None = None) -> list[str]:
    """The states from ``start`` along Next / Default (a Choice's otherwise)."""
    states, name, seen = asl["States"], start or asl["StartAt"], []
    while name is not None and name not in seen:
        seen.append(name)
        state = states[name]
        name = state.get("Next") or state.get("Default")
    return seen


# --- the states ---------------------------------------------------------------------------
def test_every_feature_together_in_the_order_a_run_meets_them(polite: Scenario) -> None:
    asl = definition(polite, "all")
    assert follow(asl) == [
        "ReadState", "StillFresh", "Download", "ReadDownload",
        "SelectDownload", "AnswerText", "ReadAnswer", "Persist", "Remember", "Archive",
    ]  # fmt: skip
    states = asl["States"]
    read = states["ReadState"]
    assert read["Resource"].endswith(":::dynamodb:getItem")
    assert read["Arguments"]["ConsistentRead"] is True
    assert read["Arguments"]["Key"]["sk"] == {"S": "#state"}
    # JSONata: the GetItem result assigned, the state's input passed on (issue 25, item 9).
    assert read["QueryLanguage"] == "JSONata"
    assert read["Assign"]["stateItem"] == "{% $states.result %}"
    assert read["Output"] == "{% $states.input %}"
    # The download's headers are computed each run (by ReadState, as it reads them); a 304
    # ends the run successfully. The answer is kept whole under $.result; a Pass that only
    # assigns reads its headers, then the selector applies.
    download = states["Download"]
    assert download["Parameters"]["Headers.$"] == "$requestHeaders"
    assert "Assign" not in download and "ResultSelector" not in download
    assert download["ResultPath"] == "$.result"
    assert states["ReadDownload"] == {
        "Type": "Pass", "Assign": {"answerHeaders.$": "$.result.Headers"},
        "Next": "SelectDownload",
    }  # fmt: skip
    [catch] = [c for c in download["Catch"] if c["ErrorEquals"] == ["ApiGateway.304"]]
    # A final JSONata Pass with Output ("Succeed workflow state" allows Output too, but cfn-lint
    # 1.58's schema refuses QueryLanguage on a Succeed).
    assert states[catch["Next"]]["Type"] == "Pass" and states[catch["Next"]]["End"] is True
    assert states[catch["Next"]]["Output"]["outcome"] == "notModified"
    assert not any("ApiGateway.304" in r["ErrorEquals"] for r in download["Retry"])
    headers = read["Assign"]["requestHeaders"]  # no ComputeHeaders (issue 28(a))
    assert "If-None-Match" in headers and "If-Modified-Since" in headers
    assert "$states.result.Item.etag.S" in headers and "ComputeHeaders" not in states
    # The hash of the selected result (under $.result: an archive follows), compared with
    # the remembered one: its JSON text with every digit, hashed in pieces of 2,500 characters
    # (States.Hash takes at most 10,000), then the pieces' hashes.
    assert states["AnswerText"] == {
        "Type": "Pass", "Assign": {"answerText.$": "States.JsonToString($.result)"},
        "Next": "ReadAnswer",
    }  # fmt: skip
    hashed = states["ReadAnswer"]["Assign"]["answerHash"]
    assert "$substring($text, $i * 2500, 2500), 'SHA-256')" in hashed
    assert hashed.startswith("{% ( $text := $answerText; $hash($join($map([0..")
    # ReadAnswer's second rule compares (no IsUnchanged after it); the first refuses a
    # compressed answer. The rule assigns what RememberUnchanged writes.
    [compressed, when] = states["ReadAnswer"]["Choices"]
    assert "content-encoding" in compressed["Condition"]
    assert "$stateItem.Item.resultHash.S" in when["Condition"]
    assert set(when["Assign"]) == {"memoryUpdate", "answerHash"}
    assert follow(asl, when["Next"]) == ["RememberUnchanged", "Unchanged"]
    assert states["Unchanged"]["Output"]["outcome"] == "unchanged"
    # Remember: one UpdateItem of the state item, only this feature's attributes, under a
    # condition that keeps a newer run's memory.
    remember = states["Remember"]["Parameters"]
    assert states["Remember"]["Resource"].endswith(":::dynamodb:updateItem")
    assert remember["Key"]["sk"] == {"S": "#state"}
    assert remember["UpdateExpression"] == (
        "SET #etag = :etag, #lastModified = :lastModified, #freshUntil = :freshUntil, "
        "#resultHash = :resultHash, #rememberedFor = :rememberedFor, "
        "#rememberedOrder = :rememberedOrder"
    )
    assert remember["ConditionExpression"] == (
        "attribute_not_exists(#rememberedOrder) OR #rememberedOrder <= :rememberedOrder"
    )
    [kept] = [c for c in states["Remember"]["Catch"]]
    assert kept["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    # Fresh: a Choice on the remembered deadline against the scheduled time.
    [fresh] = states["StillFresh"]["Choices"]
    assert "$stateItem.Item.freshUntil.N" in fresh["Condition"]
    assert "$states.context.Execution.Input.scheduledTime" in fresh["Condition"]
    assert states[fresh["Next"]]["Output"]["outcome"] == "fresh"


def test_one_feature_builds_only_its_own_states(polite: Scenario) -> None:
    changes = definition(polite, "changes")
    # The download a JSONPath task with the default ResultPath and no selector (its Assign
    # reads the raw answer, one meaning): it keeps the headers and the text of what the
    # selector selects, every digit kept (no AnswerText); ReadAnswer refuses a compressed
    # answer, hashes and routes (issue 28(a): 9 states a run became 5, the minimum).
    assert follow(changes) == ["ReadState", "Download", "ReadAnswer", "Persist", "Remember"]
    download = changes["States"]["Download"]
    assert download["Assign"] == {
        "answerHeaders.$": "$.Headers",
        "answerText.$": "States.JsonToString(States.Array($.ResponseBody))",
    }
    assert "ResultPath" not in download and "ResultSelector" not in download
    assert "Headers" not in download["Parameters"] and "Headers.$" not in download["Parameters"]
    assert "answerHash" in changes["States"]["ReadAnswer"]["Assign"]
    assert "AnswerText" not in changes["States"]
    etag = definition(polite, "etag")
    # ComputeHeaders folded: ReadState computes the validators as it reads them; without
    # changes_only nothing is compared, so the download assigns the memory's update from the
    # answer's own headers and Persist follows it (issue 28(a): no ReadAnswer).
    assert follow(etag) == ["ReadState", "Download", "Persist", "Remember"]
    assigned = etag["States"]["Download"]["Assign"]
    assert "answerHash" not in assigned  # without changes_only, no hash
    assert "$h := $states.result.`Headers`;" in assigned["memoryUpdate"]
    assert "answerChecked" in assigned  # the download refuses a compressed answer itself
    assert etag["States"]["Download"]["Arguments"]["Headers"] == "{% $requestHeaders %}"
    headers = etag["States"]["ReadState"]["Assign"]["requestHeaders"]
    assert "If-None-Match" in headers
    assert etag["States"]["Remember"]["Parameters"]["UpdateExpression"] == (
        "SET #etag = :etag, #lastModified = :lastModified, #rememberedFor = :rememberedFor, "
        "#rememberedOrder = :rememberedOrder"
    )
    # The static headers are part of the computed ones.
    assert '"Accept": ["application/json"]' in headers


def test_incremental_and_changes_only_share_one_read_of_the_state_item(polite: Scenario) -> None:
    asl = definition(polite, "marks")
    # The changes-only download (issue 25 item 14 let the cursor values join it): its Assign
    # keeps them beside the headers and the selection's text; 6 states (was 9).
    assert follow(asl) == [
        "ReadState", "Download", "ReadAnswer", "Persist", "Remember", "AdvanceMark",
    ]  # fmt: skip
    reads = [n for n, s in asl["States"].items() if s.get("Resource", "").endswith("getItem")]
    assert reads == ["ReadState"]
    assert asl["States"]["Download"]["Assign"] == {
        "cursorValues.$": "$.ResponseBody[*].updated_at",
        "answerHeaders.$": "$.Headers",
        "answerText.$": "States.JsonToString(States.Array($.ResponseBody))",
    }


def test_without_polite_features_nothing_changes(default: Scenario) -> None:
    asl = definition(default)
    assert follow(asl) == ["Download", "Persist"]
    # the one variable is the answer check's (issue 25, item 14): no polite memory
    assert set(asl["States"]["Download"]["Assign"]) == {"answerChecked"}
    assert not any("getItem" in s.get("Resource", "") for s in asl["States"].values())


def test_the_trimming_proxy_maps_the_validators_both_ways(polite: Scenario) -> None:
    [method] = [
        r for r in polite.json["Resources"].values()
        if r["Type"] == "AWS::ApiGateway::Method"
        and "Modified" in json.dumps(r["Properties"]["RestApiId"])
    ]  # fmt: skip
    props = method["Properties"]
    for name in ("If-None-Match", "If-Modified-Since"):
        assert props["RequestParameters"][f"method.request.header.{name}"] is False
        assert props["Integration"]["RequestParameters"][f"integration.request.header.{name}"] == (
            f"method.request.header.{name}"
        )
    [ok] = [r for r in props["Integration"]["IntegrationResponses"] if r["StatusCode"] == "200"]
    for name in ("ETag", "Last-Modified", "Cache-Control", "Expires", "Age"):
        assert ok["ResponseParameters"][f"method.response.header.{name}"] == (
            f"integration.response.multivalueheader.{name}"
        )
    # A 304 passes through as itself (apigateway:invoke then fails with ApiGateway.304).
    assert any(r["StatusCode"] == "304" and r["SelectionPattern"] == "304"
               for r in props["Integration"]["IntegrationResponses"])  # fmt: skip


# --- refusals -----------------------------------------------------------------------------
def refused(match: str, **props: Any) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(**{**BODY, **props})


def test_conditional_with_the_http_task_is_refused() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    connection = events.Connection(
        stack, "C", authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.secrets_manager("esi/api-key")),
    )  # fmt: skip
    with pytest.raises(
        DownloaderConfigError,
        match=r"conditional=True: sends If-None-Match / If-Modified-Since, which the HTTP "
        r"Task refuses.*Fix: use transport=Transport.api_gateway\(\)",
    ):
        DownloaderPattern(
            stack, "P", endpoint="https://esi.evetech.net", path="/v2/status", conditional=True,
            transport=Transport.http_task(connection), **BODY,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("selector", "match"),
    [
        (None, r"without a result_selector the result is the raw answer.*Fix: pass "
               r"result_selector="),
        ({"all.$": "$"}, r"takes '\$', the raw answer"),
        ({"h.$": "$.Headers", "b.$": "$.ResponseBody"}, r"takes '\$.Headers': every response"),
        ({"d.$": "$.Headers.Date[0]", "b.$": "$.ResponseBody"},
         r"takes '\$.Headers.Date\[0\]': Date changes.*Fix: drop Date"),
        ({"b.$": "$.ResponseBody", "meta": [{"d.$": "$.Headers.Date[0]"}]},
         r"takes '\$.Headers.Date\[0\]': Date changes"),  # inside a list too
    ],
)  # fmt: skip
def test_changes_only_needs_a_selector_that_makes_the_comparison_meaningful(
    selector: Any, match: str
) -> None:
    item = {"players": ItemField.json("$")} if selector else {"p": ItemField.json("$")}
    with pytest.raises(DownloaderConfigError, match=r"store='Store.changes_only\(\)': .*" + match):
        build(store=Store.changes_only(), result_selector=selector, item=item)


def test_a_stable_header_may_be_compared() -> None:
    build(store=Store.changes_only(), item={"b": ItemField.json("$.b")},
          result_selector={"b.$": "$.ResponseBody", "v.$": "$.Headers.X-Version[0]"})  # fmt: skip


def machine_json(pattern: DownloaderPattern) -> dict[str, Any]:
    """The run's definition, tokens left as ``"arn"`` (enough to read its states' names)."""
    stack = cdk.Stack.of(pattern)
    template = cdk.assertions.Template.from_stack(stack).to_json()
    [machine] = [r for r in template["Resources"].values()
                 if r["Type"] == "AWS::StepFunctions::StateMachine"]  # fmt: skip
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return json.loads("".join(p if isinstance(p, str) else "arn" for p in parts))


def states_of(asl: dict[str, Any]) -> dict[str, Any]:
    """Every state, those of Map iterations too, by name."""
    found: dict[str, Any] = {}
    for name, state in asl["States"].items():
        found[name] = state
        for inner in ("ItemProcessor", "Iterator"):
            if inner in state:
                found.update(states_of(state[inner]))
    return found


@pytest.mark.parametrize(
    "props",
    [
        {"fan_out": FanOut.paths(["/v1/a", "/v1/b"]), "path": None},
        {"pagination": Pagination.link_header()},
        {"fan_out": FanOut.path_values({"r": ["1", "2"]}), "path": "/v1/{r}",
         "pagination": Pagination.page_number(max_pages=5)},
    ],
)  # fmt: skip
def test_several_answers_a_run_keep_one_memory_per_request(props: dict[str, Any]) -> None:
    """Issue 23: each request of a fan-out or a page loop reads its own memo item (``sk =
    #memo#<URL>``) before it is made, and writes it once its answer is stored."""
    asl = machine_json(build(**BODY, conditional=True, store=Store.changes_only(),
                             respect_expires=True, **props))  # fmt: skip
    states = states_of(asl)
    assert "ReadState" not in states and "ComputeHeaders" not in states
    read = states["ReadMemo"]
    assert read["Arguments"]["Key"]["sk"]["S"].startswith("{% ($u := $states.input.")
    assert '"#memo#"' in read["Arguments"]["Key"]["sk"]["S"]
    assert set(read["Assign"]) == {"memo", "memoKey", "requestHeaders"}
    assert states["MemoFresh"]["Type"] == "Choice"
    remember = states["RememberMemo"]
    assert remember["Parameters"]["Key"]["sk"] == {"S.$": "$memoKey"}
    values = remember["Parameters"]["ExpressionAttributeValues"]
    paged = "pagination" in props
    loop = "$pathLoop" if "fan_out" in props else "$loop"
    if paged:  # the checked loop: the page's key and next request read from its variable
        assert values[":storedAt"]["S.$"].startswith("States.Format(")
        assert f"{loop}.stored)" in values[":storedAt"]["S.$"]
        assert values[":next"] == {"S.$": f"States.JsonToString({loop})"}
    else:
        assert values[":storedAt"] == {"S.$": "$memoStoredAt"}
        assert ":next" not in values
    download = states["DownloadPage" if paged else "Download"]
    assert download["Catch"][0]["ErrorEquals"] == ["ApiGateway.304"]
    if paged:  # a JSONata download: its 304 passes the loop state on to PageNotModified
        assert download["QueryLanguage"] == "JSONata"
        assert download["Catch"][0]["Output"] == "{% $states.input %}"
        assert "memoryUpdate" in download["Assign"] and "NextRequest" not in states
    skipped = {"PageNotModified", "PageFresh"} if paged else {"PathNotModified", "PathFresh",
                                                             "PathUnchanged"}  # fmt: skip
    assert skipped <= set(states)
    # Issue 25 item 14: a path's compressed answer is refused where its memory is computed
    # (its failed outcome naming its key); a page loop refuses a page in NextRequest.
    read_answer = states["ReadMemoAnswer"]
    if paged:
        assert read_answer["Type"] == "Pass" and "MemoAnswerCompressed" not in states
    else:
        assert read_answer["Type"] == "Choice" and read_answer["Default"] == "MemoUnchanged"
        assert read_answer["Choices"][0]["Next"] == "MemoAnswerCompressed"
        assert "$answerHeaders" in read_answer["Choices"][0]["Condition"]
        assert set(read_answer["Assign"]) == {"memoryUpdate", "answerHash"}
        refused = states["MemoAnswerCompressed"]
        assert (refused["Type"], refused["Output"]["error"]) == ("Pass", COMPRESSED)
        assert refused["Output"]["key"] == "{% $compressedAnswer.key %}"


def test_conditional_with_from_answer_sends_validators_only_from_the_items_iterations() -> None:
    """Each item's request reads the validators its iteration's ReadMemo assigns; the list's
    request, at the run's level, sends the static headers: no variable is assigned in one
    scope and read in another (no AWS page settles how that resolves)."""
    pattern = build(**BODY, conditional=True, path=None,
                    fan_out=FanOut.from_answer(path="/v1/list", items="$.ResponseBody",
                                               each="/v1/item/{item}"))  # fmt: skip
    machine: Any = pattern.state_machine.node.default_child
    asl = json.loads(_joined(cdk.Stack.of(pattern).resolve(machine.definition_string)))
    assert "Headers" not in asl["States"]["DownloadList"]["Parameters"]
    inner = next(s for s in asl["States"].values() if s["Type"] == "Map")["ItemProcessor"]
    downloads = [s for s in inner["States"].values() if s.get("Resource", "").endswith(
        "apigateway:invoke")]  # fmt: skip
    assert [d["Parameters"]["Headers.$"] for d in downloads] == ["$requestHeaders"]
    assert "ReadMemo" in inner["States"]


def _joined(rendered: Any) -> str:
    """A resolved definition string (``Fn::Join`` of text and references) as text."""
    if isinstance(rendered, str):
        return rendered
    return "".join(p if isinstance(p, str) else "ref" for p in rendered["Fn::Join"][1])


def test_page_count_with_a_polite_feature_fetches_its_pages_one_after_another() -> None:
    """No Map of pages then: each page reads its memory before it is asked."""
    pattern = build(**BODY, store=Store.changes_only(), pagination=Pagination.page_count())
    text = json.dumps(Template.from_stack(cdk.Stack.of(pattern)).to_json())
    assert "FetchPages" not in text and "ReadMemo" in text


def test_a_computed_request_of_a_page_loop_keeps_a_memory_per_url() -> None:
    """A window's pages are other URLs each run (none finds a memory); an incremental mark's
    repeat when the mark did not move: no contradiction, so no refusal."""
    build(**BODY, conditional=True, respect_expires=True, path="/v1/day/{scheduled_time:date}",
          pagination=Pagination.link_header())  # fmt: skip


def test_on_status_304_with_conditional_is_refused() -> None:
    refused(r"on_status\[304\]=.*already makes a 304 a success.*Fix: drop 304 from on_status",
            conditional=True, on_status={304: StatusAction.SKIP})  # fmt: skip


def test_a_retry_of_every_error_with_conditional_is_refused() -> None:
    refused(
        r"retry.errors='States.ALL': retries ApiGateway.304.*Fix: name the errors",
        conditional=True, retry=sfn.RetryProps(errors=["States.ALL"], max_attempts=2),
    )  # fmt: skip


def test_a_request_that_varies_keeps_its_memory_per_url_not_in_the_state_item() -> None:
    """Computed each run (a window, an incremental mark) or overridable: ReadMemo by the URL
    the run asks, after ComputeRequest; no ReadState for the polite features."""
    for props in (
        {"respect_expires": True, "conditional": True, "path": "/v1/day/{scheduled_time:date}"},
        {"path": "/v2/status?datasource=tranquility", "conditional": True,
         "store": Store.changes_only(), "respect_expires": True,
         "starts": Starts.scheduled_and_on_demand(overridable_query=["datasource"])},
    ):  # fmt: skip
        pattern = build(**{**BODY, **props})
        machine: Any = pattern.state_machine.node.default_child
        asl = json.loads(_joined(cdk.Stack.of(pattern).resolve(machine.definition_string)))
        assert {"ReadMemo", "RememberMemo"} <= set(asl["States"])
        assert not {"ReadState", "StillFresh", "Remember"} & set(asl["States"])
        assert "#memo#" in asl["States"]["ReadMemo"]["Arguments"]["Key"]["sk"]["S"]
        # Issue 25 item 14: a compressed answer fails the run before Persist and RememberMemo.
        read_answer = asl["States"]["ReadMemoAnswer"]
        assert read_answer["Type"] == "Choice"
        refused = asl["States"][read_answer["Choices"][0]["Next"]]
        assert (refused["Type"], refused["Error"]) == ("Fail", COMPRESSED)


def test_a_backfill_keeps_each_past_times_memory_by_its_url() -> None:
    """A backfill needs a request that follows the scheduled time: each past time asks its
    own URL and is compared with that URL's memory only (ReadMemo), never with the newest
    answer in the state item."""
    pattern = build(**BODY, store=Store.changes_only(), conditional=True, backfill=True,
                    path="/v1/day/{scheduled_time:date}")  # fmt: skip
    machine: Any = pattern.state_machine.node.default_child
    asl = json.loads(_joined(cdk.Stack.of(pattern).resolve(machine.definition_string)))
    assert {"ReadMemo", "MemoUnchanged", "RememberMemo"} <= set(asl["States"])
    assert "ReadState" not in asl["States"]


@pytest.mark.parametrize(
    ("props", "match"),
    [
        ({"conditional": "yes"}, r"conditional='yes': is not a bool"),
        ({"respect_expires": 1}, r"respect_expires=1: is not a bool"),
        ({"store": "changes"}, r"store='changes': is not a Store.*Store.changes_only\(\)"),
        ({"respect_expires": True, "max_fresh": 600},
         r"max_fresh=600: is not a Duration.*Duration.minutes\(10\)"),
        ({"max_fresh": cdk.Duration.minutes(5)},
         r"max_fresh=.*without respect_expires=True.*Fix: pass respect_expires=True"),
        ({"respect_expires": True, "max_fresh": cdk.Duration.millis(10)},
         r"max_fresh=.*is shorter than a second"),
    ],
)  # fmt: skip
def test_wrong_types_are_refused(props: dict[str, Any], match: str) -> None:
    refused(match, **props)


def test_freshness_is_capped_by_max_fresh_or_two_rate_intervals_or_an_hour(
    polite: Scenario,
) -> None:
    """Issue 26, 2: ReadAnswer caps freshUntil at the scheduled time + max_fresh."""
    cap = "$cap := $toMillis($states.context.Execution.Input.scheduledTime) + {}; "

    def read_answer(asl: dict[str, Any]) -> str:
        return str(asl["States"]["ReadAnswer"]["Assign"])

    assert cap.format(600000) in read_answer(definition(polite, "all"))  # max_fresh: 10 min
    assert cap.format(120000) in read_answer(definition(polite, "bounded"))  # rate(1 minute)
    assert "$string($min([$until, $cap]))" in read_answer(definition(polite, "all"))
    daily = build(
        **BODY,
        respect_expires=True,
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(hour="1", minute="0")),
    )
    machine: Any = daily.state_machine.node.default_child
    rendered = json.dumps(cdk.Stack.of(daily).resolve(machine.definition_string))
    assert cap.format(3600000).replace('"', '\\"') in rendered  # a cron: an hour


# --- the cost model -----------------------------------------------------------------------
def test_the_cost_model_shows_what_unchanged_and_fresh_runs_save(polite: Scenario) -> None:
    every = estimate_monthly_cost(polite.patterns["all"])
    mixed = estimate_monthly_cost(polite.patterns["all"], unchanged_ratio=0.5, fresh_ratio=0.25)
    runs = mixed.runs_per_month
    # A 304 still asks (1 request, no write); a fresh run asks nothing and writes nothing.
    assert mixed.requests_saved == pytest.approx(0.25 * runs)
    assert mixed.item_writes_saved == pytest.approx(0.75 * runs)
    assert every.requests_saved == every.item_writes_saved == 0
    requests = mixed.line_item("API Gateway REST").quantity
    assert requests == pytest.approx(every.line_item("API Gateway REST").quantity - 0.25 * runs)
    # What the features cost: one GetItem a run, and Remember on the runs that store.
    assert mixed.line_item("DynamoDB on-demand reads").quantity == pytest.approx(runs)
    assert every.line_item("DynamoDB on-demand writes").quantity == pytest.approx(2 * runs)
    assert mixed.line_item("DynamoDB on-demand writes").quantity == pytest.approx(0.5 * runs)
    assert mixed.total < every.total
    assert "Saved a month:" in mixed.table() and "50% of runs unchanged" in mixed.table()


def test_changes_only_saves_writes_not_requests(polite: Scenario) -> None:
    estimate = estimate_monthly_cost(polite.patterns["changes"], unchanged_ratio=0.5)
    runs = estimate.runs_per_month
    assert estimate.requests_saved == 0
    assert estimate.item_writes_saved == pytest.approx(0.5 * runs)
    # Persist + Remember, or RememberUnchanged alone.
    assert estimate.line_item("DynamoDB on-demand writes").quantity == pytest.approx(1.5 * runs)


@pytest.mark.parametrize(
    ("key", "options", "match"),
    [
        ("all", {"unchanged_ratio": 1.5}, r"unchanged_ratio must be a number from 0 to 1"),
        ("all", {"unchanged_ratio": True}, r"unchanged_ratio must be a number from 0 to 1"),
        ("all", {"fresh_ratio": -0.1}, r"fresh_ratio must be a number from 0 to 1"),
        ("all", {"unchanged_ratio": 0.8, "fresh_ratio": 0.3}, r"must be at most 1"),
        ("marks", {"fresh_ratio": 0.5}, r"has no respect_expires=True"),
        ("changes", {"fresh_ratio": 0.5}, r"has no respect_expires=True"),
    ],
)
def test_bad_ratios_are_refused(
    polite: Scenario, key: str, options: dict[str, Any], match: str
) -> None:
    with pytest.raises(CostModelError, match=match):
        estimate_monthly_cost(polite.patterns[key], **options)


def test_an_unchanged_ratio_without_a_feature_that_saves_on_it_is_refused(
    default: Scenario,
) -> None:
    with pytest.raises(CostModelError, match=r"neither conditional=True nor store=Store"):
        estimate_monthly_cost(default.patterns["p"], unchanged_ratio=0.5)
