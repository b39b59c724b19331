"""The error and warning types of the local runner."""

from __future__ import annotations


class LocalRunnerError(RuntimeError):
    """The local run cannot be set up as asked (what is wrong, and how to fix it)."""


class CompressedAnswerWarning(UserWarning):
    """The stand-in answered with a compressed body (``Content-Encoding: gzip``, ...).

    API Gateway passes a compressed integration response through without decompressing it and,
    with no binary media types, hands it on as UTF-8 text; Step Functions is not documented to
    decompress it either. The run sees what AWS would: not the JSON that was compressed.
    """
