"""Every downloader of ``tests/scenarios.py`` against a server that gzips every answer although
asked for ``identity`` (issue 25 item 14): nothing any of them stores or archives may hold the
compressed bytes as text. A run may fail (``Downloader.CompressedAnswer``, a failed path, the
HTTP Task's ``States.Runtime``) or end before a download (a fresh memory); it must never keep
the garbage.

Not part of ``make test`` (about 6 minutes on two cores: every scenario synthesized and run):
``make sweep-compressed`` runs it. It found the shapes that session 10 fixed (a fan-out's paths
with marks, one request with records, ``page_count`` with ``on_status``, one request with
``retry_after`` and ``on_status``), which targeted tests had missed.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

import pytest

from local_helpers import Answer, Seen, running_upstream
from sfn_downloader.local import LocalRunner, LocalRunnerError

import scenarios

T0 = "2026-11-27T05:00:00Z"
BUILDS = sorted(name for name in dir(scenarios) if name.startswith("build_"))
GARBLED = ("\u001f\ufffd", "\\u001f")
"""gzip's magic number as the proxy hands it over (UTF-8 text of the bytes), raw or escaped."""
BODY = gzip.compress(b'[{"id": 12345678901234567, "updated_at": "2026-01-02T00:00:00Z"}]')


def compressed(seen: Seen) -> Answer:
    del seen
    return Answer(200, BODY, {"Content-Encoding": "gzip", "X-Pages": "2"})


def garbled(value: Any) -> bool:
    text = json.dumps(value, ensure_ascii=False)
    return any(mark in text for mark in GARBLED)


def secret_value(name: str) -> Any:
    """A local value for a secret the template names: JSON for OAuth clients and passwords."""
    if "oauth" in name.lower() or "password" in name.lower():
        return {"client_id": "i", "client_secret": "s", "username": "u", "password": "p"}
    return "local"


def sweep(pattern: Any, upstream: str) -> tuple[str, str | None, list[str]]:
    """One run of ``pattern``: its status, error, and what it kept garbled."""
    secrets: dict[str, Any] = {}
    for _ in range(5):  # each missing secret is named by the runner: add it and open again
        try:
            with LocalRunner(
                pattern, upstream=upstream, fast_retries=True, secrets=secrets
            ) as runner:
                run = runner.run(T0)
                kept = [str(item["sk"]) for item in runner.items() if garbled(item)]
                kept += [key for key, body in runner.objects().items() if garbled(body)]
                return run.status, run.error, kept
        except LocalRunnerError as error:
            missing = re.search(r"references secret '([^']+)'", str(error))
            if missing is None:
                raise
            secrets[missing[1]] = secret_value(missing[1])
    raise AssertionError("too many secrets")


@pytest.mark.parametrize("build", BUILDS)
def test_no_downloader_keeps_a_compressed_answer_as_text(build: str) -> None:
    scenario = scenarios.synth(getattr(scenarios, build))
    kept = {}
    with running_upstream() as upstream:
        upstream.respond(compressed)
        for name, pattern in scenario.patterns.items():
            status, error, garbage = sweep(pattern, upstream.url)
            if garbage:
                kept[name] = (status, error, garbage[:3])
    assert kept == {}
