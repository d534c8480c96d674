# The two quick-start commands are `make test` and `make up` (see README).
PYTHON ?= python3
VENV   := venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: install policy-install test lint typecheck unit up preview rotate-now verify adopt bench manifests contract

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# The policy pack (policy/) runs in its own venv, created here for `pulumi ... --policy-pack policy`.
policy/venv/.installed: policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/pip install --quiet --upgrade pip
	policy/venv/bin/pip install --quiet -r policy/requirements.txt
	touch $@

policy-install: policy/venv/.installed

# zizmor: offline, no config file that could switch audits off; every finding of its default
# persona at or above low fails (the pedantic and auditor personas report more).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --no-config --strict-collection --min-severity low .github

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

test: lint typecheck unit

# scripts/stack.sh checks the stack file, credentials and the pinned Pulumi CLI before it builds
# the policy pack's venv (policy-install), so a missing piece is reported in seconds.
up: install
	scripts/stack.sh up $(STACK)

preview: install
	scripts/stack.sh preview $(STACK)

rotate-now: install
	scripts/stack.sh rotate-now $(STACK)

# `make verify STACK=prod ARGS="--json"`: ARGS go to ops.verify / ops.adopt unchanged.
verify: install
	scripts/stack.sh verify $(STACK) $(ARGS)

adopt: install
	scripts/stack.sh adopt $(STACK) $(ARGS)

bench: install
	$(BIN)/python scripts/benchmark.py

manifests: install
	$(BIN)/python scripts/grant_manifest.py

# Pulumi.yaml's config block, the README's config table and schema/stack-config.schema.json,
# generated from config/settings.py (tests fail while they are stale).
contract: install
	$(BIN)/python scripts/config_contract.py
