"""Cost model for paginated runs: transitions, API requests and writes per page, per kind."""

from __future__ import annotations

import pytest

from sfn_downloader import estimate_monthly_cost
from sfn_downloader.cost import CostModelError

from scenarios import Scenario

RUNS = 43_200  # one run a minute, 30 days


def per_run(
    scenario: Scenario, name: str, pages: int, requests: int | None = None
) -> tuple[int, float, float]:
    estimate = estimate_monthly_cost(
        scenario.patterns[name], workflow_type="STANDARD", pages_per_run=pages,
        requests_per_run=requests,
    )  # fmt: skip
    quantities = {item.service: item.quantity / RUNS for item in estimate.line_items}
    return (
        estimate.transitions_per_run,
        quantities.get("API Gateway REST", 0),
        quantities.get("DynamoDB on-demand writes", 0),
    )


@pytest.mark.parametrize(
    ("name", "first", "each"),
    [("Issues", 5, 3), ("Offset", 5, 3), ("Numbers", 5, 3), ("People", 5, 3)],
    ids=["link_header", "offset", "page_number", "next_url-with-selector"],
)
def test_a_page_loop_costs_three_transitions_a_page(
    paginators: Scenario, name: str, first: int, each: int
) -> None:
    # FirstRequest and MarkDelivered (which ends the run) once; DownloadPage, PersistPage,
    # MorePages a page, with or without a result_selector (issue 28(a)). A write a page, and the
    # delivery's completion item (1 WRU).
    for pages in (1, 2, 5):
        assert per_run(paginators, name, pages) == (first + each * (pages - 1), pages, pages + 1)


def test_the_http_task_makes_no_api_gateway_requests(paginators_http: Scenario) -> None:
    assert per_run(paginators_http, "Issues", 3) == (11, 0, 4)


def test_x_pages_and_cursor(pages: Scenario, cursor: Scenario) -> None:
    # X-Pages: DownloadFirstPage, PersistFirstPage, CountPages (counts, routes and lists the
    # pages), FetchPages, AnyFailed, MarkDelivered (ends the run); 2 a further page (Download,
    # Persist).
    assert [per_run(pages, "p", n)[0] for n in (1, 2, 3)] == [6, 8, 10]
    # Cursor: the page loop (FirstRequest and MarkDelivered once; DownloadPage, PersistPage,
    # MorePages a page, its selector read through): 5 for one page, 3 a further one.
    assert [per_run(cursor, "p", n)[0] for n in (1, 2, 3)] == [5, 8, 11]


def test_fan_out_with_pagination_multiplies_by_path(status_actions: Scenario) -> None:
    # 3 paths: FetchAll, AnyFailed, MarkDelivered; a path: 3 a page (the checked loop with a
    # 404 action: DownloadPage, PersistPage, MorePages) and PathDone.
    assert per_run(status_actions, "Repos", 2) == (3 + 3 * (3 * 2 + 1), 6, 7)


def test_a_204_action_adds_its_choice_to_each_page(status_actions: Scenario) -> None:
    # Events: a result_selector (read through by PersistPage) and a 204 action: 4 a page
    # (DownloadPage, PageStatus, PersistPage, MorePages; was 6 with NextRequest, SelectPage).
    assert [per_run(status_actions, "Events", n)[0] for n in (1, 2)] == [6, 10]


def test_from_answer_counts_the_list_and_each_item(from_answer: Scenario) -> None:
    # DownloadList, CheckList, FetchAll, 3 an item (ItemRefused, Download, Persist), AnyFailed,
    # MarkDelivered; the completion item even for an empty list.
    assert per_run(from_answer, "Things", 1, requests=3) == (14, 4, 4)
    assert per_run(from_answer, "Things", 1, requests=0) == (5, 1, 1)


def test_unknown_counts_ask_for_them(paginators: Scenario, from_answer: Scenario) -> None:
    with pytest.raises(CostModelError, match=r"loops back through 'MorePages'.*pages_per_run"):
        estimate_monthly_cost(paginators.patterns["Issues"])
    with pytest.raises(CostModelError, match=r"Map state 'FetchAll'.*requests_per_run"):
        estimate_monthly_cost(from_answer.patterns["Things"], pages_per_run=1)
    with pytest.raises(CostModelError, match=r"pages_per_run must be a whole number of at least 1"):
        estimate_monthly_cost(paginators.patterns["Issues"], pages_per_run=0)


def test_the_completion_item_is_one_write_unit_whatever_the_answers_size(
    paginators: Scenario,
) -> None:
    """MarkDelivered holds no answer: 1 WRU, while each page of 4 KB is 4."""
    estimate = estimate_monthly_cost(
        paginators.patterns["Issues"], workflow_type="STANDARD", pages_per_run=5,
        item_size_bytes=4096,
    )  # fmt: skip
    quantities = {item.service: item.quantity / RUNS for item in estimate.line_items}
    assert quantities["DynamoDB on-demand writes"] == 5 * 4 + 1
