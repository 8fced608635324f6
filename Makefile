# The two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install run test lint typecheck unit bench clean

$(STAMP): pyproject.toml sdks/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e sdks/python
	touch $(STAMP)

install: $(STAMP)

## make run: migrate, seed a sandbox demo account, start the API and the worker.
run: install
	bash scripts/run.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy sdks/python/ivalid

unit: install
	$(BIN)/python -m pytest -q -p no:cacheprovider

## make test: lint, types, then the whole suite.
test: lint typecheck unit

bench: install
	$(BIN)/python bench/api_throughput.py
	$(BIN)/python bench/availability.py
	$(BIN)/python bench/webhooks.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
