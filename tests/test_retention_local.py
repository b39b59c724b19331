"""retention, run locally: every item's expiresAt is its scheduled time plus the retention."""

from __future__ import annotations

from datetime import UTC, datetime

import aws_cdk as cdk
import pytest

from local_helpers import Answer, Upstream, answers
from sfn_downloader import DownloaderPattern, FanOut, ItemField, Window
from sfn_downloader.local import LocalRunner

from scenarios import EVE_PROPS, MARKET_PATH

SCHEDULED = "2026-11-27T05:30:00Z"
EPOCH = int(datetime(2026, 11, 27, 5, 30, tzinfo=UTC).timestamp())
RETENTION = cdk.Duration.days(30)


@pytest.fixture(scope="module")
def app() -> cdk.App:
    app = cdk.App()
    stack = cdk.Stack(app, "Retained")
    single = DownloaderPattern(stack, "Status", **EVE_PROPS, retention=RETENTION)
    DownloaderPattern(
        stack, "Markets", endpoint="https://esi.evetech.net", path=MARKET_PATH,
        fan_out=FanOut.path_values({"region_id": [10000002, 10000043]}), table=single.table,
        result_selector={"count.$": "$.ResponseBody.count"},
        item={"count": ItemField.number("$.count")}, retention=RETENTION,
    )  # fmt: skip
    DownloaderPattern(
        stack, "Windowed", endpoint="https://api.example.com", table=single.table,
        path="/v2/events?from={window_start}&to={window_end}",
        window=Window.last(cdk.Duration.hours(1)),
        item={"events": ItemField.json("$.ResponseBody")}, retention=RETENTION,
    )  # fmt: skip
    return app


def test_one_path_item_expires_after_the_retention(app: cdk.App, upstream: Upstream) -> None:
    upstream.script(default=Answer(200, {"players": 31000}))
    with LocalRunner(app, upstream=upstream.url, pattern="Retained/Status") as runner:
        execution = runner.run(SCHEDULED)
        assert execution.status == "SUCCEEDED", execution.cause
        [item] = answers(runner)
    assert item["expiresAt"] == EPOCH + int(RETENTION.to_seconds())
    assert item["count"] == 31000


def test_fanout_items_expire_after_the_retention(app: cdk.App, upstream: Upstream) -> None:
    upstream.script(default=Answer(200, {"count": 7}))
    with LocalRunner(app, upstream=upstream.url, pattern="Retained/Markets") as runner:
        execution = runner.run(SCHEDULED)
        assert execution.status == "SUCCEEDED", execution.cause
        items = answers(runner)
    assert len(items) == 2
    assert {item["expiresAt"] for item in items} == {EPOCH + int(RETENTION.to_seconds())}


def test_a_window_with_retention_is_one_download_computing_both(
    app: cdk.App, upstream: Upstream
) -> None:
    """Issue 28: the download's Arguments compute the window, its Assign the expiry that
    Persist reads next; the run enters two states."""
    upstream.script(default=Answer(200, [{"id": 1}]))
    with LocalRunner(app, upstream=upstream.url, pattern="Retained/Windowed") as runner:
        execution = runner.run(SCHEDULED)
        assert execution.status == "SUCCEEDED", execution.cause
        assert runner.states_entered(execution) == ["Download", "Persist"]
        [item] = answers(runner)
    [seen] = upstream.requests
    assert seen.query == {"from": ["2026-11-27T04:30:00Z"], "to": [SCHEDULED]}
    assert item["expiresAt"] == EPOCH + int(RETENTION.to_seconds())
