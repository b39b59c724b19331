"""Run a synthesized downloader locally, end to end: moto's Step Functions interpreter and
DynamoDB, an emulation of the synthesized API Gateway proxy, and a loopback HTTP server as the
third party. Needs the ``local`` extra: ``pip install 'sfn-downloader[local]'``.

Importing ``sfn_downloader`` never imports this package (nor moto).
"""

from . import _patch
from ._backfill import LocalBackfill
from ._execution import LocalExecution, scheduled_time_text
from ._patch import UnsupportedMotoVersionError, check_moto_version
from ._runner import LocalRunner
from .errors import CompressedAnswerWarning, LocalRunnerError

SUPPORTED_MOTO_RANGE = _patch.SUPPORTED_MOTO_RANGE
"""The moto versions the local runner supports (its patches replace moto internals; tested on
the range's lowest and newest releases)."""

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
