"""The EVE example app synthesizes with this library."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

EXAMPLE = Path(__file__).parent.parent / "examples" / "eve_player_count" / "app.py"


def test_example_synthesizes(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("eve_app", EXAMPLE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_app(str(tmp_path)).synth()
    template = json.loads((tmp_path / "EvePlayerCount.template.json").read_text())
    types = sorted(r["Type"] for r in template["Resources"].values())
    # The player count and, composed with it, The Forge's market types and the history of a
    # few of them (one shared table).
    assert types.count("AWS::StepFunctions::StateMachine") == 3
    assert types.count("AWS::Scheduler::Schedule") == 3
    assert types.count("AWS::DynamoDB::Table") == 1
    assert "eve/player-count" in json.dumps(template)
    assert "eve/market-types/the-forge" in json.dumps(template)
    assert "eve/market-history/the-forge" in json.dumps(template)


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
