"""sfn-downloader: call a third-party API on a schedule and keep every answer in DynamoDB.

No Lambda: EventBridge Scheduler starts a Step Functions state machine that calls the API
through an API Gateway proxy and writes the answer with ``dynamodb:putItem``.
"""

from .auth import AuthHeader
from .errors import DownloaderConfigError, Problem
from .item import ItemField
from .pattern import DownloaderPattern

__version__ = "0.1.0"

__all__ = ["AuthHeader", "DownloaderConfigError", "DownloaderPattern", "ItemField", "Problem"]
