"""Build every pair of features with ``DownloaderPattern`` and print the compatibility matrix.

    python scripts/compat_matrix.py            # the Markdown on stdout
    python scripts/compat_matrix.py --write    # docs/compatibility-matrix.md (make matrix)

Each pair is constructed in a Stack of its own inside one App, never synthesized: a refusal is
the ``DownloaderConfigError`` raised at construction, and its problems' messages are the
reasons (footnotes). Every feature is first built alone with the minimal props it needs; a
feature that is invalid alone (``Concurrency.distributed`` needs a Map) is flagged, and a pair
refused only for that feature's own reason is counted apart: it is not a combination.
Features of one kind (two paginators, two fan-out kinds) are not pairs.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_stepfunctions as sfn

from sfn_downloader import (
    Archive,
    Concurrency,
    DownloaderConfigError,
    DownloaderPattern,
    FanOut,
    Incremental,
    ItemField,
    Pagination,
    Problem,
    Records,
    RetryAfter,
    Starts,
    StatusAction,
    Store,
    Transport,
    Trim,
)
from sfn_downloader import Window as TimeWindow

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "compatibility-matrix.md"
ENDPOINT = "https://api.example.com"


@dataclass
class Spec:
    """The props of one downloader under construction; each feature edits it."""

    stack: cdk.Stack
    path: str = "/v1/items"
    query: dict[str, str] = field(default_factory=lambda: {"lang": "en"})
    fan_out: str | None = None
    """``paths``, ``path_values`` or ``from_answer``."""
    props: dict[str, Any] = field(default_factory=dict)

    def build(self, construct_id: str) -> DownloaderPattern:
        query = "&".join(f"{name}={value}" for name, value in self.query.items())
        props: dict[str, Any] = {
            "endpoint": ENDPOINT,
            "result_selector": {"body.$": "$.ResponseBody"},
            "item": {"body": ItemField.json("$.body")},
            **self.props,
        }
        if self.fan_out == "paths":
            props["fan_out"] = FanOut.paths([f"{self.path}/{n}?{query}" for n in (1, 2)])
        elif self.fan_out == "path_values":
            props["path"] = f"{self.path}/{{region}}?{query}"
            props["fan_out"] = FanOut.path_values({"region": [1, 2]})
        elif self.fan_out == "from_answer":
            props["fan_out"] = FanOut.from_answer(
                path="/v1/types", each=f"{self.path}/{{item}}?{query}"
            )
        else:
            props["path"] = f"{self.path}?{query}"
        return DownloaderPattern(self.stack, construct_id, **props)


@dataclass(frozen=True)
class Feature:
    """What a user can pass, with the minimal props it needs alone."""

    name: str
    apply: Callable[[Spec], None]
    kinds: frozenset[str] = frozenset()
    """Features sharing a kind exclude each other by construction (one ``pagination``)."""
    invalid_alone: bool = False
    """True when the feature is refused alone (it needs another one to mean anything)."""


def _set(**props: Any) -> Callable[[Spec], None]:
    def apply(spec: Spec) -> None:
        spec.props.update(props)

    return apply


def _paginated(make: Callable[[], Pagination]) -> Callable[[Spec], None]:
    def apply(spec: Spec) -> None:
        spec.props["pagination"] = make()

    return apply


def _fanned(kind: str) -> Callable[[Spec], None]:
    def apply(spec: Spec) -> None:
        spec.fan_out = kind

    return apply


def _fan_out_pages(spec: Spec) -> None:
    spec.fan_out = "paths"
    spec.props["pagination"] = Pagination.page_count()


def _paths_from_s3(spec: Spec) -> None:
    """``FanOut.paths`` read from S3 in batches (issue 28): its own fan-out and concurrency."""
    spec.fan_out = "paths"
    spec.props["concurrency"] = Concurrency.distributed(10, items_from_s3=True)


def _placeholders(spec: Spec) -> None:
    spec.query["at"] = "{scheduled_time}"


def _window(spec: Spec) -> None:
    spec.query |= {"from": "{window_start}", "to": "{window_end}"}
    spec.props["window"] = TimeWindow.last(cdk.Duration.minutes(1))


def _backfill(spec: Spec) -> None:
    _placeholders(spec)  # a backfilled run must ask for its own time
    spec.props["backfill"] = True


def _overridable_query(spec: Spec) -> None:
    spec.props["starts"] = Starts.scheduled_and_on_demand(overridable_query=["lang"])


def _post_process(spec: Spec) -> None:
    spec.props["post_process"] = sfn.Pass(spec.stack, "After")


def _http_task(spec: Spec) -> None:
    connection = events.Connection(
        spec.stack, "Connection",
        authorization=events.Authorization.api_key(
            "X-Api-Key", cdk.SecretValue.unsafe_plain_text("key")
        ),
    )  # fmt: skip
    spec.props["transport"] = Transport.http_task(connection)


FAN_OUT = frozenset({"fan_out"})
PAGES = frozenset({"pagination"})
CONCURRENCY = frozenset({"concurrency"})

FEATURES: tuple[Feature, ...] = (
    # The run's shapes.
    Feature("fan_out paths", _fanned("paths"), FAN_OUT),
    Feature("path_values", _fanned("path_values"), FAN_OUT),
    Feature("from_answer", _fanned("from_answer"), FAN_OUT),
    Feature("link_header", _paginated(Pagination.link_header), PAGES),
    Feature("next_url", _paginated(Pagination.next_url), PAGES),
    Feature("offset", _paginated(Pagination.offset), PAGES),
    Feature("page_number", _paginated(Pagination.page_number), PAGES),
    Feature("page_count", _paginated(Pagination.page_count), PAGES),
    Feature(
        "cursor",
        _paginated(lambda: Pagination.cursor(next_path="$.ResponseBody.next_cursor")),
        PAGES,
    ),
    Feature("fan-out x pages", _fan_out_pages, FAN_OUT | PAGES),
    Feature("paths from S3", _paths_from_s3, FAN_OUT | CONCURRENCY),
    # The transport (the API Gateway proxy is the default).
    Feature("http_task", _http_task),
    # The optional features.
    Feature("time placeholders", _placeholders),
    Feature("window", _window),
    Feature("incremental", _set(incremental=Incremental("$.ResponseBody[*].id", "since", 0))),
    Feature("backfill", _backfill),
    Feature("retry_after", _set(retry_after=RetryAfter(max_wait=cdk.Duration.seconds(30)))),
    Feature("conditional", _set(conditional=True)),
    Feature("changes_only", _set(store=Store.changes_only())),
    Feature("respect_expires", _set(respect_expires=True)),
    Feature("overridable_query", _overridable_query),
    Feature("archive", _set(archive=Archive.to_new_bucket())),
    Feature("post_process", _post_process),
    Feature("trim", _set(trim=Trim.fields("id"))),
    Feature("on_status", _set(on_status={404: StatusAction.SKIP})),
    Feature("retention", _set(retention=cdk.Duration.days(30))),
    Feature(
        "distributed",
        _set(concurrency=Concurrency.distributed(10)),
        CONCURRENCY,
        invalid_alone=True,
    ),
    Feature("STANDARD", _set(workflow_type=sfn.StateMachineType.STANDARD)),
    Feature("dashboard", _set(dashboard=True)),
    Feature("records", _set(records=Records.merge(items="$.body", key="id", version="updated_at"))),
)


@dataclass(frozen=True)
class Outcome:
    """What constructing one combination gave: ``()`` when built, else each problem's text."""

    problems: tuple[str, ...]

    @property
    def refused(self) -> bool:
        return bool(self.problems)


class Builder:
    """Each combination in a Stack of its own, all in one App (never synthesized)."""

    def __init__(self) -> None:
        self.app = cdk.App()
        self._count = 0

    def outcome(self, *features: Feature) -> Outcome:
        self._count += 1
        spec = Spec(cdk.Stack(self.app, f"S{self._count}"))
        for feature in features:
            feature.apply(spec)
        try:
            spec.build("Downloader")
        except DownloaderConfigError as error:
            return Outcome(tuple(dict.fromkeys(_reason(p) for p in error.problems)))
        return Outcome(())


_TIME_NAME = "(?:scheduled_time|window_start|window_end)"


def _reason(problem: Problem) -> str:
    """A problem as a reason: the index of a listed path and the name of a time placeholder
    left out, so that one rule is one reason (``paths[0]`` and ``paths[1]``, ``{window_start}``
    and ``{window_end}`` are refused for the same reason)."""
    prop = re.sub(r"\[\d+\]", "[i]", problem.prop)
    message = re.sub(rf"\{{{_TIME_NAME}(:\w+)?\}}", "{<time>}", problem.message)
    message = re.sub(rf"'{_TIME_NAME}'", "'<time>'", message)
    return f"`{prop}`: {html.escape(message, quote=False)}"  # Markdown: <time> is no tag


@dataclass
class Matrix:
    """Every feature alone and every pair of features, as constructing them gave."""

    features: tuple[Feature, ...]
    alone: dict[str, Outcome]
    pairs: dict[tuple[str, str], Outcome]

    def outcome(self, a: Feature, b: Feature) -> Outcome | None:
        """The pair's outcome (either order), ``None`` when it is not a pair."""
        return self.pairs.get((a.name, b.name)) or self.pairs.get((b.name, a.name))

    def only_for_itself(self, a: Feature, b: Feature) -> bool:
        """The pair is refused with no reason but one feature's refusal alone."""
        outcome = self.outcome(a, b)
        if outcome is None:
            return False
        own = {p for f in (a, b) if f.invalid_alone for p in self.alone[f.name].problems}
        return outcome.refused and bool(own) and set(outcome.problems) <= own

    def pair_names(self) -> Iterator[tuple[Feature, Feature]]:
        for a, b in combinations(self.features, 2):
            if (a.name, b.name) in self.pairs:
                yield a, b


def measure(features: tuple[Feature, ...] = FEATURES) -> Matrix:
    builder = Builder()
    alone = {f.name: builder.outcome(f) for f in features}
    for f in features:
        assert alone[f.name].refused == f.invalid_alone, (f.name, alone[f.name].problems)
    pairs = {
        (a.name, b.name): builder.outcome(a, b)
        for a, b in combinations(features, 2)
        if not a.kinds & b.kinds
    }
    return Matrix(features, alone, pairs)


def render(matrix: Matrix) -> str:
    reasons: dict[str, int] = {}

    def codes(problems: tuple[str, ...]) -> str:
        for problem in problems:
            reasons.setdefault(problem, len(reasons) + 1)
        return " ".join(f"R{reasons[p]}" for p in sorted(set(problems), key=reasons.__getitem__))

    pairs = list(matrix.pair_names())
    refused = [(a, b) for a, b in pairs if matrix.pairs[a.name, b.name].refused]
    for_itself = [(a, b) for a, b in refused if matrix.only_for_itself(a, b)]
    invalid_alone = [f.name for f in matrix.features if f.invalid_alone]

    def cell(a: Feature, b: Feature) -> str:
        if a.name == b.name:
            return f"{codes(matrix.alone[a.name].problems)} (alone)" if a.invalid_alone else "ok"
        outcome = matrix.outcome(a, b)
        if outcome is None:
            return "—"
        if matrix.only_for_itself(a, b):
            return "(alone)"
        return codes(outcome.problems) if outcome.refused else "ok"

    header = " | ".join(f.name for f in matrix.features)
    rows = [f"| | {header} |", "|---" * (len(matrix.features) + 1) + "|"]
    for a in matrix.features:
        rows.append(f"| **{a.name}** | " + " | ".join(cell(a, b) for b in matrix.features) + " |")
    notes = [f"- **R{n}** {text}" for text, n in sorted(reasons.items(), key=lambda r: r[1])]
    combined = len(pairs) - len(for_itself)
    real = len(refused) - len(for_itself)
    return "\n".join([
        "# Compatibility matrix",
        "",
        "<!-- Generated by scripts/compat_matrix.py (make matrix); do not edit by hand. -->",
        "",
        "Every pair of features passed to `DownloaderPattern` together, each with the minimal",
        "props it needs alone (`scripts/compat_matrix.py` lists them). **ok**: it constructs;",
        "**R1**, **R2**, ...: refused at synth, for the reasons listed below; **—**: one kind,",
        "not a pair (two paginators, two fan-out kinds); **(alone)**: refused only because one of",
        "the two is",
        f"invalid alone ({', '.join(invalid_alone)} needs a Map), as it is on the diagonal.",
        "",
        f"**Refused {len(refused)} of {len(pairs)} pairs**, {len(for_itself)} of them only "
        f"because {', '.join(invalid_alone)} is invalid alone: {real} of {combined} "
        "combinations refused.",
        "",
        *rows,
        "",
        "## Reasons",
        "",
        *notes,
        "",
    ])  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {OUTPUT.name}")
    args = parser.parse_args()
    started, cpu = time.perf_counter(), time.process_time()
    text = render(measure())
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu
    if args.write:
        OUTPUT.write_text(text)
        print(f"{OUTPUT}: written in {elapsed:.1f} s ({cpu:.1f} s CPU in Python)", file=sys.stderr)
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
