"""Assembly: the run's states, from the features, in the order a run meets them.

    [CheckInput] → [ReadState] → [StillFresh] → [ComputeHeaders] → [ComputeRequest]
        → [ComputeExpiry] → [query overrides] → the shape's states (→ [Remember]
        → [ComputeMark → AdvanceMark] after the answer is stored) → [afterwards]

The shape (one request, a fan-out, the pages of one path) builds its own states from the
transport's tasks, the item sink's putItem tasks and the concurrency's Map; the starts add the
input check and the overrides, the item sink the expiry, the timing the computed request (and
the incremental mark, read first and advanced once the answer is stored), the archive and the
user's states follow a single answer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from aws_cdk import Token
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._contract import EXECUTION_NAME_PATH, KEY_FIELD, SORT_KEY
from .._memory import StateItem
from .._parts import Downloads, RunParts
from ..errors import Problem
from ..sinks.dynamodb import ItemWriter
from .config import Config


def build_definition(
    scope: Construct,
    config: Config,
    *,
    downloads: Downloads,
    writer: ItemWriter,
    bucket: s3.IBucket | None,
    memory: StateItem,
) -> sfn.IChainable:
    """Return the run's states."""

    def afterwards(inner: Construct) -> list[sfn.IChainable]:
        states: list[sfn.IChainable] = []
        if config.archive is not None and bucket is not None:
            states.append(
                config.archive.task(
                    inner,
                    bucket=bucket,
                    downloader_id=config.downloader_id,
                    name_path=f"$.{KEY_FIELD}.{SORT_KEY}" if config.starts.overrides else None,
                    # incremental: one item per delivery, so one object per delivery too
                    run_suffix_path=EXECUTION_NAME_PATH if config.timing.per_delivery else None,
                )
            )
        if config.post_process is not None:
            states.append(config.post_process)
        return states

    timing = config.timing
    polite = config.polite
    remembering = polite.bind(memory, downloads.status_error)
    download_assign = {**(timing.download_assign or {}), **polite.download_assign()}
    parts = RunParts(
        downloads=downloads, persists=writer, maps=config.concurrency, request=config.request,
        result_selector=config.result_selector,
        query_path=config.starts.query_path or timing.query_path,
        key_suffix_path=config.starts.key_suffix_path,
        attributes=config.starts.item_attributes(),
        keeps_result=config.keeps_result, afterwards=afterwards,
        computed_path=timing.computed_path, computed_body=timing.computed_body,
        answer_errors=config.answer_errors,
        download_assign=download_assign or None,
        per_delivery=timing.per_delivery, page_fold=timing.page_fold,
        stored=lambda inner: [*remembering.stored(inner), *timing.stored(inner, memory)],
        memory=remembering,
    )  # fmt: skip
    if config.on_status is not None:
        parts = replace(parts, on_status=config.on_status.bind(downloads.status_error))
    if config.retry_after is not None:
        waits = config.retry_after.bind(
            retry=downloads.retry_kwargs(), status_error=downloads.status_error,
            timeout_seconds=(
                None if Token.is_unresolved(config.timeout.to_seconds())
                else float(config.timeout.to_seconds())
            ),
        )  # fmt: skip
        parts = replace(parts, server_waits=waits)
    run = config.shape.build(scope, parts)
    run = config.starts.with_overrides(
        scope, run, config.request.query, form=config.transport.request_form
    )
    run = writer.with_expiry(scope, run)
    run = timing.with_request(scope, run)
    run = polite.before_request(scope, run, downloads.static_headers())
    if timing.reads_state or polite.reads_state:  # one read for every feature that remembers
        run = memory.read(scope).next(run)
    return config.starts.with_input_check(scope, run)


def state_name_clashes(definition: sfn.IChainable, own: Construct) -> list[Problem]:
    """States of the user's (``post_process``) named like one of the downloader's own states.

    The downloader's states are the ones built in its scope (``own``); their names come from
    the built chain, so a new state can never be missing from a hand-written list.
    """
    by_name: defaultdict[str, list[sfn.State]] = defaultdict(list)
    for state in sfn.State.find_reachable_states(definition.start_state):
        by_name[state.state_id].append(state)
    prefix = own.node.path + "/"
    problems = []
    for name, states in sorted(by_name.items()):
        if len(states) < 2:
            continue
        foreign = [s for s in states if not s.node.path.startswith(prefix)]
        if foreign:
            problems.append(
                Problem(
                    "post_process",
                    foreign[0].node.path,
                    f"has a state named {name!r}, the name of one of the downloader's own "
                    "states (state names are unique in a state machine).",
                    "give the state another id (or state_name).",
                )
            )
    return problems
