"""The moto setup every local run uses: moto with its Step Functions interpreter on, and each
adapter of this package installed (``local_aws``); and CreateStateMachine's refusals that moto
lacks (``check_workflow_type``)."""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from . import (
    _moto_apigateway,
    _moto_context,
    _moto_dynamodb,
    _moto_fidelity,
    _moto_http,
    _moto_jsonata,
    _moto_jsonpath,
    _moto_sfn,
)
from ._clients import local_client
from .errors import LocalRunnerError


@contextlib.contextmanager
def local_aws(
    *,
    apis: Mapping[str, _moto_apigateway.ApiHandler] | None = None,
    connections: Mapping[str, _moto_http.LocalConnection] | None = None,
    upstream_for: _moto_http.UpstreamLookup | None = None,
) -> Iterator[None]:
    """moto with its Step Functions interpreter on, and every adapter of this package: the
    ``apigateway:invoke`` and ``http:invoke`` tasks (serving ``apis`` and ``connections``),
    JSONata, and AWS's rules moto lacks (``_moto_fidelity``). What ``LocalRunner`` runs in."""
    _moto_apigateway.check_moto_version()
    from moto import mock_aws

    with contextlib.ExitStack() as stack:
        # moto logs every exception frame of a failing state at ERROR: a failed download
        # is an expected outcome here, reported in the execution's error and cause.
        stack.enter_context(_quiet("moto.stepfunctions.parser"))
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        stack.enter_context(_moto_apigateway.install(dict(apis or {})))
        stack.enter_context(
            _moto_http.install(dict(connections or {}), upstream_for or (lambda origin: None))
        )
        stack.enter_context(_moto_jsonata.install())
        stack.enter_context(_moto_context.install())
        stack.enter_context(_moto_jsonpath.install())
        stack.enter_context(_moto_dynamodb.install())
        stack.enter_context(_moto_fidelity.install())
        stack.enter_context(_moto_sfn.install())
        stack.enter_context(_local_clients())
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


# The modules of moto's interpreter that import boto_client_for by name (grep
# "import boto_client_for"): each task of a local run makes its clients there.
_CLIENT_IMPORTERS = tuple(
    "moto.stepfunctions.parser.asl.component.state.exec." + name
    for name in (
        "state_map.result_writer.resource_eval.resource_eval_s3",
        "state_map.item_reader.eval.resource_eval_s3",
        "state_task.lambda_eval_utils",
        *(
            f"state_task.service.state_task_service_{service}"
            for service in (
                "unsupported", "glue", "events", "ecs", "sqs", "sfn", "dynamodb", "batch",
                "sns", "aws_sdk",
            )
        ),
    )
)  # fmt: skip


@contextlib.contextmanager
def _local_clients() -> Iterator[None]:
    """moto's tasks make their clients with ``local_client``: pinned to the in-process mock
    (moto's own follow ``AWS_ENDPOINT_URL`` and the profile), and one a (region, service) reused.

    moto builds a new client for every putItem, which dominates a run's time; a cached client
    behaves the same (they are thread-safe) and roughly doubles the runs per second.
    """
    import importlib

    from moto.stepfunctions.parser.asl.utils import boto_client

    original = boto_client.boto_client_for
    cache: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def pinned(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            key = (region, service)
            if key not in cache:
                cache[key] = local_client(
                    service,
                    region,
                    parameter_validation=False,
                    retries={"max_attempts": 0, "total_max_attempts": 1},
                )
            return cache[key]

    modules = [importlib.import_module(name) for name in _CLIENT_IMPORTERS]
    for module in [boto_client, *modules]:
        setattr(module, "boto_client_for", pinned)  # noqa: B010
    try:
        yield
    finally:
        for module in [boto_client, *modules]:
            setattr(module, "boto_client_for", original)  # noqa: B010
