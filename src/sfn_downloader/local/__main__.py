"""``python -m sfn_downloader.local APP_FILE --upstream URL``: run an app's downloaders locally.

Synthesizes the CDK app file as the CDK CLI does (runs it with ``CDK_OUTDIR`` set to a temporary
directory), runs each downloader (or the one named by ``--pattern``) ``--runs`` times at
consecutive scheduled minutes, and prints the stored items as JSON lines on stdout. Progress
goes to stderr. Exit status: 0 if every run succeeded, 1 if one failed, 2 on a usage error.

``--backfill FROM TO`` runs each downloader's backfill state machine (``backfill=True``) for the
scheduled times FROM to TO (inclusive) instead of ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from ._backfill import find_backfill
from ._execution import scheduled_time_text, select_downloader
from ._http import check_base_url
from ._runner import LocalRunner
from ._template import find_downloaders, stacks_of
from .errors import LocalRunnerError


def synthesize(app_file: Path, outdir: Path) -> None:
    """Run ``app_file`` with ``CDK_OUTDIR=outdir``, as ``cdk synth`` runs an app."""
    env = {
        **os.environ,
        "CDK_OUTDIR": str(outdir),
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": os.environ.get(
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20"
        ),
    }
    done = subprocess.run(
        [sys.executable, str(app_file.resolve())],
        cwd=app_file.resolve().parent,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not (outdir / "manifest.json").is_file():
        raise LocalRunnerError(
            f"Synthesizing {app_file} failed (exit {done.returncode}); does it call app.synth() "
            f"and honour CDK_OUTDIR?\n{done.stderr[-2000:]}"
        )


class _Parser(argparse.ArgumentParser):
    """argparse, with every usage error on one line: ``PROG: error: MESSAGE``, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def unreachable(url: str, timeout: float = 2.0) -> str | None:
    """Why nothing answers at ``url``'s host and port (``"connection refused"``), or ``None``."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            return None
    except OSError as error:
        return error.strerror or str(error) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    parser = _Parser(prog="python -m sfn_downloader.local", description=__doc__)
    parser.add_argument("app", type=Path, help="CDK app file (or a synthesized cdk.out directory)")
    parser.add_argument("--upstream", required=True, help="base URL standing in for the endpoint")
    parser.add_argument("--runs", type=int, default=1, help="runs per downloader (default 1)")
    parser.add_argument("--pattern", help="construct path of one downloader (default: all)")
    parser.add_argument("--start", help="first scheduled time, ISO 8601 (default: this minute)")
    parser.add_argument(
        "--secret", action="append", default=[], metavar="NAME=VALUE",
        help="local value of a secret the template references (repeatable)",
    )  # fmt: skip
    parser.add_argument("--fast-retries", action="store_true", help="skip retry sleeps")
    parser.add_argument(
        "--backfill", nargs=2, metavar=("FROM", "TO"),
        help="run the backfill for the scheduled times FROM..TO (ISO 8601) instead of --runs",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"argument --runs: must be at least 1, not {args.runs}")
    try:
        check_base_url(args.upstream)
    except ValueError as error:
        parser.error(f"argument --upstream: {error}")
    malformed = [item for item in args.secret if "=" not in item or item.startswith("=")]
    if malformed:
        parser.error(f"argument --secret: expected NAME=VALUE, got {malformed[0]!r}")
    for value in args.backfill or ():
        try:
            scheduled_time_text(value)
        except ValueError:
            parser.error(
                f"argument --backfill: {value!r} is not an ISO 8601 time (like "
                "2026-11-27T05:30:00Z)"
            )
    secrets = dict(item.split("=", 1) for item in args.secret)
    try:
        start = datetime.fromisoformat(scheduled_time_text(args.start)).astimezone(UTC)
    except ValueError:
        parser.error(
            f"argument --start: {args.start!r} is not an ISO 8601 time (like 2026-11-27T05:30:00Z)"
        )
    if not args.app.exists():
        parser.error(f"argument app: {str(args.app)!r} does not exist")

    with tempfile.TemporaryDirectory(prefix="sfn-downloader-") as tmp:
        try:
            assembly = args.app
            if args.app.is_file():
                assembly = Path(tmp)
                synthesize(args.app, assembly)
            found = find_downloaders(stacks_of(assembly))
            chosen = [select_downloader(found, args.pattern)] if args.pattern else found
            if not chosen:
                raise LocalRunnerError(f"{args.app}: no downloader found.")
            if args.backfill:
                chosen = [spec for spec in chosen if find_backfill(spec) is not None]
                if not chosen:
                    raise LocalRunnerError(f"{args.app}: no downloader with backfill=True.")
        except LocalRunnerError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        reason = unreachable(args.upstream)
        if reason is not None:
            # Not a usage error: the runs go on and fail as they would on AWS with the
            # endpoint down (the proxy answers 504, the HTTP Task fails States.Http.Socket).
            print(f"warning: cannot reach the upstream {args.upstream}: {reason}", file=sys.stderr)
        failed = 0
        for spec in chosen:
            runner = LocalRunner(
                assembly,
                upstream=args.upstream,
                pattern=spec.path,
                secrets=secrets,
                fast_retries=args.fast_retries,
            )
            with runner:
                if args.backfill:
                    failed += _backfill(runner, spec.path, args.backfill)
                for index in range(0 if args.backfill else args.runs):
                    execution = runner.run(start + timedelta(minutes=index))
                    detail = f" {execution.error}: {execution.cause}" if execution.error else ""
                    print(
                        f"{spec.path} {execution.scheduled_time} {execution.status}{detail}",
                        file=sys.stderr,
                    )
                    failed += not execution.succeeded
                for item in runner.items():
                    print(json.dumps(item, sort_keys=True, default=str))
    return 1 if failed else 0


def _backfill(runner: LocalRunner, path: str, times: Sequence[str]) -> int:
    """Run the backfill; print each run and the backfill's outcome; 1 if anything failed."""
    outcome = runner.backfill(times[0], times[1])
    for run in outcome.runs:
        detail = f" {run.error}: {run.cause}" if run.error else ""
        print(f"{path} {run.scheduled_time} {run.status}{detail}", file=sys.stderr)
    execution = outcome.execution
    detail = f" {execution.error}: {execution.cause}" if execution.error else ""
    print(f"{path} backfill {times[0]}..{times[1]} {execution.status}{detail}", file=sys.stderr)
    return int(not outcome.succeeded)


if __name__ == "__main__":
    sys.exit(main())
