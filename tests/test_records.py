"""Records (issue 24): the states that write each record as its own item, their keys, their
grants, and what is refused at synth."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    Archive,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
    Records,
    Store,
)

from scenarios import EVE_PROPS, Scenario, definition


def role_statements(scenario: Scenario, key: str) -> list[dict[str, Any]]:
    role = scenario.patterns[key].state_machine.role
    policy = role.node.find_child("DefaultPolicy").node.default_child
    logical_id = scenario.stack.get_logical_id(policy)  # type: ignore[arg-type]
    document = scenario.json["Resources"][logical_id]["Properties"]["PolicyDocument"]
    return document["Statement"]  # type: ignore[no-any-return]


def test_records_follow_the_stored_answer(records: Scenario) -> None:
    states = definition(records)["States"]
    assert states["Persist"]["Next"] == "ReadRecords"
    read = states["ReadRecords"]
    assert (read["Type"], read["QueryLanguage"], read["Next"]) == (
        "Pass",
        "JSONata",
        "RecordsValid",
    )
    assert set(read["Assign"]) == {"recordProblem", "recordOrders"}
    valid = states["RecordsValid"]
    assert valid["Choices"][0]["Next"] == "BadRecord" and valid["Default"] == "WriteRecords"
    assert states["BadRecord"]["Error"] == "Downloader.BadRecord"
    assert states["WriteRecords"]["End"] is True


def test_the_map_writes_one_record_an_iteration_at_the_downloaders_concurrency(
    records: Scenario,
) -> None:
    write = definition(records)["States"]["WriteRecords"]
    assert write["Type"] == "Map"
    # The checked download (issue 25 item 14): the state is the raw answer, the records read
    # where result_selector's "issues.$" reads them; the Map's result is the stored item's key.
    assert write["ItemsPath"] == "$.ResponseBody"
    assert write["MaxConcurrency"] == 10  # Concurrency.inline()'s default
    assert write["ResultSelector"] == {
        "pk": "github/issues", "sk.$": "$$.Execution.Input.scheduledTime"
    }  # fmt: skip
    assert "ResultPath" not in write
    assert write["ItemSelector"] == {
        "record.$": "$$.Map.Item.Value",
        "order.$": "States.ArrayGetItem($recordOrders, $$.Map.Item.Index)",
    }
    inner = write["ItemProcessor"]["States"]
    assert set(inner) == {"PutRecord", "RecordKept"}


def test_merge_puts_conditionally_and_a_refused_write_is_not_a_failure(records: Scenario) -> None:
    inner = definition(records)["States"]["WriteRecords"]["ItemProcessor"]["States"]
    put = inner["PutRecord"]["Parameters"]
    assert put["Item"]["pk"] == {"S": "github/issues#records"}
    assert put["Item"]["sk"] == {"S.$": "States.Format('{}', $.record.number)"}
    assert put["Item"]["record"] == {"S.$": "States.JsonToString($.record)"}
    assert put["Item"]["versionOrder"] == {"N.$": "$.order"}
    assert put["ConditionExpression"] == "attribute_not_exists(#sk) OR #order < :order"
    assert put["ExpressionAttributeNames"] == {"#sk": "sk", "#order": "versionOrder"}
    assert put["ExpressionAttributeValues"] == {":order": {"N.$": "$.order"}}
    [catch] = inner["PutRecord"]["Catch"]
    assert catch["ErrorEquals"] == ["DynamoDB.ConditionalCheckFailedException"]
    assert catch["Next"] == "RecordKept"
    assert (
        "DynamoDB.ProvisionedThroughputExceededException"
        in (inner["PutRecord"]["Retry"][0]["ErrorEquals"])
    )


def test_iso_versions_are_ordered_as_instants(records: Scenario) -> None:
    orders = definition(records)["States"]["ReadRecords"]["Assign"]["recordOrders"]
    assert "$toMillis($v)" in orders and "$formatInteger($v, '0')" in orders


def test_append_keys_by_record_and_scheduled_time_and_drops_the_page(records: Scenario) -> None:
    states = definition(records, "pages")["States"]
    assert "PersistPage" not in states  # keep_answers=False
    # The checked page loop (issue 28(a)): the records are read from the raw page, which the
    # download's output is (no NextRequest, no JSONata between the page and its records), and
    # the Map's output is the next state the download computed.
    assert "NextRequest" not in states
    assert states["DownloadPage"]["Next"] == "ReadRecords"
    write = states["WriteRecords"]
    assert write["ItemsPath"] == "$.ResponseBody.data"
    assert (write["ResultSelector"], write["ResultPath"], write["OutputPath"]) == (
        {"loop.$": "$loop"},
        "$",
        "$.loop",
    )
    assert write["Next"] == "MorePages"
    assert "order.$" not in write["ItemSelector"]
    put = write["ItemProcessor"]["States"]["PutRecord"]
    assert "ConditionExpression" not in put["Parameters"]
    assert put["Parameters"]["Item"]["sk"] == {
        "S.$": "States.Format('{}#{}', States.JsonToString(States.Array($.record.region, "
        "$.record.id)), $$.Execution.Input.scheduledTime)"
    }
    assert "Catch" not in put


def test_a_kept_page_is_stored_before_its_records_are_written() -> None:
    pattern = build(
        path="/items", result_selector=None, item={"items": ItemField.json("$.ResponseBody")},
        pagination=Pagination.link_header(),
        records=Records.merge(items="$.ResponseBody", key="id"),
    )  # fmt: skip
    states = asl(pattern)["States"]
    assert states["DownloadPage"]["Next"] == "PersistPage"
    assert states["PersistPage"]["Next"] == "ReadRecords"
    # Persist passes the raw page on to the records (its own answer discarded)...
    assert states["PersistPage"]["ResultPath"] is None
    assert "OutputPath" not in states["PersistPage"]
    # ...whose Map ends the page with the next state.
    assert states["WriteRecords"]["ItemsPath"] == "$.ResponseBody"
    assert states["WriteRecords"]["OutputPath"] == "$.loop"


def test_the_role_may_write_its_records_partition_and_nothing_else(records: Scenario) -> None:
    for key, partitions in (("p", ["github/issues", "github/issues#records"]),
                            ("pages", ["orders", "orders#records"])):  # fmt: skip
        [deny] = [
            s for s in role_statements(records, key)
            if s.get("Sid") == "WriteOnlyThisDownloadersPartition"
        ]  # fmt: skip
        assert deny["Condition"] == {
            "ForAnyValue:StringNotEquals": {"dynamodb:LeadingKeys": partitions}
        }


def test_without_records_the_partition_stays_the_downloaders_own(default: Scenario) -> None:
    [deny] = [
        s for s in role_statements(default, "p")
        if s.get("Sid") == "WriteOnlyThisDownloadersPartition"
    ]  # fmt: skip
    assert deny["Condition"]["ForAnyValue:StringNotEquals"]["dynamodb:LeadingKeys"] == [
        default.patterns["p"].downloader_id
    ]


def test_the_check_names_the_first_bad_record_by_index_and_field(records: Scenario) -> None:
    problem = definition(records)["States"]["ReadRecords"]["Assign"]["recordProblem"]
    assert "has no key field 'number'." in problem
    assert "has no version field 'updated_at'." in problem
    assert "$states.input.`ResponseBody`" in problem  # the raw answer, through the selector


# --- Refused at synth -----------------------------------------------------------------------


def build(**overrides: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(stack, "P", **{**EVE_PROPS, **overrides})


def asl(pattern: DownloaderPattern) -> dict[str, Any]:
    import json

    stack = cdk.Stack.of(pattern)
    resource = stack.resolve(pattern.state_machine.node.default_child.definition_string)  # type: ignore[union-attr]
    separator, parts = resource["Fn::Join"]
    return json.loads(separator.join(p if isinstance(p, str) else "0" for p in parts))  # type: ignore[no-any-return]


MERGE = Records.merge(items="$.ResponseBody", key="id")


def test_each_path_writes_its_pages_records_and_a_bad_one_fails_that_path(
    records: Scenario,
) -> None:
    """Fan-out x pages: inside each path's iteration, after each page's PersistPage; a bad
    record, or a write failing after its retries, is that path's failed outcome."""
    fetch = definition(records, "fanned")["States"]["FetchAll"]
    states = fetch["ItemProcessor"]["States"]
    assert states["PersistPage"]["Next"] == "ReadRecords"
    assert states["RecordsValid"]["Choices"][0]["Next"] == "BadRecord"
    bad = states["BadRecord"]
    assert (bad["Type"], bad["QueryLanguage"], bad["End"]) == ("Pass", "JSONata", True)
    assert bad["Output"] == (
        "{% {'ok': false, 'key': $pathLoop.`key`, 'error': \"Downloader.BadRecord\", "
        "'cause': $recordProblem} %}"
    )
    write = states["WriteRecords"]
    assert write["MaxConcurrency"] == 4  # the downloader's concurrency
    # the Map item's, as the download kept it in the iteration's loop state
    assert write["ItemSelector"]["scheduledTime.$"] == "$pathLoop.scheduledTime"
    assert (write["ItemsPath"], write["OutputPath"]) == ("$.ResponseBody", "$.pathLoop")
    assert [c["ErrorEquals"] for c in write["Catch"]] == [["States.DataLimitExceeded"],
                                                          ["States.ALL"]]  # fmt: skip
    assert {c["Next"] for c in write["Catch"]} == {"RecordsFailed"}
    assert states["RecordsFailed"]["Parameters"] == {
        "ok": False, "key.$": "$pathLoop.key", "error.$": "$.failure.Error"
    }  # fmt: skip
    put = write["ItemProcessor"]["States"]["PutRecord"]
    assert put["Parameters"]["Item"]["scheduledTime"] == {"S.$": "$.scheduledTime"}
    assert put["OutputPath"] is None  # each iteration's result is {}, whatever the record
    assert write["ItemProcessor"]["States"]["RecordKept"]["OutputPath"] is None


def test_page_count_writes_the_first_pages_records_and_each_other_pages_in_the_map(
    records: Scenario,
) -> None:
    """page_count: page 1's records at the run's level (``FirstPage...`` states: a bad record
    fails the run), pages 2..N's inside the Map (here a Distributed Map's child executions,
    which read the scheduled time from their item)."""
    states = definition(records, "counted")["States"]
    assert "PersistFirstPage" not in states  # keep_answers=False
    assert states["DownloadFirstPage"]["Next"] == "FirstPageReadRecords"
    assert set(states["FirstPageReadRecords"]["Assign"]) == {"firstPageRecordProblem"}
    assert states["FirstPageBadRecord"]["Type"] == "Fail"
    assert states["FirstPageWriteRecords"]["Next"] == "CountPages"
    first_put = states["FirstPageWriteRecords"]["ItemProcessor"]["States"]["FirstPagePutRecord"]
    assert first_put["Parameters"]["Item"]["sk"] == {
        "S.$": "States.Format('{}#{}', States.Format('{}', $.record.order_id), "
        "$$.Execution.Input.scheduledTime)"
    }
    fetch = states["FetchPages"]
    assert fetch["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    inner = fetch["ItemProcessor"]["States"]
    assert "PersistPage" not in inner
    assert inner["DownloadPage"]["Next"] == "ReadRecords"
    # (the state is the raw page, checked: the item kept in $mapItem, issue 25 item 14)
    assert inner["BadRecord"]["Output"].startswith("{% {'ok': false, 'key': $mapItem.`page`")
    write = inner["WriteRecords"]
    assert (write["ResultSelector"], write["ResultPath"]) == ({"ok": True}, "$")
    put = write["ItemProcessor"]["States"]["PutRecord"]
    assert put["Parameters"]["Item"]["sk"] == {
        "S.$": "States.Format('{}#{}', States.Format('{}', $.record.order_id), $.scheduledTime)"
    }
    assert write["MaxConcurrency"] == 20  # min(the downloader's concurrency, 40)


def test_a_fan_out_path_writes_its_records_after_persist() -> None:
    pattern = build(
        path=None, result_selector=None, item={"n": ItemField.number("$.StatusCode")},
        fan_out=FanOut.paths(["/a", "/b"]), records=MERGE,
    )  # fmt: skip
    states = asl(pattern)["States"]["FetchAll"]["ItemProcessor"]["States"]
    assert "ResultSelector" not in states["Persist"]  # the answer stays for its records
    assert states["Persist"]["Next"] == "ReadRecords"
    assert [c["Next"] for c in states["Persist"]["Catch"]] == ["RecordFailure"] * 2
    assert states["WriteRecords"]["ItemsPath"] == "$.response.ResponseBody"
    assert (states["WriteRecords"]["ResultSelector"], states["WriteRecords"]["End"]) == (
        {"ok": True}, True,
    )  # fmt: skip
    assert "$states.input.`request`.`key`" in states["BadRecord"]["Output"]


@pytest.mark.parametrize(
    ("records", "message"),
    [
        (Records.merge(items="ResponseBody", key="id"), r"records\.items=.*not a plain JSONPath"),
        (Records.merge(items="$.a[*].b", key="id"), r"records\.items"),
        (Records.merge(items="$.x", key="a.b"), r"records\.key=.*not a field name"),
        (Records.merge(items="$.x", key=()), r"records\.key"),
        (Records.append(items="$.x", key=("a", "a")), r"records\.key=.*names a field twice"),
        (Records.merge(items="$.x", key="id", version="id"), r"records\.version=.*key field"),
        (Records.merge(items="$.x", key="id", version="a-b"), r"records\.version"),
        (Records.merge(items="$.x", key="id", keep_answers="no"),  # type: ignore[arg-type]
         r"records\.keep_answers=.*not a bool"),
    ],
    ids=["items-no-dollar", "items-wildcard", "key-dotted", "key-empty", "key-twice",
         "version-is-key", "version-name", "keep-answers-type"],
)  # fmt: skip
def test_bad_records_settings_are_refused(records: Records, message: str) -> None:
    with pytest.raises(DownloaderConfigError, match=message):
        build(records=records)


@pytest.mark.parametrize(
    "feature",
    [{"archive": Archive.to_new_bucket()}, {"store": Store.changes_only()}],
    ids=["archive", "changes-only"],
)
def test_dropping_the_answers_is_refused_where_a_feature_follows_them(
    feature: dict[str, Any],
) -> None:
    with pytest.raises(DownloaderConfigError, match=r"records\.keep_answers=.*cannot be False"):
        build(records=Records.merge(items="$.players", key="id", keep_answers=False), **feature)


def test_records_is_a_records() -> None:
    with pytest.raises(DownloaderConfigError, match=r"records=.*is not a Records"):
        build(records={"items": "$.x"})


def test_records_are_written_between_persist_and_the_archive() -> None:
    pattern = build(
        records=Records.merge(items="$.players", key="id"), archive=Archive.to_new_bucket()
    )
    states = asl(pattern)["States"]
    # The checked download's raw answer passes through Persist and the records (their Map's
    # result discarded) to SelectResult, which writes the archive's selection.
    assert states["Download"]["QueryLanguage"] == "JSONata"
    assert (states["Persist"]["Next"], states["Persist"]["ResultPath"]) == ("ReadRecords", None)
    assert states["WriteRecords"]["Next"] == "SelectResult"
    assert states["WriteRecords"]["ResultPath"] is None
    assert states["WriteRecords"]["ItemsPath"] == "$.ResponseBody.players"
    assert states["SelectResult"]["Next"] == "Archive"


def test_repr() -> None:
    assert repr(Records.merge(items="$.x", key="id", version="v")) == (
        "Records.merge(items='$.x', key='id', version='v')"
    )
    assert repr(Records.append(items="$.x", key=("a", "b"), keep_answers=False)) == (
        "Records.append(items='$.x', key=('a', 'b'), keep_answers=False)"
    )


# --- Cost ------------------------------------------------------------------------------------


def per_run(estimate: Any, service: str, runs: float) -> float:
    [line] = [li for li in estimate.line_items if li.service == service]
    return float(line.quantity) / runs


def test_the_cost_model_counts_a_transition_and_a_write_a_record(records: Scenario) -> None:
    """Per answer: ReadRecords, RecordsValid and WriteRecords (3 transitions); per record one
    PutRecord (a transition and a putItem)."""
    pattern = records.patterns["p"]
    runs = 43_200.0  # every minute, 30 days
    costs = {
        n: pattern.estimate_monthly_cost(workflow_type="STANDARD", records_per_answer=n)
        for n in (0, 1, 1000)
    }
    transitions = {n: per_run(c, "Step Functions Standard", runs) for n, c in costs.items()}
    writes = {n: per_run(c, "DynamoDB on-demand writes", runs) for n, c in costs.items()}
    assert transitions == {0: 5.0, 1: 6.0, 1000: 1005.0}  # Download, Persist + 3 + n
    assert writes == {0: 1.0, 1: 2.0, 1000: 1001.0}
    assert "1000 records in each answer (or page)." in costs[1000].assumptions


def test_the_cost_model_asks_for_the_records_per_answer(records: Scenario) -> None:
    from sfn_downloader.cost import CostModelError

    with pytest.raises(CostModelError, match=r"WriteRecords.*pass records_per_answer"):
        records.patterns["p"].estimate_monthly_cost()


def test_pages_of_records_without_the_answers(records: Scenario) -> None:
    cost = records.patterns["pages"].estimate_monthly_cost(
        workflow_type="STANDARD", pages_per_run=10, records_per_answer=100
    )
    runs = 43_200.0
    # No page item; the delivery's completion item (MarkDelivered), 1 WRU.
    assert per_run(cost, "DynamoDB on-demand writes", runs) == 1001.0
    # Each page: DownloadPage, MorePages; ReadRecords, RecordsValid, WriteRecords and its 100
    # PutRecord. Once: FirstRequest and MarkDelivered (which ends the run).
    transitions = per_run(cost, "Step Functions Standard", runs)
    assert transitions == 10 * (2 + 3 + 100) + 2


# --- What a Standard run's history can hold --------------------------------------------------


def test_records_count_in_a_standard_fan_outs_history() -> None:
    """1,200 paths fit a Standard run's 25,000 events (15 a path with a retry), not with each
    path's records (8 more at least): refused with the arithmetic."""
    shape: dict[str, Any] = {
        "path": None, "fan_out": FanOut.paths([f"/p/{n}" for n in range(1_200)]),
        "result_selector": None, "item": {"n": ItemField.number("$.StatusCode")},
        "workflow_type": sfn.StateMachineType.STANDARD,
        "timeout": cdk.Duration.hours(1),
    }  # fmt: skip
    build(**shape)  # without records: fits
    with pytest.raises(
        DownloaderConfigError,
        match=r"fan_out='<1,200 paths>': would need 27,640 history events \(1,200 paths x "
        r"\(12 events \+ 8 for its records' states \+ 3 for one retry\) \+ 40 for the rest of "
        r"the run\).*fail after about 1,085, fewer with records \(each record adds 7 events\)",
    ):
        build(**shape, records=MERGE)
    express = {"workflow_type": sfn.StateMachineType.EXPRESS, "timeout": cdk.Duration.minutes(5)}
    build(**{**shape, **express}, records=MERGE)  # no history limit


def test_page_counts_most_pages_leave_room_for_records_on_standard() -> None:
    """1,000 pages x (12 + 8 + 3) + 40 = 23,040 events: page_count's 1,001 pages fit with
    records, leaving 1,960 events for the records themselves (about 280 at 7 each)."""
    build(
        pagination=Pagination.page_count(max_pages=1_001), result_selector=None,
        item={"n": ItemField.number("$.StatusCode")},
        workflow_type=sfn.StateMachineType.STANDARD, timeout=cdk.Duration.hours(1),
        records=MERGE,
    )  # fmt: skip


def test_the_cost_model_counts_every_pages_records_in_a_fan_out(records: Scenario) -> None:
    """2 paths x 2 pages, 10 records a page: each page's records (3 + 10 transitions, 10
    writes), not only the first page's (RecordsValid is a guard inside the page loop, not the
    Choice that closes it)."""
    pattern, runs = records.patterns["fanned"], 43_200.0
    costs = {
        n: pattern.estimate_monthly_cost(
            workflow_type="STANDARD", pages_per_run=2, records_per_answer=n
        )
        for n in (0, 10)
    }
    writes = {n: per_run(c, "DynamoDB on-demand writes", runs) for n, c in costs.items()}
    transitions = {n: per_run(c, "Step Functions Standard", runs) for n, c in costs.items()}
    assert writes == {0: 5.0, 10: 45.0}  # 4 pages, 40 records, the completion item
    # FetchAll, AnyFailed, MarkDelivered; each path: 2 x (DownloadPage, PersistPage,
    # ReadRecords, RecordsValid, WriteRecords, MorePages), PathDone.
    assert transitions == {0: 3 + 2 * (2 * 6 + 1), 10: 29 + 4 * 10}
