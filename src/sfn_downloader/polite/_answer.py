"""What the polite features read of an answer, as JSONata (shared by a single request's memory,
``_run``, and the memories per request, ``memos``)."""

from __future__ import annotations

from .._contract import ANSWER_HEADERS_VARIABLE
from .conditional import validators as validators
from .expires import fresh_until as fresh_until


def header(headers: str) -> str:
    """JSONata: a function of a header's name giving its value among ``headers`` (all of them
    joined, for Cache-Control), names compared case-insensitively; '' when absent."""
    return (
        "function($name) { ( "
        f"$h := {headers}; "
        "$k := $filter($keys($h), function($x) { $lowercase($x) = $name }); "
        "$exists($k) ? $join($map($lookup($h, $k[0]), function($v) { $string($v) }), ', ') : '' "
        ") }"
    )


HEADER = header(f"${ANSWER_HEADERS_VARIABLE}")
"""JSONata: ``header`` of the headers the download kept (``$answerHeaders``)."""
DOWNLOADED_HEADER = header("$states.result.`Headers`")
"""JSONata: ``header`` of the answer, in the download's own ``Assign``."""
