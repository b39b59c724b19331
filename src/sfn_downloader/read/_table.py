"""DownloaderTable: one downloader's answers, read back from its DynamoDB table with Query."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._contract import (
    ANSWER_SORT_KEY_FLOOR,
    DELIVERED_SORT_KEY_PREFIX,
    KEY_SEPARATOR,
    PARTITION_KEY,
    RECORD_ATTRIBUTE,
    RECORD_SCHEDULED_TIME_ATTRIBUTE,
    RECORDS_PARTITION_SUFFIX,
    RUN_ATTRIBUTE,
    RUN_STARTED_ATTRIBUTE,
    SORT_KEY,
    TTL_ATTRIBUTE,
)
from ._values import TimeValue, is_answer_key, key_suffix, key_text, key_time, plain

if TYPE_CHECKING:
    import pandas  # type: ignore[import-untyped]

LATEST_PAGE_SIZE = 10
"""``latest()`` reads this many items a request (expired ones may have to be skipped)."""

Item = dict[str, Any]
"""One stored answer as plain Python values (``pk``, ``sk`` and the ``item`` attributes)."""


class DownloaderTable:
    """One downloader's stored answers, read with DynamoDB ``Query`` (boto3; no aws-cdk-lib).

    ::

        data = DownloaderTable("EvePlayerCount-Table1234", downloader_id="eve/player-count")
        for item in data.between("2026-11-27T05:00:00Z", "2026-11-27T06:00:00Z"):
            print(item["sk"], item["count"])

    Items come back as plain Python values: strings, ``bool``, ``None``, lists, dicts, and
    numbers as ``int`` when integral, else ``decimal.Decimal`` (exact: no float rounding).
    ``ItemField.json`` attributes are JSON text, as stored. The downloader's own state item
    (``sk = "#state"``), and any item whose ``sk`` is not one the downloader writes for an
    answer (``<scheduled time>`` or ``<scheduled time>#<suffix>``), is never returned.
    Expired items (``retention``) that DynamoDB has not
    deleted yet are left out, as if deleted: DynamoDB's time to live deletes them typically
    within two days of their expiry, and until then they still appear in reads.

    :param table_name: The table's name: in a CDK app, ``pattern.table.table_name`` is a token
        until deploy, so export it as a stack output (the EVE example's ``PlayerCountTable``)
        and pass the deployed value.
    :param downloader_id: The downloader's partition key value (``pattern.downloader_id``).
    :param client: A boto3 DynamoDB client. Default: ``boto3.client("dynamodb")``, region and
        credentials from the environment (``AWS_REGION``, ``AWS_PROFILE``, ...), or
        ``region_name``.
    :param region_name: The table's region, for the default client. Default: the environment's.
    :param page_size: ``Limit`` of each ``Query`` request (items evaluated per request).
        Default: DynamoDB's, up to 1 MB of items a request.
    :param consistent_read: Strongly consistent reads (twice the read capacity).
        Default: ``False``, eventually consistent.
    :param include_expired: Also return items past their ``expiresAt`` that DynamoDB has not
        deleted yet. Default: ``False``.
    """

    def __init__(
        self,
        table_name: str,
        *,
        downloader_id: str,
        client: Any = None,
        region_name: str | None = None,
        page_size: int | None = None,
        consistent_read: bool = False,
        include_expired: bool = False,
    ) -> None:
        if not isinstance(table_name, str) or not table_name:
            raise ValueError(f"table_name {table_name!r} must be a table's name.")
        if not isinstance(downloader_id, str) or not downloader_id:
            raise ValueError(
                f"downloader_id {downloader_id!r} must be the downloader's partition key value "
                "(pattern.downloader_id)."
            )
        if page_size is not None and (
            isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1
        ):
            raise ValueError(f"page_size {page_size!r} must be a positive integer.")
        if client is None:
            import boto3  # type: ignore[import-untyped]

            client = boto3.client("dynamodb", region_name=region_name)
        self._client = client
        self.table_name = table_name
        """The table's name."""
        self.downloader_id = downloader_id
        """The downloader's partition key value."""
        self._page_size = page_size
        self._consistent_read = consistent_read
        self._include_expired = include_expired

    def between(self, start: TimeValue, end: TimeValue) -> Items:
        """The answers of the runs scheduled from ``start`` (included) to ``end`` (excluded),
        in sort key order: time order, and within one run its paths or pages in key order.

        Half-open, like ``range``: ``between(t0, t1)`` and ``between(t1, t2)`` never share a
        run and leave none out. Every item of a run in the range comes back, its ``#`` suffixed
        ones (``<scheduled time>#<path or page>``) included. Times are ``datetime`` (naive =
        UTC) or ISO 8601 text; a fraction of a second rounds up (scheduled times are whole
        seconds). Nothing is read until the result is iterated; each iteration queries anew.
        """
        low, high = key_text(start, what="start"), key_text(end, what="end")
        if low > high:
            raise ValueError(f"start {low} is after end {high}.")
        return Items(self, low, high)

    def latest(self) -> Item | None:
        """The newest stored answer (the greatest ``sk``), or ``None`` when there is none.

        With several answers a run, the last one of the newest run in key order; its run's
        consistent set is ``pages(item["sk"])``.
        """
        # A small Limit: without one, the first request would read up to 1 MB of items (and pay
        # for them) to return one.
        for item in self._query(
            "#sk >= :floor", {":floor": {"S": ANSWER_SORT_KEY_FLOOR}}, forward=False,
            limit=self._page_size or LATEST_PAGE_SIZE,
        ):  # fmt: skip
            return item
        return None

    def pages(self, scheduled_time: TimeValue) -> list[Item]:
        """The consistent set of answers of the run scheduled at ``scheduled_time``: the pages
        (pagination) or paths (fan-out) of its newest delivery that stored them all, or its
        one answer; ``[]`` when no delivery finished.

        EventBridge Scheduler and Express workflows deliver at least once, and two deliveries
        of one scheduled time may overlap. Each delivery of a run of several answers stores its
        own items (``<scheduled time>#<execution name>#<page or path>``) and, once it stored
        every one, a completion item (``#delivered#<scheduled time>#<execution name>``, with
        ``run`` and ``runStartedAt``). The completed delivery that started last is the set
        returned: a delivery still running, failed or aborted (its pages partly stored) never
        is. Read with ``consistent_read=True`` right after a run: an eventually consistent read
        may see the completion item before a page written just before it.

        Items written before completion items existed (sfn-downloader 0.1, 0.2) are read as
        before: without a completed delivery, the items of ``scheduled_time`` not keyed by a
        delivery, those of the delivery that started last (``runStartedAt``), items without it
        as one older delivery. Pages come in page order (``#2`` before ``#10``), paths in key
        order.
        """
        key = key_text(scheduled_time, what="scheduled_time")
        completed = [
            item
            for item in self._query(
                "begins_with(#sk, :delivered)",
                {":delivered": {"S": f"{DELIVERED_SORT_KEY_PREFIX}{key}{KEY_SEPARATOR}"}},
                answers_only=False,
            )
            if isinstance(item.get(RUN_ATTRIBUTE), str) and item.get(RUN_ATTRIBUTE)
            and item.get(SORT_KEY) == _delivered_key(key, str(item[RUN_ATTRIBUTE]))
        ]  # fmt: skip
        if completed:
            newest = max(
                completed, key=lambda i: (str(i.get(RUN_STARTED_ATTRIBUTE)), i[RUN_ATTRIBUTE])
            )
            run = str(newest[RUN_ATTRIBUTE])
            prefix = f"{key}{KEY_SEPARATOR}{run}{KEY_SEPARATOR}"
            return sorted(
                (
                    item
                    for item in self._query("begins_with(#sk, :run)", {":run": {"S": prefix}})
                    if item.get(RUN_ATTRIBUTE) == run
                ),
                key=_page_order,
            )
        deliveries: dict[tuple[str, str] | None, list[Item]] = {}
        for item in self._query("begins_with(#sk, :time)", {":time": {"S": key}}):
            if not _is_of_run(item.get(SORT_KEY), key) or _is_delivery_keyed(item):
                continue  # a delivery's own items count only once it completed
            started, written_by = item.get(RUN_STARTED_ATTRIBUTE), item.get(RUN_ATTRIBUTE)
            delivery = (
                (str(started), str(written_by)) if started is not None and written_by else None
            )
            deliveries.setdefault(delivery, []).append(item)
        if not deliveries:
            return []
        newest_legacy = max(deliveries, key=lambda d: (d is not None, d or ("", "")))
        return sorted(deliveries[newest_legacy], key=_page_order)

    def records(self) -> RecordItems:
        """Every current record (``records=Records.merge`` or ``Records.append``), in key
        order: with ``append``, each key's newest version. Each record is a dict of its own
        fields, numbers exact (``int``, or ``decimal.Decimal``). Nothing is read until the
        result is iterated (paginated ``Query`` requests on the records partition,
        ``pk = <downloader id>#records``); each iteration queries anew."""
        return RecordItems(self)

    def record(self, key: RecordKey) -> Record | None:
        """The record stored under ``key`` (``Records.merge``), or, with ``Records.append``,
        its newest version; ``None`` when there is none.

        :param key: The key's value (a string or an integer), or for a compound key a tuple of
            values in the order of ``Records.merge(key=(...))``.
        """
        versions = self._versions(key)
        return _record_of(versions[-1]) if versions else None

    def history(self, key: RecordKey) -> list[tuple[str, Record]]:
        """Every stored version of the record ``key`` (``Records.append``), oldest first, each
        as ``(scheduled time of the run that stored it, record)``; with ``Records.merge``, the
        one current version.

        :param key: As for ``record``.
        """
        return [
            (str(item.get(RECORD_SCHEDULED_TIME_ATTRIBUTE)), _record_of(item))
            for item in self._versions(key)
        ]

    def _versions(self, key: RecordKey) -> list[Item]:
        """The items of the record ``key``, in sk order (an appended record's oldest first):
        one ``Query`` on ``begins_with(sk, <key>)``, other keys with that prefix left out."""
        for text in _key_texts(key):
            found = [
                item
                for item in self._records_query("begins_with(#sk, :key)", {":key": {"S": text}})
                if item.get(SORT_KEY) == text or _appended_key(item) == text
            ]
            if found:
                return found
        return []

    def _records_query(self, condition: str | None, values: Mapping[str, Any]) -> Iterator[Item]:
        return self._query(
            condition, values, partition=self.downloader_id + RECORDS_PARTITION_SUFFIX,
            answers_only=False,
        )  # fmt: skip

    def _query(
        self,
        condition: str | None,
        values: Mapping[str, Any],
        *,
        forward: bool = True,
        limit: int | None = None,
        partition: str | None = None,
        answers_only: bool = True,
    ) -> Iterator[Item]:
        """Every item of this downloader (or of ``partition``) whose ``sk`` meets
        ``condition``: one ``Query`` request per page of results, following
        ``LastEvaluatedKey``."""
        from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped]

        deserializer = TypeDeserializer()
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk" + (f" AND {condition}" if condition else ""),
            "ExpressionAttributeNames": {
                "#pk": PARTITION_KEY,
                **({"#sk": SORT_KEY} if condition else {}),
            },
            "ExpressionAttributeValues": {
                ":pk": {"S": partition or self.downloader_id},
                **values,
            },
            "ScanIndexForward": forward,
            "ConsistentRead": self._consistent_read,
        }
        if limit or self._page_size:
            request["Limit"] = limit or self._page_size
        if not self._include_expired:
            # DynamoDB applies the filter after reading a page: Limit counts the items read.
            request["FilterExpression"] = "attribute_not_exists(#ttl) OR #ttl > :now"
            request["ExpressionAttributeNames"]["#ttl"] = TTL_ATTRIBUTE
            request["ExpressionAttributeValues"][":now"] = {"N": str(int(time.time()))}
        while True:
            response = self._client.query(**request)
            for raw in response.get("Items", []):
                # Only keys the downloader writes: another writer's item in this partition
                # ("zzz", "2026-11-27T05:30:00Zjunk") is never taken for an answer.
                if not answers_only or is_answer_key(raw.get(SORT_KEY, {}).get("S")):
                    yield {name: plain(deserializer.deserialize(v)) for name, v in raw.items()}
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            request["ExclusiveStartKey"] = last

    def __repr__(self) -> str:
        return f"DownloaderTable({self.table_name!r}, downloader_id={self.downloader_id!r})"


class Items:
    """A time range of one downloader's answers (``DownloaderTable.between``): iterate it, or
    take it as ``to_rows()`` or ``to_dataframe()``. Each iteration queries the table anew."""

    def __init__(self, table: DownloaderTable, start: str, end: str) -> None:
        self._table = table
        self.start = start
        """The first scheduled time included, as a sort key (``2026-11-27T05:00:00Z``)."""
        self.end = end
        """The first scheduled time excluded, as a sort key."""

    def __iter__(self) -> Iterator[Item]:
        if self.start == self.end:
            return iter(())
        # `sk BETWEEN :start AND :end` would miss nothing before `end` but take `end` itself,
        # and `sk < :end` cannot be combined with a lower bound (one sort key condition a
        # Query). Keys start with a fixed-width time, so the end bound is `end` without its
        # final "Z": every key of an earlier second (suffixed or not) differs from it before
        # that position and sorts below it; every key of `end` itself has it as a prefix and
        # sorts above it. DynamoDB compares strings by their UTF-8 bytes.
        return self._table._query(
            "#sk BETWEEN :start AND :end",
            {":start": {"S": self.start}, ":end": {"S": self.end[:-1]}},
        )

    def to_rows(self) -> list[Item]:
        """Every item of the range, in order, as a list of dicts."""
        return list(self)

    def to_dataframe(self) -> pandas.DataFrame:
        """Every item of the range as a ``pandas.DataFrame``, one row an item, one column an
        attribute (``pk``, ``sk``, ...), indexed by the scheduled time (``scheduledTime``, UTC
        timestamps; a run of several answers has one row each). Needs pandas
        (``pip install 'sfn-downloader[pandas]'``)."""
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "to_dataframe() needs pandas: pip install 'sfn-downloader[pandas]' "
                "(or use to_rows())."
            ) from None
        rows = self.to_rows()
        index = pandas.DatetimeIndex(
            [key_time(row[SORT_KEY]) for row in rows], name="scheduledTime", tz="UTC"
        )
        return (
            pandas.DataFrame.from_records(rows, index=index)
            if rows
            else pandas.DataFrame(index=index)
        )

    def __repr__(self) -> str:
        return f"Items({self._table!r}, start={self.start!r}, end={self.end!r})"


RecordKey = str | int | tuple[str | int, ...]
"""A record's key as ``record``/``history`` take it: a value, or a tuple for a compound key."""
Record = dict[str, Any]
"""One record: its own fields, as the API wrote them (numbers exact)."""


class RecordItems:
    """Every current record of a downloader (``DownloaderTable.records``): iterate it, or take
    it as ``to_rows()`` or ``to_dataframe()``. Each iteration queries the table anew."""

    def __init__(self, table: DownloaderTable) -> None:
        self._table = table

    def __iter__(self) -> Iterator[Record]:
        # Append: a key's versions are consecutive in sk order (<key>#<time>); keep the last.
        pending: tuple[str, Item] | None = None
        for item in self._table._records_query(None, {}):
            key = _appended_key(item) or str(item.get(SORT_KEY))
            if pending is not None and pending[0] != key:
                yield _record_of(pending[1])
            pending = (key, item)
        if pending is not None:
            yield _record_of(pending[1])

    def to_rows(self) -> list[Record]:
        """Every current record, in key order, as a list of dicts."""
        return list(self)

    def to_dataframe(self) -> pandas.DataFrame:
        """Every current record as a ``pandas.DataFrame``, one row a record, one column a field.
        Needs pandas (``pip install 'sfn-downloader[pandas]'``)."""
        try:
            import pandas
        except ImportError:
            raise ImportError(
                "to_dataframe() needs pandas: pip install 'sfn-downloader[pandas]' "
                "(or use to_rows())."
            ) from None
        return pandas.DataFrame.from_records(self.to_rows())

    def __repr__(self) -> str:
        return f"RecordItems({self._table!r})"


def _record_of(item: Item) -> Record:
    """The record an item holds (its JSON text), numbers exact."""
    value = json.loads(str(item.get(RECORD_ATTRIBUTE, "{}")), parse_float=Decimal)
    return value if isinstance(value, dict) else {"value": value}


def _appended_key(item: Item) -> str | None:
    """An appended record's key text (``sk = <key>#<scheduled time>``); ``None`` for a merged
    record (``sk = <key>``)."""
    sort_key, when = str(item.get(SORT_KEY)), item.get(RECORD_SCHEDULED_TIME_ATTRIBUTE)
    suffix = f"{KEY_SEPARATOR}{when}"
    return sort_key[: -len(suffix)] if isinstance(when, str) and sort_key.endswith(suffix) else None


def _key_texts(key: RecordKey) -> list[str]:
    """The sort key texts a key may be stored under: a value's own text; a compound key's JSON
    array text, as Step Functions' ``States.JsonToString`` writes it (compact; non-ASCII
    characters as they are, or escaped: both are tried)."""
    if isinstance(key, tuple):
        if not key:
            raise ValueError("key () must hold the value of each field of the compound key.")
        values = [_key_value(v) for v in key]
        texts = [json.dumps(values, separators=(",", ":"), ensure_ascii=False)]
        escaped = json.dumps(values, separators=(",", ":"))
        return texts + ([escaped] if escaped != texts[0] else [])
    value = _key_value(key)
    return [value if isinstance(value, str) else str(value)]


def _key_value(value: object) -> str | int | Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise ValueError(
            f"key value {value!r} must be a string or an integer (a record's key field)."
        )
    return value


def _delivered_key(key: str, run: str) -> str:
    """The completion item's ``sk`` of delivery ``run`` of the run scheduled at ``key``."""
    return f"{DELIVERED_SORT_KEY_PREFIX}{key}{KEY_SEPARATOR}{run}"


def _is_delivery_keyed(item: Item) -> bool:
    """True for an item of a run of several answers keyed by its delivery
    (``<time>#<run>#<page or path>``, ``run`` naming it)."""
    run, suffix = item.get(RUN_ATTRIBUTE), key_suffix(str(item.get(SORT_KEY)))
    return (
        isinstance(run, str) and bool(run) and suffix is not None
        and suffix.startswith(run + KEY_SEPARATOR)
    )  # fmt: skip


def _is_of_run(sort_key: Any, key: str) -> bool:
    return isinstance(sort_key, str) and (sort_key == key or key_suffix(sort_key) is not None)


def _page_order(item: Item) -> tuple[str, int, int]:
    """Pages by number within their prefix: ``#2`` before ``#10``, and so for a delivery's own
    pages (``#<execution name>#2``, with ``incremental``); paths in key order."""
    suffix = key_suffix(str(item.get(SORT_KEY))) or ""
    prefix, _, last = suffix.rpartition(KEY_SEPARATOR)
    return (prefix, 0, int(last)) if last.isdigit() else (suffix, 1, 0)
