# Two commands set everything up on a fresh machine:
#   make run   - create .venv if missing, install infragate, run the main job (validate the example design,
#                start embedded AWS and audit it)
#   make test  - create/update .venv with the test extra, then lint, type-check, check layers, run pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/webshop/infragate.yaml

.PHONY: run test lint typecheck layers pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/infragate design validate $(EXAMPLE)
	$(BIN)/infragate aws-local start
	$(BIN)/infragate audit --region eu-west-1

lint: $(VENV)/.installed-test
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy src

layers: $(VENV)/.installed-test
	$(BIN)/lint-imports

pytest: $(VENV)/.installed-test
	$(BIN)/pytest

test: lint typecheck layers pytest

bench: $(VENV)/.installed
	$(BIN)/python bench/validate_large.py
	$(BIN)/python bench/audit_scale.py

clean:
	-test -x $(BIN)/infragate && $(BIN)/infragate aws-local stop
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .infragate
