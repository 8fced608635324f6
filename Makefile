# The two commands a newcomer types: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install system-deps run test test-faketime sdk-php lint typecheck unit sdk-node apps bench clean

$(STAMP): pyproject.toml sdks/python/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' -e sdks/python
	touch $(STAMP)

install: $(STAMP)

## System packages from Debian used by some tests and benchmarks: headless Chromium (the OAuth
## connect flow in a real browser), wrk (load generator), Node.js (the spec's verifyWebhook),
## faketime (libfaketime: `make test-faketime` runs the date-using tests at awkward moments),
## PHP with curl, PHPUnit and Composer (the PHP SDK's suite; PHPUnit brings php-xml and
## php-mbstring). Installed when missing and possible (root with apt-get); otherwise those tests
## skip, saying why. PHP_EXTENSIONS: `php -m` names, each with the package that provides it.
SYSTEM_PACKAGES := chromium:chromium wrk:wrk node:nodejs faketime:faketime php:php-cli phpunit:phpunit composer:composer
PHP_EXTENSIONS  := curl:php-curl
## npm installs the Node.js SDK's one dev dependency (TypeScript) from sdks/node/package-lock.json.
SYSTEM_PACKAGES += npm:npm
system-deps:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; done; \
	for pair in $(PHP_EXTENSIONS); do \
	  php -m 2>/dev/null | grep -qx "$${pair%%:*}" || missing="$$missing $${pair##*:}"; done; \
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

## The Node.js SDK alone: npm ci, tsc --noEmit, and its node --test suites against live hubs
## (part of `make unit` too).
sdk-node: install system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/sdk/test_sdk_node.py

## The Zapier app's suite (npm ci, its offline schema validation, node --test with
## createAppTester) and the Make definition's runner, against one live hub (part of `make unit`).
apps: install system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/apps

## make test: lint, types, then the whole suite (the Node.js and PHP SDK suites included).
test: lint typecheck unit

## make sdk-php: only the PHP SDK's PHPUnit suite, against live hubs (tests/sdk/test_sdk_php.py).
sdk-php: install system-deps
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/sdk/test_sdk_php.py

## make test-faketime: the tests that use dates, under faketime on a Thursday, a Friday
## evening, Saturday 23:30 in Paris and both DST nights (scripts/faketime_probe.sh).
test-faketime: install system-deps
	bash scripts/faketime_probe.sh

bench: install system-deps
	$(BIN)/python bench/api_throughput.py
	$(BIN)/python bench/availability.py
	$(BIN)/python bench/webhooks.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/zoho_read.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache sdks/php/vendor apps/zapier/node_modules
