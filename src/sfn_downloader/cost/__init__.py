"""Cost: what a downloader costs a month, estimated from its own synthesized configuration.

``estimate_monthly_cost(pattern)`` reads the schedule expression and the state machine
definition as CloudFormation will receive them, counts runs a month and the states a
successful run enters, and prices each service a run touches: EventBridge Scheduler, Step
Functions (Standard or Express), API Gateway, DynamoDB, and the downloader's CloudWatch alarms.
A month is 30 days.

``estimate_backfill_cost(pattern, scheduled_times=...)`` prices one backfill: a run of the
downloader a scheduled time, and the backfill's own transitions.

Not included: CloudWatch Logs (the construct logs every event), X-Ray traces, DynamoDB storage
and point-in-time-recovery backups, data transfer, and retries (each retry is one more state
transition, API Gateway request and, for Express, more billed duration).
"""

from __future__ import annotations

from ._backfill import backfill_transitions, estimate_backfill_cost
from ._definition import render_definition, successful_path
from ._errors import CostModelError
from ._model import ON_DEMAND, CostEstimate, LineItem, estimate_cost, estimate_monthly_cost
from ._prices import PRICES, PRICES_DATE, US_EAST_1, Prices
from ._schedule import DAYS_PER_MONTH, MINUTES_PER_MONTH, count_runs

__all__ = [
    "DAYS_PER_MONTH",
    "MINUTES_PER_MONTH",
    "ON_DEMAND",
    "PRICES",
    "PRICES_DATE",
    "US_EAST_1",
    "CostEstimate",
    "CostModelError",
    "LineItem",
    "Prices",
    "backfill_transitions",
    "count_runs",
    "estimate_backfill_cost",
    "estimate_cost",
    "estimate_monthly_cost",
    "render_definition",
    "successful_path",
]
