"""Sinks: where a run's answers are kept.

* ``dynamodb.py``: the item sink, always there: the table (created or brought) and its
  putItem tasks, one item an answer.
* ``s3.py``: the archive (``Archive``), optional: each answer also as an S3 object.
* ``records.py``: ``Records``, optional: each record of an answer also as an item of its own.
"""

from __future__ import annotations
