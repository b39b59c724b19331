# make demo: the main job. make test: the whole suite (lint, types, tests). Both bootstrap .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: venv demo test test-fast lint clean matrix test-moto-latest sweep-compressed

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# npm tools the local runner and the tests use, in .venv/node_modules (offline once there):
# jsonata 2.0.6, what Step Functions runs (local/_jsonata_node.py); asl-validator 4.0.0 and AWS's
# amazon-states-language-service 1.16.1 (the AWS Toolkit's ASL editor; it nests its own jsonata
# 2.0.5, the top level stays 2.0.6), run over every definition by tests/test_cfn_lint.py
# (tests/asl_validator.js, tests/asl_language_service.js).
NPM_TOOLS := jsonata@2.0.6 asl-validator@4.0.0 amazon-states-language-service@1.16.1
$(VENV)/node_modules/.installed: Makefile | $(BIN)/.installed
	npm install --prefix $(VENV) --no-audit --no-fund --no-save --loglevel=error $(NPM_TOOLS)
	touch $@

venv: $(BIN)/.installed $(VENV)/node_modules/.installed

demo: venv
	$(BIN)/python scripts/demo.py

lint: venv
	$(BIN)/ruff check src tests examples scripts
	$(BIN)/ruff format --check src tests examples scripts
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python scripts/check_import_cycles.py

test: lint
	$(BIN)/pytest -q -n auto --dist loadfile

# The local runner against the newest moto of the local extra's range (make test runs the lowest,
# the dev extra's pin): that moto in .moto-latest, ahead of .venv's on the path. CI (.ci/run) runs
# make test, then this.
test-moto-latest: venv
	rm -rf .moto-latest
	$(BIN)/pip install -q --no-deps --target .moto-latest 'moto>=5.2.5,<5.3'
	PYTHONPATH=.moto-latest $(BIN)/pytest -q -n auto --dist loadfile tests/test_moto_patches.py \
		$(wildcard tests/test_local*.py tests/test_*_local.py)

# make test-fast: the inner loop, without the slow tooling tests (pytest -m slow lists them).
test-fast: venv
	$(BIN)/pytest -q -n auto --dist loadfile -m "not slow"

# make matrix: docs/compatibility-matrix.md, every pair of features built (tests check it).
# Every scenario's downloaders against a server that gzips every answer (issue 25 item 14):
# nothing stored may hold the compressed bytes; about 6 minutes, not part of make test.
sweep-compressed: venv
	$(BIN)/pytest -q -n auto tests/sweep_compressed.py -W ignore

matrix: venv
	$(BIN)/python scripts/compat_matrix.py --write

clean:
	rm -rf $(VENV) .mutate .moto-latest cdk.out examples/*/cdk.out .pytest_cache .mypy_cache .ruff_cache site

# make docs: the diagrams (docs/*.png, committed), then the documentation site into site/ (not
# committed), strictly: a warning (a broken link or anchor, a missing page) fails the build.
.PHONY: docs dist
docs: venv
	$(BIN)/python scripts/docs_diagrams.py
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# make dist: the sdist and wheel PyPI gets (isolated build, as CI would), checked by twine.
dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# make bench: synth overhead, import cost, scaling, test-suite wall time, the local runner's
# requests per second (100, 1,000, 10,000 requests; both Map kinds; from_answer over 12,000
# items in batches), the JSONata bridge's cost
# per evaluation and the transitions per feature (figures printed; make bench-quick: the
# local runner's and the transitions only).
.PHONY: bench bench-quick
bench: venv
	$(BIN)/python benchmarks/bench_synth.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_scaling.py
	$(BIN)/python benchmarks/bench_tests.py
	$(BIN)/python benchmarks/bench_local.py
	$(BIN)/python benchmarks/bench_fanout.py
	$(BIN)/python benchmarks/bench_answer.py
	$(BIN)/python benchmarks/bench_jsonata.py --runs 5
	$(BIN)/python benchmarks/bench_transitions.py

# make suite-cpu: the suite's CPU seconds by file (benchmarks/bench_suite_cpu.py), figures that
# do not follow the machine's load as --durations does; pytest arguments in ARGS.
.PHONY: suite-cpu
suite-cpu: venv
	$(BIN)/python benchmarks/bench_suite_cpu.py $(ARGS)

bench-quick: venv
	$(BIN)/python benchmarks/bench_fanout.py --quick
	$(BIN)/python benchmarks/bench_transitions.py

# make mutate MODULE=src/sfn_downloader/polite [SAMPLE=40] [SINCE=main] [TESTS='tests/test_x.py']
# [ALL=1] [REPORT=1]: mutation testing of one module or package (scripts/mutate.py,
# CONTRIBUTING.md). Slow (each mutant runs its tests in a fresh process): not in make test or CI.
.PHONY: mutate
$(BIN)/.mutate-installed: $(BIN)/.installed
	$(BIN)/pip install -q -e '.[dev,mutate]'
	touch $@

mutate: $(BIN)/.mutate-installed
	@test -n "$(MODULE)" || { echo "usage: make mutate MODULE=src/sfn_downloader/<module or package>"; exit 2; }
	nice $(BIN)/python scripts/mutate.py $(MODULE) $(if $(SAMPLE),--sample $(SAMPLE)) \
		$(if $(SINCE),--since $(SINCE)) $(if $(TESTS),--tests '$(TESTS)') $(if $(ALL),--all-operators) $(if $(REPORT),--report)
