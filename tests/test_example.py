"""The EVE example synthesizes with this library, also under the feature flags of cdk.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from scenarios import rendered_definition

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
    """The GitHub example, run locally against a stand-in paging as api.github.com does:
    ``since`` on the first page (GitHub keeps it in its links), the mark moved to the newest
    ``updated_at`` of every page, and the next run asking from there."""
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

    updated = {1: "2026-11-20T10:00:00Z", 2: "2026-11-26T10:00:00Z"}

    def github(seen: Seen) -> Answer:
        if seen.headers.get("authorization") != "Bearer local-token":
            return Answer(401, {"message": "Requires authentication"})
        page = int(seen.query.get("page", ["1"])[0])
        since = seen.query["since"][0]
        link = f'<{base}&since={since}&page={page + 1}>; rel="next"'
        issue = {"number": page, "updated_at": updated[page]}
        return Answer(200, [issue], {"Link": link} if page < 2 else {})

    with running_upstream() as upstream:
        upstream.respond(github)
        with LocalRunner(
            stack, upstream={"https://api.github.com": upstream.url},
            secrets={"github/token": "local-token"},
        ) as runner:  # fmt: skip
            execution = runner.run("2026-11-27T05:00:00Z")
            first_requests = list(upstream.requests)
            updated[2] = "2026-11-27T06:00:00Z"
            upstream.respond(github)
            later = runner.run("2026-11-27T06:00:00Z")
            items = runner.items()
            records = {r["number"]: r["updated_at"] for r in runner.table().records()}

    assert execution.status == "SUCCEEDED", execution.cause
    assert [(s.path, s.query["since"]) for s in first_requests] == [
        ("/repos/octo/hello/issues", ["2026-01-01T00:00:00Z"]),
        ("/repositories/7/issues", ["2026-01-01T00:00:00Z"]),
    ]
    assert "user-agent" in first_requests[0].headers
    assert later.status == "SUCCEEDED", later.cause
    assert upstream.requests[0].query["since"] == ["2026-11-26T10:00:00Z"]  # the newest of run 1
    [state] = [i for i in items if i["sk"] == "#state"]
    assert state["mark"] == "2026-11-27T06:00:00Z"
    pages = sorted(i["sk"] for i in items if i["sk"].startswith("2026-11-27T05:00:00Z"))
    assert pages == [f"2026-11-27T05:00:00Z#{execution.name}#{n}" for n in (1, 2)]
    # Records: one item an issue, the newer version of #2 kept.
    assert records == {1: "2026-11-20T10:00:00Z", 2: "2026-11-27T06:00:00Z"}


OAUTH_EXAMPLE = Path(__file__).parent.parent / "examples" / "oauth_window" / "app.py"


def oauth_module() -> Any:
    spec = importlib.util.spec_from_file_location("oauth_window_app", OAUTH_EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_oauth_window_example_synthesizes_an_http_task_with_an_oauth_connection(
    tmp_path: Path,
) -> None:
    """Issue 23's example: OAuth2 client credentials (only an EventBridge connection holds
    them, only the HTTP Task uses one) and an hourly window computed each run."""
    module = oauth_module()
    module.build_app(str(tmp_path)).synth()
    template = json.loads((tmp_path / "OAuthWindow.template.json").read_text())
    resources = template["Resources"].values()
    [connection] = [r["Properties"] for r in resources if r["Type"] == "AWS::Events::Connection"]
    assert connection["AuthorizationType"] == "OAUTH_CLIENT_CREDENTIALS"
    oauth = connection["AuthParameters"]["OAuthParameters"]
    assert oauth["AuthorizationEndpoint"] == module.TOKEN_ENDPOINT
    # The client secret is a dynamic reference to Secrets Manager, never a value.
    assert "{{resolve:secretsmanager:" in json.dumps(oauth["ClientParameters"]["ClientSecret"])
    assert module.CLIENT_SECRET in json.dumps(oauth["ClientParameters"]["ClientSecret"])
    assert not [r for r in resources if r["Type"].startswith("AWS::ApiGateway::")]
    assert [r["Type"] for r in resources].count("AWS::StepFunctions::StateMachine") == 1
    asl = json.loads(rendered_definition(template))
    download = asl["States"]["Download"]
    assert download["Resource"] == "arn:aws:states:::http:invoke"
    # the window is computed in the checked download's Arguments (issue 25 item 14): the hour
    # before the scheduled time
    query = download["Arguments"]["QueryParameters"]
    assert "$toMillis($states.context.Execution.Input.scheduledTime) - 3600000" in query
    assert list(asl["States"]) == ["Download", "SelectDownload", "Persist", "AnswerCompressed"]


def test_oauth_window_example_asks_each_hour_with_the_token() -> None:
    """Two hourly runs against a stand-in for the token endpoint and the API: one token, each
    request carries it and asks for the hour before its scheduled time."""
    import aws_cdk as cdk

    from local_helpers import Answer, Seen, running_upstream
    from sfn_downloader.local import LocalRunner

    module = oauth_module()
    app = cdk.App()
    stack = module.OAuthWindowStack(app, "OAuthWindow")

    def both(seen: Seen) -> Answer:
        if seen.path == "/oauth2/token":
            assert "scope=readings%3Aread" in seen.body.decode()
            return Answer(200, {"access_token": "tok", "token_type": "Bearer"})
        if seen.headers.get("authorization") != "Bearer tok":
            return Answer(401, {"message": "token required"})
        return Answer(200, {"readings": [{"at": seen.query["start"][0]}]})

    with running_upstream() as upstream:
        upstream.respond(both)
        routes = {module.ENDPOINT: upstream.url, "https://auth.telemetry.example": upstream.url}
        with LocalRunner(
            stack, upstream=routes, secrets={module.CLIENT_SECRET: "local-secret"}
        ) as runner:
            runs = [runner.run(f"2026-11-27T{h:02d}:00:00Z") for h in (5, 6)]
            items = sorted(runner.items(), key=lambda i: i["sk"])

    assert [r.status for r in runs] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in runs]
    token, *api = upstream.requests
    assert token.path == "/oauth2/token"
    assert [(s.query["start"], s.query["end"]) for s in api] == [
        (["2026-11-27T04:00:00Z"], ["2026-11-27T05:00:00Z"]),
        (["2026-11-27T05:00:00Z"], ["2026-11-27T06:00:00Z"]),
    ]
    assert [(i["sk"], i["count"]) for i in items] == [
        ("2026-11-27T05:00:00Z", 1), ("2026-11-27T06:00:00Z", 1),
    ]  # fmt: skip


def test_the_readme_prices_the_github_example_as_the_cost_model_does() -> None:
    """README's and docs/costs.md's figures for 1,000 issues an hour (10 pages of 100 records)
    are the cost model's for the example as it ships."""
    import re

    import aws_cdk as cdk

    from sfn_downloader import estimate_monthly_cost

    spec = importlib.util.spec_from_file_location("github_issues_app", GITHUB_EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stack = module.GitHubIssuesStack(cdk.App(), "GitHubIssues", repository="octo/hello")
    pattern = stack.issues
    shape = {"pages_per_run": 10, "records_per_answer": 100}
    express = estimate_monthly_cost(pattern, workflow_type="EXPRESS", duration_ms=20000, **shape)
    standard = estimate_monthly_cost(pattern, workflow_type="STANDARD", **shape)
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    said = re.search(
        r"about \*\*\$([0-9.]+) a month\*\* on Express, \$([0-9.]+) on Standard \(([0-9,]+) "
        r"transitions a run\)", readme,
    )  # fmt: skip
    assert said is not None
    assert (float(said[1]), float(said[2]), int(said[3].replace(",", ""))) == (
        round(express.total, 2), round(standard.total, 2), standard.transitions_per_run
    )  # fmt: skip
    costs = (Path(__file__).parent.parent / "docs" / "costs.md").read_text()
    assert f"{standard.transitions_per_run:,} transitions a run" in costs
    assert f"**${standard.total:.2f}** on Standard" in costs
    # The same downloader without records: what docs/costs.md compares them with.
    from aws_cdk import aws_scheduler as scheduler

    from sfn_downloader import (
        DownloaderPattern,
        Incremental,
        ItemField,
        Pagination,
        RetryAfter,
        Starts,
    )

    plain = DownloaderPattern(
        cdk.Stack(cdk.App(), "Plain"), "Issues", endpoint="https://api.github.com",
        path=module.issues_path("octo/hello"),
        pagination=Pagination.link_header(max_pages=50, query_names=["page"]),
        incremental=Incremental(cursor_path="$.ResponseBody[*].updated_at", param="since",
                                initial=module.SINCE),
        conditional=True,
        retry_after=RetryAfter(
            max_wait=cdk.Duration.minutes(3), reset_header="x-ratelimit-reset",
            remaining_header="x-ratelimit-remaining", limited_statuses=[403],
        ),
        item={"issues": ItemField.json("$.ResponseBody")},
        starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
    )  # fmt: skip
    pages = {"pages_per_run": 10}
    plain_express = estimate_monthly_cost(
        plain, workflow_type="EXPRESS", duration_ms=20000, **pages
    )
    plain_standard = estimate_monthly_cost(plain, workflow_type="STANDARD", **pages)
    assert (
        f"is {plain_standard.transitions_per_run} transitions a run:\n"
        f"${plain_express.total:.2f} a month on Express, ${plain_standard.total:.2f} on Standard"
    ) in costs
    extra = standard.transitions_per_run - plain_standard.transitions_per_run
    assert f"their {extra:,} transitions a run" in costs
    writes = [
        sum(i.quantity for i in e.line_items if i.service == "DynamoDB on-demand writes")
        for e in (express, plain_express)
    ]
    assert f"The records' {writes[0] - writes[1]:,.0f} writes a month" in costs
