"""Runs that cannot finish on AWS are refused at synth, with the arithmetic: a Standard
execution's 25,000 history events, ``States.ArrayRange``'s 1,000 items, the run's timeout."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    ItemField,
    Pagination,
)

ITEM = {"body": ItemField.json("$.ResponseBody")}
STANDARD = sfn.StateMachineType.STANDARD
HOUR = cdk.Duration.hours(1)


def build(**props: Any) -> DownloaderPattern:
    stack = cdk.Stack(cdk.App(), "Limits")
    merged = {"endpoint": "https://api.example.com", "path": "/v1/feed", "item": ITEM, **props}
    return DownloaderPattern(stack, "P", **merged)


def cursor(max_pages: int) -> Pagination:
    return Pagination.cursor(next_path="$.ResponseBody.next", max_pages=max_pages)


def paths(count: int) -> FanOut:
    return FanOut.path_values({"n": list(range(count))})


def test_a_standard_cursor_loop_over_the_history_quota_is_refused() -> None:
    """16 events a page (DownloadPage 5, NextRequest 2, SelectPage 2, PersistPage 5,
    MorePages 2, per the HistoryEvent types), 3 more for a retry: 2,000 pages need
    38,040 of the 25,000."""
    with pytest.raises(
        DownloaderConfigError,
        match=r"pagination\.max_pages=2000: would need 38,040 history events \(2,000 pages x "
        r"\(16 events \+ 3 for one retry\) \+ 40 for the rest of the run\), more than the "
        r"25,000 a Standard execution holds.*Fix: use max_pages=1313 or less, or "
        r"workflow_type=StateMachineType\.EXPRESS",
    ):
        build(pagination=cursor(2000), workflow_type=STANDARD, timeout=HOUR)


def test_a_standard_cursor_loop_up_to_the_bound_is_accepted() -> None:
    build(pagination=cursor(1313), workflow_type=STANDARD, timeout=HOUR)


def test_an_express_cursor_loop_longer_than_five_minutes_is_refused() -> None:
    """Express keeps no history, but runs at most 5 minutes: pages one after another at 0.3 s."""
    with pytest.raises(
        DownloaderConfigError,
        match=r"pagination\.max_pages=10000: means 10,000 pages one after another: at least "
        r"3,000 s at 0\.3 s a request \(with its putItem\), more than the run's timeout of "
        r"300 s\..*Fix: use max_pages=1000 or less",
    ):
        build(pagination=cursor(10_000))


def test_an_express_cursor_loop_that_fits_five_minutes_is_accepted() -> None:
    build(pagination=cursor(1000))


def test_page_count_over_array_range_is_refused() -> None:
    """ "Intrinsic functions": States.ArrayRange produces at most 1,000 items, so ListPages
    (pages 2..N) can list at most 1,001 pages."""
    with pytest.raises(
        DownloaderConfigError,
        match=r"pagination\.max_pages=1002: is over 1,001: pages 2\.\.N are listed with "
        r"States\.ArrayRange\(2, N, 1\), which produces at most 1,000 items.*Fix: use "
        r"max_pages=1,001 or less",
    ):
        build(pagination=Pagination.page_count(max_pages=1002))


def test_page_count_up_to_array_range_is_accepted() -> None:
    build(pagination=Pagination.page_count(max_pages=1001))


def test_page_count_one_at_a_time_past_the_timeout_is_refused() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"pagination\.max_pages=1001: means the first page, then 1,000 more, 1 at a time "
        r"\(1,000 rounds one after another\): at least 300.3 s",
    ):
        build(pagination=Pagination.page_count(max_pages=1001), concurrency=Concurrency.inline(1))


def test_a_standard_inline_fan_out_over_the_history_quota_is_refused() -> None:
    """An inline Map's iterations are in the parent's history: 12 events a path (iteration 2,
    Download 5, Persist 5), 3 more for a retry."""
    with pytest.raises(
        DownloaderConfigError,
        match=r"fan_out='<2,000 paths>': would need 30,040 history events \(2,000 paths x "
        r"\(12 events \+ 3 for one retry\).*Fix: use concurrency=Concurrency\.distributed\(n\)",
    ):
        build(path="/v1/items/{n}", fan_out=paths(2000), workflow_type=STANDARD)


def test_a_distributed_fan_out_keeps_each_request_in_its_own_history() -> None:
    build(path="/v1/items/{n}", fan_out=paths(2000), concurrency=Concurrency.distributed(100))


def test_an_express_fan_out_one_at_a_time_past_five_minutes_is_refused() -> None:
    with pytest.raises(
        DownloaderConfigError,
        match=r"fan_out='<2,000 paths>': means 2,000 requests, 1 at a time \(2,000 rounds one "
        r"after another\): at least 600 s.*Fix: use a higher concurrency",
    ):
        build(path="/v1/items/{n}", fan_out=paths(2000), concurrency=Concurrency.inline(1))


@pytest.mark.parametrize(
    "pagination",
    [
        Pagination.page_number(max_pages=3000),
        Pagination.offset(max_pages=3000),
        Pagination.link_header(max_pages=3000),
        Pagination.next_url(max_pages=3000),
    ],
    ids=["page_number", "offset", "link_header", "next_url"],
)
def test_every_page_loop_over_the_history_quota_is_refused(pagination: Pagination) -> None:
    """``page_number(max_pages=3000)`` on Standard used to synthesize and fail after about
    1,300 pages were stored (issue 23): every one-after-another paginator is bounded as the
    cursor is."""
    with pytest.raises(DownloaderConfigError, match=(
        r"pagination\.max_pages=3000: would need 57,040 history events \(3,000 pages x "
        r"\(16 events \+ 3 for one retry\) \+ 40 for the rest of the run\).*"
        r"Fix: use max_pages=1313 or less"
    )):  # fmt: skip
        build(pagination=pagination, workflow_type=STANDARD, timeout=HOUR)


def test_every_page_of_every_path_counts_on_standard() -> None:
    """100 paths x 100 pages in an inline Map share one history."""
    with pytest.raises(DownloaderConfigError, match=(
        r"pagination\.max_pages=100: would need 190,040 history events \(10,000 pages of all "
        r"paths x .*Fix: keep max_pages x paths at 1313 or less, or use "
        r"concurrency=Concurrency\.distributed"
    )):  # fmt: skip
        build(
            path="/v1/{n}",
            fan_out=paths(100),
            pagination=Pagination.page_number(max_pages=100),
            workflow_type=STANDARD,
            timeout=cdk.Duration.hours(4),
        )
    # Each path its own child execution: each history holds one path's pages.
    build(path="/v1/{n}", fan_out=paths(100), pagination=Pagination.page_number(max_pages=100),
          workflow_type=STANDARD, timeout=cdk.Duration.hours(4),
          concurrency=Concurrency.distributed(10))  # fmt: skip


def test_every_page_of_every_listed_item_must_fit_express() -> None:
    """``from_answer`` x pages: as many paths as a run may request (max_items, or 1,000), each
    path's pages one after another, ``concurrency`` paths at a time."""
    with pytest.raises(DownloaderConfigError, match=(
        r"pagination\.max_pages=20: means 20 pages of each of 1,000 paths one after another, 10 "
        r"paths at a time \(2,000 rounds\): at least 600 s .*more than the run's timeout of 300 s"
    )):  # fmt: skip
        build(path=None, fan_out=FanOut.from_answer(path="/v1/t", each="/v1/h/{item}"),
              pagination=Pagination.page_number(max_pages=20))  # fmt: skip
    build(path=None, fan_out=FanOut.from_answer(path="/v1/t", each="/v1/h/{item}", max_items=100),
          pagination=Pagination.page_number(max_pages=20))  # fmt: skip
