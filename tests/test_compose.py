"""Post-processing, the S3 sink and on-demand starts: template assertions and bad input."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk.assertions import Match

from sfn_downloader import Archive, DownloaderConfigError, DownloaderPattern, Starts

from scenarios import EVE_PROPS, Scenario, definition


def states(scenario: Scenario, key: str = "p") -> dict[str, Any]:
    return definition(scenario, key)["States"]  # type: ignore[no-any-return]


def role_statements(scenario: Scenario, pattern_key: str = "p") -> list[dict[str, Any]]:
    role = scenario.patterns[pattern_key].state_machine.role
    policy = role.node.find_child("DefaultPolicy").node.default_child
    logical_id = scenario.stack.get_logical_id(policy)  # type: ignore[arg-type]
    document = scenario.json["Resources"][logical_id]["Properties"]["PolicyDocument"]
    return document["Statement"]  # type: ignore[no-any-return]


# Post-processing


def test_post_processing_runs_after_persist_and_archive(composed: Scenario) -> None:
    found = states(composed)
    assert definition(composed)["StartAt"] == "Download"
    assert found["Download"]["Next"] == "Persist"
    assert found["Persist"]["Next"] == "SelectResult"  # the selection, for the states after
    assert found["SelectResult"]["Next"] == "Archive"
    assert found["Archive"]["Next"] == "SendToQueue"
    assert found["SendToQueue"]["Next"] == "PublishCount"
    assert found["PutEvent"]["End"] is True


def test_post_processing_input_is_result_and_item_key(composed: Scenario) -> None:
    """Issue 25 item 14: the checked download (JSONata, no Output: the raw answer passes on,
    a compressed one is refused), Persist reading through the selector and keeping nothing
    (``ResultPath`` null), then ``SelectResult``, a JSONPath Pass (every digit), writing the
    documented input of the states after it: the scheduled time, the selection, the key."""
    found = states(composed)
    download = found["Download"]
    assert download["QueryLanguage"] == "JSONata" and "Output" not in download
    assert download["Catch"][0]["Next"] == "AnswerCompressed"
    persist = found["Persist"]
    assert persist["ResultPath"] is None and "ResultSelector" not in persist
    # the item's paths are read through the selector, from the raw answer
    assert persist["Parameters"]["Item"]["count"] == {
        "N.$": "States.Format('{}', $.ResponseBody.players)"
    }
    assert found["SelectResult"] == {
        "Type": "Pass",
        "Parameters": {
            "scheduledTime.$": "$$.Execution.Input.scheduledTime",
            "result": {"players.$": "$.ResponseBody.players"},
            "key": {"pk": "eve/player-count", "sk.$": "$$.Execution.Input.scheduledTime"},
        },
        "Next": "Archive",
    }


def test_post_processing_tasks_grant_their_own_permissions(composed: Scenario) -> None:
    actions = {str(s["Action"]) for s in role_statements(composed)}
    assert {"sqs:SendMessage", "sns:Publish", "events:PutEvents"} <= actions


def test_default_has_no_post_processing_states(default: Scenario) -> None:
    assert set(states(default)) == {"Download", "Persist", "AnswerCompressed"}


# S3 sink


def test_archive_puts_the_result_keyed_by_downloader_and_time(composed: Scenario) -> None:
    archive = states(composed)["Archive"]
    assert archive["Resource"].endswith(":states:::aws-sdk:s3:putObject")
    key = "States.Format('eve/player-count/{}.json', $$.Execution.Input.scheduledTime)"
    assert archive["Parameters"]["Key.$"] == key
    assert archive["Parameters"]["Body.$"] == "States.JsonToString($.result)"
    assert archive["ResultPath"] == "$.object"
    assert archive["ResultSelector"]["key.$"] == key


def test_archive_may_put_objects_under_its_prefix_only(composed: Scenario) -> None:
    bucket = composed.patterns["p"].bucket
    assert bucket is not None
    bucket_id = composed.stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    [statement] = [s for s in role_statements(composed) if "s3:" in str(s["Action"])]
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == {
        "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/eve/player-count/*"]]
    }


def test_created_bucket_has_secure_defaults(composed: Scenario) -> None:
    composed.template.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Retain",
            "Properties": Match.object_like(
                {
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True, "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
                    },
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                    "LifecycleConfiguration": {
                        "Rules": Match.array_with(
                            [
                                Match.object_like(
                                    {"NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
                                ),
                                Match.object_like({"ExpirationInDays": 365}),
                            ]
                        )
                    },
                }
            ),
        },
    )  # fmt: skip
    composed.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_own_bucket_is_used_and_its_key_granted(own_bucket: Scenario) -> None:
    own_bucket.template.resource_count_is("AWS::S3::Bucket", 1)
    archive = states(own_bucket)["Archive"]
    # no result_selector: the whole response is archived, the item reads the raw response,
    # both where the checked download leaves it ($, issue 25 item 14)
    assert archive["Parameters"]["Body.$"] == "States.JsonToString($)"
    assert states(own_bucket)["Download"]["QueryLanguage"] == "JSONata"
    assert states(own_bucket)["Persist"]["Parameters"]["Item"]["count"] == {
        "N.$": "States.Format('{}', $.ResponseBody.players)"
    }
    actions = [s["Action"] for s in role_statements(own_bucket)]
    assert "s3:PutObject" in actions
    assert any("kms:GenerateDataKey*" in a for a in actions if isinstance(a, list))


def test_no_bucket_by_default(default: Scenario) -> None:
    default.template.resource_count_is("AWS::S3::Bucket", 0)
    assert default.patterns["p"].bucket is None


# On-demand starts


def test_on_demand_only_has_no_schedule_nor_dead_letter_queue(on_demand: Scenario) -> None:
    only, both = on_demand.patterns["p"], on_demand.patterns["both"]
    assert only.schedule is None and only.dead_letter_queue is None
    assert "dead_letter_queue" not in only.alarms
    assert both.schedule is not None and both.dead_letter_queue is not None
    on_demand.template.resource_count_is("AWS::Scheduler::Schedule", 1)


def test_on_demand_checks_the_input_first(on_demand: Scenario) -> None:
    for key in ("p", "both"):
        asl = definition(on_demand, key)
        assert asl["StartAt"] == "CheckInput"
        # One JSONata Choice (issue 28(a)): the form and the time together lead on, a bad
        # form to InvalidInput, and what is left (a time later than the execution's start +
        # 60 s, issue 26) to InputInFuture; CheckInputTime is gone.
        check = asl["States"]["CheckInput"]
        assert check["QueryLanguage"] == "JSONata" and "CheckInputTime" not in asl["States"]
        valid, invalid = check["Choices"]
        assert valid["Next"] == "Download" and invalid["Next"] == "InvalidInput"
        assert valid["Condition"].endswith(
            "$valid ? $toMillis($t) <= $toMillis($states.context.Execution.StartTime) + 60000 "
            ": false) %}"
        )
        assert invalid["Condition"].endswith("$not($valid)) %}")
        assert check["Default"] == "InputInFuture"
        assert asl["States"]["InvalidInput"]["Error"] == "Downloader.InvalidInput"
        assert asl["States"]["InputInFuture"]["Error"] == "Downloader.InvalidInput"


def test_grant_start_execution_allows_start_on_this_state_machine(on_demand: Scenario) -> None:
    machine = on_demand.patterns["p"].state_machine.node.default_child
    on_demand.template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": Match.string_like_regexp("^Caller")}],
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "states:StartExecution",
                        "Effect": "Allow",
                        "Resource": {"Ref": on_demand.stack.get_logical_id(machine)},  # type: ignore[arg-type]
                    }
                ]
            },
        },
    )


# Bad input


def build(**props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "Bad")
    merged = {**EVE_PROPS, **props}
    for name, value in list(merged.items()):
        if callable(value) and name != "item":
            merged[name] = value(stack)
    return DownloaderPattern(stack, "P", **merged)


def a_pass(name: str = "Notify") -> Any:
    return lambda stack: sfn.Pass(stack, name)


@pytest.mark.parametrize(
    ("props", "match"),
    [
        ({"post_process": "notify"}, r"post_process='notify': is not a Step Functions state"),
        ({"post_process": a_pass("Persist")}, r"post_process='Bad/Persist': has a state named "
                                              r"'Persist', the name of one of the downloader's"),
        (
            {"archive": True},
            r"archive=True: is not an Archive \(it is a bool\)\. Fix: use "
            r"Archive\.to_new_bucket\(\) or Archive\.to_bucket\(bucket\)",
        ),
        (
            {"archive": Archive.to_new_bucket(retention=cdk.Duration.hours(5))},
            r"archive='5 hours': retention is not a positive whole number of days",
        ),
        (
            {"archive": Archive.to_new_bucket(), "downloader_id": "it's"},
            r"downloader_id=\"it's\": contains a quote",
        ),
        ({"starts": "on_demand"},
         r"starts='on_demand': is not a Starts \(it is a str\)\. Fix: use Starts"),
        (
            {"starts": Starts.scheduled(
                scheduler.ScheduleExpression.expression("rate(30 seconds)"))},
            r"starts='rate\(30 seconds\)': the schedule is more frequent than once a minute",
        ),
    ],
)  # fmt: skip
def test_bad_input_is_reported(props: dict[str, Any], match: str) -> None:
    with pytest.raises(DownloaderConfigError, match=match):
        build(**props)


def test_a_state_used_by_another_downloader_is_reported() -> None:
    stack = cdk.Stack(cdk.App(), "Bad")
    notify = sfn.Pass(stack, "Notify")
    DownloaderPattern(stack, "First", **EVE_PROPS, post_process=notify)
    with pytest.raises(
        DownloaderConfigError,
        match=r"post_process='Bad/Notify': already belongs to another state machine",
    ):
        DownloaderPattern(stack, "Second", **EVE_PROPS, post_process=notify)


# Regressions of the architecture issue (#11)


@pytest.mark.parametrize(
    ("props", "name"),
    [
        ({"retention": cdk.Duration.days(30)}, "SelectResult"),
        (
            # (with a polite memory: the JSONPath override states, issue 25 item 14)
            {"path": "/v2/status?datasource=tranquility", "conditional": True,
             "starts": Starts.on_demand(overridable_query=["datasource"])},
            "HasQueryOverrides",
        ),
        ({"starts": Starts.on_demand()}, "CheckInput"),
        ({"archive": Archive.to_new_bucket()}, "Archive"),
    ],
)  # fmt: skip
def test_a_post_process_state_named_like_an_own_state_is_refused(
    props: dict[str, Any], name: str
) -> None:
    """The downloader's own state names come from its built chain, not from a list."""
    with pytest.raises(
        DownloaderConfigError,
        match=rf"post_process='Bad/{name}': has a state named '{name}', the name of one of the "
        r"downloader's own states.*Fix: give the state another id",
    ):
        build(post_process=a_pass(name), **props)


def test_own_table_with_an_archive_bucket_to_delete() -> None:
    """removal_policy is the created table's; the archive's bucket has its own."""
    stack = cdk.Stack(cdk.App(), "Own")
    table = cdk.aws_dynamodb.Table(
        stack, "T", partition_key=cdk.aws_dynamodb.Attribute(
            name="pk", type=cdk.aws_dynamodb.AttributeType.STRING),
        sort_key=cdk.aws_dynamodb.Attribute(name="sk", type=cdk.aws_dynamodb.AttributeType.STRING),
    )  # fmt: skip
    pattern = DownloaderPattern(
        stack, "P", **EVE_PROPS, table=table,
        archive=Archive.to_new_bucket(removal_policy=cdk.RemovalPolicy.DESTROY),
    )  # fmt: skip
    template = cdk.assertions.Template.from_stack(stack).to_json()
    bucket_id = stack.get_logical_id(pattern.bucket.node.default_child)  # type: ignore[union-attr, arg-type]
    assert template["Resources"][bucket_id]["DeletionPolicy"] == "Delete"
    table_id = stack.get_logical_id(table.node.default_child)  # type: ignore[arg-type]
    assert template["Resources"][table_id]["DeletionPolicy"] == "Retain"
