"""``Records``: each record of an answer its own item, keyed by the record's own key.

An answer (or a page) holds a list of records (``items``); each is written as one item of the
downloader's records partition, ``pk = <downloader id>#records``:

- ``Records.merge``: ``sk = <key>``, one item per key. With a ``version`` the write is
  conditional (``attribute_not_exists(sk) OR versionOrder < :order``): a version never
  overwrites a newer one, and a refused write (``ConditionalCheckFailed``) is caught, not a
  failure. Without one, the last write wins.
- ``Records.append``: ``sk = <key>#<scheduled time>``, one item per record per run: a record's
  history is one ``Query``; a re-delivered run writes the same keys again.

The key is ``<value>`` for one field (a string as it is, a number as its text), and the JSON
array text of the values for a compound key (``["acme",42]``): a JSON array cannot be confused,
whatever its strings hold. Keys and the record are built with JSONPath intrinsics
(``States.Format``, ``States.JsonToString``), which keep a number's digits: no JSONata (whose
numbers are JavaScript doubles) touches a key.

The states, after the answer is stored (or instead of storing it, ``keep_answers=False``)::

    ReadRecords (JSONata: every record checked, versions ordered) → RecordsValid
        ├ a bad record → BadRecord (Fail, Downloader.BadRecord: its index and field)
        └ WriteRecords (inline Map, the downloader's concurrency): PutRecord [→ RecordKept]

So a page with a bad record writes none of its records, and the run fails naming it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from .._checks import is_plain_path, jsonata_path, through_selector
from .._contract import (
    BAD_RECORD_ERROR,
    CONDITIONAL_CHECK_FAILED_ERROR,
    INLINE_MAP_MAX_CONCURRENCY,
    PARTITION_KEY,
    RECORD_ATTRIBUTE,
    RECORD_SCHEDULED_TIME_ATTRIBUTE,
    RECORD_VERSION_ORDER_ATTRIBUTE,
    RECORDS_ANSWER_EVENTS,
    RECORDS_MAP_STATE,
    RECORDS_PARTITION_SUFFIX,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
    SORT_KEY,
)
from .._parts import Built, CheckContext, RunFeature, RunParts
from .._states import catch_into, record_failure, retry_kwargs
from ..errors import Problem
from .dynamodb import persist_retry

MERGE = "merge"
APPEND = "append"
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# The ISO 8601 forms jsonata 2.0.6's $toMillis reads, with a zone (as Incremental takes them).
_ISO_TIME = (
    "/^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:"
    "[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$/"
)
_MAX_SAFE_INTEGER = 2**53 - 1
_PROBLEM_VARIABLE = "recordProblem"
_ORDERS_VARIABLE = "recordOrders"
_RECORD = "record"
_ORDER = "order"


def records_partition(downloader_id: str) -> str:
    """The partition key value of a downloader's records."""
    return downloader_id + RECORDS_PARTITION_SUFFIX


class Records(RunFeature):
    """Store each record of an answer as its own item, keyed by its own key (``records=``).

    Use the factories: ``Records.merge(items="$.ResponseBody", key="id",
    version="updated_at")`` keeps one item per key, the newest version;
    ``Records.append(items="$.ResponseBody.data", key="id")`` keeps every version, one item
    per record per run.
    """

    def __init__(
        self,
        *,
        mode: str,
        items: str,
        key: str | tuple[str, ...],
        version: str | None,
        keep_answers: bool,
    ) -> None:
        self.mode = mode
        """``"merge"`` or ``"append"``."""
        self.items = items
        """Where the list of records is, in the selected result (or the raw answer)."""
        self.key = key
        """The key field, or the fields of a compound key, as given."""
        self.version = version
        """``merge``: the field that orders versions (``None``: the last write wins)."""
        self.keep_answers = keep_answers
        """True when the answers are still stored as items (besides their records)."""

    @staticmethod
    def merge(
        *,
        items: str,
        key: str | tuple[str, ...],
        version: str | None = None,
        keep_answers: bool = True,
    ) -> Records:
        """One item per key, the newest version kept (an upsert): ``sk = <key>``.

        :param items: JSONPath of the list of records, in the selected result
            (``result_selector``), or in the raw answer without one: ``"$.ResponseBody"``,
            ``"$.issues"``.
        :param key: The record's key field (``"id"``), or a tuple of fields (a compound key,
            ``("owner", "number")``). Each value must be a string or a number; numbers are
            kept exactly (every digit).
        :param version: The field that orders a record's versions, e.g. ``"updated_at"``: ISO
            8601 times compare as instants (offsets understood, to the millisecond), numbers
            numerically. A version never overwrites a newer (or the same) one; a record
            without it fails the run. Default: no version, the last write wins.
        :param keep_answers: Also store each answer as an item, as without records.
            Default: ``True``. With ``False`` only the records are stored.
        """
        return Records(mode=MERGE, items=items, key=key, version=version, keep_answers=keep_answers)

    @staticmethod
    def append(*, items: str, key: str | tuple[str, ...], keep_answers: bool = True) -> Records:
        """Every version kept (history): one item per record per run,
        ``sk = <key>#<scheduled time>``, so a record's history is one Query.

        :param items: JSONPath of the list of records, in the selected result
            (``result_selector``), or in the raw answer without one.
        :param key: The record's key field, or a tuple of fields (a compound key). Each value
            must be a string or a number.
        :param keep_answers: Also store each answer as an item. Default: ``True``.
        """
        return Records(mode=APPEND, items=items, key=key, version=None, keep_answers=keep_answers)

    @property
    def answer_events(self) -> int:
        """History events each answer's records add at least (with no record): ReadRecords,
        RecordsValid and the WriteRecords Map's own; each record adds ``RECORD_EVENTS``."""
        return RECORDS_ANSWER_EVENTS

    @property
    def key_fields(self) -> tuple[str, ...]:
        """The key's fields, in order."""
        return (self.key,) if isinstance(self.key, str) else tuple(self.key)

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The items path, the key and version fields, ``keep_answers``, and a run shape that
        writes records (one request, or the page loop of one path)."""
        if not is_plain_path(self.items):
            yield Problem(
                "records.items",
                self.items,
                "is not a plain JSONPath (names and indexes only) to the list of records.",
                "pass e.g. items='$.ResponseBody' (the raw answer) or items='$.issues' (a "
                "field of the result_selector).",
            )
        fields = self.key_fields if isinstance(self.key, str | tuple) else ()
        if not fields or not all(isinstance(f, str) and _FIELD.match(f) for f in fields):
            yield Problem(
                "records.key",
                self.key,
                "is not a field name, or a tuple of field names (letters, digits, _).",
                "pass e.g. key='id', or key=('owner', 'number') for a compound key.",
            )
        elif len(set(fields)) != len(fields):
            yield Problem("records.key", self.key, "names a field twice.",
                          "name each field of a compound key once.")  # fmt: skip
        version = self.version
        if version is not None:
            if not isinstance(version, str) or not _FIELD.match(version):
                yield Problem("records.version", version,
                              "is not a field name (letters, digits, _).",
                              "pass e.g. version='updated_at'.")  # fmt: skip
            elif version in fields:
                yield Problem("records.version", version, "is also a key field.",
                              "order versions by another field, e.g. 'updated_at'.")  # fmt: skip
        if not isinstance(self.keep_answers, bool):
            yield Problem("records.keep_answers", self.keep_answers, "is not a bool.",
                          "pass keep_answers=True or False.")  # fmt: skip
        elif not self.keep_answers and (context.keeps_result or context.remembers_answers):
            yield Problem(
                "records.keep_answers",
                False,
                "cannot be False with archive, post_process, conditional, store or "
                "respect_expires: they follow (or remember) the stored answer.",
                "keep the answers (keep_answers=True), or drop those props.",
            )

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """The states writing each answer's (or page's) records, wired by the shape after its
        Persist (or instead of it, ``keep_answers=False``)."""
        writer = self.bind(built.table, built.downloader_id, max_concurrency=built.max_concurrency)
        return replace(parts, records=writer)

    def bind(
        self, table: dynamodb.ITable, downloader_id: str, *, max_concurrency: int
    ) -> RecordWriter:
        """The states that write one answer's records to ``table``."""
        return RecordWriter(
            self, table=table, partition=records_partition(downloader_id),
            max_concurrency=max(1, min(max_concurrency, INLINE_MAP_MAX_CONCURRENCY)),
        )  # fmt: skip

    def partitions(self, downloader_id: str) -> tuple[str, ...]:
        """The partition keys the records are written under (granted to the role)."""
        return (records_partition(downloader_id),)

    def __repr__(self) -> str:
        version = f", version={self.version!r}" if self.version is not None else ""
        keep = "" if self.keep_answers is True else f", keep_answers={self.keep_answers!r}"
        return f"Records.{self.mode}(items={self.items!r}, key={self.key!r}{version}{keep})"


class RecordWriter:
    """The bound ``Records``: builds the states that write one answer's (or page's) records."""

    def __init__(
        self, records: Records, *, table: dynamodb.ITable, partition: str, max_concurrency: int
    ) -> None:
        self._records = records
        self._table = table
        self._partition = partition
        self._max_concurrency = max_concurrency

    @property
    def keeps_answers(self) -> bool:
        """True when the answer is still stored as an item besides its records."""
        return self._records.keep_answers

    def raw_items(self, selector: Mapping[str, Any] | None) -> str | None:
        """The records' path in the raw answer, read through ``selector`` (the
        ``result_selector``) as Persist reads its item (``_checks.through_selector``); ``None``
        when no plain path of the raw answer reads them (then a state must apply the selector
        first)."""
        return through_selector(self._records.items, selector)

    def states(
        self,
        scope: Construct,
        *,
        under: str,
        result_selector: Mapping[str, Any] | None = None,
        result_path: str | None = None,
        failed_key: str | None = None,
        time_path: str = SCHEDULED_TIME_PATH,
        prefix: str = "",
        through: Mapping[str, Any] | None = None,
        output_path: str | None = None,
    ) -> sfn.Chain:
        """``ReadRecords → RecordsValid → WriteRecords``; the selected result (or raw answer)
        is at ``under`` (``$``, ``$.result``, ``$.raw``). The Map's own result is discarded
        unless ``result_selector``/``result_path`` say where it goes (a page loop drops the page
        that way).

        ``failed_key``: in a Map iteration (a fan-out's path, a page of ``page_count``), the
        path of the iteration's key: a bad record, or a write that fails after its retries,
        ends the iteration as a failed outcome (``{"ok": false, "key", "error"[, "cause"]}``,
        which the Map's ``AnyFailed`` turns into ``Downloader.RequestsFailed``), instead of
        failing the run. ``time_path``: where the run's scheduled time is (a Map item carries
        it). ``prefix``: before every state and variable name, for a second set of these
        states in one state machine (``page_count``'s first page).

        ``through``: the state at ``under`` is the raw answer, not the selected result: the
        records are read where this ResultSelector would have read them (the checked page loop,
        whose state is the raw page: no state applies the selector, no JSONata evaluates the
        page). ``failed_key`` and ``time_path`` may then read a variable (``$pathLoop.key``).
        ``output_path``: the Map's ``OutputPath`` (the page loop's next state, which its
        ResultSelector reads from a variable)."""
        records = self._records
        names = _Names(prefix)
        within = records.items if through is None else self.raw_items(through)
        assert within is not None, "raw_items was checked"
        items = _rebased(within, under)
        listed = jsonata_path(within, _jsonata_root(under))
        assign = {names.problem: "{% " + self._problem(listed) + " %}"}
        if records.version is not None:
            assign[names.orders] = "{% " + self._orders(listed) + " %}"
        read = sfn.Pass.jsonata(scope, names.state("ReadRecords"), assign=assign)
        bad: sfn.State
        if failed_key is None:
            bad = sfn.Fail.jsonata(
                scope, names.state("BadRecord"), error=BAD_RECORD_ERROR,
                cause="{% $" + names.problem + " %}",
            )  # fmt: skip
        else:  # this iteration fails (the others go on), as a failed request does
            key = _jsonata_of(failed_key)
            bad = sfn.Pass.jsonata(
                scope, names.state("BadRecord"),
                outputs="{% {'ok': false, 'key': " + key + ", 'error': "
                + json.dumps(BAD_RECORD_ERROR) + ", 'cause': $" + names.problem + "} %}",
            )  # fmt: skip
        selector: dict[str, Any] = {
            f"{_RECORD}.$": "$$.Map.Item.Value",
        }
        if records.version is not None:
            selector[f"{_ORDER}.$"] = f"States.ArrayGetItem(${names.orders}, $$.Map.Item.Index)"
        if time_path != SCHEDULED_TIME_PATH:  # the iteration's input holds the time, not $$
            selector[f"{SCHEDULED_TIME_KEY}.$"] = time_path
        write = sfn.Map(
            scope, names.state(RECORDS_MAP_STATE), items_path=items, item_selector=selector,
            max_concurrency=self._max_concurrency,
            result_selector=dict(result_selector) if result_selector is not None else None,
            result_path=result_path or (sfn.JsonPath.DISCARD if result_selector is None else None),
            output_path=output_path,
        )  # fmt: skip
        inner_time = (
            SCHEDULED_TIME_PATH if time_path == SCHEDULED_TIME_PATH else f"$.{SCHEDULED_TIME_KEY}"
        )
        write.item_processor(self._put(scope, names, inner_time))
        if failed_key is not None:
            failed = record_failure(scope, names.state("RecordsFailed"), key_path=failed_key)
            catch_into(failed, write)
        valid = (
            sfn.Choice.jsonata(scope, names.state("RecordsValid"))
            .when(sfn.Condition.jsonata("{% $" + names.problem + " != null %}"), bad)
            .otherwise(write)
        )
        read.next(valid)
        return sfn.Chain.custom(read, [write], write)

    def _put(self, scope: Construct, names: _Names, time_path: str) -> sfn.IChainable:
        records = self._records
        record = f"$.{_RECORD}"
        fields = records.key_fields
        if len(fields) == 1:
            key = sfn.JsonPath.format("{}", sfn.JsonPath.string_at(f"{record}.{fields[0]}"))
        else:
            key = sfn.JsonPath.json_to_string(
                sfn.JsonPath.array(*(sfn.JsonPath.string_at(f"{record}.{f}") for f in fields))
            )
        if records.mode == APPEND:
            key = sfn.JsonPath.format("{}#{}", key, sfn.JsonPath.string_at(time_path))
        item = {
            PARTITION_KEY: tasks.DynamoAttributeValue.from_string(self._partition),
            SORT_KEY: tasks.DynamoAttributeValue.from_string(key),
            RECORD_ATTRIBUTE: tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(record))
            ),
            RECORD_SCHEDULED_TIME_ATTRIBUTE: tasks.DynamoAttributeValue.from_string(
                sfn.JsonPath.string_at(time_path)
            ),
        }
        conditional = records.version is not None
        if conditional:
            item[RECORD_VERSION_ORDER_ATTRIBUTE] = tasks.DynamoAttributeValue.number_from_string(
                sfn.JsonPath.string_at(f"$.{_ORDER}")
            )
        # Each iteration's output is {} (OutputPath null): the Map's result stays a few bytes a
        # record, never the records again (a page near 256 KiB would exceed it otherwise).
        put = tasks.DynamoPutItem(
            scope, names.state("PutRecord"), table=self._table, item=item,
            condition_expression=(
                f"attribute_not_exists(#{SORT_KEY}) OR #{_ORDER} < :{_ORDER}"
                if conditional else None
            ),
            expression_attribute_names=(
                {f"#{SORT_KEY}": SORT_KEY, f"#{_ORDER}": RECORD_VERSION_ORDER_ATTRIBUTE}
                if conditional else None
            ),
            expression_attribute_values=(
                {f":{_ORDER}": tasks.DynamoAttributeValue.number_from_string(
                    sfn.JsonPath.string_at(f"$.{_ORDER}"))}
                if conditional else None
            ),
            result_path=sfn.JsonPath.DISCARD, output_path=sfn.JsonPath.DISCARD,
        )  # fmt: skip
        put.add_retry(**retry_kwargs(persist_retry()))
        if conditional:  # a newer (or the same) version is stored: nothing to do
            put.add_catch(
                sfn.Pass(scope, names.state("RecordKept"), output_path=sfn.JsonPath.DISCARD),
                errors=[CONDITIONAL_CHECK_FAILED_ERROR],
                result_path=sfn.JsonPath.DISCARD,
            )
        return put

    def _problem(self, listed: str) -> str:
        """JSONata: the first bad record's description (index and field), else ``null``."""
        records = self._records

        def says(text: str) -> str:  # "Record <i><text>", as a JSONata string
            return "'Record ' & $i & " + json.dumps(text)

        checks = []
        for field in records.key_fields:
            value = f"$lookup($r, {json.dumps(field)})"
            checks.append(
                f"$not($exists({value})) ? {says(f' has no key field {field!r}.')} : "
                f"($type({value}) != 'string' and $type({value}) != 'number') ? "
                f"{says(f': its key field {field!r} is a ')} & $type({value}) & "
                "', neither a string nor a number.'"
            )
        if records.version is not None:
            field = records.version
            value = f"$lookup($r, {json.dumps(field)})"
            checks.append(
                f"$not($exists({value})) ? {says(f' has no version field {field!r}.')} : "
                f"$not($type({value}) = 'number' or ($type({value}) = 'string' and "
                f"$contains({value}, {_ISO_TIME}))) ? "
                + says(
                    f": its version field {field!r} is neither a number nor an ISO 8601 time "
                    "with a zone."
                )
            )
        body = " : ".join(checks) + " : null"
        missing = json.dumps(f"No list of records at {records.items} in the answer.")
        not_a_list = json.dumps(f"The records at {records.items} are not a list (JSON type ")
        return (
            f"( $list := {listed}; $found := $filter([$map($list, function($r, $i) {{ "
            f"$type($r) != 'object' ? {says(' is not an object.')} : {body} }})], "
            "function($p) { $type($p) = 'string' }); "
            f"$not($exists($list)) ? {missing} : $type($list) != 'array' ? {not_a_list} & "
            "$type($list) & ').' : $count($found) > 0 ? $found[0] : null )"
        )

    def _orders(self, listed: str) -> str:
        """JSONata: each record's version order as text (epoch milliseconds of an ISO time, or
        the number), in the records' order."""
        name = json.dumps(self._records.version)
        return (
            "( $text := function($v) { $type($v) = 'number' and $v = $floor($v) and "
            f"$abs($v) <= {_MAX_SAFE_INTEGER} ? $formatInteger($v, '0') : $string($v) }}; "
            # A version of neither kind orders as 0: RecordsValid fails the run before any
            # write, and $toMillis of a text that is not a time would fail it here, unnamed.
            f"$order := function($v) {{ $type($v) = 'number' ? $v : ($type($v) = 'string' and "
            f"$contains($v, {_ISO_TIME})) ? $toMillis($v) : 0 }}; "
            f"[$map({listed}, function($r) {{ $text($order($lookup($r, {name}))) }})] )"
        )


class _Names:
    """The records states' and variables' names, with a prefix for a second set of them."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        lower = prefix[:1].lower() + prefix[1:]
        self.problem = (lower + "RecordProblem") if prefix else _PROBLEM_VARIABLE
        self.orders = (lower + "RecordOrders") if prefix else _ORDERS_VARIABLE

    def state(self, name: str) -> str:
        return self._prefix + name


def _rebased(path: str, under: str) -> str:
    """``path`` (relative to the selected result) as a path of the state, where the selected
    result is at ``under``."""
    if under == "$":
        return path
    return under + path[1:]


def _jsonata_of(path: str) -> str:
    """JSONata reading the JSONPath ``path`` of the state (``$.key``) or of a variable
    (``$pathLoop.key``)."""
    if path == "$" or path.startswith(("$.", "$[")):
        return jsonata_path(path, "$states.input")
    variable, _, rest = path[1:].partition(".")
    return jsonata_path("$." + rest, "$" + variable) if rest else path


def _jsonata_root(under: str) -> str:
    """JSONata for the state's ``under`` (``$.raw`` → ``$states.input.raw``)."""
    return jsonata_path(under, "$states.input") if under != "$" else "$states.input"


__all__ = ["RecordWriter", "Records", "records_partition"]
