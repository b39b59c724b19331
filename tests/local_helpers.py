"""A real loopback HTTP server standing in for the third party in local end-to-end tests."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Answer:
    """What the upstream answers: status, JSON (or raw bytes) body, extra headers."""

    status: int = 200
    body: Any = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Seen:
    """One request the upstream received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    """Header names lower-cased."""
    raw_query: str = ""
    """The query string as received, byte for byte (``""`` without one)."""
    target: str = ""
    """The request target as sent (path and query, percent-encoded)."""
    body: bytes = b""
    """The request's body, as received (``b""`` without one)."""

    def json(self) -> Any:
        """The body, read as JSON."""
        return json.loads(self.body)


class Upstream:
    """Answers from a script (one answer per request, then ``default``); records requests."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.default = Answer()
        self.responder: Callable[[Seen], Answer] | None = None
        """Answers by request (path, query) instead of the script, when set."""
        self._script: deque[Answer] = deque()
        self._lock = threading.Lock()
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    method,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    target=self.path,
                    raw_query=parts.query,
                    body=self.rfile.read(length) if length else b"",
                )
                with upstream._lock:
                    upstream.requests.append(seen)
                    responder = upstream.responder
                    answer = upstream._script.popleft() if upstream._script else upstream.default
                if responder is not None:
                    answer = responder(seen)
                payload = answer.payload()
                self.send_response(answer.status)
                if not any(name.lower() == "content-type" for name in answer.headers):
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def respond(self, responder: Callable[[Seen], Answer]) -> None:
        """Answer each request with ``responder(request)``; forget past requests."""
        with self._lock:
            self._script = deque()
            self.requests = []
            self.responder = responder

    def script(self, *answers: Answer, default: Answer | None = None) -> None:
        """Answer the next requests with ``answers``, then ``default``; forget past requests."""
        with self._lock:
            self.responder = None
            self._script = deque(answers)
            self.requests = []
            if default is not None:
                self.default = default

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running_upstream() -> Iterator[Upstream]:
    """An ``Upstream`` serving on 127.0.0.1 (a free port) for the duration."""
    upstream = Upstream()
    upstream.start()
    try:
        yield upstream
    finally:
        upstream.stop()


def http_date() -> str:
    """An RFC 7231 date, as servers put in ``Date``."""
    return email.utils.formatdate(usegmt=True)


def gzipped(body: Any, status: int = 200) -> Answer:
    """An answer whose JSON body is gzip-compressed, with ``Content-Encoding: gzip``."""
    return Answer(status, gzip.compress(json.dumps(body).encode()), {"Content-Encoding": "gzip"})


def closed_port_url() -> str:
    """A loopback base URL where nothing listens (a port just bound and released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class DefinitionRunner:
    """Runs hand-built ASL definitions in the local runner's moto setup (``local_aws``), for
    rules a synthesized downloader cannot show. Use inside ``local_aws()``."""

    def __init__(self) -> None:
        import boto3  # type: ignore[import-untyped]

        self.sfn = boto3.client("stepfunctions", region_name="us-east-1")
        self._count = 0

    def run(
        self, definition: dict[str, Any], *, input: Any = None, workflow_type: str = "STANDARD"
    ) -> dict[str, Any]:
        """Create a state machine for ``definition``, run it once, return describe_execution's
        answer (``status``, ``error``, ``cause``, ``output``) and the ``executionArn``."""
        import time

        self._count += 1
        arn = self.sfn.create_state_machine(
            name=f"probe-{self._count}",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/probe",
            type=workflow_type,
        )["stateMachineArn"]
        execution = self.sfn.start_execution(
            stateMachineArn=arn, name=f"run-{self._count}", input=json.dumps(input or {})
        )["executionArn"]
        pause = 0.001
        while True:
            described: dict[str, Any] = self.sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                return described
            time.sleep(pause)
            pause = min(pause * 2, 0.02)


def market_orders(page: int, count: int = 1_000, *, seed: int = 17) -> list[dict[str, Any]]:
    """One page of ESI's ``/v1/markets/{region}/orders/``: ``count`` orders of The Forge with
    every field ESI sends (about 300 bytes each, so a full page is over 256 KiB)."""
    import random

    rnd = random.Random(seed * 100_003 + page)
    orders = []
    for n in range(count):
        buy = rnd.random() < 0.4
        orders.append(
            {
                "duration": rnd.choice([1, 3, 7, 14, 30, 90]),
                "is_buy_order": buy,
                "issued": f"2026-11-{rnd.randint(1, 27):02d}T{rnd.randint(0, 23):02d}:"
                f"{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}Z",
                "location_id": rnd.choice([60003760, 1028858195912, 60000361, 60008494]),
                "min_volume": rnd.choice([1, 1, 1, 10]),
                "order_id": 6_700_000_000 + page * 10_000 + n,
                "price": round(rnd.uniform(0.01, 2_000_000_000.0), 2),
                "range": rnd.choice(["region", "station", "solarsystem", "1", "5", "40"]),
                "system_id": rnd.choice([30000142, 30000144, 30002187]),
                "type_id": rnd.randint(18, 60_000),
                "volume_remain": rnd.randint(1, 10_000_000),
                "volume_total": 10_000_000,
            }
        )
    return orders


def answers(runner: Any) -> list[dict[str, Any]]:
    """``runner.items()`` as tests of other features read them: a delivery's completion item
    (``#delivered#...``) left out, and each answer of a run of several answers keyed without
    its delivery's execution name (``<t>#<run>#<page>`` → ``<t>#<page>``). The delivery
    layout itself is checked by ``test_delivery_local.py``, ``test_read.py`` and
    ``test_badinput_runs_local.py``."""
    found = []
    for item in runner.items():
        sort_key, run = str(item.get("sk")), item.get("run")
        if sort_key.startswith("#delivered#"):
            continue
        time, sep, rest = sort_key.partition("#")
        if sep and isinstance(run, str) and rest.startswith(run + "#"):
            item = {**item, "sk": f"{time}#{rest[len(run) + 1 :]}"}
        found.append(item)
    return sorted(found, key=lambda item: (str(item.get("pk")), str(item.get("sk"))))


class Run:
    """One downloader's run at a time of its own, and the items that run stored: tests sharing
    one open runner do not see each other's items."""

    def __init__(self, runner: Any, when: str) -> None:
        self.runner, self.when = runner, when

    def run(self, _time: str | None = None) -> Any:
        """Run at this test's own time (the given one is ignored)."""
        return self.runner.run(self.when)

    def items(self) -> list[dict[str, Any]]:
        return [i for i in answers(self.runner) if i["sk"].startswith(self.when)]


class RunnerPool(dict[str, Any]):
    """``LocalRunner``s opened on first use and kept open (each takes seconds to open)."""

    def __init__(self, opener: Callable[[str], Any]) -> None:
        super().__init__()
        self._opener = opener

    def __missing__(self, pattern: str) -> Any:
        self[pattern] = self._opener(pattern)
        return self[pattern]

    @classmethod
    def of(cls, exits: ExitStack, app: Any, upstream: str | Mapping[str, str]) -> RunnerPool:
        """Runners on ``app``, closed with ``exits``; an HTTP Task downloader's connection
        (``<pattern>Connection``) gets the credential ``key``."""
        from sfn_downloader.local import LocalRunner

        return cls(
            lambda pattern: exits.enter_context(
                LocalRunner(
                    app, upstream=upstream, pattern=pattern,
                    secrets={f"{pattern}Connection": "key"},
                )
            )
        )  # fmt: skip


_minutes = iter(range(10**6))


def fresh_time() -> str:
    """A scheduled time no other run of the session uses."""
    minute = next(_minutes)
    day, minute = divmod(minute, 24 * 60)
    return f"2026-{11 + day // 28:02d}-{1 + day % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:00Z"


def etag(body: Any) -> str:
    """A strong ``ETag`` for a JSON body (a stand-in's validator)."""
    return '"' + hashlib.sha256(json.dumps(body).encode()).hexdigest()[:16] + '"'


def memos(runner: Any, pk: str) -> dict[str, dict[str, Any]]:
    """Downloader ``pk``'s polite memories, one item a request URL (``#memo#<URL>``), by URL."""
    return {
        i["sk"].removeprefix("#memo#"): i
        for i in runner.items()
        if i["pk"] == pk and i["sk"].startswith("#memo#")
    }


def stored(runner: Any, pk: str) -> list[str]:
    """Downloader ``pk``'s answers' keys, without a delivery's execution name (``answers``)."""
    return sorted(i["sk"] for i in answers(runner) if i["pk"] == pk and i["sk"][0] != "#")


def archived_in(runner: Any, bucket: str) -> list[Any]:
    """The archived bodies (parsed) in the bucket at construct path ``bucket``
    (``"Api/Archived/Bucket"``), of an open runner."""
    name = runner.resource_name(bucket)
    return [body for key, body in runner.objects().items() if key.startswith(f"{name}/")]


def received_from(runner: Any, queue: str) -> list[Any]:
    """The messages (parsed bodies) waiting in the SQS queue at construct path ``queue``."""
    client = runner._client("sqs")
    url = runner.resource_name(queue)
    messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def definition_states(
    app: Any, stack: str, name: str, *, iterations: bool = False
) -> dict[str, Any]:
    """The states of downloader ``stack/name`` of ``app`` (tokens as ``"0"``), and with
    ``iterations`` those of its Maps' iterations too."""
    import aws_cdk as cdk

    pattern = app.node.find_child(stack).node.find_child(name)
    resource = cdk.Stack.of(pattern).resolve(
        pattern.state_machine.node.default_child.definition_string
    )
    separator, parts = resource["Fn::Join"]
    definition = json.loads(separator.join(p if isinstance(p, str) else "0" for p in parts))
    states: dict[str, Any] = dict(definition["States"])
    if iterations:
        for state in definition["States"].values():
            states.update((state.get("ItemProcessor") or {}).get("States", {}))
    return states
