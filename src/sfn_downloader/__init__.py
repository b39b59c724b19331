"""sfn-downloader: call a third-party API on a schedule and keep every answer in DynamoDB.

No Lambda: EventBridge Scheduler starts a Step Functions state machine that calls the API
through an API Gateway proxy and writes the answer with ``dynamodb:putItem``.
"""

from .auth import AuthHeader
from .cost import CostEstimate, Prices, estimate_monthly_cost
from .errors import DownloaderConfigError, Problem
from .item import ItemField
from .pagination import Pagination
from .pattern import DownloaderPattern
from .transport import Transport

__version__ = "0.1.0"

__all__ = [
    "AuthHeader",
    "CostEstimate",
    "DownloaderConfigError",
    "DownloaderPattern",
    "ItemField",
    "Pagination",
    "Prices",
    "Problem",
    "Transport",
    "estimate_monthly_cost",
]
