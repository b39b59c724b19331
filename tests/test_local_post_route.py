"""The local REST API emulation routes the method the template declares: a POST on
``{proxy+}`` (with its JSON body) when the template has one, as a deployed API would."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sfn_downloader.local._api_gateway import LocalRestApi
from sfn_downloader.local._execution import select_downloader
from sfn_downloader.local._invoke import ApiRequest
from sfn_downloader.local._template import find_downloaders, stacks_of

from scenarios import Scenario


@pytest.fixture
def received() -> Iterator[tuple[str, list[tuple[str, str, bytes]]]]:
    """A loopback upstream that records (method, path, body) and answers 200 ``{"ok": true}``."""
    seen: list[tuple[str, str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            seen.append((self.command, self.path, self.rfile.read(length)))
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", seen
    finally:
        server.shutdown()
        server.server_close()


def _as_post(template: dict[str, Any]) -> dict[str, Any]:
    """The synthesized template with its proxy method, its integration's method and the role's
    grant made POST (API Gateway sends the backend the integration's method, not the
    method's: a POST method whose integration says GET sends a GET)."""
    text = json.dumps(template)
    for old in ('"HttpMethod": "GET"', '"IntegrationHttpMethod": "GET"', "/GET/"):
        assert old in text
        text = text.replace(old, old.replace("GET", "POST"))
    return dict(json.loads(text))


def test_a_post_method_on_proxy_is_routed_with_its_body(
    default: Scenario, received: tuple[str, list[tuple[str, str, bytes]]]
) -> None:
    url, seen = received
    spec = select_downloader(find_downloaders(stacks_of(_as_post(default.json))), None)
    [api_id] = spec.apis
    api = LocalRestApi(
        spec, api_id, upstreams={"https://esi.evetech.net": url}, resolve_secrets=lambda t: t
    )
    body = json.dumps({"ids": [1, 2]}).encode()

    def call(method: str, request_body: bytes | None) -> int:
        headers = {"Content-Type": ["application/json"]} if request_body else {}
        request = ApiRequest(
            api.host, "prod", method, "/v2/status", {}, headers, request_body, "IAM_ROLE"
        )
        return api(request).status

    assert call("POST", body) == 200
    assert seen == [("POST", "/v2/status", body)]
    assert call("GET", None) == 403  # the template has no GET method any more
    assert len(seen) == 1
