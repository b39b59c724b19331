"""Schedule: every minute by default, and the scheduled time reaches the execution input."""

from __future__ import annotations

import json

from scenarios import Scenario


def target(scenario: Scenario) -> dict[str, object]:
    (schedule,) = scenario.template.find_resources("AWS::Scheduler::Schedule").values()
    return schedule["Properties"]  # type: ignore[no-any-return]


def test_default_every_minute(default: Scenario) -> None:
    assert target(default)["ScheduleExpression"] == "rate(1 minute)"


def test_scheduled_time_is_the_execution_input(default: Scenario) -> None:
    schedule_target = target(default)["Target"]
    assert isinstance(schedule_target, dict)
    assert json.loads(schedule_target["Input"]) == {
        "scheduledTime": "<aws.scheduler.scheduled-time>"
    }
    machine_id = default.stack.get_logical_id(
        default.patterns["p"].state_machine.node.default_child
    )  # type: ignore[arg-type]
    assert schedule_target["Arn"] == {"Ref": machine_id}


def test_cron_schedule(full: Scenario) -> None:
    assert target(full)["ScheduleExpression"] == "cron(*/15 * * * ? *)"


def test_scheduler_role_may_only_start_this_state_machine(default: Scenario) -> None:
    policies = default.template.find_resources("AWS::IAM::Policy")
    (policy,) = [
        p
        for p in policies.values()
        if p["Properties"]["Roles"][0]["Ref"].startswith("SchedulerRole")
    ]
    machine_id = default.stack.get_logical_id(
        default.patterns["p"].state_machine.node.default_child
    )  # type: ignore[arg-type]
    queue_id = default.stack.get_logical_id(
        default.patterns["p"].dead_letter_queue.node.default_child  # type: ignore[arg-type]
    )
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": "states:StartExecution", "Effect": "Allow", "Resource": {"Ref": machine_id}},
        {"Action": "sqs:SendMessage", "Effect": "Allow",
         "Resource": {"Fn::GetAtt": [queue_id, "Arn"]}},
    ]  # fmt: skip


def test_undeliverable_starts_go_to_an_encrypted_dead_letter_queue(default: Scenario) -> None:
    queue_id = default.stack.get_logical_id(
        default.patterns["p"].dead_letter_queue.node.default_child  # type: ignore[arg-type]
    )
    schedule_target = target(default)["Target"]
    assert isinstance(schedule_target, dict)
    assert schedule_target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
    # The API answers with its state now: a start delayed past 5 minutes would store it
    # under the wrong scheduled time, so the scheduler gives up and dead-letters it.
    assert schedule_target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 300
    default.template.has_resource_properties("AWS::SQS::Queue", {
        "SqsManagedSseEnabled": True, "MessageRetentionPeriod": 1209600,
    })  # fmt: skip
    default.template.has_resource_properties("AWS::SQS::QueuePolicy", {
        "PolicyDocument": {"Statement": [{
            "Action": "sqs:*", "Effect": "Deny", "Principal": {"AWS": "*"},
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        }], "Version": "2012-10-17"},
    })  # fmt: skip
