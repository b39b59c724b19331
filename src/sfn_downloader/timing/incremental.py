"""``Incremental``: a high-water mark kept between runs, sent as a query parameter.

A run sends ``param=<mark>`` (the stored mark, or ``initial`` before the first run), stores the
answer, then moves the mark to the largest value at ``cursor_path`` in the answer, if that is
further than the stored mark: an ``UpdateItem`` of the downloader's state item whose condition
(``markOrder`` smaller than the new one, or absent) makes the mark only move forward.

- The type of ``initial`` chooses how values compare. ISO 8601 timestamps (``initial`` a
  string) compare as instants (``$toMillis``: offsets and fractions understood; ``markOrder``
  holds epoch milliseconds); numbers (``initial`` an int or a float) compare as numbers, and so
  do numbers written as text (Slack's ``ts`` ``"1700000000.000100"``, a header's
  ``"12345"``: every header value is text). The mark is sent as the API wrote it.
- A run that fails (download or store) never reaches the update: the next run asks again from
  the old mark, so no record is skipped. Records at the mark itself come again (APIs' ``since``
  is usually inclusive): each delivery's answer is its own item (``sk = <scheduled time>#<
  execution name>``), so a repeat is a second copy in another item, never a lost or
  overwritten one.
- Two deliveries of one run, or two overlapping runs, each write only if they move the mark
  further: the mark never moves back.
- A value that cannot be the mark is skipped (the answer is stored whole; the mark follows the
  other values): a timestamp not of the form ``2026-01-01T00:00:00[.fff](Z|+01:00)``, or later
  than the run's scheduled time plus ``INPUT_TIME_SKEW_SECONDS`` (one record dated 9999 would
  otherwise make every later run ask for nothing); a value of the other kind. Skipping a value
  can only make the next run ask for a record again, never lose one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._checks import QUERY_NAME
from .._contract import (
    CURSOR_BEST_VARIABLE,
    CURSOR_VALUES_VARIABLE,
    MARK_ATTRIBUTE,
    MARK_KEY_VARIABLE,
    MARK_ORDER_ATTRIBUTE,
    MARK_SET_BY_ATTRIBUTE,
    MARK_SORT_KEY_PREFIX,
    MARK_UPDATE_VARIABLE,
    RAW_RESPONSE_FIELDS,
    REQUEST_MARK_VARIABLE,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
)
from .._defaults import INPUT_TIME_SKEW_SECONDS
from .._memory import StateItem
from .._parts import CheckContext
from .._request import set_param
from ..errors import Problem
from ._placeholders import literal

_FIRST_SEGMENT = re.compile(r"^\$\.([A-Za-z]+)")
_HEADER_PATH = re.compile(
    r"^\$\.Headers(?:\.([A-Za-z0-9_-]+)|\[['\"]([^'\"]+)['\"]\])(?:\[(\d+)\])?$"
)
"""A ``cursor_path`` naming one response header (``$.Headers.X-Last-Id[0]``): read whatever
the case of the name the API sends (a JSONPath read would be case-sensitive)."""
# JSONata: the ISO 8601 forms both npm jsonata's and jsonata-python's $toMillis read alike.
_ISO_TIME = (
    "/^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    "[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$/"
)

# JSONata: a number written as text ("1700000000.000100", a header's "12345") as jsonata 2.0.6's
# $number reads it without failing (its own pattern: no leading zeros, no "+").
_NUMBER = "/^-?(0|[1-9][0-9]*)(\\.[0-9]+)?([Ee][-+]?[0-9]+)?$/"


class Incremental:
    """A high-water mark kept between runs in the downloader's state item.

    :param cursor_path: JSONPath into the raw answer of the values the mark follows, e.g.
        ``"$.ResponseBody[*].updated_at"`` (a list; an empty one keeps the mark) or
        ``"$.Headers.X-Last-Id[0]"``.
    :param param: The query parameter the mark is sent as, e.g. ``"since"``.
    :param initial: The mark of the first run: an ISO 8601 time (``"2026-01-01T00:00:00Z"``;
        the values then compare as instants) or a number (they compare as numbers, numbers
        written as text included, e.g. a header's value or Slack's ``ts``).
    """

    def __init__(self, cursor_path: str, param: str, initial: str | int | float) -> None:
        self.cursor_path = cursor_path
        """Where the answer holds the values the mark follows."""
        self.param = param
        """The query parameter carrying the mark."""
        self.initial = initial
        """The first run's mark."""

    @property
    def is_timestamp(self) -> bool:
        """True when the mark is an ISO 8601 time; False for a number."""
        return isinstance(self.initial, str)

    @property
    def initial_text(self) -> str:
        """The first run's mark as it is sent."""
        return self.initial if isinstance(self.initial, str) else repr(self.initial)

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The cursor path, the parameter, the initial mark, and a run that supports them."""
        path = self.cursor_path
        match = _FIRST_SEGMENT.match(path) if isinstance(path, str) else None
        if match is None or match.group(1) not in RAW_RESPONSE_FIELDS:
            yield Problem(
                "incremental.cursor_path",
                path,
                "is not a JSONPath into the raw answer (it starts with "
                + " or ".join(f"$.{name}" for name in RAW_RESPONSE_FIELDS)
                + ").",
                "pass e.g. cursor_path='$.ResponseBody[*].updated_at': the mark "
                "follows the answer as the API sent it, before result_selector.",
            )
        if not isinstance(self.param, str) or not QUERY_NAME.match(self.param):
            yield Problem(
                "incremental.param",
                self.param,
                "is not a query parameter name.",
                "pass e.g. param='since'.",
            )
        elif self.param in context.query:
            yield Problem(
                "incremental.param",
                self.param,
                f"is already in the path's query string ({context.path!r}).",
                "remove it from the path: the mark sets it every run.",
            )
        initial = self.initial
        if isinstance(initial, bool) or not isinstance(initial, str | int | float):
            yield Problem(
                "incremental.initial",
                initial,
                "is neither an ISO 8601 time nor a number.",
                "pass e.g. initial='2026-01-01T00:00:00Z' or initial=0.",
            )
        elif isinstance(initial, str) and not _is_iso_time(initial):
            yield Problem(
                "incremental.initial",
                initial,
                "is not an ISO 8601 time with a date, a time and a zone.",
                "pass e.g. initial='2026-01-01T00:00:00Z' (or a number).",
            )

    def query_value(self, item: str | None = None) -> str:
        """JSONata: the mark this run sends (``$requestMark`` is assigned from it).

        :param item: Where the state item is read, e.g. ``ReadState``'s own
            ``$states.result``. Default: ``$stateItem``.
        """
        if item is None:
            return StateItem.value(MARK_ATTRIBUTE, literal(self.initial_text))
        return StateItem.value(MARK_ATTRIBUTE, literal(self.initial_text), item=item)

    def download_assign(self) -> dict[str, Any]:
        """What the download keeps of the answer: the values at ``cursor_path`` (for a header,
        the answer's headers, in which ``_values`` finds it in any case)."""
        if self.header_read() is not None:
            return {f"{CURSOR_VALUES_VARIABLE}.$": "$.Headers"}
        return {f"{CURSOR_VALUES_VARIABLE}.$": self.cursor_path}

    def header_read(self) -> tuple[str, int | None] | None:
        """``(name, index)`` when ``cursor_path`` names one response header, else ``None``."""
        match = _HEADER_PATH.match(self.cursor_path) if isinstance(self.cursor_path, str) else None
        if match is None:
            return None
        index = match.group(3)
        return match.group(1) or match.group(2), int(index) if index is not None else None

    def _values(self) -> str:
        """JSONata: the values the download kept (a header's: looked up case-insensitively,
        RFC 9110 section 5.1)."""
        read = self.header_read()
        if read is None:
            return f"${CURSOR_VALUES_VARIABLE}"
        name, index = read
        return (
            f"($k := $filter($keys(${CURSOR_VALUES_VARIABLE}), function($x) "
            f"{{ $lowercase($x) = {literal(name.lower())} }}); $exists($k) ? "
            f"$lookup(${CURSOR_VALUES_VARIABLE}, $k[0])"
            + (f"[{index}]" if index is not None else "")
            + " : [])"  # no such header: no value, the mark stays
        )

    def advance(
        self, scope: Construct, memory: StateItem, *, over_pages: bool = False,
        sort_key: str | None = None, passes_answer: bool = False,
    ) -> list[sfn.IChainable]:  # fmt: skip
        """``AdvanceMark``: a JSONata UpdateItem that computes the mark itself (the largest
        value, or the mark sent) and writes it only forward (``MarkKept`` when the stored mark
        is as far already).

        :param over_pages: True when the values are the pages' fold (``page_fold``), not one
            answer's. Default: False.
        :param sort_key: The item holding the mark (a fan-out path's, ``#mark#<key>``, JSONata
            without ``{% %}``). Default: the state item.
        :param passes_answer: True when a later state stores what the state holds (an archive,
            the user's states after a single answer): a JSONata task would pass it on through
            JSONata's doubles, so ``ComputeMark`` (JSONata Pass, assigning ``$markUpdate``) →
            a JSONPath ``AdvanceMark`` that passes it on untouched. Default: False.
        """
        values = f"[${CURSOR_BEST_VARIABLE}]" if over_pages else self._values()
        best = (
            f"{self._order()} "
            f"$best := {self._furthest(values, f'${REQUEST_MARK_VARIABLE}')}; "
            # Integers up to 2^53 - 1 with every digit ($string keeps 15 significant).
            "$text := function($v) { $type($v) = 'number' and $v = $floor($v) and "
            f"$abs($v) <= {MAX_SAFE_INTEGER} ? $formatInteger($v, '0') : $string($v) }}; "
        )
        condition = (
            f"attribute_not_exists(#{MARK_ORDER_ATTRIBUTE}) "
            f"OR #{MARK_ORDER_ATTRIBUTE} < :{MARK_ORDER_ATTRIBUTE}"
        )
        if not passes_answer:
            return [
                memory.update(
                    scope,
                    "AdvanceMark",
                    condition=condition,
                    when_not_applied="MarkKept",
                    values=_mark_values(
                        mark="{% (" + best + "$text($best)) %}",
                        order="{% (" + best + "$text($order($best))) %}",
                        set_by="{% $states.context.Execution.Input." + SCHEDULED_TIME_KEY + " %}",
                    ),
                    sort_key=None if sort_key is None else "{% " + sort_key + " %}",
                    jsonata=True,
                )
            ]
        compute = sfn.Pass.jsonata(
            scope,
            "ComputeMark",
            assign={
                MARK_UPDATE_VARIABLE: "{% (" + best + "{'mark': $text($best), 'order': "
                "$text($order($best))}) %}"
            },
        )
        update = memory.update(
            scope, "AdvanceMark", condition=condition, when_not_applied="MarkKept",
            values=_mark_values(
                mark=sfn.JsonPath.string_at(f"${MARK_UPDATE_VARIABLE}.mark"),
                order=sfn.JsonPath.string_at(f"${MARK_UPDATE_VARIABLE}.order"),
                set_by=sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
            ),
            sort_key=None if sort_key is None else sfn.JsonPath.string_at(sort_key),
        )  # fmt: skip
        return [compute, update]

    def path_marks(self, memory: StateItem) -> PathMarkItems:
        """The marks of a fan-out's paths, one item each (see ``PathMarkItems``)."""
        return PathMarkItems(self, memory)

    def page_fold(self) -> dict[str, str]:
        """What a page loop assigns: ``start`` at its first request (the mark sent), ``each``
        after every page (the furthest usable value so far). One value travels, never the
        pages' values: a variable holds at most 256 KiB."""
        return {
            "start": "{% $" + REQUEST_MARK_VARIABLE + " %}",
            "each": "{% ("
            + self._order()
            + " "
            + self._furthest(self._values(), f"${CURSOR_BEST_VARIABLE}")
            + ") %}",
        }

    def _order(self) -> str:
        order = "$toMillis($v)" if self.is_timestamp else "$number($v)"
        return f"$order := function($v) {{ {order} }};"

    def _furthest(self, values: str, start: str) -> str:
        """JSONata: the furthest usable value of ``values`` and ``start`` (``$order`` bound)."""
        usable = (
            f"($type($v) = 'string' and $contains($v, {_ISO_TIME})) ? $toMillis($v) <= "
            f"$toMillis($states.context.Execution.Input.{SCHEDULED_TIME_KEY}) + "
            f"{INPUT_TIME_SKEW_SECONDS * 1000} : false"
            if self.is_timestamp
            else f"$type($v) = 'number' or ($type($v) = 'string' and $contains($v, {_NUMBER}))"
        )
        return (
            f"$reduce({values}, function($a, $v) {{ "
            f"({usable}) ? ($order($v) > $order($a) ? $v : $a) : $a }}, {start})"
        )

    def __repr__(self) -> str:
        return (
            f"Incremental(cursor_path={self.cursor_path!r}, param={self.param!r}, "
            f"initial={self.initial!r})"
        )


class PathMarkItems:
    """``incremental`` in a fan-out: each request (a path, a ``path_values`` combination, an
    item of ``from_answer``) is its own partition with its own mark, in its own item beside the
    state item (``sk = #mark#<the request's key>``). Its iteration reads it (``ReadMark``, one
    strongly consistent GetItem: 1 read unit), sends it, folds the answer's (or every page's)
    values, and advances it once its answer (every page) is stored (``AdvanceMark``, one
    conditional UpdateItem: 1 write unit). A path that fails leaves its mark; the others move
    on theirs. A shared mark would make a path that lags behind the others skip its records.
    Items, not attributes of the state item: each iteration writes only its own (no 400 KB
    item limit, no write contention between iterations, a Distributed Map's children alike).
    """

    def __init__(self, incremental: Incremental, memory: StateItem) -> None:
        self._incremental = incremental
        self._memory = memory

    def read(
        self, scope: Construct, *, key_path: str, url_path: str, request_path: str,
        request_from_url: str,
    ) -> sfn.TaskStateBase:  # fmt: skip
        """``ReadMark``: the path's mark (or ``initial``) as ``$requestMark`` (and the pages'
        fold's start, ``$cursorBest``), set into the URL and the request the iteration sends."""
        incremental = self._incremental
        key = "{% " + literal(MARK_SORT_KEY_PREFIX) + f" & {_jsonata(key_path)} %}}"
        stored = f"$states.result.Item.{MARK_ATTRIBUTE}.S"
        mark = f"($exists({stored}) ? {stored} : {literal(incremental.initial_text)})"
        url = f"$setParam({_jsonata(url_path)}, {literal(incremental.param)}, $m)"
        request = f"$merge([{_jsonata(request_path)}, {request_from_url}])"
        # The request first (it reads the old URL's fields), then the URL.
        output = _set_at(_set_at("$states.input", request_path, request), url_path, "$u")
        return self._memory.read_beside(
            scope, "ReadMark", sort_key=key,
            assign={REQUEST_MARK_VARIABLE: "{% " + mark + " %}",
                    CURSOR_BEST_VARIABLE: "{% " + mark + " %}", MARK_KEY_VARIABLE: key},
            outputs="{% (" + set_param() + f" $m := {mark}; $u := {url}; {output}) %}}",
        )  # fmt: skip

    def advance(self, scope: Construct, *, over_pages: bool) -> list[sfn.IChainable]:
        """``AdvanceMark`` on the path's own mark item (its key as ``ReadMark`` assigned it):
        the iteration then ends in its outcome, nothing stores what the state holds."""
        return self._incremental.advance(
            scope, self._memory, over_pages=over_pages, sort_key=f"${MARK_KEY_VARIABLE}"
        )


def _jsonata(path: str) -> str:
    """A JSONPath of the state (``$.request.key``) as JSONata on ``$states.input``."""
    return "$states.input" + path[1:]


def _set_at(base: str, path: str, value: str) -> str:
    """JSONata: ``base`` (an object) with ``value`` at the JSONPath ``path`` (``$.a.b``)."""
    head, _, rest = path[2:].partition(".")
    inner = f"{base}.{head}"
    placed = value if not rest else _set_at(inner, "$." + rest, value)
    return f"$merge([{base}, {{{literal(head)}: {placed}}}])"


def _mark_values(*, mark: str, order: str, set_by: str) -> Mapping[str, tasks.DynamoAttributeValue]:
    return {
        MARK_ATTRIBUTE: tasks.DynamoAttributeValue.from_string(mark),
        MARK_ORDER_ATTRIBUTE: tasks.DynamoAttributeValue.number_from_string(order),
        MARK_SET_BY_ATTRIBUTE: tasks.DynamoAttributeValue.from_string(set_by),
    }


MAX_SAFE_INTEGER = 2**53 - 1
"""The largest integer a JSONata (JavaScript) number holds exactly."""
_JSONATA_ISO_8601 = re.compile(
    r"[0-9]{4}(-[01][0-9])*(-[0-3][0-9])*(T[0-2][0-9]:[0-5][0-9]:[0-5][0-9])*(\.[0-9]+)?"
    r"([+-][0-2][0-9]:?[0-5][0-9]|Z)?"
)
"""What jsonata 2.0.6's ``$toMillis`` reads without a picture (its ``iso8601regex``): other
texts fail with D3110 on AWS."""


def _is_iso_time(text: str) -> bool:
    if "T" not in text or not _JSONATA_ISO_8601.fullmatch(text):
        return False
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.tzinfo is not None
