# The two quick-start commands are `make test` and `make up` (see README).
PYTHON ?= python3
VENV   := venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: help install policy-install test lint typecheck unit up preview rotate-now verify adopt bench manifests contract
# Plain `make` lists the targets instead of building anything.
.DEFAULT_GOAL := help

# Each target's `## ` comment is its line in `make help`.
help: ## list the targets, one line each (this list)
	@echo 'usage: make <target> [STACK=<stack>] [ARGS="<arguments>"]   (STACK defaults to dev)'
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed ## create ./venv with the pinned dependencies

# The policy pack (policy/) runs in its own venv, created here for `pulumi ... --policy-pack policy`.
policy/venv/.installed: policy/requirements.txt
	$(PYTHON) -m venv policy/venv
	policy/venv/bin/pip install --quiet --upgrade pip
	policy/venv/bin/pip install --quiet -r policy/requirements.txt
	touch $@

policy-install: policy/venv/.installed ## create the policy pack's venv (policy/venv)

# zizmor: offline, no config file that could switch audits off; every finding of its default
# persona at or above low fails (the pedantic and auditor personas report more).
lint: install ## ruff, ruff format and zizmor (the workflows)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --no-config --strict-collection --min-severity low .github

typecheck: install ## mypy
	$(BIN)/mypy

unit: install ## the tests (pytest)
	$(BIN)/pytest

test: lint typecheck unit ## lint, typecheck and unit: what CI runs before a deployment

# scripts/stack.sh checks the stack file, credentials and the pinned Pulumi CLI before it builds
# the policy pack's venv (policy-install), so a missing piece is reported in seconds.
up: install ## deploy STACK (default dev) with the policy pack
	scripts/stack.sh up $(STACK)

preview: install ## preview STACK's changes with the policy pack
	scripts/stack.sh preview $(STACK)

rotate-now: install ## replace STACK's client secret now
	scripts/stack.sh rotate-now $(STACK)

# `make verify STACK=prod ARGS="--json"`: ARGS go to ops.verify / ops.adopt unchanged. With --json
# stdout holds the JSON document alone: the recipes are silent (@), and a venv that must be
# (re)built first is built by a make of its own whose output goes to stderr.
verify: ## check STACK's live sign-in and provisioning (ARGS=--json, ARGS=--repair)
	@$(MAKE) -s --no-print-directory install >&2
	@scripts/stack.sh verify $(STACK) $(ARGS)

adopt: ## find a setup made by hand for STACK (ARGS=--write, ARGS=--json)
	@$(MAKE) -s --no-print-directory install >&2
	@scripts/stack.sh adopt $(STACK) $(ARGS)

bench: install ## time the program and verify offline
	$(BIN)/python scripts/benchmark.py

manifests: install ## regenerate manifests/<stack>.md
	$(BIN)/python scripts/grant_manifest.py

# Pulumi.yaml's config block, the README's config table and schema/stack-config.schema.json,
# generated from config/settings.py (tests fail while they are stale).
contract: install ## regenerate what config/settings.py implies (Pulumi.yaml, README table, schema)
	$(BIN)/python scripts/config_contract.py
