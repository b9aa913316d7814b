# Two commands set everything up on a fresh machine:
#   make run   - create .venv if missing, install infragate, run the main job (the example design through
#                the design and provisioning gates on embedded AWS, then its status and compliance report)
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

# The main job: the webshop example through the design and provisioning gates on embedded AWS.
# Validate the design, register the project, approve the design as its lead, apply the staging environment,
# verify it, audit it, then print the status of every environment and write the compliance report.
# The audit fails only on critical findings: embedded AWS cannot read backup selections, which the audit
# reports as a (high) error rather than guessing.
LEAD ?= lena.lead@example.com
run: $(VENV)/.installed
	$(BIN)/infragate design validate $(EXAMPLE)
	$(BIN)/infragate project init --design $(EXAMPLE)
	INFRAGATE_USER=$(LEAD) $(BIN)/infragate approve design --env staging --design $(EXAMPLE) -m "approved by make run"
	$(BIN)/infragate apply --env staging --design $(EXAMPLE) --auto-approve
	$(BIN)/infragate verify --env staging --design $(EXAMPLE)
	$(BIN)/infragate audit --env staging --design $(EXAMPLE) --fail-on critical
	$(BIN)/infragate project status --design $(EXAMPLE)
	$(BIN)/infragate report --env staging --design $(EXAMPLE) --output .infragate/report-staging.html

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
	$(BIN)/python bench/provision.py
	$(BIN)/python bench/store.py

clean:
	-test -x $(BIN)/infragate && $(BIN)/infragate aws-local stop
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .infragate
