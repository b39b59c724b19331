"""``respect_expires=True``: no request while the last answer is still fresh.

When an answer is stored (or found unchanged), ``Remember`` keeps ``freshUntil`` (epoch
milliseconds) in the state item, from the raw answer's headers, as a private cache computes a
response's freshness lifetime (RFC 9111, 4.2.1):

- ``Cache-Control: no-store`` or ``no-cache``: not fresh (``0``);
- ``Cache-Control: max-age=N``: the run's scheduled time + N s - ``Age`` (the scheduled time
  is at or before the request, so the deadline is never later than the server meant);
- else ``Expires: <HTTP date>``: that instant (an invalid date, e.g. ``0``, is in the past);
- else ``0``;

and never later than the run's scheduled time + ``max_fresh`` (default: two intervals of a
rate schedule, else an hour): a third party's ``max-age`` of a century, or an ``Expires`` in
year 9999, stops the downloader for ``max_fresh`` at most, never for good (an over-long
``max-age`` or ``Age``, more than 12 digits, counts as ``max_fresh`` / is ignored, so no
arithmetic overflows).

The next run's ``StillFresh`` (a Choice, right after ``ReadState``) compares its scheduled
time with ``freshUntil``: before it, the run ends in ``Fresh`` (no request, no write, output
``{"outcome": "fresh", "freshUntil": ...}``). A ``304`` carries its headers in no Step Functions
result (the task fails with ``ApiGateway.304``), so it does not move ``freshUntil``.
"""

from __future__ import annotations

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._contract import (
    FRESH_UNTIL_ATTRIBUTE,
    FRESH_UNTIL_KEY,
    OUTCOME_FRESH,
    OUTCOME_KEY,
    REASON_KEY,
    SCHEDULED_TIME_KEY,
    STATE_ITEM_VARIABLE,
)

SCHEDULED_MILLIS = f"$toMillis($states.context.Execution.Input.{SCHEDULED_TIME_KEY})"
"""JSONata: the run's scheduled time, epoch milliseconds."""
_STORED = f"${STATE_ITEM_VARIABLE}.Item.{FRESH_UNTIL_ATTRIBUTE}.N"
_MONTHS = {
    m: f"{n:02d}"
    for n, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# JSONata, inside ReadAnswer ($header defined): an IMF-fixdate ("Wed, 02 Dec 2026 01:06:44
# GMT") as epoch milliseconds, 0 for anything else (RFC 9111 5.3: an invalid Expires is past).
_HTTP_DATE = (
    "function($text) { ( "
    "$p := $split($trim($text), ' '); "
    f"$month := $lookup({_MONTHS!r}, $lowercase($p[2])); ".replace("'", '"')
    + "$iso := $count($p) = 6 and $exists($month) ? "
    "$p[3] & '-' & $month & '-' & $pad($p[1], -2, '0') & 'T' & $p[4] & 'Z' : ''; "
    "$contains($iso, /^[0-9]{4}-[0-9]{2}-(0[1-9]|[12][0-9]|3[01])"
    "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$/) "
    "? $toMillis($iso) : 0 ) }"
)


def fresh_until(max_fresh_millis: int, scheduled_millis: str = SCHEDULED_MILLIS) -> str:
    """JSONata (inside ``ReadAnswer``, ``$header`` defined): the answer's freshness deadline,
    epoch milliseconds as a string, at most the scheduled time + ``max_fresh_millis``
    (``scheduled_millis``: JSONata of the run's scheduled time, epoch milliseconds; in a
    fan-out's iteration it is read from the iteration's input)."""
    return (
        "( "
        f"$httpDate := {_HTTP_DATE}; "
        f"$cap := {scheduled_millis} + {max_fresh_millis}; "
        "$cc := $lowercase($header('cache-control')); "
        '$maxAge := $match($cc, /(^|[ ,])max-age="?([0-9]+)/); '
        "$age := $contains($header('age'), /^[0-9]{1,12}$/) ? $number($header('age')) : 0; "
        "$until := $contains($cc, /(^|[ ,])(no-store|no-cache)/) ? 0 "
        ": $exists($maxAge) ? ($length($maxAge[0].groups[1]) > 12 ? $cap "
        f": {scheduled_millis} + ($number($maxAge[0].groups[1]) - $age) * 1000) "
        ": $header('expires') != '' ? $httpDate($header('expires')) : 0; "
        "$string($min([$until, $cap])) )"
    )


def still_fresh(scope: Construct, then: sfn.IChainable) -> sfn.Choice:
    """``StillFresh``: the stored deadline is after the run's scheduled time → ``Fresh``."""
    fresh = sfn.Pass.jsonata(
        scope,
        "Fresh",
        outputs={
            OUTCOME_KEY: OUTCOME_FRESH,
            REASON_KEY: "The last stored answer is still fresh (Cache-Control max-age or "
            "Expires): no request was made, nothing was written.",
            SCHEDULED_TIME_KEY: f"{{% $states.context.Execution.Input.{SCHEDULED_TIME_KEY} %}}",
            FRESH_UNTIL_KEY: f"{{% $fromMillis($number({_STORED})) %}}",
        },
    )
    choice = sfn.Choice.jsonata(scope, "StillFresh")
    choice.when(
        sfn.Condition.jsonata(
            f"{{% $exists({_STORED}) and $number({_STORED}) > {SCHEDULED_MILLIS} %}}"
        ),
        fresh,
    )
    choice.otherwise(then)
    return choice
