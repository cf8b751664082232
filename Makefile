# AegisMatrix: `make demo` (the main job) and `make test` (the whole suite) each work from a
# clean clone: they install what they need first.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export AEGIS_HOME ?= $(CURDIR)/var

.PHONY: install bytecode demo test test-fast lint bench up clean services

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip==25.3"
	$(BIN)/python -m pip install -q --no-compile -c constraints.txt -e ".[dev]"
	$(BIN)/python -m pip check
	$(MAKE) --no-print-directory bytecode
	@touch $(STAMP)

install: $(STAMP)

# Bytecode compiled once at install, as the image's pip install does: the environment sets
# PYTHONDONTWRITEBYTECODE=1, so without this every test and task process compiles its imports
# again (0.5-1 s per `aegis` process). -j 0: every core; the checkout's own sources too (the
# editable install imports them in place; an edited file is recompiled in memory, correctly).
# Excluded: torch's one Python 3.12-only test helper (a syntax error under 3.11).
bytecode:
	$(BIN)/python -m compileall -q -j 0 -x 'torch/testing/_internal/py312_intrinsics\.py' \
	    $(VENV)/lib/python3.11/site-packages aegis expectations

demo: install
	$(BIN)/python -m aegis.demo

services:
	@bash scripts/ensure-services.sh

# Two xdist workers (this machine has two cores); tests/conftest.py groups what shares a
# session resource (an Airflow stack, a trained store) into one worker.
TEST_WORKERS ?= 2

test: install services
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

test-fast: install
	$(BIN)/python -m pytest tests/unit -q -x -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check aegis dags plugins tests benchmarks
	$(BIN)/mypy

bench: install bytecode
	$(BIN)/python -m benchmarks.run

up: install
	bash scripts/airflow-standalone.sh

clean:
	rm -rf var airflow-home .pytest_cache .mypy_cache .ruff_cache
