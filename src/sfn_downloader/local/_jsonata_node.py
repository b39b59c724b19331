"""JSONata as Step Functions runs it: npm ``jsonata`` 2.0.6 (the version "Transforming data with
JSONata in Step Functions" names), in one long-lived Node process.

Each expression is sent once and compiled once there; each evaluation sends only its id and its
variables (``$states`` and the workflow variables it references) as JSON bindings, never as
text spliced into the expression. Node is on every machine that runs aws-cdk-lib; the npm
package is looked up in ``$SFN_DOWNLOADER_NODE_MODULES``, then ``<sys.prefix>/node_modules``
(``make venv`` installs it there: ``npm install --prefix .venv jsonata@2.0.6``).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LocalRunnerError

JSONATA_VERSION = "2.0.6"
"""The npm ``jsonata`` release Step Functions runs."""
NODE_MODULES_VARIABLE = "SFN_DOWNLOADER_NODE_MODULES"
_SERVER = Path(__file__).with_name("_jsonata_server.js")


class JsonataUnavailableError(LocalRunnerError):
    """Node or npm ``jsonata`` 2.0.6 is missing: JSONata cannot be evaluated as AWS does."""


@dataclass(frozen=True)
class Evaluation:
    """One evaluation's outcome: ``value``; or ``undefined`` (nothing); or ``function`` (a
    function, which no state may output); or ``error`` (``code``, ``message``)."""

    value: Any = None
    undefined: bool = False
    function: bool = False
    error: dict[str, Any] | None = None


def node_modules() -> Path:
    """The ``node_modules`` directory that holds ``jsonata`` 2.0.6, or a clear error."""
    candidates = [os.environ.get(NODE_MODULES_VARIABLE, ""), str(Path(sys.prefix) / "node_modules")]
    for candidate in filter(None, candidates):
        manifest = Path(candidate) / "jsonata" / "package.json"
        if manifest.is_file():
            version = json.loads(manifest.read_text()).get("version")
            if version != JSONATA_VERSION:
                raise JsonataUnavailableError(
                    f"{manifest.parent} is jsonata {version}, not {JSONATA_VERSION} (the version "
                    f"Step Functions runs). Fix: npm install --prefix {Path(candidate).parent} "
                    f"jsonata@{JSONATA_VERSION}"
                )
            return Path(candidate)
    raise JsonataUnavailableError(
        f"npm jsonata {JSONATA_VERSION} is not installed (looked in ${NODE_MODULES_VARIABLE} and "
        f"{Path(sys.prefix) / 'node_modules'}); the local runner evaluates JSONata with it, as "
        f"Step Functions does. Fix: npm install --prefix {sys.prefix} jsonata@{JSONATA_VERSION} "
        f"(or set {NODE_MODULES_VARIABLE} to a node_modules directory that holds it)."
    )


class JsonataProcess:
    """One Node process evaluating JSONata; thread-safe (one request at a time)."""

    def __init__(self) -> None:
        node = shutil.which("node")
        if node is None:
            raise JsonataUnavailableError(
                "node is not on PATH: the local runner evaluates JSONata with npm jsonata "
                f"{JSONATA_VERSION} (as Step Functions does). Fix: install Node.js 18 or later."
            )
        self._process = subprocess.Popen(
            [node, str(_SERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "NODE_PATH": str(node_modules())},
            text=True,
            encoding="utf-8",
        )
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def evaluate(self, expression: str, bindings: dict[str, Any]) -> Evaluation:
        """``expression`` evaluated with ``bindings`` (``states`` → ``$states``, ...)."""
        with self._lock:
            request: dict[str, Any] = {"id": self._ids.get(expression), "bindings": bindings}
            if request["id"] is None:
                request["id"] = self._ids[expression] = len(self._ids) + 1
                request["expr"] = expression
            stdin, stdout = self._process.stdin, self._process.stdout
            assert stdin is not None and stdout is not None
            try:
                stdin.write(json.dumps(request, default=str, separators=(",", ":")) + "\n")
                stdin.flush()
                line = stdout.readline()
            except (BrokenPipeError, OSError):
                line = ""
            if not line:
                raise LocalRunnerError("The JSONata process (node) stopped unexpectedly.")
        reply = json.loads(line)
        if "error" in reply:
            return Evaluation(error=reply["error"])
        return Evaluation(
            value=reply.get("value"),
            undefined=bool(reply.get("undefined")),
            function=reply.get("type") == "function",
        )

    def close(self) -> None:
        if self._process.poll() is None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


_lock = threading.Lock()
_processes: list[JsonataProcess] = []


def process() -> JsonataProcess:
    """The process-wide evaluator, started at first use and stopped at exit."""
    with _lock:
        if not _processes:
            _processes.append(JsonataProcess())
            atexit.register(_processes[0].close)
        return _processes[0]
