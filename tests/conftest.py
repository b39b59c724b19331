"""Shared fixtures: each scenario is synthesized once per session."""

from __future__ import annotations

import pytest

from scenarios import (
    Scenario,
    build_composed,
    build_composed_requests,
    build_cursor,
    build_dashboards,
    build_default,
    build_distributed,
    build_fanout,
    build_from_answer,
    build_from_answer_http,
    build_from_s3,
    build_from_secret,
    build_full,
    build_graphql,
    build_graphql_http,
    build_http_task,
    build_keyed,
    build_on_demand,
    build_own_bucket,
    build_pages,
    build_paginators,
    build_paginators_http,
    build_polite,
    build_records,
    build_retained,
    build_retry_after,
    build_shared_table,
    build_status_actions,
    build_status_actions_http,
    build_timed,
    build_timed_http,
    build_trimmed,
    synth,
)

pytest_plugins = ["local_fixtures", "xdist_balance"]
"""The local-run fixtures (stand-in upstream, runners): defined once for every module; the order
in which ``make test``'s workers get the test files (``xdist_balance.py``)."""


@pytest.fixture(scope="session")
def default() -> Scenario:
    """The README's minimal example: every default."""
    return synth(build_default)


@pytest.fixture(scope="session")
def full() -> Scenario:
    """Every prop set."""
    return synth(build_full)


@pytest.fixture(scope="session")
def from_secret() -> Scenario:
    """The proxy injects a Secrets Manager secret as Authorization."""
    return synth(build_from_secret)


@pytest.fixture(scope="session")
def shared_table() -> Scenario:
    """Two downloaders in one stack sharing one table."""
    return synth(build_shared_table)


@pytest.fixture(scope="session")
def fanout() -> Scenario:
    """A path template over three region ids (inline Map)."""
    return synth(build_fanout)


@pytest.fixture(scope="session")
def distributed() -> Scenario:
    """Paths over the inline Map's ceiling (Distributed Map)."""
    return synth(build_distributed)


@pytest.fixture(scope="session")
def from_s3() -> Scenario:
    """100,000 paths a day read from S3 (Distributed Map, ItemReader, ItemBatcher)."""
    return synth(build_from_s3)


@pytest.fixture(scope="session")
def pages() -> Scenario:
    """X-Pages pagination."""
    return synth(build_pages)


@pytest.fixture(scope="session")
def cursor() -> Scenario:
    """Cursor pagination."""
    return synth(build_cursor)


@pytest.fixture(scope="session")
def http_task() -> Scenario:
    """The HTTP Task with an API-key connection."""
    return synth(build_http_task)


@pytest.fixture(scope="session")
def retained() -> Scenario:
    """retention on one path and on a fan-out."""
    return synth(build_retained)


@pytest.fixture(scope="session")
def composed() -> Scenario:
    """Post-processing (SQS, SNS, EventBridge) after DynamoDB and a created bucket."""
    return synth(build_composed)


@pytest.fixture(scope="session")
def own_bucket() -> Scenario:
    """The raw answer archived in the user's KMS-encrypted bucket."""
    return synth(build_own_bucket)


@pytest.fixture(scope="session")
def dashboards() -> Scenario:
    """A dashboard of its own, and one shared by two downloaders (proxy pages, HTTP Task)."""
    return synth(build_dashboards)


@pytest.fixture(scope="session")
def on_demand() -> Scenario:
    """On demand only (granted to a role), and on a schedule plus on demand."""
    return synth(build_on_demand)


@pytest.fixture(scope="session")
def keyed() -> Scenario:
    """Overridden runs keyed by their values, a Slack-like cursor, one table."""
    return synth(build_keyed)


@pytest.fixture(scope="session")
def retry_after() -> Scenario:
    """retry_after: a status with a selector; a reset header with on_status and a credential."""
    return synth(build_retry_after)


@pytest.fixture(scope="session")
def trimmed() -> Scenario:
    """trim: every page of the orders, a single request with headers, a cursor, a summary."""
    return synth(build_trimmed)


@pytest.fixture(scope="session")
def paginators() -> Scenario:
    """Each next-page paginator (Link header, next URL, offset, page number) on the proxy."""
    return synth(build_paginators)


@pytest.fixture(scope="session")
def paginators_http() -> Scenario:
    """Each next-page paginator on the HTTP Task."""
    return synth(build_paginators_http)


@pytest.fixture(scope="session")
def status_actions() -> Scenario:
    """on_status on each shape (one request, fan-out of paged paths, page loop, cursor, X-Pages)."""
    return synth(build_status_actions)


@pytest.fixture(scope="session")
def status_actions_http() -> Scenario:
    """on_status on each shape, on the HTTP Task."""
    return synth(build_status_actions_http)


@pytest.fixture(scope="session")
def from_answer() -> Scenario:
    """Requests found in another answer (FanOut.from_answer), with and without pages."""
    return synth(build_from_answer)


@pytest.fixture(scope="session")
def from_answer_http() -> Scenario:
    """FanOut.from_answer on the HTTP Task."""
    return synth(build_from_answer_http)


@pytest.fixture(scope="session")
def timed() -> Scenario:
    """The day's rates (placeholders, backfill), hourly windows, an incremental mark."""
    return synth(build_timed)


@pytest.fixture(scope="session")
def timed_http() -> Scenario:
    """The same through the HTTP Task (OAuth for the window), a POST body, query overrides."""
    return synth(build_timed_http)


@pytest.fixture(scope="session")
def polite() -> Scenario:
    """Issue 16: conditional (ETag, Last-Modified through trim), changes only, freshness."""
    return synth(build_polite)


@pytest.fixture(scope="session")
def graphql() -> Scenario:
    """POST downloaders (issue 22): GraphQL with its cursor in the body, a JSON POST paged by a
    query parameter, a GraphQL request with time placeholders in its variables."""
    return synth(build_graphql)


@pytest.fixture(scope="session")
def graphql_http() -> Scenario:
    """The POST downloaders on the HTTP Task."""
    return synth(build_graphql_http)


@pytest.fixture(scope="session")
def records() -> Scenario:
    """Records merged from one answer and appended from pages, in a shared table."""
    return synth(build_records)


@pytest.fixture(scope="session")
def composed_requests() -> Scenario:
    """Issue 23: every feature an ingestion job needs, together, on each shape."""
    return synth(build_composed_requests)
