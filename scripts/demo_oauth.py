"""``make demo``, last part: the OAuth2 example (examples/oauth_window) against a stand-in.

Synthesizes examples/oauth_window, starts a loopback stand-in for both of its origins: the
token endpoint (``POST /oauth2/token``: it checks the client credentials, the grant type and
the scope EventBridge sends, and gives a bearer token) and the telemetry API (``GET
/v1/readings?start=...&end=...``: it refuses a request without that token, and answers one
reading a minute of the window it is asked for). Runs the downloader for three consecutive
hours on moto, through the HTTP Task and its EventBridge OAuth connection, and prints what the
stand-in received and what was stored.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from _stand_in import LoopbackStandIn, QuietHandler

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "oauth_window" / "app.py"
CLIENT_SECRET = "local-demo-client-secret"
"""The local value of the example's telemetry/oauth-client-secret: the stand-in checks it."""
TOKEN = "local-demo-access-token"
START = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
HOURS = 3


def _load_app_module() -> Any:
    spec = importlib.util.spec_from_file_location("oauth_window_app", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TelemetryStandIn(LoopbackStandIn):
    """The token endpoint and the readings API, on one loopback server (routed by path)."""

    def __init__(self, client_id: str, scope: str) -> None:
        self.client_id, self.scope = client_id, scope
        self.token_requests: list[str] = []
        """What each token request carried (its form, the client it authenticated)."""
        self.api_requests: list[str] = []
        """Each readings request: its window and whether it carried the token."""
        self._lock = threading.Lock()
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = self.rfile.read(length).decode()
                self._send(*stand_in.token(self.path, self.headers.get("Authorization"), form))

            def do_GET(self) -> None:
                self._send(*stand_in.readings(self.path, self.headers.get("Authorization")))

            def _send(self, status: int, body: Any) -> None:
                self.send_json(status, body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def token(self, path: str, authorization: str | None, form: str) -> tuple[int, Any]:
        """The client-credentials grant (RFC 6749, 4.4): client id and secret as Basic."""
        basic = base64.b64encode(f"{self.client_id}:{CLIENT_SECRET}".encode()).decode()
        fields = {name: values[0] for name, values in parse_qs(form).items()}
        client_ok = authorization == f"Basic {basic}"
        with self._lock:
            self.token_requests.append(
                f"POST {path} {form} (client {self.client_id}: "
                f"{'credentials ok' if client_ok else 'WRONG credentials'})"
            )
        if path != "/oauth2/token" or not client_ok:
            return 401, {"error": "invalid_client"}
        if fields != {"grant_type": "client_credentials", "scope": self.scope}:
            return 400, {"error": "invalid_request"}
        return 200, {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600}

    def readings(self, path: str, authorization: str | None) -> tuple[int, Any]:
        """One reading a minute of ``[start, end)``; 401 without the bearer token."""
        parts = urlsplit(path)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        token_ok = authorization == f"Bearer {TOKEN}"
        with self._lock:
            self.api_requests.append(
                f"GET {path}  (Bearer token: {'ok' if token_ok else 'MISSING'})"
            )
        if not token_ok:
            return 401, {"message": "a bearer token is required"}
        if parts.path != "/v1/readings" or set(query) != {"start", "end"}:
            return 400, {"message": "start and end are required"}
        start, end = (datetime.fromisoformat(query[k]) for k in ("start", "end"))
        minutes = int((end - start).total_seconds() // 60)
        readings = [
            {"at": (start + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"),
             "celsius": round(18.0 + 0.1 * ((start.hour * 60 + n) % 40), 1)}
            for n in range(minutes)
        ]  # fmt: skip
        return 200, {"readings": readings}


def run() -> int:
    """Three hourly runs of the OAuth example; 0 when each stored its hour's readings."""
    from sfn_downloader.local import LocalRunner

    module = _load_app_module()
    origin = module.TOKEN_ENDPOINT.split("/oauth2/", 1)[0]
    with tempfile.TemporaryDirectory(prefix="oauth-window-cdk-out-") as outdir:
        app = module.build_app(outdir)
        app.synth()
        stand_in = TelemetryStandIn(module.CLIENT_ID, module.SCOPE)
        with (
            stand_in.serving(),
            LocalRunner(
                app,
                upstream={module.ENDPOINT: stand_in.url, origin: stand_in.url},
                secrets={module.CLIENT_SECRET: CLIENT_SECRET},
            ) as runner,  # fmt: skip
        ):
            executions = [runner.run(START + timedelta(hours=h)) for h in range(HOURS)]
            items = sorted(runner.items(), key=lambda item: item["sk"])
    print(
        "\nAn OAuth2 API with a time window (examples/oauth_window: the HTTP Task, an EventBridge "
        f"OAuth connection), {HOURS} hourly runs: "
        + ", ".join(execution.status for execution in executions)
    )
    for line in stand_in.token_requests:
        print(f"  token  {line}")
    for line in stand_in.api_requests:
        print(f"  API    {line}")
    for item in items:
        readings = json.loads(item["readings"])
        print(f"  stored {item['sk']}: {item['count']} readings, {readings[0]['at']} .. "
              f"{readings[-1]['at']}")  # fmt: skip
    ok = all(e.succeeded for e in executions) and [i["count"] for i in items] == [60] * HOURS
    fetched = len(stand_in.token_requests)
    print(f"  {len(items)} hours stored; {fetched} token request(s) for {HOURS} runs (EventBridge "
          "keeps the token until it is refused)" + ("" if ok else ": FAILED"))  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(run())
