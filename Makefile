# The two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install system-deps run test test-faketime lint typecheck unit bench clean

$(STAMP): pyproject.toml sdks/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e sdks/python
	touch $(STAMP)

install: $(STAMP)

## System packages from Debian used by some tests and benchmarks: headless Chromium (the OAuth
## connect flow in a real browser), wrk (load generator), Node.js (the spec's verifyWebhook),
## faketime (libfaketime: `make test-faketime` runs the date-using tests at awkward moments).
## Installed when missing and possible (root with apt-get); otherwise those tests skip, saying why.
SYSTEM_PACKAGES := chromium:chromium wrk:wrk node:nodejs faketime:faketime
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) \
	      >/dev/null 2>&1 || echo "could not install$$missing: the tests needing them will skip"; \
	  else echo "missing$$missing (not root): the tests needing them will skip"; fi; fi

## make run: migrate, seed a sandbox demo account, start the API and the worker.
run: install
	bash scripts/run.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy sdks/python/ivalid

unit: install system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider

## make test: lint, types, then the whole suite.
test: lint typecheck unit

## make test-faketime: the tests that use dates, under faketime on a Thursday, a Friday
## evening, Saturday 23:30 in Paris and both DST nights (scripts/faketime_probe.sh).
test-faketime: install system-deps
	bash scripts/faketime_probe.sh

bench: install system-deps
	$(BIN)/python bench/api_throughput.py
	$(BIN)/python bench/availability.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/sync.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
