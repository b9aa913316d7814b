# Two commands set everything up on a fresh machine:
#   make run   - create .venv if missing, install infragate, run the main job: `infragate run` on the
#                example design against embedded AWS, then the project's status
#   make test  - create/update .venv with the test extra, then lint, type-check, check layers, run pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
EXAMPLE ?= examples/webshop/infragate.yaml

.PHONY: run serve walkthrough test lint typecheck layers pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[all]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[all,test]'
	touch $@ $(VENV)/.installed

# The main job: `infragate run` takes the webshop example's staging environment through every automated
# stage on embedded AWS (validate, docs, plan, apply, verify, audit, gates, report). An admin is made on this
# host and seats the design's owners as the project's members; its lead approves the design, as the policy
# requires; the run then stops only where a person must act, and prints where the report and the docs are.
ADMIN ?= ada.admin@example.com
LEAD ?= lena.lead@example.com
# make run keeps its state in the checkout (.infragate/, ignored by git), never in the user's data directory.
run: export INFRAGATE_HOME ?= $(CURDIR)/.infragate
run: export INFRAGATE_SERVER = off
run: $(VENV)/.installed
	$(BIN)/infragate admin create $(ADMIN)
	INFRAGATE_USER=$(ADMIN) $(BIN)/infragate project init --design $(EXAMPLE) --apply-members
	INFRAGATE_USER=$(LEAD) $(BIN)/infragate approve design --env staging --design $(EXAMPLE) -m "approved by make run"
	$(BIN)/infragate run $(EXAMPLE) --env staging; status=$$?; \
	$(BIN)/infragate workload stop --env staging --design $(EXAMPLE); exit $$status  # run started it
	$(BIN)/infragate project status --design $(EXAMPLE)
	@echo "next: the whole policy in team mode, staging and production carried to launch by each role with its"
	@echo "      own token (server, worker, fake GitHub and CircleCI; about 4 min): make walkthrough"

# The example's walkthrough (examples/webshop/README.md): a server, a worker and the example's application,
# fake GitHub and CircleCI, and each person with their own token carry staging and production to launch.
# Its state goes to a new temporary directory (WALKTHROUGH_DIR to choose); WALKTHROUGH_KEEP=1 keeps the
# server running at the end for the dashboard.
walkthrough: $(VENV)/.installed
	bash examples/webshop/walkthrough.sh

# A local server for trying the dashboard: the demo admin and the webshop example's owners get the password
# below (demo only), the owners are seated as members, and the server listens on http://127.0.0.1:8080.
DEMO_PASSWORD ?= infragate-demo
DEMO_PEOPLE ?= lena.lead@example.com sam.sec@example.com dara.dev@example.com ivan.infra@example.com
serve: export INFRAGATE_HOME ?= $(CURDIR)/.infragate
serve: export INFRAGATE_SERVER = off
serve: $(VENV)/.installed
	echo '$(DEMO_PASSWORD)' | $(BIN)/infragate admin create $(ADMIN) --password
	INFRAGATE_USER=$(ADMIN) $(BIN)/infragate project init --design $(EXAMPLE) --apply-members
	for who in $(DEMO_PEOPLE); do echo '$(DEMO_PASSWORD)' | INFRAGATE_USER=$(ADMIN) $(BIN)/infragate user password $$who; done
	@echo "sign in at http://127.0.0.1:8080 as $(ADMIN) or one of: $(DEMO_PEOPLE) (password: $(DEMO_PASSWORD))"
	@echo "a worker runs the jobs people ask for (log: $$INFRAGATE_HOME/worker.log)"
	$(BIN)/infragate worker > "$$INFRAGATE_HOME/worker.log" 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/infragate serve --port 8080

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

bench: $(VENV)/.installed-test
	$(BIN)/python bench/validate_large.py
	$(BIN)/python bench/audit_scale.py
	$(BIN)/python bench/provision.py
	$(BIN)/python bench/store.py
	$(BIN)/python bench/fuzz_design.py
	$(BIN)/python bench/jobs.py
	$(BIN)/python bench/web.py

clean: export INFRAGATE_HOME ?= $(CURDIR)/.infragate
clean:
	-test -x $(BIN)/infragate && $(BIN)/infragate daemon stop
	-test -x $(BIN)/infragate && $(BIN)/infragate aws-local stop
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .infragate
