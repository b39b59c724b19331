"""The EVE example synthesizes with this library, also under the feature flags of cdk.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "eve_player_count" / "app.py"
CDK_JSON = EXAMPLE.with_name("cdk.json")


def synthesize(outdir: Path, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """``build_app``'s template; with ``context``, the app as ``cdk synth`` builds it with that
    context (the CLI passes cdk.json's to the app)."""
    spec = importlib.util.spec_from_file_location("eve_app", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if context is None:
        module.build_app(str(outdir)).synth()
    else:
        app = cdk.App(outdir=str(outdir), context=context)
        module.EvePlayerCountStack(app, "EvePlayerCount")
        app.synth()
    return json.loads((outdir / "EvePlayerCount.template.json").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``build_app``'s template as JSON text: synthesized once for the module's tests that read
    it (each gets its own copy)."""
    return json.dumps(synthesize(tmp_path_factory.mktemp("eve-cdk-out")))


def test_example_synthesizes(built: str) -> None:
    template = json.loads(built)
    types = sorted(r["Type"] for r in template["Resources"].values())
    # The player count and, composed with it, The Forge's market types, its orders (trimmed at
    # the proxy, in full and summarized) and the history of a few types: one shared table.
    assert types.count("AWS::StepFunctions::StateMachine") == 5
    assert types.count("AWS::Scheduler::Schedule") == 5
    assert types.count("AWS::DynamoDB::Table") == 1
    assert "eve/player-count" in json.dumps(template)
    assert "eve/market-types/the-forge" in json.dumps(template)
    assert "eve/market-history/the-forge" in json.dumps(template)
    # One dashboard for both, and the table's name as an output for sfn_downloader.read.
    assert types.count("AWS::CloudWatch::Dashboard") == 1
    [table] = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::DynamoDB::Table"]
    assert template["Outputs"]["PlayerCountTable"]["Value"] == {"Ref": table}
    methods = [r["Properties"] for r in template["Resources"].values()
               if r["Type"] == "AWS::ApiGateway::Method"]  # fmt: skip
    assert sorted(m["Integration"]["Type"] for m in methods) == [
        "HTTP", "HTTP", "HTTP_PROXY", "HTTP_PROXY", "HTTP_PROXY",
    ]  # fmt: skip


def test_example_alarms_notify_a_topic_and_one_key_encrypts_everything(built: str) -> None:
    """Issue 26, 11: the example's 20 alarms notify one SNS topic, and its one key encrypts the
    table, every log group, every dead-letter queue and the topic."""
    resources = json.loads(built)["Resources"]

    def of(kind: str) -> list[dict[str, Any]]:
        return [r["Properties"] for r in resources.values() if r["Type"] == kind]

    [key] = [i for i, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    [topic] = [i for i, r in resources.items() if r["Type"] == "AWS::SNS::Topic"]
    key_arn = {"Fn::GetAtt": [key, "Arn"]}
    alarms = of("AWS::CloudWatch::Alarm")
    assert len(alarms) == 20
    assert all(a["AlarmActions"] == [{"Ref": topic}] for a in alarms)
    assert all(lg["KmsKeyId"] == key_arn for lg in of("AWS::Logs::LogGroup"))
    assert len(of("AWS::SQS::Queue")) == 5
    assert all(q["KmsMasterKeyId"] == key_arn for q in of("AWS::SQS::Queue"))
    [table] = of("AWS::DynamoDB::Table")
    assert table["SSESpecification"]["KMSMasterKeyId"] == key_arn
    assert of("AWS::SNS::Topic")[0]["KmsMasterKeyId"] == key_arn


RATES = Path(__file__).parent.parent / "examples" / "exchange_rates" / "app.py"


def test_exchange_rates_example_synthesizes_with_its_backfill(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("rates_app", RATES)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_app(str(tmp_path)).synth()
    template = json.loads((tmp_path / "ExchangeRates.template.json").read_text())
    machines = [
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]  # fmt: skip
    assert sorted(m.get("StateMachineType", "STANDARD") for m in machines) == [
        "EXPRESS", "STANDARD"
    ]  # fmt: skip
    schedule = next(
        r["Properties"] for r in template["Resources"].values()
        if r["Type"] == "AWS::Scheduler::Schedule"
    )  # fmt: skip
    assert schedule["ScheduleExpression"] == "cron(0 1 * * ? *)"
    assert "rates/eur" in json.dumps(template)


def test_cdk_json_carries_the_feature_flags_cdk_init_writes() -> None:
    context = json.loads(CDK_JSON.read_text())["context"]
    # A sample of aws-cdk CLI 2.1148's `cdk init app --language python` (89 keys in all).
    assert len(context) >= 89
    assert context["@aws-cdk/aws-iam:minimizePolicies"] is True
    assert context["@aws-cdk/aws-stepfunctions:useDistributedMapResultWriterV2"] is True
    assert context["@aws-cdk/core:enableAdditionalMetadataCollection"] is True


def test_the_flags_only_merge_the_state_machine_roles_statements(
    built: str, tmp_path: Path
) -> None:
    """`cdk synth` passes cdk.json's context to the app; of every flag, only
    @aws-cdk/aws-iam:minimizePolicies changes the template: it merges each role's log-delivery
    and X-Ray statements (both on `*`) into one. Same actions, same resources."""
    plain = json.loads(built)
    flagged = synthesize(tmp_path / "flagged", json.loads(CDK_JSON.read_text())["context"])

    assert plain["Outputs"] == flagged["Outputs"]
    changed = sorted(
        k for k in plain["Resources"] if plain["Resources"][k] != flagged["Resources"].get(k)
    )
    assert set(plain["Resources"]) == set(flagged["Resources"])
    machines = [
        r for r in plain["Resources"].values() if r["Type"] == "AWS::StepFunctions::StateMachine"
    ]
    assert [flagged["Resources"][k]["Type"] for k in changed] == ["AWS::IAM::Policy"] * len(
        machines
    )
    for key in changed:
        before, after = (
            t["Resources"][key]["Properties"]["PolicyDocument"]["Statement"]
            for t in (plain, flagged)
        )
        assert len(after) < len(before)

        def grants(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
            return {
                (action, json.dumps(resource, sort_keys=True))
                for s in statements
                for action in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                for resource in (s["Resource"] if isinstance(s["Resource"], list)
                                 else [s["Resource"]])
            }  # fmt: skip

        assert grants(before) == grants(after)


def test_alerts_example_may_use_its_topic_key(tmp_path: Path) -> None:
    """The alerts topic is encrypted with a customer-managed key: publishing needs
    kms:GenerateDataKey* and kms:Decrypt on it (SNS developer guide, "Key management")."""
    spec = importlib.util.spec_from_file_location("eve_alerts", EXAMPLE.parent / "alerts.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = module.cdk.App(outdir=str(tmp_path))
    stack = module.EvePlayerCountAlertsStack(app, "EvePlayerCountAlerts")
    template = app.synth().get_stack_by_name("EvePlayerCountAlerts").template
    key_id = stack.get_logical_id(stack.topic.master_key.node.default_child)
    role_policies = [
        r["Properties"]["PolicyDocument"]["Statement"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::IAM::Policy"
        and logical_id.startswith("PlayerCountAlertsStateMachine")
    ]
    [statements] = role_policies
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
    } in statements


GITHUB_EXAMPLE = Path(__file__).parent.parent / "examples" / "github_issues" / "app.py"


def test_github_example_pages_with_the_link_header_through_the_token_injecting_proxy() -> None:
    """The GitHub example, run locally against a stand-in paging as api.github.com does."""
    import aws_cdk as cdk

    from local_helpers import Answer, Seen, running_upstream
    from sfn_downloader.local import LocalRunner

    spec = importlib.util.spec_from_file_location("github_issues_app", GITHUB_EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = cdk.App()
    stack = module.GitHubIssuesStack(app, "GitHubIssues", repository="octo/hello")
    base = "https://api.github.com/repositories/7/issues?state=all&per_page=100"

    def github(seen: Seen) -> Answer:
        if seen.headers.get("authorization") != "Bearer local-token":
            return Answer(401, {"message": "Requires authentication"})
        page = int(seen.query.get("page", ["1"])[0])
        link = {"Link": f'<{base}&page={page + 1}>; rel="next"'} if page < 2 else {}
        return Answer(200, [{"number": page}], link)

    with running_upstream() as upstream:
        upstream.respond(github)
        with LocalRunner(
            stack, upstream={"https://api.github.com": upstream.url},
            secrets={"github/token": "local-token"},
        ) as runner:  # fmt: skip
            execution = runner.run("2026-11-27T05:00:00Z")
            items = runner.items()

    assert execution.status == "SUCCEEDED", execution.cause
    assert [s.path for s in upstream.requests] == [
        "/repos/octo/hello/issues",
        "/repositories/7/issues",
    ]
    assert "user-agent" in upstream.requests[0].headers
    assert [(i["pk"], i["sk"][-2:]) for i in items] == [
        ("github/issues/octo/hello", "#1"), ("github/issues/octo/hello", "#2")
    ]  # fmt: skip
