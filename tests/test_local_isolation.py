"""A local run never leaves the process, whatever the environment says about AWS.

Each test points one setting that boto3 clients follow (an endpoint URL in the environment or in
a profile of the config file, a missing profile, real-looking credentials and credential
endpoints) at a loopback listener that records every connection; the run must succeed and the
listener must see nothing.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_helpers import Answer, running_upstream
from sfn_downloader.local import LocalRunner
from sfn_downloader.local._clients import LeftTheProcessError, local_client

from scenarios import Scenario

T0 = "2026-11-27T05:30:00Z"
STATUS = {"players": 24449, "server_version": "2345678", "start_time": "2026-11-27T11:00:00Z"}


class Listener:
    """A loopback TCP listener that records each connection (and answers HTTP 200 ``{}``, so a
    client that reached it would think it was answered)."""

    def __init__(self) -> None:
        self.connections: list[bytes] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.connections.append(connection.recv(4096))
                    connection.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 2\r\nConnection: close\r\n\r\n{}"
                    )
                except OSError:
                    self.connections.append(b"")

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self._server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as listening:
        yield listening


def _clear_aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)


def _config_file(tmp_path: Path, text: str) -> str:
    path = tmp_path / "config"
    path.write_text(text)
    return str(path)


SERVICES = ("DYNAMODB", "SFN", "S3", "SQS", "SNS", "EVENTBRIDGE", "STS")


def _settings(kind: str, url: str, tmp_path: Path) -> dict[str, str]:
    if kind == "AWS_ENDPOINT_URL":
        return {"AWS_ENDPOINT_URL": url}
    if kind == "AWS_ENDPOINT_URL_<SERVICE>":
        return {f"AWS_ENDPOINT_URL_{service}": url for service in SERVICES}
    if kind == "missing AWS_PROFILE":
        return {"AWS_PROFILE": "no-such-profile", "AWS_CONFIG_FILE": str(tmp_path / "none")}
    if kind == "profile endpoint_url":
        return {
            "AWS_PROFILE": "elsewhere",
            "AWS_CONFIG_FILE": _config_file(
                tmp_path,
                f"[default]\nendpoint_url = {url}\n\n"
                f"[profile elsewhere]\nregion = eu-west-1\nendpoint_url = {url}\n"
                f"services = elsewhere-services\n\n[services elsewhere-services]\n"
                f"dynamodb =\n  endpoint_url = {url}\nsfn =\n  endpoint_url = {url}\n",
            ),
        }
    assert kind == "real credentials"
    return {
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_SESSION_TOKEN": "real-looking-session-token",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": f"{url}/credentials",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": url,
        "AWS_USE_FIPS_ENDPOINT": "true",
        "AWS_USE_DUALSTACK_ENDPOINT": "true",
        "AWS_DEFAULT_REGION": "eu-west-1",
    }


KINDS = (
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_<SERVICE>",
    "missing AWS_PROFILE",
    "profile endpoint_url",
    "real credentials",
)


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_stays_in_the_process(
    kind: str,
    default: Scenario,
    listener: Listener,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    _clear_aws_environment(monkeypatch)
    for name, value in _settings(kind, listener.url, tmp_path).items():
        monkeypatch.setenv(name, value)
    with running_upstream() as upstream:
        upstream.script(default=Answer(200, STATUS))
        with LocalRunner(default.stack, upstream=upstream.url) as runner:
            execution = runner.run(T0)
            items = runner.items()
    assert execution.status == "SUCCEEDED", execution.cause
    assert [item["count"] for item in items] == [24449]
    assert listener.connections == []


def test_a_request_the_mock_does_not_answer_is_refused_not_sent(listener: Listener) -> None:
    """The last line of defence: outside a mock (moto's interception off), a local client's
    request fails in the process instead of reaching any endpoint."""
    client = local_client("dynamodb")
    with pytest.raises(LeftTheProcessError, match="did not answer"):
        client.list_tables()
    assert listener.connections == []
