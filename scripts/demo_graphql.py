"""``make demo``, part 3: the GitHub GraphQL example against a stand-in for api.github.com.

Synthesizes examples/github_graphql, starts a loopback stand-in that answers ``POST /graphql``
as GitHub does (it checks the token the proxy injects, the JSON content type, the query and the
variables it receives; 237 issues, 100 a page, the last page's ``endCursor`` not null), runs the
downloader once on moto and prints the bodies the stand-in received and the pages stored.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import tempfile
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from _stand_in import LoopbackStandIn, QuietHandler

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "examples" / "github_graphql" / "app.py"
GITHUB_API = "https://api.github.com"
TOKEN = "github_pat_local_demo"
"""The local value of the example's github/token secret: the stand-in checks it arrives."""
WHEN = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)


def _load_app_module() -> Any:
    spec = importlib.util.spec_from_file_location("github_graphql_app", APP)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GraphqlStandIn(LoopbackStandIn):
    """``POST /graphql`` like api.github.com for ``repository.issues``."""

    ISSUES = 237

    def __init__(self, query: str) -> None:
        self.query = query
        self.bodies: list[dict[str, Any]] = []
        stand_in = self

        class Handler(QuietHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                status, body = stand_in.answer(
                    self.path, self.headers.get("Authorization"),
                    self.headers.get("Content-Type", ""), raw,
                )  # fmt: skip
                self.send_json(status, body, content_type="application/json; charset=utf-8")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def answer(
        self, path: str, authorization: str | None, content_type: str, raw: bytes
    ) -> tuple[int, Any]:
        if path != "/graphql":
            return 404, {"message": "Not Found"}
        if authorization != f"Bearer {TOKEN}":
            return 401, {"message": "This endpoint requires you to be authenticated."}
        if not content_type.startswith("application/json"):
            return 400, {"message": "Body should be a JSON object"}
        request = json.loads(raw)
        self.bodies.append(request)
        variables = request.get("variables", {})
        if request.get("query") != self.query:
            return 200, {"errors": [{"message": "Parse error: unexpected query"}]}
        if (variables.get("owner"), variables.get("name")) != ("aws", "aws-cdk"):
            missing = {"type": "NOT_FOUND", "message": "Could not resolve to a Repository."}
            return 200, {"data": {"repository": None}, "errors": [missing]}
        first, after = int(variables["first"]), variables.get("after")
        start = 0 if after is None else int(base64.b64decode(after).decode().split(":")[1])
        numbers = range(start + 1, min(start + first, self.ISSUES) + 1)
        nodes = [
            {"number": n, "title": f"Issue {n}", "state": "OPEN" if n % 3 else "CLOSED",
             "updatedAt": f"2026-11-{1 + n % 27:02d}T10:00:00Z"}
            for n in numbers
        ]  # fmt: skip
        end = base64.b64encode(f"cursor:{numbers[-1]}".encode()).decode()
        page_info = {"endCursor": end, "hasNextPage": numbers[-1] < self.ISSUES}
        return 200, {"data": {"repository": {"issues": {"nodes": nodes, "pageInfo": page_info}}}}


def run() -> int:
    """One run of the GraphQL example against the stand-in; 0 when it stored every issue."""
    from sfn_downloader.local import LocalRunner

    module = _load_app_module()
    with tempfile.TemporaryDirectory(prefix="github-graphql-cdk-out-") as outdir:
        app = module.build_app(outdir)
        app.synth()
        stand_in = GraphqlStandIn(module.QUERY)
        with (
            stand_in.serving(),
            LocalRunner(
                app, upstream={GITHUB_API: stand_in.url}, secrets={"github/token": TOKEN}
            ) as runner,  # fmt: skip
        ):
            execution = runner.run(WHEN)
            items = runner.table(consistent_read=True).pages(WHEN)  # the run's pages
    print(f"\nGitHub issues of aws/aws-cdk through GraphQL (POST, cursor in the body), one run: "
          f"{execution.status}")  # fmt: skip
    for body in stand_in.bodies:
        print(f"  POST /graphql variables={json.dumps(body['variables'])}")
    stored = 0
    for item in sorted(items, key=lambda i: int(i["sk"].rsplit("#", 1)[1])):
        issues = json.loads(item["issues"])
        stored += len(issues)
        print(
            f"  page {item['sk'].rsplit('#', 1)[1]}: {len(issues):>3} issues, "
            f"#{issues[0]['number']}..#{issues[-1]['number']}"
        )
    ok = execution.status == "SUCCEEDED" and stored == GraphqlStandIn.ISSUES
    print(f"  {stored} of {GraphqlStandIn.ISSUES} issues stored" + ("" if ok else ": FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(run())
