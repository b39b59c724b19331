"""AWS clients that cannot leave the process: every client of a local run, the runner's and the
ones moto's interpreter makes for its tasks, is pinned to the in-process mock.

boto3 clients made the usual way read the environment and the shared config files: an
``AWS_ENDPOINT_URL`` or ``AWS_ENDPOINT_URL_<SERVICE>`` (or a profile's ``endpoint_url``) sends
them elsewhere, where moto's interception (which matches AWS's own host names) lets them pass;
``AWS_USE_FIPS_ENDPOINT`` or dual-stack settings change the host name the same way; a missing
``AWS_PROFILE`` makes client creation fail; real credentials would sign the requests. The
clients made here come from a botocore session that reads nothing of that: no environment
variable, no config or credentials file, fixed local credentials and region, no configured
endpoint. And a request moto does not answer is refused, not sent: it fails loudly instead
(``LeftTheProcessError``, a ``LocalRunnerError``).
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ._patch import Patch, constant
from ._resolver import LOCAL_REGION
from .errors import LocalRunnerError

LOCAL_ACCESS_KEY = "testing"
LOCAL_SECRET_KEY = "testing"  # moto's fake credential

_lock = threading.Lock()
_sessions: list[Any] = []


class LeftTheProcessError(LocalRunnerError):
    """A local run's AWS request was about to leave the process (moto did not answer it)."""


def _answered_in_process(request: Any, **kwargs: Any) -> Any:
    """moto's interception, and a refusal where it does not answer (botocore calls every
    ``before-send`` handler: the refusal must be the same handler as moto's)."""
    from moto.core.models import botocore_stubber

    response = botocore_stubber(request=request, **kwargs)
    if response is None:
        raise LeftTheProcessError(
            f"{getattr(request, 'method', '?')} {getattr(request, 'url', '?')}: a local run's "
            "AWS request that the in-process mock did not answer; it is not sent anywhere."
        )
    return response


def _isolated_variables() -> dict[str, tuple[Any, Any, Any, Any]]:
    """botocore's session variables with no environment variable and no config-file name: each
    is its default, but for the files (none), the endpoint settings and the region."""
    from botocore.configprovider import BOTOCORE_DEFAUT_SESSION_VARIABLES  # type: ignore[import-untyped]

    fixed: dict[str, Any] = {
        "profile": None,
        "region": LOCAL_REGION,
        "config_file": os.devnull,
        "credentials_file": os.devnull,
        "ignore_configured_endpoint_urls": True,
        "use_fips_endpoint": False,
        "use_dualstack_endpoint": False,
    }
    return {
        name: (None, None, fixed.get(name, default), conversion)
        for name, (_, _, default, conversion) in BOTOCORE_DEFAUT_SESSION_VARIABLES.items()
    }


def local_session() -> Any:
    """The botocore session local clients come from (made once): moto's interception replaced by
    ``_answered_in_process``."""
    with _lock:
        if not _sessions:
            import botocore.session  # type: ignore[import-untyped]
            from moto.core.models import botocore_stubber

            session = botocore.session.Session(session_vars=_isolated_variables())
            session.unregister("before-send", botocore_stubber)
            session.register("before-send", _answered_in_process)
            _sessions.append(session)
        return _sessions[0]


def local_client(service: str, region: str | None = None, **config: Any) -> Any:
    """A client of ``service`` answered by the in-process mock, whatever the environment holds.

    :param region: Default: the local region.
    :param config: ``botocore.config.Config`` options (retries, timeouts, ...).
    """
    from botocore.config import Config  # type: ignore[import-untyped]

    return local_session().create_client(
        service,
        region_name=region or LOCAL_REGION,
        aws_access_key_id=LOCAL_ACCESS_KEY,
        aws_secret_access_key=LOCAL_SECRET_KEY,
        aws_session_token=None,
        config=Config(ignore_configured_endpoint_urls=True, **config),
    )


# The modules of moto's interpreter that hold boto_client_for (grep "import boto_client_for"):
# each task of a local run makes its clients there.
_STATE = "moto.stepfunctions.parser.asl.component.state.exec."
_HOLDERS = (
    "moto.stepfunctions.parser.asl.utils.boto_client",
    f"{_STATE}state_map.result_writer.resource_eval.resource_eval_s3",
    f"{_STATE}state_map.item_reader.eval.resource_eval_s3",
    f"{_STATE}state_task.lambda_eval_utils",
    *(
        f"{_STATE}state_task.service.state_task_service_{service}"
        for service in (
            "unsupported", "glue", "events", "ecs", "sqs", "sfn", "dynamodb", "batch", "sns",
            "aws_sdk",
        )
    ),
)  # fmt: skip
_task_clients: dict[tuple[str, str], Any] = {}


def task_client(region: str, service: str, state_credentials: Any = None) -> Any:
    """moto's ``boto_client_for``, made with ``local_client``; one client a (region, service):
    moto builds a new client for every putItem, which dominated a run's time (a cached client
    behaves the same: clients are thread-safe). DynamoDB's ``put_item`` goes to moto in the
    process where that gives the same answer (``_dynamodb_calls``)."""
    key = (region, service)
    with _lock:
        client = _task_clients.get(key)
    if client is None:
        client = local_client(
            service,
            region,
            parameter_validation=False,
            retries={"max_attempts": 0, "total_max_attempts": 1},
        )
        if service == "dynamodb":
            from ._dynamodb_calls import InProcessDynamoDB

            client = InProcessDynamoDB(client, region)
        with _lock:
            client = _task_clients.setdefault(key, client)
    return client


PATCHES = (
    Patch(
        name="pinned-task-clients",
        targets={f"{holder}:boto_client_for": constant(task_client) for holder in _HOLDERS},
        reason=(
            "moto's tasks make boto3 clients that follow AWS_ENDPOINT_URL*, the profile and the "
            "config files: a local run's putItem could leave the process. Also one client a "
            "(region, service) instead of one a task (about twice the runs per second), and "
            "putItem handed to moto's DynamoDB in the process (_dynamodb_calls)."
        ),
        upstream="stays: the runner's isolation (moto's clients are right for moto's own use)",
        kind="feature",
    ),
)
