"""What the polite features read of an answer, as JSONata (shared by a single request's memory,
``_run``, and the memories per request, ``memos``)."""

from __future__ import annotations

from .._contract import ANSWER_HEADERS_VARIABLE
from .conditional import validators as validators
from .expires import fresh_until as fresh_until

HEADER = (
    "function($name) { ( "
    f"$h := ${ANSWER_HEADERS_VARIABLE}; "
    "$k := $filter($keys($h), function($x) { $lowercase($x) = $name }); "
    "$exists($k) ? $join($map($lookup($h, $k[0]), function($v) { $string($v) }), ', ') : '' "
    ") }"
)
"""JSONata: the first value of a response header (all of them joined, for Cache-Control), names
compared case-insensitively; '' when absent."""
