"""The downloader's state machines as the facade builds them, and what the run's may do.

The run's state machine: its state names checked, built, then the post-processing states bound
to it (a state that already belongs to another state machine is reported as a
``DownloaderConfigError``, not as jsii's error); each feature's grants on it. The backfill's: a
Standard state machine in ``Backfill/`` that runs the downloader for past scheduled times.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from .._parts import Built
from ..concurrency import Concurrency
from ..errors import DownloaderConfigError, Problem
from ..transport import BoundTransport
from .assembly import state_name_clashes
from .config import Config
from .post_process import bind as bind_post_process
from .state_machine import already_used, build_state_machine


def build_run_state_machine(
    scope: Construct,
    construct_id: str,
    config: Config,
    *,
    definition: sfn.IChainable,
    downloads: BoundTransport,
) -> tuple[sfn.StateMachine, logs.LogGroup]:
    """The run's state machine and its log group, the post-processing states bound to it."""
    clashes = state_name_clashes(definition, scope)
    if clashes:
        raise DownloaderConfigError(construct_id, clashes)
    state_machine, log_group = _build_state_machine(
        scope,
        construct_id,
        config,
        definition=definition,
        workflow_type=config.workflow_type,
        timeout=config.timeout,
        include_execution_data=not downloads.credential_in_state,
        definition_substitutions=downloads.definition_substitutions(),
        log_retention=config.log_retention,
    )
    if config.post_process is not None:
        problems = bind_post_process(state_machine, config.workflow_type)
        if problems:
            raise DownloaderConfigError(construct_id, problems)
    return state_machine, log_group


def grant_run(
    state_machine: sfn.StateMachine,
    config: Config,
    *,
    built: Built,
    downloads: BoundTransport,
    table: dynamodb.ITable,
) -> None:
    """Each feature's statements on the run's state machine: the table, the requested paths,
    the concurrency, then each optional feature's own (the archive's bucket; the records'
    partition joins the table's own-partition condition)."""
    records = config.records.partitions(config.downloader_id) if config.records else ()
    config.items.grant(state_machine, table, config.downloader_id, also=records)
    computed = config.timing.request_paths()  # a path with placeholders: its pattern
    own = tuple(
        p for p in config.shape.request_paths(config.request) if not computed or "{" not in p
    )
    downloads.grant(state_machine, own + computed)
    config.concurrency.grant(state_machine)
    for feature in config.features:
        feature.grant_run(state_machine, built)


def build_backfill(
    parent: Construct, config: Config, *, downloader: sfn.StateMachine
) -> sfn.StateMachine | None:
    """The backfill state machine (Standard: it waits for each run), in ``Backfill/``."""
    if not config.backfill.is_enabled:
        return None
    scope = Construct(parent, "Backfill")
    maps = config.concurrency
    if maps.is_distributed:
        # Each scheduled time a child execution that waits for its run (startExecution.sync):
        # Standard children, as Express workflows do not run the .sync pattern (AWS, "Choosing
        # workflow type in Step Functions").
        maps = Concurrency.distributed(
            maps.max_concurrency, child_workflow_type=sfn.StateMachineType.STANDARD
        )
    definition = config.backfill.definition(scope, downloader=downloader, maps=maps)
    state_machine, _ = build_state_machine(
        scope, definition=definition, workflow_type=sfn.StateMachineType.STANDARD,
        timeout=config.backfill.timeout(config.timeout, config.concurrency.max_concurrency),
        include_execution_data=True, definition_substitutions=None,
        log_retention=config.log_retention,
    )  # fmt: skip
    config.backfill.acknowledge(state_machine, downloader)
    maps.grant(state_machine)
    return state_machine


def no_backfill(construct_id: str) -> DownloaderConfigError:
    """The error of granting a backfill without ``backfill=True``."""
    return DownloaderConfigError(
        construct_id,
        [
            Problem(
                "backfill",
                None,
                "is not enabled: there is no backfill to grant.",
                "pass backfill=True.",
            )
        ],
    )


def _build_state_machine(
    scope: Construct, construct_id: str, config: Config, **kwargs: Any
) -> tuple[sfn.StateMachine, logs.LogGroup]:
    try:
        return build_state_machine(scope, **kwargs)
    except RuntimeError as error:  # jsii wraps aws-cdk-lib's errors
        post_process = config.post_process
        if post_process is None or not already_used(error):
            raise
        raise DownloaderConfigError(
            construct_id,
            [
                Problem(
                    "post_process",
                    post_process.start_state.node.path,
                    "already belongs to another state machine's definition.",
                    "build new states for each downloader (e.g. a function returning them).",
                )
            ],
        ) from None
