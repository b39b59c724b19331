"""State machine: type, timeout, logging, tracing, and exactly what its role may do."""

from __future__ import annotations

from typing import Any

from scenarios import Scenario


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
