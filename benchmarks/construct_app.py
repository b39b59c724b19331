"""The construct side of bench_synth: the EVE player count downloader alone, as the example
builds it (``player_count`` in examples/eve_player_count/app.py), in a stack of the same name
as the hand-written one, so the two templates can be compared resource for resource."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import aws_cdk as cdk

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples" / "eve_player_count"))
from app import player_count

if __name__ == "__main__":
    app = cdk.App(outdir=os.environ.get("CDK_OUTDIR") or "cdk.out")
    player_count(cdk.Stack(app, "EvePlayerCount"), polite=False)  # as handwritten_app.py
    app.synth()
