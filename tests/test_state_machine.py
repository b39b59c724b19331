"""State machine: type, timeout, logging, tracing, and exactly what its role may do."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from sfn_downloader import DownloaderPattern

from scenarios import EVE_PROPS, Scenario


def properties(scenario: Scenario) -> dict[str, Any]:
    machines = scenario.template.find_resources("AWS::StepFunctions::StateMachine")
    return next(iter(machines.values()))["Properties"]  # type: ignore[no-any-return]


def role_policy(scenario: Scenario, role_prefix: str) -> list[dict[str, Any]]:
    policies = scenario.template.find_resources("AWS::IAM::Policy")
    (policy,) = [
        p for p in policies.values() if p["Properties"]["Roles"][0]["Ref"].startswith(role_prefix)
    ]
    return policy["Properties"]["PolicyDocument"]["Statement"]  # type: ignore[no-any-return]


def test_default_is_express_with_five_minute_timeout(default: Scenario) -> None:
    props = properties(default)
    assert props["StateMachineType"] == "EXPRESS"
    assert '"TimeoutSeconds":300}' in str(props["DefinitionString"])


def test_logs_everything_to_its_log_group_and_traces(default: Scenario) -> None:
    props = properties(default)
    assert props["TracingConfiguration"] == {"Enabled": True}
    assert props["LoggingConfiguration"]["Level"] == "ALL"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is True
    default.template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})


def test_standard_with_a_credential_in_state_keeps_execution_data_out_of_logs(
    full: Scenario,
) -> None:
    props = properties(full)
    assert props["StateMachineType"] == "STANDARD"
    assert props["LoggingConfiguration"]["IncludeExecutionData"] is False
    assert '"TimeoutSeconds":600}' in str(props["DefinitionString"])


def test_from_secret_keeps_execution_data_in_logs(from_secret: Scenario) -> None:
    assert properties(from_secret)["LoggingConfiguration"]["IncludeExecutionData"] is True


def arn(service: str, resource: list[Any]) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":{service}:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                *resource,
            ],
        ]
    }


def test_state_machine_role_holds_only_what_it_needs(default: Scenario) -> None:
    logical = default.stack.get_logical_id
    pattern = default.patterns["p"]
    api_id = logical(pattern.api.node.default_child)  # type: ignore[arg-type]
    table_id = logical(pattern.table.node.default_child)  # type: ignore[arg-type]
    assert role_policy(default, "PlayerCountStateMachineRole") == [
        {"Action": "execute-api:Invoke", "Effect": "Allow",
         "Resource": arn("execute-api", [":", {"Ref": api_id}, "/prod/GET/v2/status"])},
        {"Action": "dynamodb:PutItem", "Effect": "Allow",
         "Resource": arn("dynamodb", [":table/", {"Ref": table_id}])},
        # CloudWatch Logs delivery and X-Ray actions support no resource-level permissions:
        # AWS requires "*" for them (Step Functions developer guide, logging and X-Ray).
        {"Action": ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                    "logs:DeleteLogDelivery", "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
                    "logs:DescribeLogGroups"], "Effect": "Allow", "Resource": "*"},
        {"Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules", "xray:GetSamplingTargets"],
         "Effect": "Allow", "Resource": "*"},
        # Issue 26: no item write outside its own partition, whatever the table grants.
        {"Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                    "dynamodb:BatchWriteItem"], "Effect": "Deny",
         "Condition": {"ForAnyValue:StringNotEquals": {
             "dynamodb:LeadingKeys": ["TestStack/PlayerCount"]}},
         "Resource": {"Fn::GetAtt": [table_id, "Arn"]}, "Sid": "WriteOnlyThisDownloadersPartition"},
    ]  # fmt: skip


def test_customer_managed_key_is_granted_to_the_state_machine(full: Scenario) -> None:
    statements = role_policy(full, "OrdersStateMachineRole")
    kms = [s for s in statements if "kms:Decrypt" in s["Action"]]
    assert len(kms) == 1
    assert kms[0]["Resource"]["Fn::GetAtt"][0].startswith("Key")


def test_shared_table_is_written_by_both(shared_table: Scenario) -> None:
    table_id = shared_table.stack.get_logical_id(
        shared_table.patterns["first"].table.node.default_child
    )  # type: ignore[arg-type]
    for prefix in ("PlayerCountStateMachineRole", "ServerVersionStateMachineRole"):
        put = [s for s in role_policy(shared_table, prefix) if s["Action"] == "dynamodb:PutItem"]
        assert put[0]["Resource"] == arn("dynamodb", [":table/", {"Ref": table_id}])


def log_group_names(scenario: Scenario) -> list[str]:
    groups = scenario.template.find_resources("AWS::Logs::LogGroup")
    return sorted(g["Properties"].get("LogGroupName", "<generated>") for g in groups.values())


def test_log_group_is_a_vended_logs_group_unique_per_downloader(shared_table: Scenario) -> None:
    """Step Functions guide, "Avoiding CloudWatch Logs resource policy size restrictions": a
    log group outside /aws/vendedlogs/ grows the account's 5,120-character Logs resource policy."""
    names = log_group_names(shared_table)
    assert len(names) == len(set(names)) == 2
    for name, pattern in zip(names, ("PlayerCount", "ServerVersion"), strict=True):
        assert name.startswith(f"/aws/vendedlogs/states/TestStack-{pattern}-")
    assert shared_table.patterns["first"].log_group.log_group_name != (
        shared_table.patterns["second"].log_group.log_group_name
    )


def test_log_group_name_carries_the_stack_name_and_fits_the_logging_arn() -> None:
    """Two deployments of one app (stack names eve-dev, eve-prod) must not share a log group;
    the logging configuration's log group ARN is at most 256 characters."""
    names = []
    for stage in ("dev", "prod"):
        stack = cdk.Stack(cdk.App(), "Eve", stack_name=f"eve-{stage}")
        DownloaderPattern(stack, "P" * 200, **EVE_PROPS)
        [group] = Template.from_stack(stack).find_resources("AWS::Logs::LogGroup").values()
        names.append(group["Properties"]["LogGroupName"])
    assert names[0].startswith("/aws/vendedlogs/states/eve-dev-")
    assert names[1].startswith("/aws/vendedlogs/states/eve-prod-")
    longest_arn_prefix = "arn:aws-iso-b:logs:us-isob-east-1:123456789012:log-group:"
    assert all(len(longest_arn_prefix + name + ":*") <= 256 for name in names)
