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
    Scenario,
    build_distributed,
    build_graphql,
    build_own_bucket,
    build_paginators,
    build_timed,
    synth,
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
    return reported(app)


def scenario_findings(scenario: Scenario) -> list[str]:
    """The same over a scenario of conftest.py, already built and synthesized: the checks are
    added to its App, which is synthesized again. Its constructs are not built a second time
    (the 100,000-path ``from_s3`` takes seconds to build); the report is the one a fresh App
    gives (``test_the_check_really_reports_findings``)."""
    app = cdk.Stage.of(scenario.stack)
    assert isinstance(app, cdk.App)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    return reported(app)


def reported(app: cdk.Stage) -> list[str]:
    """Synthesize ``app`` (its checks added); 'Rule path' for every violation reported."""
    try:
        app.synth(force=True)
    except Exception as error:  # cdk-nag fails the synth on findings; the report lists them
        if "ValidationFailed" not in str(error):
            raise
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
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
        "posting",
        "env-bound",
    ],
)
def test_no_findings(build: Callable[[cdk.App], Any], tmp_path: Path) -> None:
    assert findings(tmp_path, build) == []


SCENARIOS = {
    "default": "default",
    "fully-configured": "full",
    "pages": "pages",
    "distributed": "distributed",
    "from-s3": "from_s3",
    "http-task": "http_task",
    "composed": "composed",
    "own-bucket": "own_bucket",
    "on-demand": "on_demand",
    "dashboards": "dashboards",
    "keyed": "keyed",
    "trimmed": "trimmed",
    "paginators": "paginators",
    "paginators-http": "paginators_http",
    "status-actions": "status_actions",
    "status-actions-http": "status_actions_http",
    "from-answer": "from_answer",
    "from-answer-http": "from_answer_http",
    "timed": "timed",
    "timed-http": "timed_http",
    "retry-after": "retry_after",
    "polite": "polite",
    "records": "records",
    "composed-requests": "composed_requests",
}
"""The scenarios checked (test id: conftest.py's fixture), each as its session fixture built it."""


@pytest.mark.parametrize("fixture", SCENARIOS.values(), ids=SCENARIOS.keys())
def test_no_findings_in_the_scenario(fixture: str, request: pytest.FixtureRequest) -> None:
    assert scenario_findings(request.getfixturevalue(fixture)) == []


def unencrypted_queue(stack: cdk.Stack) -> dict[str, Any]:
    sqs.Queue(stack, "Plain", encryption=sqs.QueueEncryption.UNENCRYPTED)
    return {}


def test_the_check_really_reports_findings(tmp_path: Path) -> None:
    """On a fresh App, and on a scenario synthesized before the checks were added (as
    ``scenario_findings`` checks conftest.py's): the same report."""
    fresh = findings(tmp_path, in_stack(unencrypted_queue))
    assert "AwsSolutions-SQS4 TestStack/Plain/Resource" in fresh
    assert scenario_findings(synth(unencrypted_queue)) == fresh
