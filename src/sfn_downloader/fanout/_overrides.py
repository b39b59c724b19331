"""``overridable_query`` on a fan-out: the run's values of the allowed names go into every
request the fan-out lists.

``ListRequests`` is then a JSONata Pass (as with time placeholders): each request's URL is its
path as given (times filled in), each allowed name the run's input gives set in its query
(``$setParam``, the value encoded once), taken as a next-page URL is (``request_from_url``).
Its key is ``<name>=<value>&...#<path as given>`` (the values it was requested with, in
``overridable_query``'s order: ``sk = <scheduled time>#<suffix>#<path>[#<page>]``), and its
Map item carries the ``query`` attribute (``queryAttribute``) its answers are stored with. Every
request must have each name once in its query: that value is its default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from urllib.parse import urlencode

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._contract import QUERY_ATTRIBUTE_PATH, QUERY_KEY, REQUESTS_PATH, URL_FIELD
from .._parts import RunParts, Target
from .._request import set_param
from ..errors import Problem


def check(names: Sequence[str], targets: Sequence[Target]) -> Iterator[Problem]:
    """Each overridable name has exactly one default value in every listed request."""
    for name in names:
        for target in targets:
            values = target.query.get(name)
            if values is None:
                yield Problem(
                    f"overridable_query[{name!r}]", name,
                    f"is not a query parameter of the fan-out's request {target.key!r}, so it "
                    "has no default there.",
                    f"give every request a default ('?{name}=...'), or drop it.",
                )  # fmt: skip
            elif len(values) != 1:
                yield Problem(
                    f"overridable_query[{name!r}]", name,
                    f"has {len(values)} values in the fan-out's request {target.key!r}; an "
                    "override replaces exactly one.",
                    "give it one default value, or drop it.",
                )  # fmt: skip


def listing(scope: Construct, parts: RunParts, targets: Sequence[Target]) -> sfn.Pass:
    """``ListRequests`` with the run's overrides in every request (see the module)."""
    names = parts.overridable
    keys = [t.key for t in targets]
    fill = parts.time_fill(keys) if parts.time_fill is not None else "$fill := function($t) { $t };"
    first = parts.per_request.first_query() if parts.per_request is not None else {}
    listed = json.dumps(
        [{"key": t.key, "defaults": {n: t.query[n][0] for n in names}} for t in targets]
    )
    quoted = [json.dumps(name) for name in names]
    values = ", ".join(
        f"{n}: $exists($lookup($ovGiven, {n})) ? $string($lookup($ovGiven, {n})) "
        f": $fill($lookup($ovTarget.defaults, {n}))"
        for n in quoted
    )
    overridden = " ".join(
        f"$ovUrl := $exists($lookup($ovGiven, {n})) ? $setParam($ovUrl, {n}, "
        f"$lookup($ovValues, {n})) : $ovUrl;"
        for n in quoted
    )
    suffix = ' & "&" & '.join(
        f"{json.dumps(name + '=')} & $lookup($ovValues, {n})"
        for name, n in zip(names, quoted, strict=True)
    )
    attribute = ", ".join(f'{n}: {{"S": $lookup($ovValues, {n})}}' for n in quoted)
    url = "$ovUrl" + (
        f' & ($contains($ovUrl, "?") ? "&" : "?") & {json.dumps(urlencode(first, doseq=True))}'
        if first
        else ""
    )
    pages = f', "{URL_FIELD}": {url}' if parts.per_request is not None else ""
    expression = (
        f"({fill} {set_param()} $ovGiven := $states.context.Execution.Input.{QUERY_KEY}; "
        f"{{'{REQUESTS_PATH[2:]}': [$map({listed}, function($ovTarget) {{ ("
        f"$ovValues := {{{values}}}; $ovUrl := $fill($ovTarget.key); {overridden} "
        f"$merge([{parts.downloads.request_from_url(url)}, {{'key': {suffix} & '#' & "
        f"$ovTarget.key{pages}, '{QUERY_ATTRIBUTE_PATH[2:]}': {{{attribute}}}}}]) ) }})]}})"
    )
    one_line = re.sub(r"\s*\n\s*", " ", expression)
    return sfn.Pass.jsonata(scope, "ListRequests", outputs="{% " + one_line + " %}")
