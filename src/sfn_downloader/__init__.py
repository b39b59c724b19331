"""sfn-downloader: call a third-party API on a schedule and keep every answer in DynamoDB.

No Lambda: EventBridge Scheduler starts a Step Functions state machine that calls the API
through an API Gateway proxy and writes the answer with ``dynamodb:putItem``.

Names are imported on first use (PEP 562), so ``import sfn_downloader`` loads no aws-cdk-lib
module until one of them is needed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .auth import AuthHeader
    from .concurrency import Concurrency
    from .constant import Constant
    from .cost import CostEstimate, Prices, estimate_backfill_cost, estimate_monthly_cost
    from .errors import DownloaderConfigError, Problem
    from .fanout import FanOut
    from .item import ItemField
    from .pagination import Pagination
    from .pattern import DownloaderPattern
    from .polite import RetryAfter, Store
    from .sinks.records import Records
    from .sinks.s3 import Archive
    from .starts import Starts
    from .status import StatusAction
    from .timing import Incremental, Window
    from .transport import Transport
    from .transport.trim import Trim

__version__ = "0.2.0"

__all__ = [
    "Archive",
    "AuthHeader",
    "Concurrency",
    "Constant",
    "CostEstimate",
    "DownloaderConfigError",
    "DownloaderPattern",
    "FanOut",
    "Incremental",
    "ItemField",
    "Pagination",
    "Prices",
    "Problem",
    "Records",
    "RetryAfter",
    "Starts",
    "StatusAction",
    "Store",
    "Transport",
    "Trim",
    "Window",
    "estimate_backfill_cost",
    "estimate_monthly_cost",
]

_MODULE_OF = {
    "Archive": "sinks.s3",
    "AuthHeader": "auth",
    "Concurrency": "concurrency",
    "Constant": "constant",
    "CostEstimate": "cost",
    "DownloaderConfigError": "errors",
    "DownloaderPattern": "pattern",
    "FanOut": "fanout",
    "Incremental": "timing",
    "ItemField": "item",
    "Pagination": "pagination",
    "Prices": "cost",
    "Problem": "errors",
    "Records": "sinks.records",
    "RetryAfter": "polite",
    "Starts": "starts",
    "StatusAction": "status",
    "Store": "polite",
    "Transport": "transport",
    "Trim": "transport.trim",
    "Window": "timing",
    "estimate_backfill_cost": "cost",
    "estimate_monthly_cost": "cost",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
