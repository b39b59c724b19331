"""``overridable_query`` on a fan-out: the run's values of the allowed names go into every
request the fan-out lists.

``FetchAll``'s ``Items`` is then a JSONata expression (as with time placeholders): each
request's URL is its path as given (times filled in), each allowed name the run's input gives
set in its query (``$setParam``, the value encoded once), taken as a next-page URL is
(``request_from_url``). Its key is ``<name>=<value>&...#<path as given>`` (the values it was
requested with, in ``overridable_query``'s order: ``sk = <scheduled
time>#<suffix>#<path>[#<page>]``), and its Map item carries the ``query`` attribute
(``queryAttribute``) its answers are stored with. Every request must have each name once in
its query: that value is its default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence

from .._contract import QUERY_ATTRIBUTE_PATH, QUERY_KEY, URL_FIELD
from .._parts import RunParts, Target
from .._request import set_param
from ..errors import Problem
from ._targets import first_page_url


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


def prelude(given: str = f"$states.context.Execution.Input.{QUERY_KEY}") -> str:
    """JSONata defining ``$setParam``, ``$ovParam(url, name)`` (a parameter's value in
    ``url``, decoded once: the request's default) and ``$ovGiven`` (the run's input query, or
    ``given``: a child execution reads it from its items)."""
    return (
        f"{set_param()} $ovParam := function($u, $name) {{ ( $hit := $filter($filter($split("
        '$contains($u, "?") ? $substringAfter($u, "?") : "", "&"), function($s) { $s != "" }), '
        'function($s) { $decodeUrlComponent($replace($substringBefore($s, "="), "+", " ")) = '
        '$name })[0]; $contains($hit, "=") ? $decodeUrlComponent($replace($substringAfter('
        '$hit, "="), "+", " ")) : "" ) }; '
        f"$ovGiven := {given};"
    )


def apply(names: Sequence[str], url: str) -> str:
    """JSONata statements: ``$ovValues`` (each name's value: the run's, else the one ``url``
    has), then ``url`` (a variable) with the run's values set in its query."""
    quoted = [json.dumps(name) for name in names]
    values = ", ".join(
        f"{n}: $exists($lookup($ovGiven, {n})) ? $string($lookup($ovGiven, {n})) "
        f": $ovParam({url}, {n})"
        for n in quoted
    )
    overridden = " ".join(
        f"{url} := $exists($lookup($ovGiven, {n})) ? $setParam({url}, {n}, "
        f"$lookup($ovValues, {n})) : {url};"
        for n in quoted
    )
    return f"$ovValues := {{{values}}}; {overridden}"


def key_of(names: Sequence[str], key: str) -> str:
    """JSONata: the request's key, ``<name>=<value>&...#<key>``."""
    suffix = ' & "&" & '.join(
        f"{json.dumps(name + '=')} & $lookup($ovValues, {json.dumps(name)})" for name in names
    )
    return f"{suffix} & '#' & {key}"


def attribute(names: Sequence[str]) -> str:
    """JSONata: the Map item's ``queryAttribute`` member (the values requested with)."""
    members = ", ".join(
        f'{json.dumps(name)}: {{"S": $lookup($ovValues, {json.dumps(name)})}}' for name in names
    )
    return f"'{QUERY_ATTRIBUTE_PATH[2:]}': {{{members}}}"


def listed_items(parts: RunParts, targets: Sequence[Target]) -> str:
    """``FetchAll``'s ``Items``: the requests with the run's overrides (see the module), a
    JSONata expression (``{% ... %}``)."""
    names = parts.overridable
    keys = [t.key for t in targets]
    fill = parts.time_fill(keys) if parts.time_fill is not None else "$fill := function($t) { $t };"
    url = first_page_url(parts, "$ovUrl")
    pages = f', "{URL_FIELD}": {url}' if parts.per_request is not None else ""
    expression = (
        f"({fill} {prelude()} "
        f"[$map({json.dumps(keys)}, function($ovKey) {{ ("
        f"$ovUrl := $fill($ovKey); {apply(names, '$ovUrl')} "
        f"$merge([{parts.downloads.request_from_url(url)}, {{'key': {key_of(names, '$ovKey')}"
        f"{pages}, {attribute(names)}}}]) ) }})])"
    )
    return "{% " + _one_line(expression) + " %}"


def _one_line(expression: str) -> str:
    return re.sub(r"\s*\n\s*", " ", expression)
