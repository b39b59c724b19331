"""The moto setup every local run uses: moto with its Step Functions interpreter on, and each
adapter of this package installed (``local_aws``); and CreateStateMachine's refusals that moto
lacks (``check_workflow_type``)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Mapping

from . import (
    _clients,
    _moto_apigateway,
    _moto_copies,
    _moto_dynamodb,
    _moto_fidelity,
    _moto_http,
    _moto_items,
    _moto_jsonata,
    _moto_jsonpath,
    _moto_map,
    _moto_query_language,
    _moto_sfn,
    _retry_sleeps,
    _threads,
    _waits,
)
from ._invoke import ApiHandler
from ._patch import Patches, check_moto_version
from .errors import LocalRunnerError

REGISTRY = Patches(
    (
        *_moto_apigateway.PATCHES,
        *_moto_http.PATCHES,
        *_moto_jsonata.PATCHES,
        *_moto_jsonpath.PATCHES,
        *_moto_dynamodb.PATCHES,
        *_moto_fidelity.PATCHES,
        *_moto_map.PATCHES,
        *_moto_query_language.PATCHES,
        *_moto_copies.PATCHES,
        *_moto_items.PATCHES,
        *_moto_sfn.PATCHES,
        *_clients.PATCHES,
        *_retry_sleeps.PATCHES,
        *_threads.PATCHES,
        *_waits.PATCHES,
    )
)
"""Every change the local runner makes to moto, installed once while any runner is open."""


@contextlib.contextmanager
def local_aws(
    *,
    apis: Mapping[str, ApiHandler] | None = None,
    connections: Mapping[str, _moto_http.LocalConnection] | None = None,
    upstream_for: _moto_http.UpstreamLookup | None = None,
) -> Iterator[None]:
    """moto with its Step Functions interpreter on, and every adapter of this package: the
    ``apigateway:invoke`` and ``http:invoke`` tasks (serving ``apis`` and ``connections``),
    JSONata, and AWS's rules moto lacks (``_moto_fidelity``). What ``LocalRunner`` runs in."""
    check_moto_version()
    from moto import mock_aws

    with contextlib.ExitStack() as stack:
        # moto logs every exception frame of a failing state at ERROR: a failed download
        # is an expected outcome here, reported in the execution's error and cause.
        stack.enter_context(_quiet("moto.stepfunctions.parser"))
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        stack.enter_context(REGISTRY.installed())
        stack.enter_context(_moto_apigateway.serving(dict(apis or {})))
        stack.enter_context(
            _moto_http.serving(dict(connections or {}), upstream_for or (lambda origin: None))
        )
        yield


def check_workflow_type(definition: str, state_machine_type: str, path: str) -> None:
    """Refuse what CreateStateMachine refuses for an Express workflow: ``.sync`` and
    ``.waitForTaskToken`` integrations ("Choosing workflow type in Step Functions"). AWS
    answers ``InvalidDefinition`` (botocore's stepfunctions model: "The provided Amazon States
    Language definition is not valid")."""
    problems = _moto_fidelity.express_integration_problems(
        json.loads(definition), state_machine_type
    )
    if problems:
        raise LocalRunnerError(
            f"{path}: CreateStateMachine would fail with InvalidDefinition: Express workflows "
            "support neither Run a Job (.sync) nor Wait for Callback (.waitForTaskToken) "
            f"integrations, found {problems}. Fix: use a STANDARD state machine (or STANDARD "
            "Distributed Map children), or the Request Response form of these integrations."
        )


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)
