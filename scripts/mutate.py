"""``make mutate MODULE=src/sfn_downloader/polite``: mutation testing of one module or package.

Cosmic Ray (``pip install -e '.[mutate]'``, which ``make mutate`` does) lists the mutations of
the module's Python source; this script applies each one in place, runs the test modules that
cover that code (``TESTS`` below, or ``--tests``) in a fresh ``pytest -x`` process (the
scenarios are synthesized anew: the construct code runs at synth time, inside session fixtures),
puts the source back, and prints killed / survived and each survivor's ``file:line`` and diff.

A survivor is a change to the product that no test notices: add the test that fails on it, or
say why it is an equivalent mutant (``# pragma: no mutate`` on its line skips it next time).
Cosmic Ray mutates Python operators, numbers and keywords, not the JSONata or VTL inside string
literals: the boundaries written there still need tests written with them in mind.

    python scripts/mutate.py src/sfn_downloader/polite [--sample 40] [--since main]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from cosmic_ray.mutating import mutate_and_test
from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import TestOutcome, WorkerOutcome, WorkItem, WorkResult

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = ROOT / ".mutate"

TESTS: dict[str, tuple[str, ...]] = {
    # Longest prefix wins. Synth-level modules first, local runs last: with -x a mutant dies at
    # the first failing test, so the cheap tests go first.
    "src/sfn_downloader/polite": (
        "tests/test_polite.py", "tests/test_retry_after.py",
        "tests/test_local_polite_combined.py", "tests/test_local_retry_after.py",
        "tests/test_local_polite.py",
    ),
    "src/sfn_downloader/timing": (
        "tests/test_timing.py", "tests/test_http_task_timing.py", "tests/test_schedule.py",
        "tests/test_local_timing.py",
        "tests/test_local_incremental.py", "tests/test_local_backfill.py",
    ),
    # Each paginator (test_paginators), X-Pages in a Map and beside a fan-out (test_many), the
    # run's limits (test_run_limits), the expiry of pages in a Map (test_retention), and their
    # local runs: a page loop, a Map of pages, a fan-out of paged paths.
    "src/sfn_downloader/pagination": (
        "tests/test_paginators.py", "tests/test_run_limits.py", "tests/test_many.py",
        "tests/test_retention.py",
        "tests/test_local_pages.py",
        "tests/test_local_many.py", "tests/test_local_status.py", "tests/test_local_answer.py",
    ),
    # trim.py also builds the non-proxy integration retry_after needs (check_mappable).
    "src/sfn_downloader/transport/trim.py": (
        "tests/test_trim.py", "tests/test_vtl.py", "tests/test_retry_after.py",
        "tests/test_local_trim.py",
    ),
    "src/sfn_downloader/_flow/post_process.py": ("tests/test_post_process.py",),
    # The HTTP Task: its requests (static, listed, computed each run), denies and refusals.
    "src/sfn_downloader/transport/http_task.py": (
        "tests/test_http_task_timing.py", "tests/test_overrides.py",
        "tests/test_badinput_construct.py", "tests/test_request.py",
        "tests/test_http_task_local.py", "tests/test_http_task_timing_local.py",
    ),
}  # fmt: skip
"""Source path -> the test modules that cover it."""

_BOUNDARY = re.compile(
    r"core/(ReplaceComparisonOperator_(Lt_LtE|LtE_Lt|Gt_GtE|GtE_Gt|Eq_NotEq|NotEq_Eq|Is_IsNot"
    r"|IsNot_Is|In_NotIn|NotIn_In)|ReplaceBinaryOperator_(Add_Sub|Sub_Add|Mul_Div|Div_Mul"
    r"|FloorDiv_Mul|Mod_FloorDiv)|ReplaceUnaryOperator_Delete_.*|NumberReplacer|AddNot"
    r"|ReplaceOrWithAnd|ReplaceAndWithOr|ReplaceTrueWithFalse|ReplaceFalseWithTrue"
    r"|ZeroIterationForLoop|ExceptionReplacer|ReplaceContinueWithBreak|ReplaceBreakWithContinue)$"
)
"""The default operators: one wrong boundary or condition a site (``<`` for ``<=``, ``-`` for
``+``, ``n + 1``, ``not``, ``and`` for ``or``, ...). ``--all-operators`` adds every other
replacement (``+`` to each of ``*``, ``/``, ``%``, ``<<``, ...) and decorator removal: three times
as many mutants, rarely a different answer."""


_KEYWORD_ONLY = re.compile(r"\*\s*(,|\)|$)")
"""A bare ``*`` in a signature, which Cosmic Ray takes for a multiplication."""


def tests_for(module: str) -> tuple[str, ...]:
    """The mapped test modules of ``module`` (the longest mapped prefix)."""
    found = [p for p in TESTS if module == p or module.startswith(p.rstrip("/") + "/")]
    if not found:
        raise SystemExit(
            f"mutate: no test modules are mapped to {module!r}: pass --tests (TESTS='...' with "
            "make), or add it to TESTS in scripts/mutate.py."
        )
    return TESTS[max(found, key=len)]


def changed_lines(since: str, module: str) -> dict[str, set[int]]:
    """Lines added or changed since the git ref ``since``, by file."""
    diff = subprocess.run(
        ["git", "diff", "-U0", since, "--", module], cwd=ROOT, check=True, capture_output=True,
        text=True,
    ).stdout  # fmt: skip
    lines: dict[str, set[int]] = {}
    current = ""
    for line in diff.splitlines():
        if line.startswith("+++ b/"):
            current = line[6:]
        elif hunk := re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line):
            start, count = int(hunk[1]), int(hunk[2] or 1)
            lines.setdefault(current, set()).update(range(start, start + count))
    return lines


def select(db: WorkDB, args: argparse.Namespace) -> Counter[str]:
    """Mark as skipped what this run leaves out; returns why, counted."""
    skipped: Counter[str] = Counter()
    since = changed_lines(args.since, args.module) if args.since else None
    kept: list[WorkItem] = []
    for item in list(db.pending_work_items):
        [mutation] = item.mutations
        path, line = str(mutation.module_path), mutation.start_pos[0]
        source = Path(ROOT, path).read_text().splitlines()[line - 1]
        reason = (
            "operator not in the default set (--all-operators)"
            if not args.all_operators and not _BOUNDARY.match(mutation.operator_name)
            else "a keyword-only marker (*), not an operator"
            if _KEYWORD_ONLY.match(source[mutation.start_pos[1] :])
            else "# pragma: no mutate"
            if "pragma: no mutate" in source
            else f"line unchanged since {args.since}"
            if since is not None and line not in since.get(path, set())
            else None
        )
        if reason is None:
            kept.append(item)
            continue
        skipped[reason] += 1
        db.set_result(item.job_id, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))
    if args.sample and len(kept) > args.sample:
        chosen = set(random.Random(args.seed).sample(range(len(kept)), args.sample))
        for index, item in enumerate(kept):
            if index not in chosen:
                skipped[f"not in the sample (--sample {args.sample})"] += 1
                db.set_result(
                    item.job_id,
                    WorkResult(output="not sampled", worker_outcome=WorkerOutcome.SKIPPED),
                )
    return skipped


def where(item: WorkItem) -> str:
    [mutation] = item.mutations
    return f"{mutation.module_path}:{mutation.start_pos[0]}"


def report(db: WorkDB, skipped: Counter[str], seconds: float | None) -> None:
    outcomes: Counter[str] = Counter()
    per_file: dict[str, Counter[str]] = {}
    survivors = []
    for item, result in db.completed_work_items:
        if result.worker_outcome in (WorkerOutcome.SKIPPED, WorkerOutcome.NO_TEST):
            continue
        outcome = _outcome(result)
        outcomes[outcome] += 1
        per_file.setdefault(where(item).rsplit(":", 1)[0], Counter())[outcome] += 1
        if outcome == "survived":
            survivors.append((item, result))
    print(f"\n=== {len(survivors)} survived ===")
    for item, result in sorted(survivors, key=lambda s: _sort_key(where(s[0]))):
        print(f"\n{where(item)}  {item.mutations[0].operator_name}")
        print("\n".join(line for line in (result.diff or "").splitlines()[2:] if line))
    print("\n=== per file: killed / mutants ===")
    for path, counts in sorted(per_file.items()):
        done = sum(counts.values())
        print(f"{path}: {done - counts['survived']} / {done}")
    ran = sum(outcomes.values())
    rate = f"{100 * (ran - outcomes['survived']) / ran:.0f} %" if ran else "n/a"
    print(
        f"\nkilled {ran - outcomes['survived']} (of which timed out {outcomes['timeout']}, "
        f"broke the tests' start {outcomes['incompetent']}), survived {outcomes['survived']}: "
        f"kill rate {rate} of {ran} mutants run"
        + (f" in {seconds / 60:.0f} min" if seconds is not None else "")
    )
    if pending := db.num_work_items - db.num_results:
        print(f"not run yet: {pending} (an interrupted session)")
    for reason, count in skipped.items():
        print(f"skipped {count}: {reason}")


def _outcome(result: WorkResult) -> str:
    if result.test_outcome == TestOutcome.SURVIVED:
        return "survived"
    if result.output == "timeout":
        return "timeout"
    if result.test_outcome == TestOutcome.INCOMPETENT:
        return "incompetent"
    return "killed"


def _sort_key(location: str) -> tuple[str, int]:
    path, line = location.rsplit(":", 1)
    return path, int(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "module", help="a module or package under src/, e.g. src/sfn_downloader/polite"
    )
    parser.add_argument("--tests", help="the test modules to run, space-separated (default: TESTS)")
    parser.add_argument(
        "--sample", type=int, default=0, help="mutate only N of the mutants, at random"
    )
    parser.add_argument("--seed", type=int, default=29, help="the sample's seed (default: 29)")
    parser.add_argument("--since", help="mutate only lines changed since this git ref, e.g. main")
    parser.add_argument("--all-operators", action="store_true", help="every cosmic-ray operator")
    parser.add_argument(
        "--report", action="store_true", help="print the last session's report, run nothing"
    )
    args = parser.parse_args()
    args.module = os.path.relpath(Path(args.module).resolve(), ROOT)
    if not Path(ROOT, args.module).exists() or not args.module.startswith("src/"):
        raise SystemExit(
            f"mutate: MODULE={args.module!r} is not an existing module or package under src/ "
            "(e.g. MODULE=src/sfn_downloader/polite)."
        )
    slug = args.module.removeprefix("src/").replace("/", ".").removesuffix(".py")
    config, session = SESSIONS / f"{slug}.toml", SESSIONS / f"{slug}.sqlite"
    if args.report:
        if not session.exists():
            raise SystemExit(f"mutate: no session for {args.module} in {SESSIONS}.")
        with use_db(str(session), WorkDB.Mode.open) as db:
            report(db, Counter(), None)
        return
    tests = args.tests.split() if args.tests else list(tests_for(args.module))
    if missing := [t for t in tests if not Path(ROOT, t).is_file()]:
        raise SystemExit(f"mutate: no such test module: {' '.join(missing)} (see TESTS).")
    command = shlex.join(
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:xdist", "-p", "no:cacheprovider",
         "--no-header", "--tb=line", *tests]
    )  # fmt: skip
    SESSIONS.mkdir(exist_ok=True)
    config.write_text(
        f"[cosmic-ray]\nmodule-path = {json.dumps(args.module)}\ntimeout = 600.0\n"
        f"excluded-modules = []\ntest-command = {json.dumps(command)}\n\n"
        '[cosmic-ray.distributor]\nname = "local"\n'
    )
    print(f"mutate: {args.module}, tests: {' '.join(tests)}", flush=True)
    subprocess.run([Path(sys.executable).with_name("cosmic-ray"), "init", config, session],
                   cwd=ROOT, check=True)  # fmt: skip
    sources = {p: p.read_bytes() for p in Path(ROOT, args.module).rglob("*.py")}
    started = time.monotonic()
    baseline = subprocess.run(shlex.split(command), cwd=ROOT, capture_output=True, text=True)
    if baseline.returncode != 0:
        raise SystemExit(f"mutate: the tests fail without any mutation:\n{baseline.stdout[-3000:]}")
    timeout = max(120.0, 3 * (time.monotonic() - started))
    print(f"baseline: the tests pass in {time.monotonic() - started:.0f} s; "
          f"a mutant that runs {timeout:.0f} s counts as killed (timeout)", flush=True)  # fmt: skip
    try:
        with use_db(str(session), WorkDB.Mode.open) as db:
            skipped = select(db, args)
            pending = list(db.pending_work_items)
            print(f"{len(pending)} mutants to run", flush=True)
            for number, item in enumerate(pending, 1):
                result = mutate_and_test(item.mutations, command, timeout)
                db.set_result(item.job_id, result)
                print(f"[{number}/{len(pending)}] {_outcome(result):11} {where(item)}  "
                      f"{item.mutations[0].operator_name}", flush=True)  # fmt: skip
            report(db, skipped, time.monotonic() - started)
    finally:
        for path, text in sources.items():
            if path.read_bytes() != text:
                path.write_bytes(text)
                print(f"mutate: restored {path.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
