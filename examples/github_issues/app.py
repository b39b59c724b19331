"""The issues of a GitHub repository that changed since the last run, every hour, page after page.

GitHub pages its REST API with an RFC 8288 ``Link`` header
(``<https://api.github.com/repositories/4139637/issues?...&page=2>; rel="next"``), and its next
links change the path (``/repos/aws/aws-cdk/...`` becomes ``/repositories/4139637/...``):
``Pagination.link_header()`` follows them, on api.github.com only. Each run asks only for what
changed since the newest ``updated_at`` the last run stored (``Incremental``: ``since=`` on the
first page; GitHub writes it into its next links), and the mark moves once every page is
stored. The token lives in Secrets Manager; the proxy injects it as ``Authorization``
(``AuthHeader.from_secret``), so Step Functions never sees it. Each issue is also stored as
its own record (``Records.merge`` keyed by ``number``, the newest ``updated_at`` kept), so the
table holds every issue as it is now, whatever page it came in.

GitHub's rate limits are waited out (``retry_after``): a ``429`` or a secondary limit's
``403`` with ``retry-after``, and the primary limit's ``403`` with ``x-ratelimit-remaining:
0``, until ``x-ratelimit-reset``; a ``403`` without them (no access) fails the run. The proxy
that hands a throttled answer's headers over maps query parameters by name: GitHub's next
links carry the path's own (``state``, ``sort``, ``direction``, ``per_page``), ``since`` and
``page``; a link with any other is not requested (``Downloader.UnmappedQueryName``). Each page
remembers its ETag (``conditional=True``): a page asked again with the same URL (the mark did not
move) is sent ``If-None-Match``, and GitHub's ``304`` does not count against the rate limit.

``python app.py`` writes ``cdk.out``; ``npx cdk synth -c repository=owner/name`` picks another
repository. Create the secret first: ``aws secretsmanager create-secret --name github/token
--secret-string <a fine-grained token with read access to issues>``.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from sfn_downloader import (
    AuthHeader,
    DownloaderPattern,
    Incremental,
    ItemField,
    Pagination,
    Records,
    RetryAfter,
    Starts,
)

TOKEN_SECRET = "github/token"
"""The Secrets Manager secret holding the GitHub token (the whole secret string)."""
PER_PAGE = 100
"""GitHub's largest page. An issue is 2 to 4 KB of JSON: a page of 100 stays under the 256 KiB
a Step Functions task may return unless the issues' bodies are long; if a run fails with
States.DataLimitExceeded, lower it."""


SINCE = "2026-01-01T00:00:00Z"
"""The first run asks for the issues updated since then."""


def issues_path(repository: str) -> str:
    """Every issue (and pull request) of ``repository``, oldest update first (``since`` is
    added by ``Incremental``)."""
    return f"/repos/{repository}/issues?state=all&sort=updated&direction=asc&per_page={PER_PAGE}"


class GitHubIssuesStack(cdk.Stack):
    """One downloader: the issues of ``repository`` changed since the last run, every hour, a
    page an item."""

    def __init__(
        self, scope: Construct, construct_id: str, *, repository: str, **kwargs: object
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        token = secretsmanager.Secret.from_secret_name_v2(self, "GitHubToken", TOKEN_SECRET)
        self.issues = DownloaderPattern(
            self,
            "Issues",
            endpoint="https://api.github.com",
            path=issues_path(repository),
            pagination=Pagination.link_header(max_pages=50, query_names=["page"]),
            incremental=Incremental(
                cursor_path="$.ResponseBody[*].updated_at", param="since", initial=SINCE
            ),
            # Each issue its own item, the newest version kept: "issue #1234 as it is now" is
            # one GetItem (DownloaderTable.record(1234)), every issue one Query.
            records=Records.merge(items="$.ResponseBody", key="number", version="updated_at"),
            # GitHub's rate limits (REST API docs, "Rate limits for the REST API"): 429, or 403
            # with x-ratelimit-remaining 0 (wait until x-ratelimit-reset) or retry-after. A
            # reset further away than max_wait fails the run; the next hourly run asks again.
            # Each page remembers its ETag: a page asked again with the same URL (the mark did
            # not move) is sent If-None-Match, and GitHub's 304 does not count against the
            # rate limit; the loop goes on from the page's remembered next link.
            conditional=True,
            retry_after=RetryAfter(
                max_wait=cdk.Duration.minutes(3),
                reset_header="x-ratelimit-reset",
                remaining_header="x-ratelimit-remaining",
                limited_statuses=[403],
            ),
            auth_header=AuthHeader.from_secret(token, prefix="Bearer "),
            headers={
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "sfn-downloader-example",  # GitHub refuses requests without one
            },
            item={"issues": ItemField.json("$.ResponseBody")},
            starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
            downloader_id=f"github/issues/{repository}",
        )


def build_app(outdir: str | None = None, repository: str | None = None) -> cdk.App:
    """The example app; ``outdir`` defaults to ``cdk.out`` (or the CLI's CDK_OUTDIR)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    GitHubIssuesStack(
        app,
        "GitHubIssues",
        repository=repository or app.node.try_get_context("repository") or "aws/aws-cdk",
    )
    return app


if __name__ == "__main__":
    build_app().synth()
