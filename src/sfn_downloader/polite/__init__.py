"""Polite downloading: ask the server only what changed, store only what changed, and wait as
long as the server asks.

- ``conditional=True``: the last ``ETag`` / ``Last-Modified`` go back as ``If-None-Match`` /
  ``If-Modified-Since``; a ``304`` stores nothing and succeeds.
- ``store=Store.changes_only()``: an answer equal to the last stored one writes no item.
- ``respect_expires=True``: a run whose last answer is still fresh makes no request.
- ``retry_after=RetryAfter(max_wait=...)``: ``429`` / ``503`` wait what the server asks.

Each remembers what it needs in the downloader's state item (``_memory.StateItem``).
"""

from .retry_after import RetryAfter
from .store import Store

__all__ = ["RetryAfter", "Store"]
