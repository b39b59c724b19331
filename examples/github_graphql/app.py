"""Every issue of a GitHub repository through GitHub's GraphQL API, every hour.

GitHub's GraphQL API takes one ``POST /graphql`` whose JSON body holds the query and its
variables; it pages with a cursor (``pageInfo.endCursor``) that the next request carries as the
``after`` variable, and says when there is no more (``pageInfo.hasNextPage``; the last page's
``endCursor`` is not null). ``Pagination.cursor(body_path=..., has_more_path=...)`` does exactly
that. GraphQL answers errors with HTTP 200 and an ``errors`` list: the downloader stores no such
answer and fails the run with ``Downloader.AnswerErrors`` naming the page.

The token lives in Secrets Manager; the proxy injects it as ``Authorization``
(``AuthHeader.from_secret``), so Step Functions never sees it. ``python app.py`` writes
``cdk.out``; ``npx cdk synth -c repository=owner/name`` picks another repository. Create the
secret first: ``aws secretsmanager create-secret --name github/token --secret-string <a
fine-grained token with read access to issues>``.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from sfn_downloader import AuthHeader, DownloaderPattern, ItemField, Pagination, Starts

TOKEN_SECRET = "github/token"
"""The Secrets Manager secret holding the GitHub token (the whole secret string)."""
PER_PAGE = 100
"""GitHub's largest GraphQL page (``first`` may be 1 to 100)."""
QUERY = """query($owner: String!, $name: String!, $first: Int!, $after: String) {
  repository(owner: $owner, name: $name) {
    issues(first: $first, after: $after, orderBy: {field: UPDATED_AT, direction: ASC}) {
      nodes { number title state updatedAt }
      pageInfo { endCursor hasNextPage }
    }
  }
}"""
"""The repository's issues, oldest update first; the braces are GraphQL's, sent as written."""
ISSUES = "$.ResponseBody.data.repository.issues"


class GitHubGraphqlStack(cdk.Stack):
    """One downloader: the issues of ``repository`` through GraphQL, every hour, a page an
    item."""

    def __init__(
        self, scope: Construct, construct_id: str, *, repository: str, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        owner, name = repository.split("/", 1)
        token = secretsmanager.Secret.from_secret_name_v2(self, "GitHubToken", TOKEN_SECRET)
        self.issues = DownloaderPattern(
            self,
            "Issues",
            endpoint="https://api.github.com",
            path="/graphql",
            method="POST",
            body={"query": QUERY, "variables": {"owner": owner, "name": name, "first": PER_PAGE}},
            pagination=Pagination.cursor(
                next_path=f"{ISSUES}.pageInfo.endCursor",
                has_more_path=f"{ISSUES}.pageInfo.hasNextPage",
                body_path="$.variables.after",
                max_pages=50,
            ),
            auth_header=AuthHeader.from_secret(token, prefix="Bearer "),
            headers={"User-Agent": "sfn-downloader-example"},  # GitHub refuses requests without
            result_selector={"issues.$": f"{ISSUES}.nodes"},
            item={"issues": ItemField.json("$.issues")},
            starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
            downloader_id=f"github/graphql-issues/{repository}",
        )


def build_app(outdir: str | None = None, repository: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    GitHubGraphqlStack(
        app,
        "GitHubGraphql",
        repository=repository or app.node.try_get_context("repository") or "aws/aws-cdk",
    )
    return app


if __name__ == "__main__":
    build_app().synth()
