"""Fan-out: one run fetches many paths, each answer stored as its own item.

``FanOut.paths([...])`` lists concrete paths (no ``path``); ``FanOut.path_values({...})`` fills
the ``{name}`` placeholders of ``path`` with every combination of values. A run:
ListRequests (a Pass holding the requests) → FetchAll (a Map: Download → Persist per path) →
AnyFailed. Items are keyed ``sk = <scheduled time>#<path as given>``.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator, Mapping, Sequence

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._checks import check_path
from ._contract import (
    MAP_SCHEDULED_TIME_PATH,
    PLACEHOLDER_NAMES,
    REQUEST_PATH,
    REQUESTS_PATH,
    RESPONSE_PATH,
    SCHEDULED_TIME_KEY,
    SCHEDULED_TIME_PATH,
)
from ._parts import CheckContext, Request, RunParts, Target
from ._states import SUCCEEDED, catch_into, record_failure, sort_key
from .errors import Problem

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_PLACEHOLDER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_TARGETS_BYTES = 200 * 1024
"""The fan-out's request list travels in the state data (256 KiB at most): keep room."""


class FanOut:
    """Several requests a run, each answer its own item. Use the static methods to create one."""

    def __init__(
        self,
        *,
        paths: Sequence[str] | None = None,
        values: Mapping[str, Sequence[str | int]] | None = None,
    ) -> None:
        self.listed_paths = paths
        """``FanOut.paths``: the concrete paths (else ``None``)."""
        self.placeholder_values = values
        """``FanOut.path_values``: the placeholders' values (else ``None``)."""

    @staticmethod
    def paths(paths: Sequence[str]) -> FanOut:
        """Fetch each of ``paths`` every run (instead of ``path``), e.g.
        ``FanOut.paths(["/v1/a", "/v1/b?x=1"])``. Each answer is stored as its own item,
        ``sk = <scheduled time>#<path>``."""
        return FanOut(paths=paths)

    @staticmethod
    def path_values(values: Mapping[str, Sequence[str | int]]) -> FanOut:
        """Fill ``path``'s ``{name}`` placeholders (``path="/v1/markets/{region_id}/orders/"``)
        with every combination of ``values`` (``{"region_id": [10000002, 10000043]}``): one
        request a combination, ``sk = <scheduled time>#<concrete path>``."""
        return FanOut(values=values)

    @property
    def several_requests(self) -> bool:
        """Every path is its own item."""
        return True

    @property
    def uses_map(self) -> bool:
        """The requests run in a Map."""
        return True

    def check(self, context: CheckContext) -> Iterator[Problem]:
        """The paths (or the template and its values): concrete, unique, small enough."""
        problems: list[Problem] = []
        self.targets(context.path, problems)
        yield from problems

    def targets(self, path: str | None, problems: list[Problem]) -> tuple[Target, ...]:
        """The requests of a run, adding a problem for each defect."""
        if self.listed_paths is not None:
            if path is not None:
                problems.append(
                    Problem(
                        "fan_out",
                        _shown(self.listed_paths),
                        "FanOut.paths is given together with `path`.",
                        "pass either path='/one' or fan_out=FanOut.paths(['/a', '/b']), not both.",
                    )
                )
            return _targets_of_paths(self.listed_paths, problems)
        if path is None:
            problems.append(
                Problem(
                    "path",
                    None,
                    "is missing: FanOut.path_values fills the placeholders of `path`.",
                    "pass path='/x/{name}' with FanOut.path_values, or FanOut.paths([...]).",
                )
            )
            return ()
        check_path(path, problems, template=True)
        return _targets_of_template(path, self.placeholder_values, problems)

    def build(self, scope: Construct, parts: RunParts) -> sfn.IChainable:
        """ListRequests → FetchAll (Download → Persist per path) → AnyFailed."""
        targets = self.targets(parts.request.given, [])
        requests = sfn.Pass(
            scope,
            "ListRequests",
            result=sfn.Result.from_object(
                {REQUESTS_PATH[2:]: [parts.downloads.listed(t) for t in targets]}
            ),
        )
        download = parts.downloads.task(
            scope, "Download", path=sfn.JsonPath.string_at(f"{REQUEST_PATH}.path"),
            query_path=f"{REQUEST_PATH}.query", result_selector=parts.result_selector,
            result_path=RESPONSE_PATH,
        )  # fmt: skip
        persist = parts.persists.task(
            scope, "Persist", sort_key=sort_key(MAP_SCHEDULED_TIME_PATH, f"{REQUEST_PATH}.key"),
            result_under=RESPONSE_PATH, result_selector=SUCCEEDED, in_map=True,
        )  # fmt: skip
        failure = record_failure(scope, "RecordFailure", key_path=f"{REQUEST_PATH}.key")
        catch_into(failure, download, persist)
        fetch_all = parts.maps.build(
            scope,
            "FetchAll",
            items_path=REQUESTS_PATH,
            item_selector={
                REQUEST_PATH[2:]: sfn.JsonPath.object_at("$$.Map.Item.Value"),
                SCHEDULED_TIME_KEY: sfn.JsonPath.string_at(SCHEDULED_TIME_PATH),
                **parts.persists.map_item_fields(),
            },
            iteration=download.next(persist),
        )
        return requests.next(fetch_all)

    def request_paths(self, request: Request) -> tuple[str, ...]:
        """Every path: the download task takes them from the state, so it grants none."""
        return tuple(t.path for t in self.targets(request.given, []))

    def describe(self, request: Request) -> str:
        """The first path, and how many more."""
        targets = self.targets(request.given, [])
        more = len(targets) - 1
        return targets[0].key + (f" and {more} more" if more else "")

    def __repr__(self) -> str:
        if self.listed_paths is not None:
            return f"FanOut.paths({_shown(self.listed_paths)!r})"
        return f"FanOut.path_values({_shown(self.placeholder_values)!r})"


def _shown(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return list(value)
    return value


def _targets_of_paths(paths: Sequence[str], problems: list[Problem]) -> tuple[Target, ...]:
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
        resource, query = check_path(path, problems, f"fan_out.paths[{index}]")
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


def _targets_of_template(
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
    names = _PLACEHOLDER.findall(path)
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
                    _shown(options),
                    f"uses the reserved name {name!r}: {', '.join(PLACEHOLDER_NAMES)} are the "
                    "run's time placeholders.",
                    f"rename it (e.g. {name + '_id'!r}) in the path and in FanOut.path_values.",
                )
            )
        elif name not in names:
            problems.append(
                Problem(
                    prop,
                    _shown(options),
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
    if len(problems) > before:
        return ()
    targets = []
    for combination in itertools.product(*(values[name] for name in values)):
        concrete = path
        for name, value in zip(values, combination, strict=True):
            concrete = concrete.replace("{" + name + "}", str(value))
        resource, query = check_path(concrete, problems)
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
