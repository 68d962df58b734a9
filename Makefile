# Keyuan 客源: `make up` runs everything, `make test` tests everything.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: up install services web test test-unit test-service test-e2e test-web lint typecheck bench clean

up: install services web
	$(BIN)/keyuan up

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The web app (web/ → web/dist): npm ci and vite build when web/ changed; needs Node.js ≥ 20.19
# (says how to get it when missing).
web: install
	$(BIN)/keyuan web-build

# PostgreSQL and RabbitMQ must answer; start local ones if they are installed but stopped.
services:
	@scripts/ensure-services.sh

test: install services web
	$(BIN)/ruff check .
	$(MAKE) typecheck
	cd web && npx vitest run
	$(BIN)/pytest
	$(BIN)/pytest tests/web --confcutdir=tests/web

test-unit: install
	$(BIN)/pytest tests/unit

test-service: install services
	$(BIN)/pytest tests/service

test-e2e: install services
	$(BIN)/pytest tests/e2e

test-web: install services web
	cd web && npx vitest run
	$(BIN)/pytest tests/web --confcutdir=tests/web

lint: install
	$(BIN)/ruff check .
	$(MAKE) typecheck

# mypy, configured in pyproject.toml: strict on kit/ and contracts/, the rest checked too.
typecheck: install
	$(BIN)/mypy

# The suite on a fresh database and vhost, measured (bench/full.py): `make bench BENCH_ARGS=--quick`
# for a smoke run; table on stdout, JSON and PNG under bench/results/.
bench: install services
	$(BIN)/python -m bench.full $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info web/node_modules web/dist
