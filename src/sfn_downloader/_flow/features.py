"""The run's optional features, in the order a run meets them: the one place they are listed.

    CheckInput (starts) → ReadState (one read, for every feature that remembers, computing
    what they compute of it) → StillFresh (polite) → ComputeRequest (timing) → ComputeExpiry
    (retention) → the query
    overrides (starts) → the shape, with what on_status, retry_after, the polite features, the
    timing, the records, the archive and the user's states wire around each download and stored
    answer

Each is a ``RunFeature`` (``_parts``): the assembly threads ``RunParts`` through their
``around`` hooks in this order, builds the shape, then wraps it in their ``before`` hooks from
the innermost (the last listed) out, and grants each its own statements. A new feature is one
object with those hooks and one line here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._memory import StateItem
from .._parts import Built, RunFeature, RunParts, then_afterwards
from . import post_process


class StateRead(RunFeature):
    """``ReadState``: the downloader's state item, read once before the features that remember
    (the incremental mark, the polite features' memory) look at it."""

    def __init__(self, features: Sequence[RunFeature]) -> None:
        self._readers = [feature for feature in features if feature.reads_state]

    def before(self, scope: Construct, run: sfn.IChainable, built: Built) -> sfn.IChainable:
        """``ReadState → run`` when a feature remembers, computing in its ``Assign`` what the
        features compute from the item (the incremental request); else ``run``."""
        if not self._readers:
            return run
        memory: StateItem = built.memory
        assign = {k: v for f in self._readers for k, v in f.state_assign(built).items()}
        return memory.read(scope, assign=assign).next(run)


class UserStates(RunFeature):
    """``post_process``: the user's states after a single answer is stored (and archived), or
    once at the end of a run of several requests, with its summary."""

    def __init__(self, states: sfn.IChainable, *, several_requests: bool = False) -> None:
        self.states = states
        self.several_requests = several_requests

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """The selected result kept under ``$.result``, the user's states last; with several
        requests, the run's end (``post_process.run_end``)."""
        del built
        if self.several_requests:
            per_delivery, delivered = parts.per_delivery, parts.delivered
            return replace(
                parts,
                run_end=lambda scope, before: post_process.run_end(
                    scope, self.states, stored_before=before, per_delivery=per_delivery,
                    delivered=delivered(scope),
                ),
            )  # fmt: skip
        return replace(
            parts, keeps_result=True, afterwards=then_afterwards(parts, lambda _: [self.states]),
            afterwards_raw=None,  # its documented input: $.result and $.key
        )  # fmt: skip


class AnswerErrors(RunFeature):
    """A GraphQL downloader: each answer is checked for ``errors`` before it is stored."""

    def __init__(self, errors_path: str) -> None:
        self.errors_path = errors_path

    def around(self, parts: RunParts, built: Built) -> RunParts:
        """Where the shape looks for the errors (``$.ResponseBody.errors``)."""
        del built
        return replace(parts, answer_errors=self.errors_path)


def run_features(
    *,
    input_check: RunFeature,
    polite: RunFeature,
    timing: RunFeature,
    items: RunFeature,
    starts: RunFeature,
    on_status: RunFeature | None,
    retry_after: RunFeature | None,
    archive: RunFeature | None,
    post_process: sfn.IChainable | None,
    answer_errors: str | None,
    records: RunFeature | None = None,
    several_requests: bool = False,
) -> tuple[RunFeature, ...]:
    """The run's features, in the order a run meets them (those not configured left out)."""
    remembering = (polite, timing)
    listed: list[RunFeature | None] = [
        input_check,
        StateRead(remembering),
        *remembering,
        items,
        starts,
        on_status,
        retry_after,
        records,
        archive,
        UserStates(post_process, several_requests=several_requests)
        if post_process is not None
        else None,
        AnswerErrors(answer_errors) if answer_errors is not None else None,
    ]
    return tuple(feature for feature in listed if feature is not None)
