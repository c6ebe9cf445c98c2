# The project's everyday commands; `make` lists them. They use the virtualenv of the README's test command.
VENV ?= .venv
# The database the PostgreSQL tests may wipe, as in .ci/run; set it to use another.
LEADPACT_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test

.DEFAULT_GOAL := help
.PHONY: help check test test-fast

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

check: ## lint, formatting and strict types: ruff check, ruff format --check, mypy
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

test: ## the whole suite as CI runs it, with the coverage floor (PostgreSQL at LEADPACT_TEST_DATABASE_URL, chromium)
	LEADPACT_TEST_DATABASE_URL='$(LEADPACT_TEST_DATABASE_URL)' $(VENV)/bin/pytest --cov -n auto

test-fast: ## the suite without browser, PostgreSQL and Spark tests, and without coverage
	$(VENV)/bin/pytest -m 'not browser and not postgres and not spark'
