"""Prices: the figures of each service a run touches, by region."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ._errors import CostModelError

PRICES_DATE = "2026-11"
"""When the built-in prices were read from AWS's pricing pages."""


@dataclass(frozen=True)
class Prices:
    """Unit prices (USD) of the services a downloader uses, in one region.

    Build one to estimate a region the built-in table lacks, and pass it as ``prices=``.
    """

    region: str
    """The AWS region these prices apply to."""
    standard_per_transition: float
    """Step Functions Standard, per state transition."""
    standard_free_transitions: int
    """Step Functions Standard transitions free each month (per account)."""
    express_per_request: float
    """Step Functions Express, per execution started."""
    express_per_gb_second: float
    """Step Functions Express duration, per GB-second (first tier), billed in 100 ms, 64 MB."""
    api_gateway_rest_per_request: float
    """API Gateway REST API, per request (first tier: up to 333 million a month)."""
    scheduler_per_invocation: float
    """EventBridge Scheduler, per invocation beyond the free ones."""
    scheduler_free_invocations: int
    """EventBridge Scheduler invocations free each month (per account)."""
    dynamodb_per_write_request_unit: float
    """DynamoDB on-demand (Standard table class), per write request unit."""
    cloudwatch_alarm_per_month: float
    """CloudWatch standard-resolution metric alarm, per alarm a month."""
    cloudwatch_free_alarms: int
    """CloudWatch alarms free each month (per account)."""
    source: str = ""
    """Where the figures come from. Default: none given."""
    date: str = ""
    """When the figures were read (``YYYY-MM``). Default: not known."""
    dynamodb_per_read_request_unit: float = 0.125 / 1_000_000
    """DynamoDB on-demand (Standard table class), per read request unit (a strongly
    consistent read of up to 4 KB). Default: us-east-1's $0.125 per million."""
    s3_per_get_request: float = 0.0004 / 1_000
    """S3 Standard GET requests (a Distributed Map's ``ItemReader`` reading an object).
    Default: us-east-1's $0.0004 per 1,000."""
    s3_per_list_request: float = 0.005 / 1_000
    """S3 Standard LIST requests (an ``ItemReader`` listing objects, 1,000 a call).
    Default: us-east-1's $0.005 per 1,000."""


US_EAST_1 = Prices(
    region="us-east-1",
    # https://aws.amazon.com/step-functions/pricing/ : $0.025 per 1,000 state transitions,
    # 4,000 free a month; Express $1.00 per million requests, $0.00001667 per GB-second.
    standard_per_transition=0.025 / 1_000,
    standard_free_transitions=4_000,
    express_per_request=1.00 / 1_000_000,
    express_per_gb_second=0.00001667,
    # https://aws.amazon.com/api-gateway/pricing/ : REST APIs, $3.50 per million requests.
    api_gateway_rest_per_request=3.50 / 1_000_000,
    # https://aws.amazon.com/eventbridge/pricing/ (Scheduler): 14 million invocations free a
    # month, then $1.00 per million.
    scheduler_per_invocation=1.00 / 1_000_000,
    scheduler_free_invocations=14_000_000,
    # https://aws.amazon.com/dynamodb/pricing/on-demand/ : $0.625 per million write request units.
    dynamodb_per_write_request_unit=0.625 / 1_000_000,
    # https://aws.amazon.com/cloudwatch/pricing/ : $0.10 per standard-resolution alarm metric a
    # month; 10 alarm metrics free.
    cloudwatch_alarm_per_month=0.10,
    cloudwatch_free_alarms=10,
    source="AWS pricing pages (Step Functions, API Gateway, EventBridge, DynamoDB, "
    "CloudWatch), us-east-1",
    date=PRICES_DATE,
)
"""Prices in US East (N. Virginia), read in November 2026."""

PRICES: Mapping[str, Prices] = MappingProxyType({US_EAST_1.region: US_EAST_1})
"""The built-in price table, by region. Other regions: pass ``prices=Prices(...)``."""


def _prices_for(region: str) -> Prices:
    try:
        return PRICES[region]
    except KeyError:
        raise CostModelError(
            f"no built-in prices for region {region!r} (have: {', '.join(sorted(PRICES))}). "
            "Pass prices=Prices(region=..., ...) with that region's figures from the AWS "
            "pricing pages."
        ) from None
