# shequ — the two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
HOST ?= 127.0.0.1
PORT ?= 8000
RESIDENTS ?= 30000
export UV_PYTHON_DOWNLOADS := never
export PLAYWRIGHT_CHROMIUM_EXECUTABLE ?= /usr/bin/chromium

.PHONY: run test install migrate seed serve bench lint check screenshot messages worker

# The local targets run on the development keys, which the start-up check (shequ/core/checks.py) accepts only with
# DEBUG on; production sets SHEQU_SECRET_KEY, SHEQU_DATA_KEYS and SHEQU_HASH_KEY and leaves DEBUG off.
run seed migrate worker messages: export SHEQU_DEBUG ?= 1

install:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen

migrate: install
	$(UV) run shequ migrate --noinput

seed: migrate
	$(UV) run shequ seed --residents $(RESIDENTS)

# Installs, migrates, loads the demo street (about 30,000 residents), starts the background job runner and
# serves on http://$(HOST):$(PORT). The demo accounts are printed before the server starts.
run: seed
	@echo ""
	@echo "shequ: http://$(HOST):$(PORT)/   (API docs: http://$(HOST):$(PORT)/api/docs/)"
	@cat var/demo-accounts.txt 2>/dev/null || true
	@echo ""
	@trap 'kill 0' EXIT; \
	  $(UV) run shequ db_worker >var/worker.log 2>&1 & \
	  $(UV) run shequ scheduler >var/scheduler.log 2>&1 & \
	  $(UV) run shequ runserver $(HOST):$(PORT)

worker: install
	$(UV) run shequ scheduler & $(UV) run shequ db_worker

# The whole suite: unit, API, jurisdiction walk, schema and browser tests. DATABASE_URL picks the database
# (SQLite in memory when unset; .ci/run sets the local PostgreSQL).
test: install
	SHEQU_TESTING=1 $(UV) run shequ makemigrations --check --dry-run >/dev/null
	$(UV) run pytest -n 2 --dist loadfile -q -p no:cacheprovider

# Style, layers (import-linter, contracts in pyproject.toml), declared dependencies (deptry) and types (mypy against
# docs/mypy-baseline.json, which may only go down: `uv run python scripts/mypy_ratchet.py --update` after a fix).
lint: install
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run deptry .
	$(UV) run python scripts/mypy_ratchet.py

check: lint test

# Benchmarks on PostgreSQL; results are written to docs/benchmarks.md. BENCH_ARGS=--quick for a short run.
bench: install
	$(UV) run python bench/run.py $(BENCH_ARGS)

messages: install
	$(UV) run shequ makemessages -l en --ignore=.venv --ignore=var
	$(UV) run shequ compilemessages --ignore=.venv

# Renew the README screenshot against a running `make run`.
screenshot: install
	$(UV) run python scripts/screenshot.py
