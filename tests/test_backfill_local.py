"""Backfill, run locally: the backfill state machine runs the downloader's own state machine once
a scheduled time, under the keys a scheduled run uses; a failed time is reported and retried
alone; bad ranges fail at once; and the CLI's ``--backfill FROM TO``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_scheduler as scheduler

from local_helpers import Answer, Seen, Upstream, answers
from sfn_downloader import Concurrency, DownloaderPattern, FanOut, ItemField, Starts, Window
from sfn_downloader.local import LocalRunner, LocalRunnerError
from sfn_downloader.local import __main__ as cli

FROM = "2026-11-01T00:00:00Z"
TO = "2026-11-02T23:00:00Z"  # 48 hourly times
START = datetime(2026, 11, 1, tzinfo=UTC)
HOURS = [(START + timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ") for n in range(48)]


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Hourly windows (backfill=True), a daily cron (backfill=True), and one without backfill,
    synthesized once into a cloud assembly directory."""
    outdir = tmp_path_factory.mktemp("backfill-cdk-out")
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Back")
    hourly = DownloaderPattern(
        stack,
        "Stats",
        endpoint="https://api.example.com",
        path="/v1/stats?from={window_start}&to={window_end}",
        window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
        result_selector={"count.$": "$.ResponseBody.count"},
        item={"count": ItemField.number("$.count")},
        backfill=True,
        concurrency=Concurrency.inline(8),
        downloader_id="stats",
    )
    DownloaderPattern(
        stack,
        "Daily",
        endpoint="https://api.example.com",
        path="/v1/day/{scheduled_time:date}",
        starts=Starts.scheduled(scheduler.ScheduleExpression.cron(hour="1", minute="0")),
        item={"body": ItemField.json("$.ResponseBody")},
        backfill=True,
        table=hourly.table,
        downloader_id="daily",
    )
    DownloaderPattern(
        stack, "Fanned", endpoint="https://api.example.com",
        path="/v1/regions/{region}/stats?from={window_start}&to={window_end}",
        fan_out=FanOut.path_values({"region": [1, 2]}), window=Window.last(cdk.Duration.hours(1)),
        starts=Starts.scheduled(scheduler.ScheduleExpression.rate(cdk.Duration.hours(1))),
        item={"body": ItemField.json("$.ResponseBody")}, backfill=True,
        concurrency=Concurrency.distributed(4), table=hourly.table, downloader_id="fanned",
    )  # fmt: skip
    DownloaderPattern(
        stack,
        "Plain",
        endpoint="https://api.example.com",
        path="/v1/plain",
        item={"body": ItemField.json("$.ResponseBody")},
        table=hourly.table,
    )
    app.synth()
    return outdir


def counting(seen: Seen) -> Answer:
    """A count per window: its start hour, so every item can be checked."""
    start = datetime.fromisoformat(seen.query["from"][0])
    return Answer(200, {"count": start.hour + 100 * start.day})


def stats_items(runner: LocalRunner) -> dict[str, int]:
    return {i["sk"]: i["count"] for i in runner.items() if i["pk"] == "stats"}


def test_backfill_runs_each_hour_once_under_the_scheduled_keys(
    assembly: Path, upstream: Upstream
) -> None:
    with LocalRunner(assembly, upstream=upstream.url, pattern="Back/Stats") as runner:
        upstream.respond(counting)
        scheduled = runner.run(HOURS[10])  # one hour the schedule already stored
        assert scheduled.succeeded, scheduled.cause

        upstream.respond(counting)
        outcome = runner.backfill(FROM, TO)

        assert outcome.execution.status == "SUCCEEDED", outcome.execution.cause
        assert [run.scheduled_time for run in outcome.runs] == HOURS
        assert all(run.succeeded for run in outcome.runs)
        # Each run is the downloader's own, started with exactly the schedule's input.
        assert [run.input for run in outcome.runs] == [{"scheduledTime": t} for t in HOURS]
        windows = sorted((s.query["from"][0], s.query["to"][0]) for s in upstream.requests)
        assert windows == [
            ((START + timedelta(hours=n - 1)).strftime("%Y-%m-%dT%H:%M:%SZ"), HOURS[n])
            for n in range(48)
        ]
        stored = stats_items(runner)
        assert sorted(stored) == HOURS  # 48 items: the scheduled hour was not duplicated
        assert stored[HOURS[10]] == 9 + 100  # the window 09:00-10:00 of Nov 1

        # The same range again rewrites the same 48 items: it adds none.
        upstream.respond(counting)
        again = runner.backfill(FROM, TO)
        assert again.succeeded and len(upstream.requests) == 48
        assert stats_items(runner) == stored


def test_a_failed_time_is_reported_and_retried_alone(assembly: Path, upstream: Upstream) -> None:
    failing = HOURS[6]  # its window starts at 05:00

    def down_at_five(seen: Seen) -> Answer:
        if seen.query["from"][0] == HOURS[5]:
            return Answer(500, {"message": "upstream error"})
        return counting(seen)

    with LocalRunner(
        assembly, upstream=upstream.url, pattern="Back/Stats", fast_retries=True
    ) as runner:
        upstream.respond(down_at_five)
        outcome = runner.backfill(FROM, TO)

        assert outcome.execution.status == "FAILED"
        assert outcome.execution.error == "Downloader.RequestsFailed"
        failed = json.loads(outcome.execution.cause or "[]")
        assert failed == [{"ok": False, "key": failing, "error": "States.TaskFailed"}]
        assert outcome.failed_times == [failing]
        [run] = [r for r in outcome.runs if not r.succeeded]
        assert run.error == "ApiGateway.500"  # the downloader's own failure, after retries
        assert sorted(stats_items(runner)) == [t for t in HOURS if t != failing]  # 47 stored

        upstream.respond(counting)
        retried = runner.backfill(failing, failing)
        assert retried.succeeded
        assert [r.scheduled_time for r in retried.runs] == [failing]
        assert sorted(stats_items(runner)) == HOURS


@pytest.mark.parametrize(
    ("pattern", "start", "end", "cause"),
    [
        ("Back/Stats", TO, FROM, "to not before from"),
        ("Back/Stats", "2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "more than 1,000"),
        # cron(0 1 * * ? *): its times are 01:00 UTC.
        (
            "Back/Daily",
            "2026-11-01T00:00:00Z",
            "2026-11-03T00:00:00Z",
            "not one of the schedule's times",
        ),
    ],
)
def test_a_bad_range_fails_at_once_with_invalid_input(
    assembly: Path, upstream: Upstream, pattern: str, start: str, end: str, cause: str
) -> None:
    with LocalRunner(assembly, upstream=upstream.url, pattern=pattern) as runner:
        upstream.script(default=Answer(200, {"count": 1}))
        outcome = runner.backfill(start, end)
        assert outcome.execution.status == "FAILED"
        assert outcome.execution.error == "Downloader.InvalidInput"
        assert cause in (outcome.execution.cause or "")
        assert outcome.runs == () and upstream.requests == []


def test_the_daily_cron_backfills_its_own_times(assembly: Path, upstream: Upstream) -> None:
    with LocalRunner(assembly, upstream=upstream.url, pattern="Back/Daily") as runner:
        upstream.script(default=Answer(200, {"rates": {}}))
        outcome = runner.backfill("2026-11-01T01:00:00Z", "2026-11-03T01:00:00Z")
        assert outcome.succeeded
        assert sorted(s.path for s in upstream.requests) == [
            "/v1/day/2026-11-01",
            "/v1/day/2026-11-02",
            "/v1/day/2026-11-03",
        ]


def test_a_downloader_without_backfill_says_so(assembly: Path, upstream: Upstream) -> None:
    with (
        LocalRunner(assembly, upstream=upstream.url, pattern="Back/Plain") as runner,
        pytest.raises(LocalRunnerError, match=r"Back/Plain has no backfill state machine"),
    ):
        runner.backfill(FROM, TO)


def test_cli_backfill_runs_the_range_and_prints_the_items(
    assembly: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.respond(counting)
    status = cli.main(
        [
            str(assembly),
            "--upstream",
            upstream.url,
            "--pattern",
            "Back/Stats",
            "--backfill",
            HOURS[0],
            HOURS[2],
        ]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert f"Back/Stats backfill {HOURS[0]}..{HOURS[2]} SUCCEEDED" in captured.err
    items = [json.loads(line) for line in captured.out.splitlines()]
    assert sorted(i["sk"] for i in items if i["pk"] == "stats") == HOURS[:3]


def test_cli_backfill_usage_errors(
    assembly: Path, upstream: Upstream, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        cli.main(
            [
                str(assembly),
                "--upstream",
                upstream.url,
                "--pattern",
                "Back/Plain",
                "--backfill",
                FROM,
                TO,
            ]
        )
        == 2
    )
    assert "no downloader with backfill=True" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exited:
        cli.main([str(assembly), "--upstream", upstream.url, "--backfill", "yesterday", TO])
    assert exited.value.code == 2
    assert "--backfill" in capsys.readouterr().err


def test_a_distributed_backfill_of_a_fan_out_asks_every_path_for_every_window(
    assembly: Path, upstream: Upstream
) -> None:
    """With ``Concurrency.distributed``, the backfill's Map is a Distributed Map whose Standard
    children each start the downloader's run and wait for it (Express children cannot wait:
    ``.sync``); each run fans out over the regions with its own window."""
    with LocalRunner(assembly, upstream=upstream.url, pattern="Back/Fanned") as runner:
        upstream.respond(lambda seen: Answer(200, {"from": seen.query["from"][0]}))
        outcome = runner.backfill(HOURS[1], HOURS[4])
        assert outcome.execution.status == "SUCCEEDED", outcome.execution.cause
        assert [run.scheduled_time for run in outcome.runs] == HOURS[1:5]
        asked = sorted((s.path, s.query["from"][0]) for s in upstream.requests)
        assert asked == sorted(
            (f"/v1/regions/{region}/stats", HOURS[n - 1]) for region in (1, 2) for n in range(1, 5)
        )
        stored = sorted(i["sk"] for i in answers(runner) if i["pk"] == "fanned")
        assert len(stored) == 8 and stored[0].startswith(HOURS[1] + "#/v1/regions/1/stats")
    template = (assembly / "Back.template.json").read_text()
    # The backfill's RunAll: a Distributed Map of Standard children (escaped in the definition).
    assert '\\"RunAll\\":{\\"Type\\":\\"Map\\"' in template
    assert (
        '\\"ProcessorConfig\\":{\\"Mode\\":\\"DISTRIBUTED\\",\\"ExecutionType\\":\\"STANDARD\\"}'
        in template
    )
