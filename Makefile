# Two commands: `make run` (the bot on embedded defaults) and `make test` (the whole suite).
SHELL := /bin/sh
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run demo test venv bench lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || "$$(scripts/find-python.sh)" -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	@touch $(STAMP)

run: $(STAMP)
	exec $(BIN)/trading-bot run

# The bot in fast-forward until a trade opened, closed and taught the playbook (about 3 minutes)
demo: $(STAMP)
	exec $(BIN)/trading-bot demo

# Two workers: the fault suite (tests/faults, mostly waiting on its role processes) runs on one while
# every other test runs, one at a time as before, on the other (tests/conftest.py groups them).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

# ruff over everything, mypy over the package (strict for risk, pipeline, exchange, domain: pyproject.toml)
lint: $(STAMP)
	$(BIN)/ruff check trading_bot tests benchmarks alembic celeryconfig.py
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info
