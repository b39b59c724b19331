"""The cost of a backfill, checked against hand-computed figures (us-east-1 prices)."""

from __future__ import annotations

import pytest

from sfn_downloader import estimate_backfill_cost
from sfn_downloader.cost import US_EAST_1, CostModelError

from scenarios import Scenario

TIMES = 720  # a month of hours


def test_a_backfill_costs_a_run_a_time_plus_its_own_transitions(timed: Scenario) -> None:
    rates = timed.patterns["p"]
    estimate = rates.estimate_backfill_cost(TIMES)
    # The downloader's run: Download (computing its path itself), Persist (Express).
    assert estimate.transitions_per_run == 2
    assert estimate.line_item("Step Functions Express requests").quantity == TIMES
    assert estimate.line_item("API Gateway REST").quantity == TIMES
    assert estimate.line_item("DynamoDB on-demand writes").quantity == TIMES
    # The backfill: CheckRange, ListTimes, CheckTimes, RunAll, AnyFailed, Done once; RunOne a time.
    backfill = estimate.line_item("Step Functions Standard (backfill)")
    assert backfill.quantity == 6 + TIMES
    assert backfill.cost == pytest.approx((6 + TIMES) * 0.025 / 1000)
    # No Scheduler invocation: the backfill starts the runs.
    assert "EventBridge Scheduler" not in [item.service for item in estimate.line_items]
    expected = (
        TIMES * US_EAST_1.express_per_request
        + TIMES * 0.3 * 64 / 1024 * US_EAST_1.express_per_gb_second  # 300 ms at 64 MB
        + TIMES * US_EAST_1.api_gateway_rest_per_request
        + TIMES * US_EAST_1.dynamodb_per_write_request_unit
        + (6 + TIMES) * US_EAST_1.standard_per_transition
    )
    alarms = sum(i.cost for i in estimate.line_items if i.service == "CloudWatch alarms")
    assert estimate.total - alarms == pytest.approx(expected)
    assert estimate.period == "backfill"
    assert estimate.table().startswith("One-off cost, Express workflow, us-east-1")
    assert estimate.schedule_expression == "backfill of 720 scheduled times"


def test_only_a_downloader_with_backfill_has_a_backfill_cost(timed: Scenario) -> None:
    with pytest.raises(CostModelError, match="no backfill_state_machine: pass backfill=True"):
        estimate_backfill_cost(timed.patterns["events"], scheduled_times=10)
    with pytest.raises(CostModelError, match="at least 1"):
        estimate_backfill_cost(timed.patterns["p"], scheduled_times=0)
