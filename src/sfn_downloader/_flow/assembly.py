"""Assembly: the run's states, from the shape and the features, in the order a run meets them.

    [CheckInput] → [ReadState] → [StillFresh] → [ComputeRequest]
        → [ComputeExpiry] → [query overrides] → the shape's states (→ [Remember]
        → [ComputeMark → AdvanceMark] after the answer is stored) → [afterwards]

The shape (one request, a fan-out, the pages of one path) builds its states from the
transport's tasks, the item sink's putItem tasks and the concurrency's Map, with what each
feature wires around its downloads (``around``); each feature then puts its own states before
the request (``before``), the innermost first, leaving out a computation the shape's download
placed (``RunParts.computations``: the window's ``ComputeRequest``, the retention's
``ComputeExpiry`` in a single request's JSONata download). The features are listed once, in
``features.py``; this module names none of them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._parts import Built, RunParts
from ..errors import Problem
from .config import Config


def build_definition(scope: Construct, config: Config, built: Built) -> sfn.IChainable:
    """Return the run's states."""
    parts = RunParts(
        downloads=built.downloads, persists=built.persists, maps=config.concurrency,
        request=config.request, result_selector=config.result_selector,
    )  # fmt: skip
    for feature in config.features:
        parts = feature.around(parts, built)
    run = config.shape.build(scope, parts)
    # What the features computed before the request and the shape's download computes itself.
    built = replace(built, placed=frozenset(parts.computations.placed))
    for feature in reversed(config.features):
        run = feature.before(scope, run, built)
    return run


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
