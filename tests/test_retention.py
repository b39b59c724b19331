"""retention: items expire a set time after their scheduled time (DynamoDB time to live)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk.assertions import Template

from sfn_downloader import DownloaderConfigError, DownloaderPattern, ItemField, StatusAction

from scenarios import EVE_PROPS, Scenario, definition, rendered_definition

THIRTY_DAYS = 30 * 24 * 3600


def test_created_table_has_time_to_live_on_expires_at(retained: Scenario) -> None:
    retained.template.has_resource_properties("AWS::DynamoDB::Table", {
        "TimeToLiveSpecification": {"AttributeName": "expiresAt", "Enabled": True},
    })  # fmt: skip


def test_default_table_has_no_time_to_live(default: Scenario) -> None:
    (table,) = default.template.find_resources("AWS::DynamoDB::Table").values()
    assert "TimeToLiveSpecification" not in table["Properties"]


EXPIRY = (
    "{% $string($floor($toMillis($states.context.Execution.Input.scheduledTime)"
    f" / 1000) + {THIRTY_DAYS}) %}}"
)


def test_the_download_assigns_the_expiry_persist_reads(retained: Scenario) -> None:
    """One request whose download is a JSONata task: its Assign computes the expiry after the
    call, Persist (the next state) reads it; no ComputeExpiry (issue 28: 3 states → 2)."""
    asl = definition(retained)
    assert asl["StartAt"] == "Download"
    assert "ComputeExpiry" not in asl["States"]
    download = asl["States"]["Download"]
    assert download["QueryLanguage"] == "JSONata"
    assert download["Assign"]["expiresAt"] == EXPIRY
    assert "answerChecked" in download["Assign"]  # the compressed-answer check stays
    assert "Output" not in download  # the raw answer passes on, never evaluated
    persist = asl["States"]["Persist"]["Parameters"]["Item"]
    assert persist["expiresAt"] == {"N.$": "$expiresAt"}


def test_a_jsonpath_download_keeps_compute_expiry_first() -> None:
    """Where the download is not a JSONata task (a GraphQL request, whose answer's errors a
    JSONPath Choice checks), ComputeExpiry computes the expiry first, as before."""
    pattern = build(
        retention=cdk.Duration.days(30), method="POST", body={"query": "{ viewer { login } }"}
    )
    asl = json.loads(rendered_definition(Template.from_stack(Stack.of(pattern)).to_json()))
    assert asl["StartAt"] == "ComputeExpiry"
    expiry: dict[str, Any] = asl["States"]["ComputeExpiry"]
    assert expiry["Type"] == "Pass"
    assert expiry["QueryLanguage"] == "JSONata"
    assert expiry["Next"] == "Download"
    assert expiry["Assign"] == {"expiresAt": EXPIRY}
    assert "expiresAt" not in asl["States"]["Download"].get("Assign", {})


def test_a_selection_only_a_result_selector_makes_is_applied_after_the_checked_download() -> None:
    """An item attribute reading the whole selection (which only a ResultSelector makes): the
    checked download assigns the expiry (issue 25 item 14), SelectDownload applies the selector,
    Persist reads both; no ComputeExpiry."""
    pattern = build(
        retention=cdk.Duration.days(30),
        item={"count": ItemField.number("$.players"), "all": ItemField.json("$")},
    )
    asl = json.loads(rendered_definition(Template.from_stack(Stack.of(pattern)).to_json()))
    assert asl["StartAt"] == "Download" and "ComputeExpiry" not in asl["States"]
    assert asl["States"]["Download"]["Assign"]["expiresAt"] == EXPIRY
    assert asl["States"]["Download"]["Next"] == "SelectDownload"
    assert asl["States"]["SelectDownload"]["Next"] == "Persist"
    item = asl["States"]["Persist"]["Parameters"]["Item"]
    assert item["expiresAt"] == {"N.$": "$expiresAt"}
    assert item["all"] == {"S.$": "States.JsonToString($)"}


def test_with_on_status_the_checked_download_computes_the_expiry() -> None:
    """Issue 25 item 14: a status reaction keeps the checked download (a JSONata Catch into
    Skipped), which assigns the expiry itself: no ComputeExpiry."""
    pattern = build(retention=cdk.Duration.days(30), on_status={404: StatusAction.SKIP})
    asl = json.loads(rendered_definition(Template.from_stack(Stack.of(pattern)).to_json()))
    assert asl["StartAt"] == "Download" and "ComputeExpiry" not in asl["States"]
    assert asl["States"]["Download"]["Assign"]["expiresAt"] == EXPIRY
    assert asl["States"]["Download"]["Catch"][0]["Next"] == "Skipped"


def test_map_iterations_read_the_expiry_from_their_item(retained: Scenario) -> None:
    asl = definition(retained, "fanout")
    assert asl["StartAt"] == "ComputeExpiry"
    fetch_all = asl["States"]["FetchAll"]
    assert fetch_all["ItemSelector"]["expiresAt"] == "{% $expiresAt %}"  # a JSONata Map
    processor = fetch_all["ItemProcessor"]["States"]
    assert processor["Persist"]["Parameters"]["Item"]["expiresAt"] == {"N.$": "$mapItem.expiresAt"}


def test_x_pages_map_iterations_read_the_expiry_from_their_item(retained: Scenario) -> None:
    """Pages 2..N are persisted inside a Map: the expiry comes with the item, as in a fan-out."""
    states = definition(retained, "pages")["States"]
    [page_map] = [s for s in states.values() if "ItemProcessor" in s]
    assert page_map["ItemSelector"]["expiresAt.$"] == "$expiresAt"
    persist = page_map["ItemProcessor"]["States"]["PersistPage"]
    # (the checked download keeps the Map item in $mapItem: the state holds the raw answer)
    assert persist["Parameters"]["Item"]["expiresAt"] == {"N.$": "$mapItem.expiresAt"}


def test_without_retention_no_expiry(default: Scenario) -> None:
    asl = definition(default)
    assert "ComputeExpiry" not in asl["States"]
    assert "expiresAt" not in asl["States"]["Persist"]["Parameters"]["Item"]


def build(**overrides: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "S")
    return DownloaderPattern(stack, "P", **{**EVE_PROPS, **overrides})


def test_retention_must_be_positive() -> None:
    with pytest.raises(DownloaderConfigError, match=r"retention='0 seconds': is not positive"):
        build(retention=cdk.Duration.seconds(0))


def test_item_attribute_colliding_with_the_expiry() -> None:
    with pytest.raises(
        DownloaderConfigError, match=r"item\['expiresAt'\]='expiresAt': collides with the expiry"
    ):
        build(retention=cdk.Duration.days(1),
              item={"count": ItemField.number("$.players"),
                    "expiresAt": ItemField.number("$.players")})  # fmt: skip


def test_brought_table_without_time_to_live_on_expires_at() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    keys = {
        "partition_key": dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        "sort_key": dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.STRING),
    }
    plain = dynamodb.Table(stack, "Plain", **keys)
    with pytest.raises(
        DownloaderConfigError, match=r"table='S/Plain': has no time to live on 'expiresAt'"
    ):
        DownloaderPattern(stack, "P", **EVE_PROPS, table=plain, retention=cdk.Duration.days(1))
    ttl = dynamodb.Table(stack, "WithTtl", **keys, time_to_live_attribute="expiresAt")
    DownloaderPattern(stack, "Q", **EVE_PROPS, table=ttl, retention=cdk.Duration.days(1))
