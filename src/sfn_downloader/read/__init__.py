"""Read a downloader's answers back from its DynamoDB table: ``DownloaderTable``.

For deployed tables and for the local runner's (``LocalRunner.table()``). Needs boto3 only,
no aws-cdk-lib, so it runs in any script, notebook or Lambda: ``pip install
'sfn-downloader[read]'`` (boto3, and tqdm and matplotlib for the command line's progress bar
and chart; ``[pandas]`` for ``to_dataframe()``).

From the command line (``python -m sfn_downloader.read --help``)::

    python -m sfn_downloader.read TABLE --downloader-id eve/player-count \\
        --from 2026-11-27T05:00:00Z --to 2026-11-27T06:00:00Z --format csv > hour.csv
    python -m sfn_downloader.read TABLE --downloader-id eve/player-count \\
        --from 2026-11-27T05:00:00Z --to 2026-11-27T06:00:00Z chart --field count --out chart.png
"""

from __future__ import annotations

from ._table import DownloaderTable, Items, RecordItems

__all__ = ["DownloaderTable", "Items", "RecordItems"]
