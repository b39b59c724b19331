# make demo: the main job. make test: the whole suite (lint, types, tests). Both bootstrap .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export CDK_DISABLE_CLI_TELEMETRY := true

.PHONY: venv demo test test-fast lint clean matrix

$(BIN)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

demo: venv
	$(BIN)/python scripts/demo.py

lint: venv
	$(BIN)/ruff check src tests examples scripts
	$(BIN)/ruff format --check src tests examples scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q -n auto --dist loadfile

# make test-fast: the inner loop, without the slow tooling tests (pytest -m slow lists them).
test-fast: venv
	$(BIN)/pytest -q -n auto --dist loadfile -m "not slow"

# make matrix: docs/compatibility-matrix.md, every pair of features built (tests check it).
matrix: venv
	$(BIN)/python scripts/compat_matrix.py --write

clean:
	rm -rf $(VENV) cdk.out examples/*/cdk.out .pytest_cache .mypy_cache .ruff_cache

# make docs: the diagrams (docs/*.png, committed) and the API reference (docs/api/, not committed).
.PHONY: docs dist
docs: venv
	$(BIN)/python scripts/docs_diagrams.py
	rm -rf docs/api
	PDOC_ALLOW_EXEC=1 $(BIN)/python scripts/docs_api.py

# make dist: the sdist and wheel PyPI gets (isolated build, as CI would), checked by twine.
dist: venv
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*

# make bench: synth overhead, import cost, scaling and test-suite wall time (figures printed).
.PHONY: bench
bench: venv
	$(BIN)/python benchmarks/bench_synth.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_scaling.py
	$(BIN)/python benchmarks/bench_tests.py
