# Atelier: `make run` serves the demo, `make test` runs the whole suite. Both set everything up.
SHELL := /bin/sh
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint serve bench clean lock help

help:
	@echo "make run    set up, migrate, load the demo and serve it on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite (DATABASE_URL picks the database)"
	@echo "make lint   ruff, the import-linter layer contracts, manage.py check, makemigrations --check"
	@echo "make serve  production: migrate, collectstatic, gunicorn (needs ATELIER_MODE=production ...)"
	@echo "make lock   re-pin requirements/*.lock from pyproject.toml (needs network)"
	@echo "make bench  every benchmark in bench/ (BENCH=<name> for one): ratios and goals, var/bench/*.json"

# The virtualenv is brought up to date whenever a lock file changes: running needs only
# requirements/base.lock; testing, linting and benchmarks add the toolchain of dev.lock.
PIP_INSTALL := $(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r
$(PY):
	"$$(scripts/find-python)" -m venv $(VENV)

$(VENV)/.base: requirements/base.lock | $(PY)
	$(PIP_INSTALL) requirements/base.lock
	@touch $@

$(VENV)/.dev: requirements/dev.lock | $(PY)
	$(PIP_INSTALL) requirements/dev.lock
	@touch $@

# Links in e-mails, farewells and webhooks point at the address the demo is served on.
run: export ATELIER_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.base
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo
	$(MANAGE) rundemo --host $(HOST) --port $(PORT)

# Production: the settings come from the environment (see README); gunicorn serves WSGI.
# Threaded workers: a worker's main thread keeps telling gunicorn it is alive while other threads
# serve requests, so an upload that takes minutes is not killed by the 30 s worker timeout (a
# sync worker would be), and a slow client holds one thread, not a whole worker.
WORKERS ?= 3
THREADS ?= 4
serve: $(VENV)/.base
	$(MANAGE) migrate --no-input
	$(MANAGE) collectstatic --no-input -v0
	$(BIN)/gunicorn atelier.wsgi --bind $(HOST):$(PORT) --workers $(WORKERS) \
		--worker-class gthread --threads $(THREADS) --access-logfile -

BENCH ?= all
bench: $(VENV)/.dev
	$(PY) bench/run.py $(BENCH) $(BENCH_ARGS)

# The suite on every core (pytest-xdist; each worker has its own test database), a test module
# per worker at a time so that module-wide setups run once. TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= auto
test: $(VENV)/.dev
	@scripts/ensure-chromium
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-logo
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run

lock:
	$(BIN)/pip install --quiet uv
	cd requirements && ../$(BIN)/uv pip compile ../pyproject.toml --python-version 3.12 --universal --generate-hashes -q -o base.lock
	cd requirements && ../$(BIN)/uv pip compile ../pyproject.toml --extra dev --python-version 3.12 --universal --generate-hashes -q -o dev.lock

clean:
	rm -rf $(VENV) var .pytest_cache
