# The two quick-start commands are `make test` and `make up` (see README).
PYTHON ?= python3
VENV   := venv
BIN    := $(VENV)/bin
STACK  ?= dev

.PHONY: help install policy-install test lint typecheck unit unit-program unit-repository up preview rotate-now verify adopt bench manifests contract stubs
# Plain `make` lists the targets instead of building anything.
.DEFAULT_GOAL := help

# Each target's `## ` comment is its line in `make help`.
help: ## list the targets, one line each (this list)
	@echo 'usage: make <target> [STACK=<stack>] [ARGS="<arguments>"]   (STACK defaults to dev)'
	@awk -F ':.*## ' '/^[a-z][a-z-]*:.*## / {printf "  %-15s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# uv installs exactly the lock (uv.lock; policy/uv.lock for the pack), with bytecode compiled at
# install as pip did: under PYTHONDONTWRITEBYTECODE every import of the SDKs would compile them
# again. The uv on PATH is used; without one, the uv pinned in uv-requirements.txt (its version and
# the hash of every file PyPI publishes for it) is fetched from PyPI with pip, hash-checked, into
# .uv/ (git-ignored) and put first on PATH, where Pulumi's uv toolchain looks for it.
UV_VERSION := $(shell sed -n 's/^uv==\([0-9][0-9.]*\).*/\1/p' uv-requirements.txt)
UV_HOME    := .uv/$(UV_VERSION)
UV         := $(or $(shell command -v uv 2>/dev/null),$(UV_HOME)/bin/uv)
ifeq ($(UV),$(UV_HOME)/bin/uv)
export PATH := $(CURDIR)/$(UV_HOME)/bin:$(PATH)
endif
# Pulumi.yaml's virtualenv; without it uv would install into .venv.
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
# pip's arguments for the pinned uv: every file checked against its hash, a wheel only, nothing else.
UV_PIP_INSTALL := --require-hashes --no-deps --only-binary :all: -r uv-requirements.txt
UV_SYNC    := $(UV) sync --frozen --compile-bytecode --python $(PYTHON)

$(UV_HOME)/bin/uv:
	@echo "uv is not on PATH: fetching uv $(UV_VERSION) from PyPI into $(UV_HOME)/ (pip, hash-checked) ..."
	PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check $(UV_PIP_INSTALL) --target $(UV_HOME)

$(BIN)/.installed: pyproject.toml uv.lock | $(UV)
	@echo "Installing the locked environment (uv.lock) into $(VENV)/ with $(UV) ..."
	$(UV_SYNC)
	touch $@

install: $(BIN)/.installed ## install uv.lock into ./venv, exactly (uv sync --frozen)

# The policy pack (policy/) runs in its own venv, created here for `pulumi ... --policy-pack policy`.
policy/venv/.installed: policy/pyproject.toml policy/uv.lock | $(UV)
	@echo "Installing the policy pack's locked environment (policy/uv.lock) into policy/venv/ ..."
	UV_PROJECT_ENVIRONMENT=$(CURDIR)/policy/venv $(UV_SYNC) --project policy
	touch $@

policy-install: policy/venv/.installed ## install policy/uv.lock into policy/venv, exactly

# zizmor: offline, no config file that could switch audits off; every finding of its default
# persona at or above low fails (the pedantic and auditor personas report more).
lint: install ## ruff, ruff format and zizmor (the workflows)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/zizmor --offline --no-config --strict-collection --min-severity low .github

typecheck: install ## mypy
	$(BIN)/mypy

# The suite in two halves of about equal cost, one pytest process each (`--part`, the split in
# tests/conftest.py): side by side they use both cores, and each imports and collects only its own
# half (docs/development.md, "Speed"). Each prints its report when it ends.
SIDE_BY_SIDE := --no-print-directory $(if $(filter output-sync,$(.FEATURES)),--output-sync=target)
UNIT_HALVES  := unit-program unit-repository

unit: install ## the tests: both halves side by side (plain venv/bin/pytest runs all in one process)
	@$(MAKE) $(SIDE_BY_SIDE) --jobs=2 $(UNIT_HALVES)

# The halves start about a hundred Python processes that import the project's modules: with
# bytecode written (PYTHONDONTWRITEBYTECODE emptied for them), each module is compiled once, and
# pytest keeps its rewritten test files for the next run (__pycache__/ is git-ignored).
unit-program: install ## the half of the tests that runs the program and the commands in-process
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest --part=program

unit-repository: install ## the half that runs the scripts, make and zizmor, and reads the repository
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest --part=repository

# The linters, mypy and the two halves side by side finish sooner on a 2-core machine than one
# after another (docs/development.md, "Speed"); make fails if any of them fails.
test: install ## lint, typecheck and both halves of the tests, side by side: what CI runs
	@echo "Linting, type-checking (mypy) and running both halves of the tests (pytest) side by side ..."
	@$(MAKE) $(SIDE_BY_SIDE) --jobs=4 lint typecheck $(UNIT_HALVES)

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
verify: ## check STACK's live sign-in and provisioning (ARGS=--json, --repair, "--canary <user>")
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

# typings/pulumi_cloudflare: the slice of the Cloudflare SDK the code uses, which mypy reads instead
# of the whole SDK (tests/test_cloudflare_stubs.py fails while it is stale, e.g. after an upgrade).
stubs: install ## regenerate typings/ (mypy's slice of the Cloudflare SDK), after a pulumi-cloudflare upgrade
	$(BIN)/python scripts/cloudflare_stubs.py
