"""Run a synthesized downloader locally, end to end: moto's Step Functions interpreter and
DynamoDB, an emulation of the synthesized API Gateway proxy, and a loopback HTTP server as the
third party. Needs the ``local`` extra: ``pip install 'sfn-downloader[local]'``.

Importing ``sfn_downloader`` never imports this package (nor moto).
"""

from ._backfill import LocalBackfill
from ._execution import LocalExecution, scheduled_time_text
from ._patch import SUPPORTED_MOTO_RANGE, UnsupportedMotoVersionError, check_moto_version
from ._runner import LocalRunner
from .errors import CompressedAnswerWarning, LocalRunnerError

__all__ = [
    "SUPPORTED_MOTO_RANGE",
    "CompressedAnswerWarning",
    "LocalBackfill",
    "LocalExecution",
    "LocalRunner",
    "LocalRunnerError",
    "UnsupportedMotoVersionError",
    "check_moto_version",
    "scheduled_time_text",
]
