# Slotwise: `make run` to try it, `make test` to check it. `make` creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: run test bench lint format install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME)

install: $(RUNTIME)

run: $(RUNTIME)
	$(BIN)/slotwise run

test: $(DEV)
	$(BIN)/coverage run -m pytest -q
	$(BIN)/coverage report --skip-covered --fail-under=90 --include='core/engine/*'

# PostgreSQL figures need SLOTWISE_BENCH_DATABASE_URL (a database whose content may be replaced).
bench: $(DEV)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.booking

lint: $(DEV)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

format: $(DEV)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
