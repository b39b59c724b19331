"""Post-processing: the user's states, run after the answer is stored.

Their input is the run's state at that point::

    {
      "scheduledTime": "2026-11-27T05:30:00Z",   # the execution input, as given
      "result": {...},                            # the selected result (result_selector)
      "key": {"pk": "<downloader id>", "sk": "<scheduled time>"},   # the stored item's key
      "object": {"bucket": "...", "key": "<downloader id>/<scheduled time>.json"}  # with S3
    }

The states bring their own permissions (aws-cdk-lib tasks grant what they call).
"""

from __future__ import annotations

from collections.abc import Iterator

from aws_cdk import Stack
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .errors import Problem

OWN_STATE_NAMES = frozenset({"Download", "Persist", "Archive", "CheckInput", "InvalidInput"})
"""The states a post-processed single-path run is made of: a user's state may not reuse them."""


def check_post_process(scope: Construct, chainable: object) -> Iterator[Problem]:
    """A post-processing chainable must be a state or chain of this stack, with names that do
    not clash with the downloader's states. (One already used by another state machine is
    reported when the state machine is built: see ``already_used``.)"""
    if not (hasattr(chainable, "start_state") and hasattr(chainable, "end_states")):
        yield Problem(
            "post_process",
            chainable,
            "is not a Step Functions state or chain.",
            "pass e.g. tasks.SnsPublish(...) or first_state.next(second_state).",
        )
        return
    start = chainable.start_state
    if Stack.of(start) is not Stack.of(scope):
        yield Problem(
            "post_process",
            start.node.path,
            "is defined in another stack; a state machine's states must be in its stack.",
            "create the states in the downloader's stack.",
        )
    names = [state.state_id for state in sfn.State.find_reachable_states(start)]
    clashes = sorted(OWN_STATE_NAMES.intersection(names))
    if clashes:
        yield Problem(
            "post_process",
            ", ".join(clashes),
            "reuses the name of a state of the downloader.",
            "give the state another id (or state_name).",
        )


def already_used(error: Exception) -> bool:
    """True for aws-cdk-lib's error when a state already belongs to another state machine."""
    return "Every state can only be used in one graph" in str(error)
