# Manyi: `make run` serves the demo, `make test` runs every test. See README.md.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
UV_VERSION := 0.9.30
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON := $(CURDIR)/$(VENV)/bin/python
MANYI := $(VENV)/bin/manyi
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: install sysdeps run test test-sqlite test-postgres lint format bench probe messages clean

$(VENV)/bin/uv:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

## install: virtual environment with the locked dependencies, compiled translations
install: $(VENV)/bin/uv sysdeps
	$(VENV)/bin/uv sync --frozen --inexact --quiet
	$(MANYI) compilemessages --ignore '.venv' --ignore 'var' -v 0

sysdeps:
	@bash scripts/sysdeps.sh gettext pdf

## run: migrate the embedded database, load demo data when empty, serve on 127.0.0.1:8000
run: install
	$(MANYI) migrate --no-input -v 0
	$(MANYI) demo --if-empty
	$(MANYI) collectstatic --no-input -v 0
	@echo ""
	@echo "Manyi: http://127.0.0.1:8000/  (demo logins above; password manyi-demo-2026,"
	@echo "       e.g. admin, manager, east, supervisor, agent)"
	$(MANYI) serve --host 127.0.0.1 --port 8000

## probe: the security and reliability probe of a throw-away demo (docs/security.md);
## PROBE_DATABASE=postgres://postgres@127.0.0.1:5432/postgres runs it on PostgreSQL
probe: install
	$(VENV)/bin/python scripts/probe.py $(if $(PROBE_DATABASE),--database $(PROBE_DATABASE))

## test: every test, on SQLite and again (database-facing tests) on PostgreSQL
test: install
	@bash scripts/sysdeps.sh chromium
	@bash scripts/test.sh

test-sqlite: install
	$(VENV)/bin/pytest

test-postgres: install
	DATABASE_URL=$(POSTGRES_URL) MANYI_DB_FACING_ONLY=1 $(VENV)/bin/pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## bench: the benchmarks under bench/ (figures go to docs/benchmarks.md)
bench: install
	$(VENV)/bin/python -m bench
	@if .venv/bin/python -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" $(POSTGRES_URL) 2>/dev/null; \
	then BENCH_DATABASE_URL=$(POSTGRES_URL) $(VENV)/bin/python -m bench api tickets surveys queues; \
	else echo "PostgreSQL not reachable: PostgreSQL benchmarks SKIPPED"; fi

messages: install
	$(MANYI) makemessages -l zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(MANYI) compilemessages --ignore '.venv' --ignore 'var'

clean:
	rm -rf $(VENV) var/static var/test*.sqlite3*
