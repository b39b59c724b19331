"""LocalRunner: run a synthesized downloader state machine on moto, end to end, unchanged."""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._contract import PARTITION_KEY, SORT_KEY
from . import _backfill, _moto_distributed, _moto_http, _moto_items
from ._api_gateway import LocalRestApi
from ._clients import local_client
from ._execution import LocalExecution, scheduled_time_text, select_downloader
from ._http import WsgiApp, check_base_url, in_process_url, is_wsgi_app, serving_in_process
from ._moto import check_workflow_type, local_aws
from ._resources import create_resources
from ._retry_sleeps import recorded_retry_sleeps
from ._secrets import LocalSecrets, SecretValue
from ._table import plain_value, table_request, written_key
from ._template import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    PARTITION,
    SCHEDULED_TIME,
    default_pattern,
    find_downloaders,
    stacks_of,
)
from ._waits import recorded_waits
from .errors import LocalRunnerError

if TYPE_CHECKING:
    from ..read import DownloaderTable

_POLL_MAX_SECONDS = 0.02
_POLLS_PER_RUN = 50


def _execution_status(arn: str) -> Any:
    """The status moto's Step Functions backend holds for execution ``arn``
    (``arn:<partition>:states:<region>:<account>:execution:...``)."""
    from moto.stepfunctions.responses import get_backend

    region, account = arn.split(":")[3:5]
    return get_backend(account, region).describe_execution(arn).status


class LocalRunner:
    """Runs one synthesized downloader on moto's Step Functions interpreter, end to end.

    The definition, table, API Gateway proxy and execution input all come from the synthesized
    template, tokens resolved to local values; the third party is ``upstream``, an HTTP server
    (normally on loopback) that stands in for the pattern's endpoint. Use as a context manager::

        with LocalRunner(pattern, upstream="http://127.0.0.1:8080") as runner:
            execution = runner.run("2026-11-27T05:30:00Z")
            items = runner.items()

    :param source: A ``DownloaderPattern``, a Stack, an App or Stage, a template dict, or the
        path of a cloud assembly directory (``cdk.out``) or template file.
    :param upstream: Where the third party is: one base URL for every endpoint, or a mapping
        from the endpoint's origin (``https://esi.evetech.net``) to a base URL. A WSGI
        application (PEP 3333, e.g. a Flask app or a plain function) in place of a base URL is
        called in the process, with no socket or server thread: the fastest stand-in for tests
        and benchmarks (docs/local.md, "Stand-ins").
    :param pattern: Which downloader, when ``source`` holds several: the pattern's construct
        path (``Stack/PlayerCount``) or its state machine's logical ID. Default: the only one.
    :param secrets: Local values of the Secrets Manager secrets the template references
        (``{{resolve:secretsmanager:...}}``), keyed by secret name, ARN, construct path or
        logical ID. A JSON secret may be given as a mapping. For the HTTP Task, the credential
        of an EventBridge connection (API key value, Basic password, OAuth client secret) may
        also be keyed by the connection's construct path or logical ID. Default: none.
    :param fast_retries: Skip the Retry intervals and Wait states instead of sleeping them, and
        record them in ``retry_intervals`` and ``waits`` (every attempt still runs).
        Default: ``False``, real sleeps.
    """

    def __init__(
        self,
        source: object,
        *,
        upstream: str | WsgiApp | Mapping[str, str | WsgiApp],
        pattern: str | None = None,
        secrets: Mapping[str, SecretValue] | None = None,
        fast_retries: bool = False,
    ) -> None:
        self._spec = select_downloader(
            find_downloaders(stacks_of(source)), pattern or default_pattern(source)
        )
        self._secrets = dict(secrets or {})
        self._local_secrets = LocalSecrets(self._spec, self._secrets)
        self._fast_retries = fast_retries
        self.retry_intervals: list[float] = []
        """Retry intervals the interpreter asked to sleep (recorded with ``fast_retries``)."""
        self.waits: list[int] = []
        """Seconds each Wait state asked to wait (recorded with ``fast_retries``)."""
        origins = {
            str(method["Properties"].get("Integration", {}).get("Uri", "")).split("/{")[0]
            for method in self._spec.stack.template.get("Resources", {}).values()
            if method.get("Type") == "AWS::ApiGateway::Method"
        }
        # An in-process upstream (a WSGI application) gets a base URL of its own, served while
        # the runner is open.
        self._in_process: dict[str, WsgiApp] = {}

        def base_url(value: str | WsgiApp) -> str:
            if is_wsgi_app(value):
                url = in_process_url()
                self._in_process[url] = value  # type: ignore[assignment]
                return url
            return str(value)

        urls: str | dict[str, str] = (
            {origin: base_url(value) for origin, value in upstream.items()}
            if isinstance(upstream, Mapping)
            else base_url(upstream)
        )
        for url in [urls] if isinstance(urls, str) else list(urls.values()):
            try:
                check_base_url(url)
            except ValueError as error:
                raise LocalRunnerError(f"upstream: {error}") from None
        self._upstream = urls
        self._upstreams = (
            {origin: urls for origin in origins}
            if isinstance(urls, str)
            else {origin.rstrip("/"): url for origin, url in urls.items()}
        )
        # Resolve every secret now, so a missing one is reported before anything runs.
        resolved = self.resolve_secrets(self._spec.definition)
        check_workflow_type(resolved, self._spec.state_machine_type, self._spec.path)
        self._definition, self._batchers = _moto_items.without_batchers(
            _moto_distributed.standard_children(resolved)
        )
        self._apis = [
            LocalRestApi(
                self._spec,
                api_id,
                upstreams=self._upstreams,
                resolve_secrets=self.resolve_secrets,
            )
            for api_id in self._spec.apis
        ]
        self._connections = {
            arn: self._connection(logical_id) for arn, logical_id in self._spec.connections.items()
        }
        self._backfill = _backfill.find_backfill(self._spec)
        self._backfill_arn: str | None = None
        self._stack: contextlib.ExitStack | None = None
        self._clients: dict[str, Any] = {}
        self._runs = 0
        self._lock = threading.Lock()

    @property
    def downloader_path(self) -> str:
        """The pattern's construct path (or its state machine's logical ID)."""
        return self._spec.path

    @property
    def table_names(self) -> list[str]:
        """The local names of the tables the downloader writes to."""
        return sorted(self._spec.tables)

    def __enter__(self) -> LocalRunner:
        stack = contextlib.ExitStack()
        try:
            stack.enter_context(
                local_aws(
                    apis={api.host: api for api in self._apis},
                    connections=self._connections,
                    upstream_for=self._upstream_for,
                )
            )
            for url, app in self._in_process.items():
                stack.enter_context(serving_in_process(url, app))
            self._create_resources()
            stack.enter_context(_moto_items.batching(self._state_machine_arn, self._batchers))
            if self._fast_retries:
                stack.enter_context(
                    recorded_retry_sleeps(self._state_machine_arn, self.retry_intervals)
                )
                stack.enter_context(recorded_waits(self._state_machine_arn, self.waits))
        except BaseException:
            stack.close()
            raise
        self._stack = stack
        return self

    def __exit__(self, *exc_info: object) -> None:
        stack, self._stack = self._stack, None
        self._clients.clear()
        if stack is not None:
            stack.close()

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = local_client(service)
        return self._clients[service]

    def _create_resources(self) -> None:
        dynamodb = self._client("dynamodb")
        for name, props in self._spec.tables.items():
            dynamodb.create_table(**table_request(name, props))
            ttl = props.get("TimeToLiveSpecification")
            if ttl and ttl.get("Enabled"):
                dynamodb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": ttl["AttributeName"],
                    },
                )
        self._resources = create_resources(self._spec.stack, self._spec.resolver, self._client)
        _moto_items.put_item_sources(
            self._spec.stack, self._spec.resolver, self._definition, self._client
        )
        name = self._spec.state_machine_arn.rsplit(":", 1)[-1]
        response = self._client("stepfunctions").create_state_machine(
            name=name,
            definition=self._definition,
            roleArn=f"arn:{PARTITION}:iam::{LOCAL_ACCOUNT}:role/{name}-role",
            type=self._spec.state_machine_type,
        )
        self._state_machine_arn = response["stateMachineArn"]
        if self._backfill is not None:
            self._backfill_arn = _backfill.create(self._backfill, self._client("stepfunctions"))

    def run(
        self, scheduled_time: datetime | str | None = None, *, input: Any = None
    ) -> LocalExecution:
        """Start one execution as the schedule would at ``scheduled_time``; wait for its end.

        The input is the schedule target's Input from the template, with
        ``<aws.scheduler.scheduled-time>`` (and the other Scheduler placeholders) filled in;
        a downloader without a schedule gets ``{"scheduledTime": ...}``, what an on-demand
        caller must send.

        :param scheduled_time: A datetime or ISO 8601 text. Default: now, UTC, truncated to
            the minute.
        :param input: The execution input to send instead (any JSON value), as an on-demand
            caller would. Default: the schedule's input.
        """
        if self._stack is None:
            raise LocalRunnerError("Use LocalRunner as a context manager: `with LocalRunner(...)`.")
        when = scheduled_time_text(scheduled_time)
        with self._lock:
            self._runs += 1
            number = self._runs
        execution_id = str(uuid.uuid4())
        text = (
            self._spec.schedule_input.replace(SCHEDULED_TIME, when)
            .replace("<aws.scheduler.execution-id>", execution_id)
            .replace("<aws.scheduler.attempt-number>", "1")
            .replace(
                "<aws.scheduler.schedule-arn>",
                f"arn:{PARTITION}:scheduler:{LOCAL_REGION}:{LOCAL_ACCOUNT}:schedule/default/"
                f"{self._spec.schedule_name}",
            )
        )
        if input is not None:
            text = json.dumps(input)
        # Names must be unique (moto: an unnamed second start clashes) and free of ':'.
        name = f"run-{number}-{when.replace(':', '')}"
        sfn = self._client("stepfunctions")
        arn = sfn.start_execution(stateMachineArn=self._state_machine_arn, name=name, input=text)[
            "executionArn"
        ]
        pause, started = 0.001, time.monotonic()
        # The run is watched in moto's backend (a DescribeExecution through botocore costs 1-3 ms
        # of the CPU the run needs too, ~7 % of a fan-out's), then described once, as AWS
        # answers it. A long run is still looked at only 50 times a second and 50 times over.
        while str(_execution_status(arn)) == "RUNNING":
            time.sleep(pause)
            elapsed = time.monotonic() - started
            pause = min(pause * 2, max(_POLL_MAX_SECONDS, elapsed / _POLLS_PER_RUN))
        described = sfn.describe_execution(executionArn=arn)
        output = described.get("output")
        return LocalExecution(
            name=name,
            scheduled_time=when,
            input=json.loads(text),
            status=described["status"],
            output=json.loads(output) if output is not None else None,
            error=described.get("error"),
            cause=described.get("cause"),
        )

    def states_entered(self, execution: LocalExecution) -> list[str]:
        """The names of the states ``execution`` (a run of this runner) entered, in order, read
        from its execution history (``*StateEntered`` events): what Step Functions Standard
        bills as state transitions, retries aside. Inline Map iterations are in the run's
        history; a Distributed Map's child executions have histories of their own (not here).
        """
        if self._stack is None:
            raise LocalRunnerError("states_entered() needs an open runner (inside the `with`).")
        arn = self._state_machine_arn.replace(":stateMachine:", ":execution:", 1)
        sfn = self._client("stepfunctions")
        entered = []
        for page in sfn.get_paginator("get_execution_history").paginate(
            executionArn=f"{arn}:{execution.name}"
        ):
            for event in page["events"]:
                if str(event["type"]).endswith("StateEntered"):
                    entered.append(str(event["stateEnteredEventDetails"]["name"]))
        return entered

    def backfill(self, start: datetime | str, end: datetime | str) -> _backfill.LocalBackfill:
        """Run the backfill state machine for the scheduled times ``start`` to ``end``
        (inclusive), as ``StartExecution`` with ``{"from": start, "to": end}`` would; wait for
        it and for every run it starts.

        :param start: The first scheduled time (a datetime or ISO 8601 text).
        :param end: The last scheduled time.
        :returns: The backfill's execution and the downloader's runs, one a scheduled time.
        """
        if self._stack is None:
            raise LocalRunnerError("Use LocalRunner as a context manager: `with LocalRunner(...)`.")
        if self._backfill_arn is None:
            raise _backfill.missing(self.downloader_path)
        first, last = scheduled_time_text(start), scheduled_time_text(end)
        with self._lock:
            self._runs += 1
            number = self._runs
        return _backfill.run(
            self._client("stepfunctions"), backfill_arn=self._backfill_arn,
            downloader_arn=self._state_machine_arn, name=f"backfill-{number}",
            start=first, end=last, execution=lambda fields: LocalExecution(**fields),
        )  # fmt: skip

    def items(self) -> list[dict[str, Any]]:
        """Every item of the downloader's tables as plain Python values, by (pk, sk).

        Numbers come back as ``int`` (or ``float`` when not integral), not ``Decimal``.
        """
        if self._stack is None:
            raise LocalRunnerError("items() needs an open runner (inside the `with` block).")
        from boto3.dynamodb.types import TypeDeserializer  # type: ignore[import-untyped]

        deserializer = TypeDeserializer()
        dynamodb = self._client("dynamodb")
        found = []
        for table in self.table_names:
            for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                for item in page["Items"]:
                    plain = {k: plain_value(deserializer.deserialize(v)) for k, v in item.items()}
                    found.append(plain)
        return sorted(
            found, key=lambda item: (str(item.get(PARTITION_KEY)), str(item.get(SORT_KEY)))
        )

    def table(self, **options: Any) -> DownloaderTable:
        """The downloader's answers as ``sfn_downloader.read.DownloaderTable`` reads them, on the
        local table (same Queries as against a deployed one); inside the ``with`` block.

        :param options: ``DownloaderTable``'s keyword options (``page_size``, ``consistent_read``,
            ``include_expired``). Default: its defaults.
        """
        if self._stack is None:
            raise LocalRunnerError("table() needs an open runner (inside the `with` block).")
        from ..read import DownloaderTable

        name, downloader_id = written_key(self._definition)
        return DownloaderTable(
            name, downloader_id=downloader_id, client=self._client("dynamodb"), **options
        )

    def resource_name(self, construct: str) -> str:
        """The local name of a bucket, queue, topic or bus of the stack: bucket name, queue URL,
        topic ARN or bus name.

        :param construct: Its construct path (``Stack/Alerts``) or logical ID.
        """
        wanted = construct.strip("/")
        for logical_id, name in getattr(self, "_resources", {}).items():
            path = self._spec.stack.paths.get(logical_id, "")
            if wanted in (logical_id, path, path.removesuffix("/Resource")):
                return str(name)
        raise LocalRunnerError(
            f"No bucket, queue, topic or event bus at {construct!r} in the local run."
        )

    def objects(self) -> dict[str, Any]:
        """The archived answers, ``"<bucket>/<key>"`` → parsed JSON body, of every bucket
        the downloader puts objects in."""
        if self._stack is None:
            raise LocalRunnerError("objects() needs an open runner (inside the `with` block).")
        s3 = self._client("s3")
        found: dict[str, Any] = {}
        for bucket in self._spec.buckets:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                for entry in page.get("Contents", []):
                    body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
                    found[f"{bucket}/{entry['Key']}"] = json.loads(body)
        return dict(sorted(found.items()))

    def resolve_secrets(self, text: str) -> str:
        """``text`` with each ``{{resolve:secretsmanager:...}}`` replaced by its local value."""
        return self._local_secrets.resolve(text)

    def _upstream_for(self, origin: str) -> str | None:
        """The local stand-in of ``origin`` (HTTP Task requests and OAuth token endpoints)."""
        if isinstance(self._upstream, str):
            return self._upstream
        return self._upstreams.get(origin.rstrip("/"))

    def _connection(self, logical_id: str) -> _moto_http.LocalConnection:
        stack = self._spec.stack
        resource = stack.template["Resources"][logical_id]
        # aws_events.Connection keeps its L1 as "<path>/Connection"; accept either path.
        l1_path = stack.paths.get(logical_id, logical_id)
        path = l1_path.rsplit("/", 1)[0] if "/" in l1_path else l1_path
        names = [path, l1_path, logical_id, str(resource.get("Properties", {}).get("Name") or "")]
        credential = next((self._secrets[n] for n in names if n and n in self._secrets), None)
        if credential is not None and not isinstance(credential, str):
            credential = json.dumps(credential)
        # Resolve every value now, so a missing secret is reported before anything runs.
        return _moto_http.connection_from_template(
            path,
            self._spec.resolver.resolve(resource.get("Properties", {})),
            self.resolve_secrets,
            credential=credential,
        )
