# Keyuan 客源: `make up` runs everything, `make test` tests everything.
VENV   ?= .venv
PYTHON ?= python3
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: up install services test test-unit test-service test-e2e lint bench clean

up: install services
	$(BIN)/keyuan up

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# PostgreSQL and RabbitMQ must answer; start local ones if they are installed but stopped.
services:
	@scripts/ensure-services.sh

test: install services
	$(BIN)/ruff check .
	$(BIN)/pytest

test-unit: install
	$(BIN)/pytest tests/unit

test-service: install services
	$(BIN)/pytest tests/service

test-e2e: install services
	$(BIN)/pytest tests/e2e

lint: install
	$(BIN)/ruff check .

bench: install services
	$(BIN)/python -m bench.lead_intake --start-suite -n 500 -c 16

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
