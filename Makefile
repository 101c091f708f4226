# Developer and CI entry points. `make test` is exactly what CI runs (.ci/run); `make run` starts the viewer.
#
# Every pip call goes through constraints.txt so torch stays on the pinned CPU build: a later install can
# never swap in a multi-GB CUDA wheel.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYINSTALLER_STAMP := $(VENV)/.pyinstaller-installed
SAMPLE ?= resources/samples
PYTEST_ARGS ?=
BENCH_ARGS ?=
BUNDLE_ARGS ?=

.PHONY: help venv sysdeps run test lint format typecheck contracts bench bundle clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

# The stamp is rebuilt only when the dependency declarations change, so reruns are instant. An existing
# venv is reused as is (pip only installs what is missing or violates a pin; nothing is upgraded).
$(STAMP): pyproject.toml constraints.txt
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt -e '.[dev,distributed]'
	@touch $@

venv: $(STAMP) ## create .venv and install the package with its dev tools and the Ray engine (idempotent)

sysdeps: ## install the Qt runtime libraries (apt; needs root, or prints the sudo command)
	bash scripts/install_system_deps.sh

run: sysdeps venv ## start the viewer on the bundled sample study (SAMPLE=path to override)
	$(BIN)/carzero-viewer --demo $(SAMPLE)

test: sysdeps venv lint typecheck contracts ## everything CI checks: lint, types, import contracts, pytest
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv ## ruff lint and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv ## apply ruff formatting and safe lint fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: venv ## mypy (strict on the headless core)
	$(BIN)/mypy

contracts: venv ## import-linter: layering and the torch-free / Qt-free rules
	$(BIN)/lint-imports

bench: venv ## every benchmark, ours next to the official way, one JSON report (BENCH_ARGS="--device cuda")
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# PyInstaller is a packaging tool, not a dev dependency: only `make bundle` installs it (pinned in constraints.txt).
$(PYINSTALLER_STAMP): $(STAMP) constraints.txt
	$(BIN)/python -m pip install --disable-pip-version-check -c constraints.txt pyinstaller pyinstaller-hooks-contrib
	@touch $@

bundle: sysdeps venv $(PYINSTALLER_STAMP) ## build the onedir app into dist/ and check that it runs (not part of make test)
	$(BIN)/python scripts/build_bundle.py $(BUNDLE_ARGS)

clean: ## remove build outputs and tool caches (keeps .venv)
	rm -rf build dist .mypy_cache .ruff_cache .pytest_cache .hypothesis .import_linter_cache *.egg-info
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV)
