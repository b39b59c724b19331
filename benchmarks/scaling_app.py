"""An app with N EVE downloaders, by the construct or by hand: the subject of bench_scaling.

``python benchmarks/scaling_app.py construct|handwritten N`` writes ``$CDK_OUTDIR``.
Downloaders go ten to a stack (CloudFormation allows 500 resources a stack; each is 12-14).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "eve_player_count"))

PER_STACK = 10


def build_app(kind: str, count: int, outdir: str | None = None) -> cdk.App:
    """Return an app with ``count`` downloaders made by ``kind`` (construct or handwritten)."""
    app = cdk.App(outdir=outdir or os.environ.get("CDK_OUTDIR") or "cdk.out")
    stack = cdk.Stack(app, "Scaling0")
    for index in range(count):
        if index and index % PER_STACK == 0:
            stack = cdk.Stack(app, f"Scaling{index // PER_STACK}")
        downloader_id = f"eve/player-count-{index}"
        if kind == "construct":
            from app import player_count  # the example's downloader, as the user writes it

            player_count(stack, f"PlayerCount{index}", downloader_id=downloader_id, polite=False)
        elif kind == "handwritten":
            from handwritten_app import add_downloader

            add_downloader(stack, f"PlayerCount{index}", downloader_id=downloader_id)
        else:
            raise SystemExit(f"kind must be 'construct' or 'handwritten', not {kind!r}")
    return app


if __name__ == "__main__":
    build_app(sys.argv[1], int(sys.argv[2])).synth()
