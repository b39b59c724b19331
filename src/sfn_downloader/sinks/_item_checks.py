"""The item sink's checks of ``item``: attribute names, the paths they read, their kinds."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from aws_cdk import Token
from aws_cdk import aws_stepfunctions_tasks as tasks

from .._checks import is_json_path
from .._contract import PARTITION_KEY, SORT_KEY
from .._parts import CheckContext
from ..constant import Constant, looks_like_a_path
from ..errors import Problem
from ..item import ItemField

RAW_RESPONSE_FIELDS = ("Headers", "ResponseBody", "StatusCode", "StatusText")
_FIRST_SEGMENT = re.compile(r"^\$(?:\.([^.\[\]]+)|\['([^']+)'\])")


def check_item(
    item: Mapping[str, Any],
    result_selector: Mapping[str, Any] | None,
    context: CheckContext,
    *,
    written: tuple[str, ...],
) -> Iterator[Problem]:
    """``item`` against the selected result; ``written``: the attributes the downloader writes
    itself (which the item may not name)."""
    if not isinstance(item, Mapping) or not item:
        yield Problem(
            "item",
            item,
            "is empty: nothing of the answer would be stored.",
            "map at least one attribute, e.g. {'count': ItemField.number('$.players')}.",
        )
        return
    selector = result_selector if isinstance(result_selector, Mapping) else None
    fields = (
        RAW_RESPONSE_FIELDS
        if selector is None
        else tuple(key[:-2] if key.endswith(".$") else key for key in selector)
    )
    source = "result_selector" if result_selector is not None else "the raw response"
    for name, value in item.items():
        prop = f"item[{name!r}]"
        if not isinstance(name, str) or not name:
            yield Problem("item", name, "has an empty attribute name.", "name every attribute.")
        elif name in (PARTITION_KEY, SORT_KEY):
            yield Problem(
                prop,
                name,
                f"collides with the table's key attribute {name!r} "
                "(downloader id and scheduled time).",
                "rename the attribute.",
            )
        elif name in written:
            yield Problem(prop, name,
                          f"collides with the attribute {name!r} the downloader writes "
                          "itself (see README, Data model).",
                          "rename the attribute.")  # fmt: skip
        if isinstance(value, ItemField):
            yield from _check_item_path(prop, value.path, fields, source)
        elif isinstance(value, Constant):
            if not isinstance(value.value, str):
                yield Problem(prop, value.value, "a Constant holds a string.",
                              "pass e.g. Constant('v1').")  # fmt: skip
        elif isinstance(value, tasks.DynamoAttributeValue) and (
            literal := _path_like_literal(value.to_object())
        ):
            yield Problem(
                prop,
                literal,
                "is a constant that looks like a JSONPath: DynamoAttributeValue stores a "
                "plain string as written, on every run.",
                f"read the path with ItemField.string({literal!r}) (or .number/.boolean/"
                f".json), or pass Constant({literal!r}) if it is meant as written.",
            )
        elif isinstance(value, tasks.DynamoAttributeValue) and context.several_requests:
            yield Problem(
                prop,
                "DynamoAttributeValue",
                "cannot be used with several requests a run (fan_out or pagination): each "
                "answer sits elsewhere in the state, so its paths are rewritten, which only "
                "an ItemField allows.",
                "use ItemField.string/number/boolean/json(...).",
            )
        elif isinstance(value, tasks.DynamoAttributeValue) and context.keeps_result:
            yield Problem(
                prop,
                "DynamoAttributeValue",
                "cannot be used with post_process or archive: the answer then sits under "
                "$.result, so its paths are rewritten, which only an ItemField allows.",
                "use ItemField.string/number/boolean/json(...).",
            )
        elif not isinstance(value, tasks.DynamoAttributeValue):
            yield Problem(
                prop,
                value,
                "is neither an ItemField nor a DynamoAttributeValue (nor a Constant).",
                "use e.g. ItemField.number('$.players').",
            )


def _check_item_path(
    prop: str, path: str, fields: tuple[str, ...], source: str
) -> Iterator[Problem]:
    if not isinstance(path, str) or not is_json_path(path) or path.startswith("States."):
        yield Problem(prop, path, "is not a JSONPath.", "use e.g. '$.players'.")
        return
    if path.startswith("$$"):
        return  # the context object (e.g. $$.Execution.Input) is always there
    match = _FIRST_SEGMENT.match(path)
    if match:
        first = match.group(1) or match.group(2)
        if first not in fields:
            yield Problem(
                prop,
                path,
                f"reads {first!r}, which {source} does not produce "
                f"(it produces {', '.join(fields)}).",
                "fix the path, or add the field to result_selector.",
            )


def _path_like_literal(value: object) -> str | None:
    """The first plain string in a rendered attribute value that starts like a JSONPath."""
    if isinstance(value, str):
        return value if looks_like_a_path(value) and not Token.is_unresolved(value) else None
    elements = (
        list(value.values())
        if isinstance(value, Mapping)
        else list(value)
        if isinstance(value, list | tuple)
        else []
    )
    return next(filter(None, map(_path_like_literal, elements)), None)
