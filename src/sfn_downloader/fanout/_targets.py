"""The fan-out's request list, checked: the listed paths (``FanOut.paths``), or every
combination of a path template's placeholder values (``FanOut.path_values``)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import unquote

from .._checks import check_path
from .._checks import masked_times as masked
from .._checks import time_tokens as tokens
from .._contract import PLACEHOLDER_NAMES
from .._parts import Target
from ..errors import Problem

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_TARGETS_BYTES = 200 * 1024
"""The fan-out's request list travels in the state data (256 KiB at most): keep room."""


def shown(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


def targets_of_paths(paths: Sequence[str], problems: list[Problem]) -> tuple[Target, ...]:
    if isinstance(paths, str) or not isinstance(paths, Sequence) or not paths:
        problems.append(
            Problem(
                "fan_out",
                paths,
                "FanOut.paths takes a non-empty list of paths.",
                "pass e.g. FanOut.paths(['/v1/a', '/v1/b']), or path='/v1/a' for one.",
            )
        )
        return ()
    targets = []
    for index, path in enumerate(paths):
        # Time placeholders ({scheduled_time:date}) are filled each run by the listing.
        shown = masked(path) if isinstance(path, str) else path
        check_path(shown, problems, f"fan_out.paths[{index}]")
        resource, query = check_path(path, [], template=True)
        targets.append(Target(resource, query, str(path)))
    seen: set[str] = set()
    for target in targets:
        if target.key in seen:
            problems.append(
                Problem(
                    "fan_out.paths",
                    target.key,
                    "is listed twice: both answers would be stored under one key.",
                    "remove the duplicate.",
                )
            )
        seen.add(target.key)
    return _checked_size("fan_out.paths", tuple(targets), problems)


def targets_of_template(
    path: str, values: Mapping[str, Sequence[str | int]] | None, problems: list[Problem]
) -> tuple[Target, ...]:
    if not isinstance(values, Mapping) or not values:
        problems.append(
            Problem(
                "fan_out",
                values,
                "FanOut.path_values takes a non-empty mapping of placeholder name to values.",
                "pass e.g. FanOut.path_values({'region_id': [10000002, 10000043]}).",
            )
        )
        return ()
    times = set(tokens(path))
    names = [name for name in _PLACEHOLDER.findall(path) if "{" + name + "}" not in times]
    before = len(problems)
    for name in names:
        if not _PLACEHOLDER_NAME.match(name):
            problems.append(
                Problem(
                    "path",
                    path,
                    f"has a placeholder {{{name}}} that is not a name.",
                    "use letters, digits and '_', e.g. '/v1/markets/{region_id}/orders/'.",
                )
            )
        elif name not in values:
            problems.append(
                Problem(
                    "path",
                    path,
                    f"has the placeholder {{{name}}} but FanOut.path_values has no {name!r}.",
                    f"add {name!r}: [...] to FanOut.path_values, or write the value into the path.",
                )
            )
    for name, options in values.items():
        prop = f"fan_out.path_values[{name!r}]"
        if name in PLACEHOLDER_NAMES:
            problems.append(
                Problem(
                    prop,
                    shown(options),
                    f"uses the reserved name {name!r}: {', '.join(PLACEHOLDER_NAMES)} are the "
                    "run's time placeholders.",
                    f"rename it (e.g. {name + '_id'!r}) in the path and in FanOut.path_values.",
                )
            )
        elif name not in names:
            problems.append(
                Problem(
                    prop,
                    shown(options),
                    f"fills no placeholder: path {path!r} has no {{{name}}}.",
                    f"add {{{name}}} to the path, or remove {name!r} from FanOut.path_values.",
                )
            )
        if isinstance(options, str) or not isinstance(options, Sequence) or not options:
            problems.append(
                Problem(
                    prop, options, "is not a non-empty list of values.", "pass e.g. [10000002]."
                )
            )
            continue
        texts = [str(option) for option in options]
        twice = sorted({text for text in texts if texts.count(text) > 1})
        if twice:
            problems.append(
                Problem(
                    prop,
                    twice if len(twice) > 1 else twice[0],
                    "is listed twice: both requests would be the same path, stored under one key.",
                    "remove the duplicate.",
                )
            )
        for option in options:
            text = str(option)
            if (
                not isinstance(option, str | int)
                or isinstance(option, bool)
                or not text
                or any(ch in text for ch in "/?#{} ")
            ):
                problems.append(
                    Problem(
                        prop,
                        option,
                        "is not a path segment (a non-empty string or int without '/', '?', "
                        "'#', braces or spaces).",
                        "pass plain segment values, e.g. 10000002 or 'buy'.",
                    )
                )
            elif unquote(text) in (".", ".."):
                problems.append(
                    Problem(
                        prop,
                        option,
                        "is a dot segment: a server reads '.' and '..' (also written %2E) as "
                        "'this path' and 'the parent path' (RFC 3986, 5.2.4), so the request "
                        "would go to another path.",
                        "pass the segment values the API names, or list the paths with "
                        "FanOut.paths.",
                    )
                )
    if len(problems) > before:
        return ()
    targets = []
    for combination in itertools.product(*(values[name] for name in values)):
        concrete = path
        for name, value in zip(values, combination, strict=True):
            concrete = concrete.replace("{" + name + "}", str(value))
        check_path(masked(concrete), problems)
        resource, query = check_path(concrete, [], template=True)
        targets.append(Target(resource, query, concrete))
    return _checked_size("fan_out.path_values", tuple(targets), problems)


def _checked_size(
    prop: str, targets: tuple[Target, ...], problems: list[Problem]
) -> tuple[Target, ...]:
    size = len(json.dumps([[t.path, t.query, t.key] for t in targets]))
    if size > MAX_TARGETS_BYTES:
        problems.append(
            Problem(
                prop,
                f"<{len(targets)} paths, {size // 1024} KiB>",
                f"the list of requests exceeds {MAX_TARGETS_BYTES // 1024} KiB; it travels in "
                "the state data, which Step Functions limits to 256 KiB.",
                "split the paths over several downloaders.",
            )
        )
    return targets
