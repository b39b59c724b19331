"""cdk-nag's AwsSolutions pack: no unacknowledged error or warning, each acknowledgment reasoned."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_sqs as sqs
from cdk_nag import AwsSolutionsChecks
from constructs import Construct

from scenarios import (
    build_composed,
    build_composed_requests,
    build_dashboards,
    build_default,
    build_distributed,
    build_from_answer,
    build_from_answer_http,
    build_from_s3,
    build_full,
    build_graphql,
    build_http_task,
    build_keyed,
    build_on_demand,
    build_own_bucket,
    build_pages,
    build_paginators,
    build_paginators_http,
    build_polite,
    build_records,
    build_retry_after,
    build_status_actions,
    build_status_actions_http,
    build_timed,
    build_timed_http,
    build_trimmed,
)

pytestmark = pytest.mark.slow  # cdk-nag over every scenario and example

EXAMPLE = Path(__file__).parent.parent / "examples" / "eve_player_count"
GITHUB_EXAMPLE = Path(__file__).parent.parent / "examples" / "github_issues"
GRAPHQL_EXAMPLE = Path(__file__).parent.parent / "examples" / "github_graphql"
RATES_EXAMPLE = Path(__file__).parent.parent / "examples" / "exchange_rates"
OAUTH_EXAMPLE = Path(__file__).parent.parent / "examples" / "oauth_window"


def findings(outdir: Path, build: Callable[[cdk.App], Any]) -> list[str]:
    """Synthesize under AwsSolutionsChecks; return 'Rule path' for every violation reported."""
    app = cdk.App(outdir=str(outdir))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    build(app)
    try:
        app.synth()
    except Exception as error:  # cdk-nag fails the synth on findings; the report lists them
        if "ValidationFailed" not in str(error):
            raise
    report = json.loads((outdir / "validation-report.json").read_text())
    return sorted(
        f"{violation['ruleName']} {resource['constructPath']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for resource in violation["violatingConstructs"]
    )


def posting(app: cdk.App) -> None:
    """POST downloaders on both transports, in one app (one synth)."""
    build_graphql(cdk.Stack(app, "Proxy"))
    build_graphql(cdk.Stack(app, "Http"), http_task=True)


def in_stack(build: Callable[[cdk.Stack], Any]) -> Callable[[cdk.App], Any]:
    return lambda app: build(cdk.Stack(app, "TestStack"))


ENV_BOUND_SCENARIOS = (build_paginators, build_distributed, build_timed, build_own_bucket)
"""Every scenario whose acknowledgments name the region or account in an ARN: a link_header
and a computed path (execute-api ``GET/*``), a Distributed Map and a backfill (``execution:``),
an archive prefix (S3)."""


def env_bound(app: cdk.App) -> None:
    """Issue 26, 10: with an explicit ``env`` the ARNs hold literal values, not the
    pseudo-parameters. One stack holds the scenarios (one synth), each under its own scope."""
    env = cdk.Environment(account="123456789012", region="eu-west-1")
    stack = cdk.Stack(app, "EnvStack", env=env)
    for build in ENV_BOUND_SCENARIOS:
        build(Construct(stack, build.__name__.removeprefix("build_")))


def eve_example(app: cdk.App) -> None:
    sys.path.insert(0, str(EXAMPLE))
    try:
        from app import EvePlayerCountStack  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLE))
    EvePlayerCountStack(app, "EvePlayerCount")


def eve_alerts_example(app: cdk.App) -> None:
    sys.path.insert(0, str(EXAMPLE))
    try:
        from alerts import EvePlayerCountAlertsStack  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(EXAMPLE))
    EvePlayerCountAlertsStack(app, "EvePlayerCountAlerts")


def github_example(app: cdk.App) -> None:
    # Loaded by file: the EVE example's module is also named "app".
    spec = importlib.util.spec_from_file_location("github_issues_app", GITHUB_EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.GitHubIssuesStack(app, "GitHubIssues", repository="aws/aws-cdk")


def github_graphql_example(app: cdk.App) -> None:
    spec = importlib.util.spec_from_file_location("github_graphql_app", GRAPHQL_EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.GitHubGraphqlStack(app, "GitHubGraphql", repository="aws/aws-cdk")


def rates_example(app: cdk.App) -> None:
    # Loaded by file: the EVE example's module is already imported as "app".
    spec = importlib.util.spec_from_file_location("rates_app", RATES_EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.ExchangeRatesStack(app, "ExchangeRates")


def oauth_window_example(app: cdk.App) -> None:
    spec = importlib.util.spec_from_file_location("oauth_window_app", OAUTH_EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.OAuthWindowStack(app, "OAuthWindow")


@pytest.mark.parametrize(
    "build",
    [
        eve_example,
        github_example,
        github_graphql_example,
        eve_alerts_example,
        rates_example,
        oauth_window_example,
        in_stack(build_default),
        in_stack(build_full),
        in_stack(build_pages),
        in_stack(build_distributed),
        in_stack(build_from_s3),
        in_stack(build_http_task),
        in_stack(build_composed),
        in_stack(build_own_bucket),
        in_stack(build_on_demand),
        in_stack(build_dashboards),
        in_stack(build_keyed),
        in_stack(build_trimmed),
        in_stack(build_paginators),
        in_stack(build_paginators_http),
        in_stack(build_status_actions),
        in_stack(build_status_actions_http),
        in_stack(build_from_answer),
        in_stack(build_from_answer_http),
        in_stack(build_timed),
        in_stack(build_timed_http),
        in_stack(build_retry_after),
        in_stack(build_polite),
        in_stack(build_records),
        in_stack(build_composed_requests),
        posting,
        env_bound,
    ],
    ids=[
        "eve-example",
        "github-example",
        "github-graphql-example",
        "eve-alerts-example",
        "rates-example",
        "oauth-window-example",
        "default",
        "fully-configured",
        "pages",
        "distributed",
        "from-s3",
        "http-task",
        "composed",
        "own-bucket",
        "on-demand",
        "dashboards",
        "keyed",
        "trimmed",
        "paginators",
        "paginators-http",
        "status-actions",
        "status-actions-http",
        "from-answer",
        "from-answer-http",
        "timed",
        "timed-http",
        "retry-after",
        "polite",
        "records",
        "composed-requests",
        "posting",
        "env-bound",
    ],
)
def test_no_findings(build: Callable[[cdk.App], Any], tmp_path: Path) -> None:
    assert findings(tmp_path, build) == []


def test_the_check_really_reports_findings(tmp_path: Path) -> None:
    unencrypted = in_stack(
        lambda stack: sqs.Queue(stack, "Plain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    )
    reported = findings(tmp_path, unencrypted)
    assert "AwsSolutions-SQS4 TestStack/Plain/Resource" in reported
