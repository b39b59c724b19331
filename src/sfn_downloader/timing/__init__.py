"""Downloads that follow time: placeholders of the scheduled time, windows, incremental marks,
and backfill.

- ``{scheduled_time}``, ``{window_start}``, ``{window_end}`` in ``path`` (formats ``:iso``,
  ``:date``, ``:epoch``, ``:epoch_ms``): the request is computed each run (``request.py``).
- ``Window.last(duration, lookback=...)``: the range the window placeholders span.
- ``Incremental(cursor_path, param, initial)``: a high-water mark in the state item.
- ``backfill=True``: a second state machine runs the downloader for past times (``backfill.py``).
"""

from .incremental import Incremental
from .window import Window

__all__ = ["Incremental", "Window"]
