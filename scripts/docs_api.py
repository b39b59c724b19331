"""Render the API reference (docs/api/) with pdoc from the public names' docstrings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pdoc
import pdoc.render

OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "api"


def main() -> int:
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    import sfn_downloader
    import sfn_downloader.local

    for module in (sfn_downloader, sfn_downloader.local):
        for name in module.__all__:  # resolve the lazily imported names (PEP 562) for pdoc
            getattr(module, name)
    pdoc.render.configure(docformat="restructuredtext", show_source=False)
    pdoc.pdoc("sfn_downloader", "sfn_downloader.local", output_directory=OUTPUT)
    print(f"API reference: {OUTPUT / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
