# Athar — two commands: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha256sum | cut -c1-16)

# Extra prerequisites contributed by sub-makefiles (the Rasa NLU service adds its env and model).
RUN_PREREQS :=
TEST_PREREQS :=
-include nlu/rasa.mk
-include exports/exports.mk
-include bot/dashboard/dashboard.mk

.PHONY: run test lint lock bench faults venv db postgres chat clean help

help:
	@echo "make run    set up and chat with Athar (terminal, or Telegram when ATHAR_TELEGRAM_TOKEN is set)"
	@echo "make test   set up, lint, then run the whole test suite"
	@echo "make lint   ruff (format and lint), the import contracts and mypy (make test runs them first)"
	@echo "make bench  run the benchmarks"
	@echo "make faults run the fault table against the real processes (FAULTS_ARGS='--pg kill')"

venv: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Athar needs Python 3.11+ ($(PYTHON) not found): install it (pyenv install 3.11, or your package manager) or run make PYTHON=python3.12"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "Installing Athar into $(VENV)/ ..."
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -r requirements.lock
	@$(BIN)/python -m pip install --quiet --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

# requirements.lock pins every package `make` installs (the app's and the tests'); after a change
# of the dependencies in pyproject.toml, `make lock` writes it again.
lock: venv
	@$(BIN)/python -m pip install --quiet "pip-tools>=7.4,<8"
	@$(BIN)/pip-compile --quiet --strip-extras --extra test --no-emit-index-url --no-emit-find-links \
	  -o requirements.lock pyproject.toml

db: venv
	@$(BIN)/athar db upgrade

postgres:
	@scripts/ensure-postgres.sh

run: venv db $(RUN_PREREQS)
	@$(BIN)/athar run

chat: venv db
	@$(BIN)/athar chat

# A lint error fails `make test` at once, before any set-up that takes time.
lint: venv
	@$(BIN)/ruff format --check --quiet . || { echo 'ruff format: run $(BIN)/ruff format .'; exit 1; }
	@$(BIN)/ruff check --quiet .
	@$(BIN)/lint-imports > .lint-imports.log || { cat .lint-imports.log; exit 1; }
	@$(BIN)/mypy

test: venv lint postgres $(TEST_PREREQS)
	@$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: venv postgres $(TEST_PREREQS)
	@$(BIN)/python -m bench $(BENCH_ARGS)

faults: venv postgres $(TEST_PREREQS)
	@$(BIN)/python -m tests.faults $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .lint-imports.log
